#pragma once

#include <functional>

#include <caf/actor.hpp>
#include <caf/io/broker.hpp>

#include "actors/common/socket.hpp"
#include "actors/protocol/frame_pump.hpp"
#include "actors/protocol/limits.hpp"

namespace courier {

/// Makes the actor that owns a new connection, given the connection's
/// broker. Called once, in the broker's init.
using owner_factory = std::function<caf::actor(caf::actor connection)>;

/// State of one connection broker.
struct connection_state {
  caf::actor owner;
  edge_limits limits;
  /// Framing, the frame rate and the bytes held while paused.
  protocol::frame_pump pump;
  std::vector<std::string> frames; ///< reused between reads
  static inline const char* name = "connection";
};

/// One TCP connection: splits the byte stream into frames for its owner,
/// writes the owner's frames, and enforces the framing and write-buffer
/// limits (breaking them closes the connection) and the frame rate (going
/// over it pauses reading until the second is over). The client's actor
/// owns it; a router's sessions do their own framing.
///
/// Owner -> connection: `(write_atom, std::string payload)`, `(close_atom)`.
/// Connection -> owner: `(frame_atom, std::string payload)`; when the
/// connection ends, the broker quits and the owner sees it through a monitor.
caf::behavior connection(caf::io::stateful_broker<connection_state>* self,
                         caf::io::connection_handle hdl, edge_limits limits,
                         owner_factory make_owner);

} // namespace courier
