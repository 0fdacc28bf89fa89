#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <utility>

#include <caf/io/broker.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include "actors/server/session.hpp"

namespace courier {

/// State of the edge listener.
struct edge_listener_state {
  uint16_t port = 0;
  caf::error bind_error;
  /// Sessions by handshake deadline, oldest first. Weak: a session that
  /// ended is skipped, not kept alive.
  std::deque<std::pair<std::chrono::steady_clock::time_point,
                       caf::weak_actor_ptr>>
    deadlines;
  bool sweep_pending = false;
  static inline const char* name = "edge_listener";
};

/// How late a handshake deadline may be enforced, so that a burst of
/// connections shares one timer.
constexpr std::chrono::milliseconds sweep_slack{100};

/// Accepts edge connections on `host:port` (port 0 picks one) and gives
/// each its own session broker. One timer serves every session's
/// handshake deadline: each session hears `(deadline_atom, 0)` at most
/// `sweep_slack` after it.
/// Answers `(status_atom)` with the bound port, or the bind error.
caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx);

} // namespace courier
