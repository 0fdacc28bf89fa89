#pragma once

#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/protocol/limits.hpp"

namespace courier {

/// Who owns a connection: it hears every frame the connection reads.
/// When the connection ends, the broker quits and the owner sees it
/// through a monitor; when the owner goes, the connection closes.
using frame_sink = caf::typed_actor<caf::reacts_to<frame_atom, std::string>>;

/// What a connection's owner may tell it.
using connection_actor = caf::typed_actor<
  // Writes one frame; a reader too slow for the write buffer is cut off.
  caf::reacts_to<write_atom, std::string>,
  // Closes after what is queued has been written.
  caf::reacts_to<close_atom>>;

/// One TCP connection: splits the byte stream into frames for its owner,
/// writes the owner's frames, and enforces the framing and write-buffer
/// limits (breaking them closes the connection) and the frame rate (going
/// over it pauses reading until the second is over). The client's actor
/// owns it; a router's sessions run the same frame pump themselves.
connection_actor spawn_connection(caf::actor_system& sys, int fd,
                                  edge_limits limits, frame_sink owner);

} // namespace courier
