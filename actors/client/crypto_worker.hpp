#pragma once

#include <caf/actor_system.hpp>

#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/protocol/letter.hpp"
#include "crypto/key.hpp"

namespace courier {

/// Public-key work off the caller's thread (a pool of these).
using crypto_worker_actor = caf::typed_actor<
  // Seals a letter for its readers with the owner's key.
  caf::replies_to<seal_atom, protocol::letter, std::vector<protocol::reader>>::with<
    std::string>,
  // Opens a blob addressed to the owner from `from`, whose key is given:
  // the sender's signature is checked before the private-key unwrap, so
  // a forged or garbage blob costs no private operation.
  caf::replies_to<open_atom, std::string, std::string, crypto::key>::with<
    protocol::letter>>;

/// One worker: seals and opens letters with its owner's private key, so
/// that RSA private operations never run inside the client actor.
crypto_worker_actor::behavior_type
crypto_worker(crypto_worker_actor::pointer self, std::string owner,
              crypto::key private_key);

/// A round-robin pool of `size` workers behind one handle.
crypto_worker_actor spawn_crypto_pool(caf::actor_system& sys, size_t size,
                                      const std::string& owner,
                                      const crypto::key& private_key);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::protocol::letter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::protocol::reader)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<courier::protocol::reader>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::crypto::key)
