#pragma once

#include <caf/actor_system.hpp>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/interfaces.hpp"
#include "actors/limits.hpp"
#include "crypto/key.hpp"

namespace courier {

/// The router's own identity: an Ed25519 key that signs handshakes.
struct server_identity {
  crypto::key key;
  crypto::bytes der; ///< SPKI DER of the public half, sent in every hello
  std::string name;  ///< shown to clients in `welcome`
};

/// What every session of one node shares (read-only).
struct session_context {
  std::shared_ptr<const server_identity> identity;
  router_actor router;
  directory_actor directory;
  edge_limits limits;
};

/// One edge connection after the framing: runs the handshake, owns the
/// traffic keys, checks every envelope and speaks typed messages to the
/// router. It dies with its connection and never takes the node down.
session_actor spawn_session(caf::actor_system& sys, caf::actor connection,
                            session_context ctx);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::session_context)
