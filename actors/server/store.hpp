#pragma once

#include <caf/actor_system.hpp>
#include <chrono>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/server/store_backend.hpp"
#include "actors/server/stored_message.hpp"

namespace courier {

/// What the offline queue keeps for one recipient, and for how long.
struct queue_limits {
  /// Messages waiting for one recipient (0: no limit).
  uint32_t max_messages = 10000;
  /// Bytes of blobs waiting for one recipient (0: no limit).
  uint64_t max_bytes = 64 * 1024 * 1024;
  /// Older messages are not delivered and are purged (0: kept for ever).
  std::chrono::milliseconds expiry{std::chrono::hours{24 * 30}};
  /// Rows one purge pass deletes at most, so a pass never stalls the store.
  uint32_t purge_batch = 1000;
  /// Time between purge passes (the next comes at once after a full one).
  std::chrono::milliseconds purge_interval{std::chrono::minutes{1}};
};

/// The durable offline queue (group commit).
using store_actor = caf::typed_actor<
  // Queues a message for `to`; replies once it is durable, or once a drop
  // of it came in the same batch. A seq of 0 lets the store pick one.
  // With `quota`, a message that would take `to`'s queue over its limits
  // is refused with `quota_exceeded` (a message already pushed to a live
  // recipient is written without it: it is being delivered).
  caf::replies_to<put_atom, std::string, stored_message, bool>::with<
    stored_message>,
  // Messages for `to` after `seq`, in order, at most `limit`.
  caf::replies_to<fetch_atom, std::string, uint64_t, uint32_t>::with<
    std::vector<stored_message>>,
  // Deletes a message the recipient acknowledged.
  caf::reacts_to<drop_atom, std::string, uint64_t>,
  // Internal: commit everything pending.
  caf::reacts_to<flush_atom>,
  // Internal: a purge pass of expired messages is due.
  caf::reacts_to<tick_atom>,
  // The node is stopping: writes every pending message now; replies how
  // many it wrote.
  caf::replies_to<stop_atom>::with<size_t>>;

/// Opens the queue database at `path` and creates its schema.
caf::expected<std::shared_ptr<database>> open_store_db(const std::string& path);

/// The first seq a router may hand out: above every seq in the queue and
/// above any it handed out before a restart.
uint64_t next_free_seq(queue_backend& db);
/// The same for a SQLite database from open_store_db.
uint64_t next_free_seq(database& db);

/// The queue backend over a SQLite database from open_store_db.
std::shared_ptr<queue_backend> sqlite_queue(std::shared_ptr<database> db);

/// The durable offline queue. Puts and drops are grouped: everything in
/// the mailbox, or that arrives within `window` of the first put or drop,
/// is committed in one transaction (WAL, synchronous=FULL) before any of
/// them is answered; a put and the drop of the same message in one batch
/// are neither written. A fetch commits what is pending first.
/// Each recipient's queue is bounded by `limits` (count and bytes, kept in
/// memory from a count at start); expired messages are never fetched and
/// are purged at start and every purge interval, a bounded batch a pass.
store_actor spawn_store(caf::actor_system& sys,
                        std::shared_ptr<queue_backend> db,
                        std::chrono::microseconds window = {},
                        queue_limits limits = {});

/// The same on a SQLite database from open_store_db.
store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<database> db,
                        std::chrono::microseconds window = {},
                        queue_limits limits = {});

} // namespace courier
