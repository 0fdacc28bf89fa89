#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace courier {

/// Limits that protect a router from its edge; all configurable.
struct edge_limits {
  size_t max_frame = 64 * 1024;            ///< bytes per frame
  size_t max_write_buffer = 1024 * 1024;   ///< bytes queued to a slow reader
  uint32_t max_frames_per_second = 2000;   ///< per session
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds idle_timeout{300000};
  /// A session quiet this long frees its cipher contexts and buffers.
  std::chrono::milliseconds quiet_after{10000};
  uint32_t delivery_window = 256;          ///< unacked messages per session
  /// Messages a signed-in sender may send per second, over all its
  /// sessions on this router (a token bucket; 0: no limit).
  uint32_t sender_rate = 200;
  /// Messages a sender may send at once before the rate applies.
  uint32_t sender_burst = 5000;
};

/// Most usernames one presence request may ask about: the answer is then
/// bounded too (64 names of 32 characters), however many are online.
constexpr size_t max_presence_names = 64;

/// Most one-time prekeys one `prekeys_publish` may carry.
constexpr size_t max_publish_prekeys = 100;

/// Most one-time prekeys a router keeps for one device.
constexpr size_t max_stored_prekeys = 100;

} // namespace courier
