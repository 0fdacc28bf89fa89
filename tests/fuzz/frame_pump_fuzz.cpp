// libFuzzer target: protocol::frame_pump under a low frame rate, with the
// fuzzer choosing how bytes arrive, when time passes and when reading
// resumes.

#include <chrono>

#include "actors/protocol/frame_pump.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/stream_check.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edge_limits limits;
  limits.max_frame = 256;
  limits.max_frames_per_second = 4;
  constexpr size_t max_deferred = 512;
  auto now = protocol::frame_pump::clock::time_point{};
  protocol::frame_pump pump{limits, max_deferred, now};
  fuzz::stream_check check{limits.max_frame};
  fuzz::chunker in{data, size};
  std::string_view piece;
  unsigned action = 0;
  protocol::pump_result last;
  while (in.next(piece, action)) {
    // Action 1 stops after one frame; 2 lets 300 ms pass; 3 resumes.
    auto on_frame = [&](std::string_view f) {
      check.frame(f);
      return action != 1;
    };
    if (action == 2)
      now += std::chrono::milliseconds{300};
    if (action == 3 && pump.paused()) {
      now = last.resume_at;
      last = pump.resume(now, on_frame);
    } else {
      last = {};
    }
    if (last.status == protocol::pump_status::ok) {
      check.fed(piece);
      last = pump.feed(piece.data(), piece.size(), now, on_frame);
    }
    switch (last.status) {
      case protocol::pump_status::error:
        fuzz::require(static_cast<bool>(last.error), "error without a reason");
        return 0;
      case protocol::pump_status::overflow:
        fuzz::require(pump.deferred() > max_deferred, "overflow under the cap");
        return 0;
      case protocol::pump_status::pause:
        fuzz::require(pump.paused(), "pause without pausing");
        break;
      default:
        break;
    }
  }
  return 0;
}
