#pragma once

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/network/native_socket.hpp>

#include "actors/protocol/limits.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/handshake_worker.hpp"
#include "actors/server/router.hpp"
#include "actors/server/server_identity.hpp"
#include "actors/server/session_actor.hpp"

namespace courier {

/// What a session asks of the edge listener that accepted it.
using admission_actor = caf::typed_actor<
  // Takes a token for one new name from the bucket of the session's
  // address; `false` if it is empty.
  caf::replies_to<name_token_atom>::with<bool>,
  // Gives back a token that no new name used.
  caf::reacts_to<refund_atom>>;

/// What every session of one node shares (read-only).
struct session_context {
  std::shared_ptr<const server_identity> identity;
  router_actor router;
  directory_actor directory;
  handshake_worker_actor handshakes;
  edge_limits limits;
};

/// One edge connection, as one broker on the I/O thread: it splits the
/// byte stream into frames, runs the handshake (the public-key work goes
/// to `ctx.handshakes`), owns the traffic keys, checks every envelope,
/// speaks typed messages to the router and writes what the router pushes.
/// It enforces the frame, write-buffer and frame-rate limits, dies with
/// its connection and never takes the node down.
/// `listener` sends it `(deadline_atom, 0)` once its handshake deadline
/// (`ctx.limits.handshake_timeout`) has passed, so that a connection that
/// ends within it never sets a timer of its own; a new name needs a token
/// from it (see admission_actor).
session_actor start_session(caf::io::broker* listener,
                            caf::io::connection_handle hdl,
                            session_context ctx);

/// The same session on a socket made elsewhere (tests use a socketpair);
/// it keeps its handshake deadline itself.
session_actor spawn_session(caf::actor_system& sys,
                            caf::io::network::native_socket fd,
                            session_context ctx);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::session_context)
