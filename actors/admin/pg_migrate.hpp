#pragma once

// `courier-node admin migrate`: moves a single router's SQLite data folder
// into a PostgreSQL store, so that a site that grew out of one router can
// start a cluster on it (--store) without anyone losing a name or a
// queued message.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace courier::admin {

/// What a migration copied, and what it found in the store already.
struct migrate_report {
  uint64_t users = 0;         ///< names bound in the store by this run
  uint64_t users_present = 0; ///< names the store had, with the same key
  uint64_t devices = 0;       ///< device certificates and signed prekeys
  uint64_t prekeys = 0;       ///< one-time prekeys
  uint64_t messages = 0;      ///< queued messages
  uint64_t blocked = 0;       ///< blocked names
  uint64_t audit = 0;         ///< rows of the admin audit
  /// The folder was migrated before (then nothing above was copied): when
  /// and by whom, as the store's audit recorded it.
  std::string done_before;
};

/// Copies the router data in `data` (directory.db: names and keys, device
/// certificates, prekeys, blocked names, the admin audit; queue.db: the
/// offline queues) into the PostgreSQL store `store`, in one transaction,
/// and records it in the store's audit as done by `by`.
/// - A folder migrated before changes nothing (`done_before` says when).
/// - A name the store binds to another key stops it before anything is
///   written (`store_conflict`, naming them).
/// - A router running on `data` stops it (`node_running`); the folder is
///   locked while it runs, so no router can start there meanwhile.
/// Devices and prekeys are copied only for names this run binds: for a
/// name the store had, its own are newer. Messages are numbered by the
/// store as routers number theirs (shared_seq_base and up, in the order
/// they were queued) and announced on the queue channel, so routers
/// already running on the store deliver them at once.
caf::expected<migrate_report> migrate_to_postgresql(const std::string& data,
                                                    const std::string& store,
                                                    const std::string& by);

} // namespace courier::admin
