#pragma once

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/server_identity.hpp"

namespace courier {

/// The server's half of one handshake between the client's hello and
/// finish. Only one actor at a time holds it: the worker while it answers,
/// the session in between.
struct handshake_progress {
  protocol::client_hello hello;
  protocol::server_pending pending;
};

using handshake_ptr = std::shared_ptr<handshake_progress>;

/// The public-key work of server handshakes, off the I/O thread (a pool).
using handshake_worker_actor = caf::typed_actor<
  // Checks a client hello and answers it: the server hello to send, and
  // what the finish is checked against.
  caf::replies_to<hello_atom, std::string>::with<std::string, handshake_ptr>,
  // Checks the client's finish (its proof of key possession), then binds
  // the name to the key in the directory; replies whether the user is new
  // (the directory's answer, `username_taken` included).
  caf::replies_to<verify_atom, handshake_ptr, std::string>::with<bool>>;

/// One worker: parses and answers client hellos with the router's
/// identity, and checks finishes, then has `directory` bind the name to
/// the key. The RSA and X25519 work of a handshake (about 0.2 ms) runs here
/// so that the sessions' I/O thread never waits on it.
handshake_worker_actor::behavior_type
handshake_worker(handshake_worker_actor::pointer self,
                 std::shared_ptr<const server_identity> identity,
                 directory_actor directory);

/// A round-robin pool of `size` workers behind one handle.
handshake_worker_actor
spawn_handshake_pool(caf::actor_system& sys, size_t size,
                     std::shared_ptr<const server_identity> identity,
                     directory_actor directory);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::handshake_ptr)
