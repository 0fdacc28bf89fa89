#pragma once

// One connection to PostgreSQL as every Courier part that uses one holds
// it (the routers' store, the admin store, the bank's ledger), and the
// versioned migrations they run on it at start.

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <pqxx/pqxx>

#include "actors/common/error.hpp"
#include "actors/common/log.hpp"

namespace courier {

/// Whose database a link reaches: the log its lines go to, what they call
/// the database, and the code a lost connection fails with.
struct pg_role {
  component log_as;
  const char* name; ///< e.g. "PostgreSQL store"
  errc unreachable; ///< e.g. store_unavailable
};

/// The routers' shared store (and the admin commands on it).
constexpr pg_role pg_store_role{component::store, "PostgreSQL store",
                                errc::store_unavailable};

/// The bank's ledger.
constexpr pg_role pg_ledger_role{component::bank, "PostgreSQL ledger",
                                 errc::ledger_unavailable};

/// One lazily opened connection: a lost one is opened again at the next
/// call, so a restarted PostgreSQL costs the calls in between (answered
/// with the role's `unreachable` code), not the process. What libpq says
/// goes to the log, once per outage, never into the error: errors reach
/// clients and operators, and libpq's text names hosts, sockets and SQL.
class pg_link {
public:
  /// `setup` runs on every new connection (SET statements).
  pg_link(std::string conninfo, pg_role role,
          std::vector<std::string> setup = {});

  /// Runs `f` with the connection; a libpq or SQL failure becomes an
  /// error value. `f` returns caf::error or caf::expected<T>.
  template <class F>
  auto run(F f) -> decltype(f(std::declval<pqxx::connection&>())) {
    try {
      return f(connection());
    } catch (const pqxx::broken_connection& e) {
      return lost(e);
    } catch (const pqxx::in_doubt_error& e) {
      return lost(e);
    } catch (const std::exception& e) {
      return refused(e);
    }
  }

  /// Drops the connection, e.g. after a transaction was left half done.
  void reset() {
    conn_.reset();
  }

private:
  pqxx::connection& connection();
  caf::error lost(const std::exception& e);
  caf::error refused(const std::exception& e);

  std::string conninfo_;
  pg_role role_;
  std::vector<std::string> setup_;
  std::unique_ptr<pqxx::connection> conn_;
  bool down_ = false; ///< the last call found the database unreachable
};

/// A schema PostgreSQL holds in versions: `migrations[i]` takes it from
/// version i to i + 1 (never edit a released one, add the next).
struct pg_schema {
  std::string name;          ///< in a refusal, e.g. "the database"
  std::string version_table; ///< records each version applied
  int64_t lock;              ///< the advisory lock starts take turns on
  std::vector<std::string> migrations;
};

/// Connects to `conninfo` and brings `schema` to its newest version, one
/// migration at a time, each in its own transaction, with processes that
/// start together serialized by the schema's advisory lock. Fails with
/// `schema_too_new` when a newer Courier migrated it already, and as
/// pg_link does when PostgreSQL cannot be reached or refuses.
caf::error migrate_pg_schema(const std::string& conninfo,
                             const pg_schema& schema, pg_role role);

} // namespace courier
