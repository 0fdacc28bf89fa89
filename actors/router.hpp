#pragma once

#include "actors/interfaces.hpp"
#include "actors/limits.hpp"

namespace courier {

/// Knows who is online and moves sealed blobs from senders to recipients:
/// every message is made durable by the store first, then pushed to the
/// recipient's session in order, at most `delivery_window` unacked at a time.
router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits);

} // namespace courier
