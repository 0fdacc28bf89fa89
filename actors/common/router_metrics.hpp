#pragma once

#include <array>
#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "actors/common/error.hpp"

namespace courier {

/// Why the router ended an edge session, as `courier_sessions_cut_total`
/// counts it (the `reason` label is `to_string` of it).
enum class session_cut : uint8_t {
  write_buffer,      ///< the client read too slowly (--max-write-buffer)
  rate_ignored,      ///< it kept sending while paused for the frame rate
  bad_frame,         ///< a frame broke the framing or did not open
  handshake_timeout, ///< no sign-in within --handshake-timeout-ms
  idle_timeout,      ///< nothing for --idle-timeout-ms
  kicked,            ///< the same user signed in elsewhere
  drained,           ///< the router drained its sessions
  blocked,           ///< an operator blocked the user
  refused,           ///< any other error that ends a session
};

/// The label of `x`, e.g. "write_buffer".
const char* to_string(session_cut x);

/// A router's Prometheus series. Every series is made once, here; actors
/// keep a pointer to this and only add to atomics on their paths (no
/// label lookup per message). Made by the node before its actors start.
struct router_metrics {
  explicit router_metrics(prometheus::Registry& registry);

  router_metrics(const router_metrics&) = delete;
  router_metrics& operator=(const router_metrics&) = delete;

  // -- sessions ---------------------------------------------------------------
  prometheus::Gauge& sessions_in_handshake;
  prometheus::Gauge& sessions_signed_in;
  prometheus::Counter& handshakes_signed_in; ///< a known user
  prometheus::Counter& handshakes_new_user;  ///< a name registered
  prometheus::Counter& handshakes_refused;   ///< a hello or finish refused
  prometheus::Counter& handshakes_timed_out;
  prometheus::Counter& frames_in;
  prometheus::Counter& frames_out;
  /// Sessions cut because their reader fell behind (--max-write-buffer).
  prometheus::Counter& write_buffer_closes;
  prometheus::Counter& refused_busy;         ///< --max-connections
  prometheus::Counter& refused_per_address;  ///< --max-connections-per-address

  // -- messages ---------------------------------------------------------------
  /// Accepted at the recipient's home router.
  prometheus::Counter& relayed;
  /// Pushed to a live recipient and held in memory for its ack.
  prometheus::Counter& held;
  /// Written to the offline queue (committed rows).
  prometheus::Counter& stored;
  prometheus::Counter& delivered_live;
  prometheus::Counter& delivered_from_store;
  prometheus::Counter& backbone_out; ///< sends passed to another router
  prometheus::Counter& backbone_in;  ///< sends from another router
  prometheus::Gauge& backbone_peers_up;

  // -- the offline queue ------------------------------------------------------
  prometheus::Gauge& queue_messages;
  prometheus::Gauge& queue_bytes;
  prometheus::Histogram& store_commit_seconds;

  /// Errors sent to clients, by code.
  prometheus::Counter& error(errc code) {
    return *errors_[static_cast<uint8_t>(code)];
  }

  /// Sessions the router ended, by reason.
  prometheus::Counter& cut(session_cut why) {
    return *cuts_[static_cast<uint8_t>(why)];
  }

private:
  std::array<prometheus::Counter*, 256> errors_{};
  std::array<prometheus::Counter*, 9> cuts_{};
};

} // namespace courier
