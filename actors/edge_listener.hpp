#pragma once

#include <string>

#include <caf/io/broker.hpp>

#include "actors/session.hpp"

namespace courier {

/// State of the edge listener.
struct edge_listener_state {
  uint16_t port = 0;
  caf::error bind_error;
  static inline const char* name = "edge_listener";
};

/// Accepts edge connections on `host:port` (port 0 picks one) and gives
/// each its own session broker.
/// Answers `(status_atom)` with the bound port, or the bind error.
caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx);

} // namespace courier
