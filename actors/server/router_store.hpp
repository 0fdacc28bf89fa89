#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/common/sqlite.hpp"
#include "actors/server/store_backend.hpp"

namespace courier {

/// Where a router keeps its durable state: its directory (names, keys,
/// prekeys) and its offline queues.
struct router_store {
  std::shared_ptr<directory_backend> directory;
  std::shared_ptr<queue_backend> queue;
};

/// The SQLite databases in a router's data folder `data`: directory.db
/// and queue.db, each created if missing and brought to the newest schema.
struct router_files {
  std::shared_ptr<database> directory;
  std::shared_ptr<database> queue;
};

/// Opens them (the router's default store, and what operator commands
/// read and change in a stopped router's folder).
caf::expected<router_files> open_router_files(const std::string& data);

/// Opens the store that `--store` names: empty for the default, SQLite
/// files in `data` (directory.db, queue.db); a PostgreSQL connection string
/// (postgresql://...) for a store shared by a cluster, checked (no
/// password in it) and migrated to the newest schema first.
caf::expected<router_store> open_router_store(const std::string& store,
                                              const std::string& data);

} // namespace courier
