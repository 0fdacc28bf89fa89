#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/server_identity.hpp"

namespace courier {

/// The server's half of one handshake between the client's hello and
/// finish. Only one actor at a time holds it: the worker while it answers,
/// the session in between.
struct handshake_progress {
  protocol::client_hello hello;
  protocol::server_pending pending;
};

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
