#pragma once

#include <chrono>

#include "actors/interfaces.hpp"
#include "actors/limits.hpp"

namespace courier {

/// Where a router stands in its cluster.
struct cluster_config {
  std::string name = "router";      ///< this router
  std::vector<std::string> routers; ///< every router, this one included
};

/// Knows who is online and moves sealed blobs from senders to recipients.
/// A message goes to its recipient's session at once if the recipient is
/// live and has no backlog, and to the store. The sender hears back once
/// the message is durable or acknowledged. Sessions get messages in order,
/// at most `delivery_window` unacknowledged at a time.
/// With a nonzero `ack_hold`, a message pushed to a live recipient waits in
/// memory that long for the recipient's ack before it is written; acked in
/// time, it is never written. It is written at once when that recipient's
/// session ends or signs in again, and on `flush` (the node is stopping).
/// `first_seq` comes from next_free_seq() of the store's database.
/// With one router in `cluster` every user is homed here.
router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits,
                          uint64_t first_seq, cluster_config cluster = {},
                          std::chrono::milliseconds ack_hold = {});

} // namespace courier
