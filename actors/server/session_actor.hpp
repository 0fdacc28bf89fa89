#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/server/stored_message.hpp"

namespace courier {

/// A session: one edge connection, from its handshake to its close. It is
/// a broker, so it also gets the socket's events.
using session_actor = caf::typed_actor<
  // Timer: handshake, quiet and idle checks; only the newest one counts.
  caf::reacts_to<deadline_atom, uint64_t>,
  // Timer: the frame-rate pause is over; read again.
  caf::reacts_to<resume_atom>,
  // Router pushes a queued message to the user.
  caf::reacts_to<deliver_atom, stored_message>,
  // Router ends the session (signed in elsewhere, shutting down).
  caf::reacts_to<kick_atom, std::string>,
  // Router or edge listener ends the session with this error: the client
  // hears its code (`name_blocked`: an operator blocked the user; `busy`:
  // the router drains, use another one).
  caf::reacts_to<kick_atom, caf::error>,
  // Router: the recipient acknowledged message `seq` this user sent.
  caf::reacts_to<delivered_atom, uint64_t>>;

} // namespace courier
