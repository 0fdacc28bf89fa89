#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

namespace courier::protocol {

/// Size of the big-endian length prefix in front of every frame.
constexpr size_t frame_header_size = 4;

/// The payload length a frame's 4-byte prefix announces.
uint32_t frame_length(const char* prefix);

/// Splits a byte stream into `u32 big-endian length | payload` frames.
/// A zero length or one above the cap is an error: the stream is then
/// unusable and the connection must close.
class frame_reader {
public:
  explicit frame_reader(size_t max_frame) : max_frame_(max_frame) {}

  /// Appends received bytes and moves every complete frame into `out`.
  caf::error feed(const char* data, size_t size, std::vector<std::string>& out);

  /// Calls `on_frame(std::string_view)` for every complete frame in the
  /// bytes held and `data`, in order, while it returns true. Frames that lie
  /// wholly in `data` are not copied; the views live until the call returns.
  template <class F>
  caf::error read(const char* data, size_t size, F&& on_frame) {
    if (!buf_.empty()) {
      buf_.append(data, size);
      size_t used = 0;
      auto err = split(buf_.data(), buf_.size(), used, on_frame);
      buf_.erase(0, used);
      return err;
    }
    size_t used = 0;
    auto err = split(data, size, used, on_frame);
    if (!err)
      buf_.append(data + used, size - used);
    return err;
  }

  /// Bytes held for a frame that is not complete yet.
  size_t pending() const { return buf_.size(); }

  /// Gives back the memory of an idle reader.
  void shrink() {
    if (buf_.empty())
      std::string{}.swap(buf_);
  }

private:
  template <class F>
  caf::error split(const char* data, size_t size, size_t& used, F& on_frame) {
    while (size - used >= frame_header_size) {
      auto len = frame_length(data + used);
      if (len == 0 || len > max_frame_)
        return oversize(len);
      if (size - used - frame_header_size < len)
        break;
      std::string_view frame{data + used + frame_header_size, len};
      used += frame_header_size + len;
      if (!on_frame(frame))
        break;
    }
    return caf::none;
  }

  static caf::error oversize(uint32_t len);

  size_t max_frame_;
  std::string buf_;
};

/// Writes the 4-byte big-endian length prefix to `out`.
void write_frame_header(char* out, uint32_t length);

/// Appends one frame (prefix and payload) to `out`.
void append_frame(std::vector<char>& out, const std::string& payload);

} // namespace courier::protocol
