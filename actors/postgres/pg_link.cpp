#include "actors/postgres/pg_link.hpp"

#include <chrono>

namespace courier {

pg_link::pg_link(std::string conninfo, pg_role role,
                 std::vector<std::string> setup)
  : conninfo_(std::move(conninfo)), role_(role), setup_(std::move(setup)) {
  // "already exists, skipping" and friends are not for the log.
  setup_.insert(setup_.begin(), "SET client_min_messages TO warning");
}

pqxx::connection& pg_link::connection() {
  if (!conn_) {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::nontransaction tx{*conn};
    for (auto& sql : setup_)
      tx.exec(sql);
    conn_ = std::move(conn);
    if (down_) {
      down_ = false;
      logger(role_.log_as).info("{} reachable again", role_.name);
    }
  }
  return *conn_;
}

caf::error pg_link::lost(const std::exception& e) {
  conn_.reset();
  if (!down_) {
    down_ = true;
    logger(role_.log_as)
      .warn("{} unreachable ({}); answering \"try again\" until it is back",
            role_.name, e.what());
  }
  return make_error(role_.unreachable);
}

caf::error pg_link::refused(const std::exception& e) {
  // A connection in a failed state is not reused.
  if (conn_ && !conn_->is_open())
    conn_.reset();
  logger(role_.log_as).warn("{}: {}", role_.name, e.what());
  return make_error(errc::storage_failure);
}

caf::error migrate_pg_schema(const std::string& conninfo,
                             const pg_schema& schema, pg_role role) {
  auto known = static_cast<int64_t>(schema.migrations.size());
  pg_link link{conninfo, role};
  return link.run([&](pqxx::connection& c) -> caf::error {
    for (;;) {
      pqxx::work tx{c};
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", schema.lock);
      tx.exec("CREATE TABLE IF NOT EXISTS " + schema.version_table
              + "(version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)");
      auto r = tx.exec("SELECT COALESCE(MAX(version), 0) FROM "
                       + schema.version_table);
      auto version = r[0][0].as<int64_t>();
      if (version > known)
        return make_error(errc::schema_too_new,
                          schema.name + " has schema version "
                            + std::to_string(version)
                            + "; this Courier knows up to "
                            + std::to_string(known));
      if (version == known)
        return caf::none;
      // One version, one transaction: a crash part-way leaves the last
      // version that completed, migrated on from there at the next start.
      tx.exec(schema.migrations[static_cast<size_t>(version)]);
      using namespace std::chrono;
      auto now = duration_cast<seconds>(
                   system_clock::now().time_since_epoch())
                   .count();
      tx.exec_params("INSERT INTO " + schema.version_table
                       + "(version, applied) VALUES($1, $2)",
                     version + 1, static_cast<int64_t>(now));
      tx.commit();
    }
  });
}

} // namespace courier
