#pragma once

#include "actors/interfaces.hpp"
#include "actors/limits.hpp"

namespace courier {

/// Where a router stands in its cluster.
struct cluster_config {
  std::string name = "router";      ///< this router
  std::vector<std::string> routers; ///< every router, this one included
};

/// Knows who is online and moves sealed blobs from senders to recipients.
/// A message goes to the store and, if the recipient is live and has no
/// backlog, to its session at once; the sender hears back once the message
/// is durable or acknowledged. Sessions get messages in order, at most
/// `delivery_window` unacknowledged at a time.
/// `first_seq` comes from next_free_seq() of the store's database.
/// With one router in `cluster` every user is homed here.
router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits,
                          uint64_t first_seq, cluster_config cluster = {});

} // namespace courier
