#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/postgres/address.hpp"
#include "actors/server/store_backend.hpp"

namespace courier {

/// The channel a router's queue writes notify (payload: the recipient)
/// when they commit; a router LISTENs to fetch for its live users.
constexpr const char* pg_queue_channel = "courier_queue";

/// Where the seqs PostgreSQL assigns begin (2^52): a message that was not
/// pushed to a live recipient is numbered by the database when it is
/// written (seq 0 in the put), one sequence for the cluster, in commit
/// order per recipient. Routers number the messages they push from their
/// clock, which stays below this.
constexpr uint64_t shared_seq_base = uint64_t{1} << 52;

/// The advisory lock a queue write holds on `recipient` from taking a seq
/// to its commit (pg_advisory_xact_lock(key)), so that seqs become visible
/// in order; whoever numbers messages in the shared queue takes it too.
int64_t pg_queue_lock_key(const std::string& recipient);

/// The schema version this build writes to PostgreSQL.
int64_t pg_schema_version();

/// Connects to `conninfo` and brings its schema to pg_schema_version(),
/// one versioned migration at a time, each in its own transaction, with
/// routers that start together serialized by an advisory lock. Fails with
/// `schema_too_new` when a newer Courier migrated it already.
caf::error migrate_postgresql(const std::string& conninfo);

/// Readies the PostgreSQL store `--store` names, for a router and for an
/// operator command alike: it must be a PostgreSQL address (else
/// `bad_store_address`), carry no password (check_postgresql_address),
/// and its schema is brought to pg_schema_version() (migrate_postgresql).
caf::error open_postgresql_store(const std::string& store);

/// The directory (names, keys, devices, prekeys) in PostgreSQL, shared by
/// every router of a cluster: one row per name, unique cluster-wide.
/// Connects lazily and again after a lost connection.
std::shared_ptr<directory_backend> pg_directory(std::string conninfo);

/// The offline queues in PostgreSQL, shared by every router.
std::shared_ptr<queue_backend> pg_queue(std::string conninfo);

} // namespace courier
