#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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

  /// Bytes held for a frame that is not complete yet.
  size_t pending() const { return buf_.size(); }

  /// Gives back the memory of an idle reader.
  void shrink() {
    if (buf_.empty())
      std::string{}.swap(buf_);
  }

private:
  size_t max_frame_;
  std::string buf_;
};

/// Appends one frame (prefix and payload) to `out`.
void append_frame(std::vector<char>& out, const std::string& payload);

} // namespace courier::protocol
