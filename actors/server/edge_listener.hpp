#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/io/broker.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include "actors/server/session.hpp"

namespace courier {

/// What the edge listener admits; 0 means no limit.
struct admission_limits {
  /// Connections at once (the node clamps it below its descriptor limit).
  size_t max_connections = 50000;
  /// Connections at once from one address (IPv4) or /64 (IPv6).
  size_t max_connections_per_address = 256;
  /// New usernames one address may register per minute (and at once).
  uint32_t registrations_per_minute = 20;
};

/// What the listener knows about one source address.
struct edge_source {
  uint32_t connections = 0;
  double tokens = 0; ///< new names it may register now
  std::chrono::steady_clock::time_point refilled;
};

/// State of the edge listener.
struct edge_listener_state {
  uint16_t port = 0;
  caf::error bind_error;
  caf::io::accept_handle doorman;
  admission_limits limits;
  /// Sessions by handshake deadline, oldest first. Weak: a session that
  /// ended is skipped, not kept alive.
  std::deque<std::pair<std::chrono::steady_clock::time_point,
                       caf::weak_actor_ptr>>
    deadlines;
  bool sweep_pending = false;
  /// Live sessions and the source each came from.
  std::unordered_map<caf::actor_addr, std::string> sessions;
  /// Sources with live sessions or with a token bucket that is not full.
  std::unordered_map<std::string, edge_source> sources;
  /// Accepting is paused after running out of descriptors; the next try
  /// waits this long (doubling up to a second while it keeps failing).
  std::chrono::milliseconds backoff{0};
  uint64_t refused = 0; ///< connections refused, for the log
  /// Draining (courier-node admin drain): new connections are refused with
  /// `busy`, so clients go to the next router; open sessions stay, or end
  /// with `busy` after the drain's grace.
  bool draining = false;
  static inline const char* name = "edge_listener";
};

/// How late a handshake deadline may be enforced, so that a burst of
/// connections shares one timer.
constexpr std::chrono::milliseconds sweep_slack{100};

/// Accepts edge connections on `host:port` (port 0 picks one) and gives
/// each its own session broker. One timer serves every session's
/// handshake deadline: each session hears `(deadline_atom, 0)` at most
/// `sweep_slack` after it.
/// Refuses a connection past `limits` at once, with a plain error frame
/// (`busy` at the global cap, `too_many_connections` at the per-address
/// one); stops accepting for a while when the process runs out of
/// descriptors. Hands sessions tokens for new names, per address.
/// Answers `(status_atom)` with the bound port, or the bind error, and
/// `(stop_atom)` (drain) by refusing every new connection from then on,
/// with the number of connections still open; `(stop_atom, uint32_t s)`
/// does the same and, `s` seconds later, ends every open session with
/// `busy` so that its client moves to another router.
caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx, admission_limits limits);

} // namespace courier
