// Checks the frames a reader hands out against the stream it was fed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "actors/protocol/frame.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace courier::fuzz {

/// Remembers every byte fed and requires each frame to be the next
/// `u32 length | payload` of that stream, in order and within the cap.
class stream_check {
public:
  explicit stream_check(size_t max_frame) : max_frame_(max_frame) {}

  /// Bytes given to the reader.
  void fed(std::string_view bytes) { stream_.append(bytes); }

  /// A frame the reader handed out.
  void frame(std::string_view payload) {
    require(!payload.empty() && payload.size() <= max_frame_,
            "a frame outside the size limits");
    require(stream_.size() - pos_ >= protocol::frame_header_size + payload.size(),
            "a frame from bytes never fed");
    auto len = protocol::frame_length(stream_.data() + pos_);
    pos_ += protocol::frame_header_size;
    require(len == payload.size()
              && stream_.compare(pos_, len, payload.data(), len) == 0,
            "a frame that is not the next one in the stream");
    pos_ += len;
  }

  /// The reader holds `pending` bytes: exactly those not handed out yet.
  void held(size_t pending) {
    require(pos_ + pending == stream_.size(), "bytes lost or duplicated");
  }

private:
  size_t max_frame_;
  std::string stream_;
  size_t pos_ = 0;
};

} // namespace courier::fuzz
