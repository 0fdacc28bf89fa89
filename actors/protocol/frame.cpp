#include "actors/protocol/frame.hpp"

#include "actors/common/error.hpp"

namespace courier::protocol {

uint32_t frame_length(const char* prefix) {
  auto u = reinterpret_cast<const unsigned char*>(prefix);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8)
         | uint32_t{u[3]};
}

caf::error frame_reader::oversize(uint32_t len) {
  return make_error(errc::oversize, "frame length " + std::to_string(len));
}

caf::error frame_reader::feed(const char* data, size_t size,
                              std::vector<std::string>& out) {
  return read(data, size, [&out](std::string_view frame) {
    out.emplace_back(frame);
    return true;
  });
}

void write_frame_header(char* out, uint32_t length) {
  out[0] = static_cast<char>(length >> 24);
  out[1] = static_cast<char>(length >> 16);
  out[2] = static_cast<char>(length >> 8);
  out[3] = static_cast<char>(length);
}

void append_frame(std::vector<char>& out, const std::string& payload) {
  char hdr[frame_header_size];
  write_frame_header(hdr, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), hdr, hdr + frame_header_size);
  out.insert(out.end(), payload.begin(), payload.end());
}

} // namespace courier::protocol
