#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "actors/protocol/frame.hpp"
#include "actors/protocol/limits.hpp"

namespace courier::protocol {

/// What a `frame_pump` made of the bytes it was given.
enum class pump_status : uint8_t {
  ok,       ///< every complete frame was handled
  stopped,  ///< the callback asked to stop; the rest stays unread
  pause,    ///< the frame rate is reached: stop reading until `resume_at`
  error,    ///< the stream broke the framing rules; `error` says how
  overflow, ///< paused, and the deferred bytes went over the cap
};

/// The outcome of `frame_pump::feed` or `frame_pump::resume`.
struct pump_result {
  pump_status status = pump_status::ok;
  caf::error error; ///< with `error` and `overflow`
  std::chrono::steady_clock::time_point resume_at; ///< with `pause`
};

/// Turns received bytes into frames under the edge limits, without any
/// transport: framing (`u32 big-endian length | frame`), the frame rate per
/// one-second window, and the bytes that arrive while reading is paused.
/// Its owner stops and restarts the socket when told and calls `resume`.
class frame_pump {
public:
  using clock = std::chrono::steady_clock;

  /// Accepts no frame: a placeholder until a configured pump is assigned.
  frame_pump() : reader_(0) {}

  /// `max_deferred`: bytes kept while paused; more means a peer that ignores
  /// the pause, and the connection must close.
  frame_pump(const edge_limits& limits, size_t max_deferred, clock::time_point now)
    : reader_(limits.max_frame),
      max_frames_per_second_(limits.max_frames_per_second),
      max_held_(max_deferred),
      window_start_(now) {}

  /// Calls `on_frame(std::string_view)` for every complete frame, in order,
  /// while it returns true; views live until the call returns. While paused
  /// the bytes are deferred to `resume` instead.
  template <class F>
  pump_result feed(const char* data, size_t size, clock::time_point now,
                   F&& on_frame) {
    if (paused_)
      return hold(data, size);
    if (now - window_start_ >= std::chrono::seconds{1}) {
      window_start_ = now;
      frames_this_second_ = 0;
    }
    bool stopped = false;
    auto err = reader_.read(data, size, [&](std::string_view frame) {
      ++frames_this_second_;
      stopped = !on_frame(frame);
      return !stopped;
    });
    if (err)
      return {pump_status::error, std::move(err), {}};
    if (stopped)
      return {pump_status::stopped, {}, {}};
    reader_.shrink();
    return rate_check();
  }

  /// Ends a pause: opens a new window at `now` and feeds the deferred bytes.
  template <class F>
  pump_result resume(clock::time_point now, F&& on_frame) {
    paused_ = false;
    window_start_ = now;
    frames_this_second_ = 0;
    if (deferred_.empty())
      return {};
    std::string bytes;
    bytes.swap(deferred_);
    return feed(bytes.data(), bytes.size(), now, on_frame);
  }

  /// Whether reading is paused (over the frame rate).
  bool paused() const { return paused_; }

  /// Bytes waiting for `resume`.
  size_t deferred() const { return deferred_.size(); }

  /// Gives back the memory of an idle reader.
  void shrink() { reader_.shrink(); }

private:
  pump_result hold(const char* data, size_t size);
  pump_result rate_check();

  frame_reader reader_;
  uint32_t max_frames_per_second_ = 0;
  size_t max_held_ = 0;
  uint32_t frames_this_second_ = 0;
  clock::time_point window_start_;
  bool paused_ = false;
  std::string deferred_; ///< bytes received after the pause began
};

} // namespace courier::protocol
