#pragma once

#include <chrono>

#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/protocol/limits.hpp"
#include "actors/server/cluster/peer_identity.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/session_actor.hpp"
#include "actors/server/store.hpp"

namespace courier {

/// Who is online; moves messages from senders to recipients. In a cluster
/// every user has one home router (rendezvous hashing over the router
/// names) that owns the user's directory entry, offline queue and live
/// session, wherever the session is connected. Routers publish this
/// interface on the backbone; a request about a user homed elsewhere is
/// passed to the home router, or refused with `unreachable` while it is
/// down. A request from another node is always answered as the home.
/// On a shared store (cluster_config::shared_store) the directory and the
/// queues are in the database, and a home only serves live sessions: it is
/// picked among the routers that are up, and picked again for every
/// session whenever a peer comes or goes (see spawn_router).
using router_actor = caf::typed_actor<
  // An authenticated session for a user.
  caf::reacts_to<login_atom, std::string, session_actor>,
  // Accepts a sealed blob from `from` to `to`; replies its seq once it is
  // durable or acknowledged, and whether the recipient acknowledged it
  // (then no delivered notice follows).
  caf::replies_to<send_atom, std::string, std::string, std::string>::with<
    uint64_t, bool>,
  // The user acknowledged message `seq`.
  caf::reacts_to<ack_atom, std::string, uint64_t>,
  // Shared store: this session of the user logged in at another home;
  // the router forgets it (and writes what it held for it).
  caf::reacts_to<forget_atom, std::string, session_actor>,
  // Tells `user` that message `seq` it sent was acknowledged.
  caf::reacts_to<delivered_atom, std::string, uint64_t>,
  // Which of the named users (at most max_presence_names) have a live
  // session, wherever their home is; sorted. A home that is down or slow
  // to answer leaves its users out.
  caf::replies_to<online_atom, std::vector<std::string>>::with<
    std::vector<std::string>>,
  // Every user with a live session known here (homed here, or visiting
  // from another home), sorted: for the operator (courier-node admin
  // sessions). Empty to other nodes.
  caf::replies_to<online_atom>::with<std::vector<std::string>>,
  // Which of the named users homed here have a live session (what peers
  // ask each other).
  caf::replies_to<home_online_atom, std::vector<std::string>>::with<
    std::vector<std::string>>,
  // The directory of the user's home router (see directory_actor).
  caf::replies_to<register_atom, std::string, std::string>::with<bool>,
  caf::replies_to<register_atom, std::string, std::string, bool>::with<bool>,
  caf::replies_to<register_atom, std::string, std::string, bool,
                  std::string>::with<bool>,
  caf::replies_to<lookup_atom, std::string>::with<std::string>,
  caf::replies_to<prekeys_atom, std::string, std::string>::with<uint32_t>,
  caf::replies_to<prekeys_atom, std::string>::with<uint32_t>,
  caf::replies_to<bundle_atom, std::string>::with<std::string>,
  // This router's name in the cluster.
  caf::replies_to<status_atom>::with<std::string>,
  // Internal: a held message's time is up.
  caf::reacts_to<tick_atom>,
  // Messages were written to these users' queues in a shared store,
  // perhaps by another router (no user: any queue may have grown). Those
  // live here are fetched for; a fetch under way takes the notice in.
  // Ignored from other nodes.
  caf::reacts_to<queued_atom, std::vector<std::string>>,
  // The node is stopping: hands every held message to the store; replies
  // how many. Ignored from other nodes.
  caf::replies_to<flush_atom>::with<size_t>,
  // An operator blocked `user` (courier-node admin block): its sessions
  // known here end with `name_blocked` and the name is looked up again
  // before a message for it is taken. Replies how many sessions were
  // told. Ignored from other nodes.
  caf::replies_to<kick_atom, std::string>::with<size_t>,
  // Router `name` is reachable at this handle (from this router's peer
  // link, or from the peer's own link that dialled this router). The
  // router watches it and forgets it when it goes. Refused (peer_refused)
  // if `name` is not configured, if the certificate behind the handle
  // names another router, if a peer tells about a handle on another node,
  // or if another handle of that name is up: a live link is never
  // replaced. Replies true, also for the same handle again.
  caf::replies_to<peer_up_atom, std::string, caf::strong_actor_ptr>::with<
    bool>>;

/// Where a router stands in its cluster.
struct cluster_config {
  std::string name = "router";      ///< this router
  std::vector<std::string> routers; ///< every router, this one included
  /// Checks the certificate behind each peer handle; without it (a
  /// development backbone without TLS, or tests) names are taken as told.
  cluster::peer_identity_actor identity;
  /// The queue is shared with other routers (PostgreSQL): a message not
  /// pushed at once is put with seq 0 and numbered by the store, so every
  /// router numbers one recipient's queue in one order. Directory requests
  /// are answered here, homes are picked among the routers that are up,
  /// and a peer's request is served here whatever this router thinks of
  /// the home (a message for a user not live here goes to the queue).
  bool shared_store = false;
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
/// `unmetered`: senders the send budget does not apply to, the names
/// reserved for a key (the bank answers every order it gets).
router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits,
                          uint64_t first_seq, cluster_config cluster = {},
                          std::chrono::milliseconds ack_hold = {},
                          std::set<std::string> unmetered = {});

} // namespace courier
