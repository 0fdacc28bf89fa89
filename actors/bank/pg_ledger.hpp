#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/bank/ledger_backend.hpp"

namespace courier::bank {

/// The schema version of the ledger this build writes to PostgreSQL.
int64_t pg_ledger_schema_version();

/// Connects to `conninfo` (checked before: no password in it) and brings
/// the ledger's tables to pg_ledger_schema_version(), one versioned
/// migration per transaction, banks starting together taking turns. The
/// ledger's versions are counted apart from the routers' store, so both
/// may share a database. Fails with `schema_too_new` when a newer Courier
/// migrated it already, `ledger_unavailable` when PostgreSQL cannot be
/// reached (what libpq said is logged, never in the error).
caf::error migrate_pg_ledger(const std::string& conninfo);

/// The ledger in PostgreSQL (migrated before: migrate_pg_ledger). Every
/// commit is durable (synchronous_commit=on); `apply_all` writes a batch
/// with a few multi-row statements, whatever its size. A lost connection
/// fails the calls in between with `ledger_unavailable` and is opened
/// again at the next `begin`; a statement PostgreSQL refuses fails with
/// `storage_failure`. Neither carries libpq's text, which is logged.
std::unique_ptr<ledger_backend> pg_ledger(std::string conninfo);

} // namespace courier::bank
