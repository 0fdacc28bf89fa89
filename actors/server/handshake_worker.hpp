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
/// finish. The session owns it; a worker fills it in while the session
/// waits for the answer.
struct handshake_progress {
  protocol::client_hello hello;
  protocol::server_pending pending;
  /// The address the connection came from, as the edge counts it
  /// (socket.hpp's source_of): a new name is counted against it.
  std::string source;
};

/// What a job refers to: expired once the session dropped its handshake
/// (it ended), so that nobody does public-key work for a closed connection.
using handshake_ref = std::weak_ptr<handshake_progress>;

/// The public-key work of server handshakes, off the I/O thread.
using handshake_worker_actor = caf::typed_actor<
  // Checks a client hello and answers it: fills in the handshake and
  // replies the server hello to send.
  caf::replies_to<hello_atom, std::string, handshake_ref>::with<std::string>,
  // Checks the client's finish (its proof of key possession), then binds
  // the name to the key in the directory (a new name only if the flag
  // says so); replies whether the user is new (the directory's answer,
  // `username_taken` and `rate_limited` included).
  caf::replies_to<verify_atom, handshake_ref, std::string,
                  bool>::with<bool>>;

/// Options of the handshake pool.
struct handshake_pool_limits {
  size_t threads = 1; ///< workers, each on its own thread
  size_t queue = 256; ///< jobs waiting for a worker; more are refused `busy`
};

/// A pool of `limits.threads` workers behind one handle of the same
/// interface, with at most `limits.queue` jobs waiting. A job that finds
/// the queue full is refused with `busy` at once (the client tries again
/// or another router); a job whose session ended while it waited is
/// dropped unanswered by work. The workers are detached actors, each on
/// its own thread: a flood of handshakes then competes with the store, the
/// directory and the sessions' I/O thread only for cores, which the kernel
/// shares, instead of filling the scheduler queues they wait in.
handshake_worker_actor
spawn_handshake_pool(caf::actor_system& sys, handshake_pool_limits limits,
                     std::shared_ptr<const server_identity> identity,
                     directory_actor directory);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::handshake_ref)
