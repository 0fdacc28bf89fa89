#include "actors/protocol/frame_pump.hpp"

#include "actors/common/error.hpp"

namespace courier::protocol {

pump_result frame_pump::hold(const char* data, size_t size) {
  // The transport may finish a burst of reads after it was told to stop.
  deferred_.append(data, size);
  if (deferred_.size() <= max_held_)
    return {};
  return {pump_status::overflow,
          make_error(errc::rate_limited,
                     "deferred bytes over " + std::to_string(max_held_)),
          {}};
}

pump_result frame_pump::rate_check() {
  if (frames_this_second_ < max_frames_per_second_)
    return {};
  // Over the rate: a fast peer is slowed down, not cut off.
  paused_ = true;
  return {pump_status::pause, {}, window_start_ + std::chrono::seconds{1}};
}

} // namespace courier::protocol
