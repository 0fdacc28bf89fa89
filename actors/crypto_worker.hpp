#pragma once

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "crypto/key.hpp"

namespace courier {

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
