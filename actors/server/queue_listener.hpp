#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

/// Who learns that messages were written to a shared queue: the users
/// they are for, or no user at all when notices may have been missed
/// (every queue may have grown).
using queue_notice_sink
  = caf::typed_actor<caf::reacts_to<queued_atom, std::vector<std::string>>>;

/// Listens on PostgreSQL (`conninfo`) for the queue writes of every router
/// (pg_queue_channel) and tells `sink` of them. Bursts coalesce: all that
/// arrived while `sink` was last told goes in one message, each user once,
/// at most `max_names` (more, and `sink` is told of no user: "all").
/// Runs on a thread of its own, waiting on the connection at most a
/// quarter second at a time; a lost connection is opened again with
/// backoff (up to 5 s), and `sink` is then told "all".
using queue_listener_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

queue_listener_actor spawn_queue_listener(caf::actor_system& sys,
                                          std::string conninfo,
                                          queue_notice_sink sink,
                                          size_t max_names = 1024);

} // namespace courier
