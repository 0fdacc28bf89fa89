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
};

} // namespace courier
