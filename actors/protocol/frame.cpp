#include "actors/protocol/frame.hpp"

#include "crypto/errc.hpp"

namespace courier::protocol {

uint32_t frame_length(const char* prefix) {
  auto u = reinterpret_cast<const unsigned char*>(prefix);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8)
         | uint32_t{u[3]};
}

caf::error frame_reader::feed(const char* data, size_t size,
                              std::vector<std::string>& out) {
  buf_.append(data, size);
  size_t pos = 0;
  while (buf_.size() - pos >= frame_header_size) {
    auto len = frame_length(buf_.data() + pos);
    if (len == 0 || len > max_frame_)
      return make_error(errc::oversize, "frame length " + std::to_string(len));
    if (buf_.size() - pos - frame_header_size < len)
      break;
    out.emplace_back(buf_, pos + frame_header_size, len);
    pos += frame_header_size + len;
  }
  buf_.erase(0, pos);
  return caf::none;
}

void append_frame(std::vector<char>& out, const std::string& payload) {
  auto len = static_cast<uint32_t>(payload.size());
  char hdr[frame_header_size] = {static_cast<char>(len >> 24),
                                 static_cast<char>(len >> 16),
                                 static_cast<char>(len >> 8),
                                 static_cast<char>(len)};
  out.insert(out.end(), hdr, hdr + frame_header_size);
  out.insert(out.end(), payload.begin(), payload.end());
}

} // namespace courier::protocol
