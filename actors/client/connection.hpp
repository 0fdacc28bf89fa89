#pragma once

#include <functional>

#include <caf/actor.hpp>
#include <caf/io/broker.hpp>

#include "actors/common/socket.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/limits.hpp"

namespace courier {

/// Makes the actor that owns a new connection, given the connection's
/// broker. Called once, in the broker's init.
using owner_factory = std::function<caf::actor(caf::actor connection)>;

/// State of one connection broker.
struct connection_state {
  caf::actor owner;
  protocol::frame_reader reader{0};
  edge_limits limits;
  uint32_t frames_this_second = 0;
  std::chrono::steady_clock::time_point window_start;
  std::vector<std::string> frames; ///< reused between reads
  bool paused = false;             ///< over the frame rate, not reading
  std::string held;                ///< bytes read after the pause began
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
