#include "actors/bank/ledger_lock.hpp"

#include <exception>
#include <utility>

#include <pqxx/pqxx>

#include "actors/common/error.hpp"

namespace courier::bank {

namespace {

// Any constant apart from the migration locks': the one ledger a database
// holds has one active bank.
constexpr int64_t active_bank_lock = 0x636f757269657262; // "courierb"

} // namespace

struct ledger_lock::session {
  explicit session(const std::string& conninfo) : conn(conninfo) {
    // nop
  }
  pqxx::connection conn;
};

ledger_lock::ledger_lock(std::string conninfo)
  : conninfo_(std::move(conninfo)) {
  // nop
}

ledger_lock::~ledger_lock() {
  // Closing the session releases the lock.
}

caf::expected<bool> ledger_lock::try_take() {
  if (held_)
    return true;
  try {
    if (!conn_)
      conn_ = std::make_unique<session>(conninfo_);
    pqxx::nontransaction tx{conn_->conn};
    auto r = tx.exec_params("SELECT pg_try_advisory_lock($1)",
                            active_bank_lock);
    held_ = r[0][0].as<bool>();
    return held_;
  } catch (const std::exception& e) {
    conn_.reset();
    return make_error(errc::store_unavailable, e.what());
  }
}

caf::error ledger_lock::check() {
  if (!held_ || !conn_)
    return make_error(errc::store_unavailable, "the ledger lock is not held");
  try {
    pqxx::nontransaction tx{conn_->conn};
    // Asks the server, not libpq: a session the server ended (or lost)
    // fails here, and one that lives still holds the lock.
    auto r = tx.exec_params("SELECT COUNT(*) FROM pg_locks"
                            " WHERE locktype = 'advisory' AND granted"
                            " AND pid = pg_backend_pid()"
                            " AND ((classid::bigint << 32) | objid::bigint)"
                            " = $1",
                            active_bank_lock);
    if (r[0][0].as<int64_t>() > 0)
      return caf::none;
    held_ = false;
    return make_error(errc::store_unavailable,
                      "the ledger lock's session no longer holds it");
  } catch (const std::exception& e) {
    held_ = false;
    conn_.reset();
    return make_error(errc::store_unavailable, e.what());
  }
}

} // namespace courier::bank
