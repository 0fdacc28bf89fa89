// The frame pump: framing, the frame rate and the bytes deferred while paused,
// without a socket.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/frame_pump.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace std::chrono_literals;

namespace {

using clock = frame_pump::clock;

const clock::time_point t0 = clock::time_point{} + 100s;

std::string frame(const std::string& payload) {
  std::string out(frame_header_size, '\0');
  write_frame_header(out.data(), static_cast<uint32_t>(payload.size()));
  return out + payload;
}

edge_limits limits(uint32_t per_second = 1000) {
  edge_limits x;
  x.max_frame = 16;
  x.max_frames_per_second = per_second;
  return x;
}

// Feeds a pump and keeps the frames it splits off.
struct harness {
  frame_pump pump;
  std::vector<std::string> got;

  explicit harness(edge_limits lim = limits(), size_t max_deferred = 64)
    : pump(lim, max_deferred, t0) {}

  auto collect() {
    return [this](std::string_view f) {
      got.emplace_back(f);
      return true;
    };
  }

  pump_result feed(const std::string& bytes, clock::time_point now = t0) {
    return pump.feed(bytes.data(), bytes.size(), now, collect());
  }
};

} // namespace

TEST(frame_pump, a_frame_split_across_feeds_comes_out_whole) {
  harness h;
  auto bytes = frame("hello");
  for (char c : bytes)
    EXPECT_EQ(h.feed(std::string(1, c)).status, pump_status::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"hello"}));
}

TEST(frame_pump, several_frames_in_one_feed_come_out_in_order) {
  harness h;
  auto bytes = frame("a") + frame("bb") + frame("ccc") + frame("d").substr(0, 3);
  EXPECT_EQ(h.feed(bytes).status, pump_status::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(h.feed(frame("d").substr(3)).status, pump_status::ok);
  EXPECT_EQ(h.got.back(), "d");
}

TEST(frame_pump, an_oversize_frame_is_an_error) {
  harness h;
  auto res = h.feed(frame(std::string(17, 'x')));
  EXPECT_EQ(res.status, pump_status::error);
  EXPECT_EQ(code_of(res.error), errc::oversize);
  EXPECT_TRUE(h.got.empty());
}

TEST(frame_pump, a_zero_or_garbage_length_is_an_error) {
  harness zero;
  EXPECT_EQ(zero.feed(std::string(4, '\0')).status, pump_status::error);
  harness garbage;
  auto res = garbage.feed(frame("ok") + "\xff\xff\xff\xff");
  EXPECT_EQ(res.status, pump_status::error);
  EXPECT_EQ(code_of(res.error), errc::oversize);
  EXPECT_EQ(garbage.got, (std::vector<std::string>{"ok"}));
}

TEST(frame_pump, reaching_the_rate_pauses_until_the_window_ends) {
  harness h{limits(3)};
  EXPECT_EQ(h.feed(frame("1") + frame("2"), t0 + 200ms).status,
            pump_status::ok);
  auto res = h.feed(frame("3"), t0 + 700ms);
  EXPECT_EQ(res.status, pump_status::pause);
  EXPECT_EQ(res.resume_at, t0 + 1s);
  EXPECT_TRUE(h.pump.paused());
  EXPECT_EQ(h.got.size(), 3u);
}

TEST(frame_pump, a_new_second_opens_a_new_window) {
  harness h{limits(2)};
  EXPECT_EQ(h.feed(frame("1"), t0).status, pump_status::ok);
  EXPECT_EQ(h.feed(frame("2"), t0 + 1500ms).status, pump_status::ok);
  auto res = h.feed(frame("3"), t0 + 1600ms);
  EXPECT_EQ(res.status, pump_status::pause);
  EXPECT_EQ(res.resume_at, t0 + 2500ms);
}

TEST(frame_pump, bytes_fed_while_paused_are_deferred_and_replayed_in_order) {
  harness h{limits(1)};
  EXPECT_EQ(h.feed(frame("1")).status, pump_status::pause);
  auto rest = frame("2") + frame("3");
  EXPECT_EQ(h.feed(rest.substr(0, 4)).status, pump_status::ok);
  EXPECT_EQ(h.feed(rest.substr(4)).status, pump_status::ok);
  EXPECT_EQ(h.got.size(), 1u);
  EXPECT_EQ(h.pump.deferred(), rest.size());
  // The deferred bytes are one read: the rate is checked after all of it, and
  // the window opened by resume is full again.
  auto res = h.pump.resume(t0 + 1s, h.collect());
  EXPECT_EQ(res.status, pump_status::pause);
  EXPECT_EQ(res.resume_at, t0 + 2s);
  EXPECT_EQ(h.got, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(h.pump.deferred(), 0u);
  EXPECT_EQ(h.pump.resume(t0 + 2s, h.collect()).status, pump_status::ok);
}

TEST(frame_pump, resume_with_nothing_deferred_just_reopens) {
  harness h{limits(1)};
  EXPECT_EQ(h.feed(frame("1")).status, pump_status::pause);
  EXPECT_EQ(h.pump.resume(t0 + 1s, h.collect()).status, pump_status::ok);
  EXPECT_FALSE(h.pump.paused());
}

TEST(frame_pump, deferred_bytes_over_the_cap_are_an_error) {
  harness h{limits(1), 8};
  EXPECT_EQ(h.feed(frame("1")).status, pump_status::pause);
  EXPECT_EQ(h.feed(std::string(8, 'x')).status, pump_status::ok);
  auto res = h.feed("y");
  EXPECT_EQ(res.status, pump_status::overflow);
  EXPECT_EQ(code_of(res.error), errc::rate_limited);
}

TEST(frame_pump, the_callback_can_stop_early) {
  harness h{limits(2)};
  auto bytes = frame("1") + frame("2") + frame("3");
  int calls = 0;
  auto res = h.pump.feed(bytes.data(), bytes.size(), t0,
                         [&](std::string_view) { return ++calls < 2; });
  // Stopping skips the rate check: the owner is closing.
  EXPECT_EQ(res.status, pump_status::stopped);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(h.pump.paused());
}

TEST(frame_pump, a_default_pump_accepts_no_frame) {
  frame_pump pump;
  auto bytes = frame("1");
  auto res = pump.feed(bytes.data(), bytes.size(), t0,
                       [](std::string_view) { return true; });
  EXPECT_EQ(res.status, pump_status::error);
}
