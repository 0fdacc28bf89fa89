#include "actors/bank/ledger_lock.hpp"

#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "actors/common/error.hpp"
#include "actors/common/log.hpp"

namespace courier::bank {

namespace {

// Any constant apart from the migration locks': the one ledger a database
// holds has one active bank.
constexpr int64_t active_bank_lock = 0x636f757269657262; // "courierb"

// libpq writes server notices to stderr unless told otherwise; none of
// them is for a person.
void ignore_notice(void*, const char*) {
  // nop
}

// libpq's messages end in a newline; a log line does not.
std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

} // namespace

const std::map<std::string, std::string>& lock_keepalives() {
  // Idle 5 s, then a probe every 2 s, dead after 3 unanswered: about 11 s.
  // tcp_user_timeout bounds a round trip whose data goes unacknowledged
  // (keepalives only probe an idle connection): the active bank's check.
  static const std::map<std::string, std::string> params{
    {"keepalives", "1"},
    {"keepalives_idle", "5"},
    {"keepalives_interval", "2"},
    {"keepalives_count", "3"},
    {"tcp_user_timeout", "15000"},
  };
  return params;
}

struct ledger_lock::session {
  explicit session(const std::string& conninfo) {
    // Keywords before the expanded connection string (dbname) are
    // overridden by it: what the operator's --ledger sets wins.
    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (auto& [k, v] : lock_keepalives()) {
      keys.push_back(k.c_str());
      values.push_back(v.c_str());
    }
    keys.push_back("dbname");
    values.push_back(conninfo.c_str());
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn != nullptr)
      PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  }

  ~session() {
    PQfinish(conn); // ends the session, and with it the lock
  }

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  bool ok() const {
    return conn != nullptr && PQstatus(conn) == CONNECTION_OK;
  }

  std::string why() const {
    return conn != nullptr ? trimmed(PQerrorMessage(conn)) : "out of memory";
  }

  PGconn* conn = nullptr;
};

ledger_lock::ledger_lock(std::string conninfo)
  : conninfo_(std::move(conninfo)) {
  // nop
}

ledger_lock::~ledger_lock() {
  // Closing the session releases the lock.
}

caf::expected<std::string> ledger_lock::query(const char* sql) {
  auto lost = [&](const std::string& why) {
    conn_.reset();
    held_ = false;
    // Once per outage: a standby asks every 0.5 s.
    if (!down_) {
      down_ = true;
      logger(component::bank)
        .warn("the ledger lock's PostgreSQL connection failed: {}", why);
    }
    return make_error(errc::ledger_unavailable);
  };
  if (!conn_) {
    auto s = std::make_unique<session>(conninfo_);
    if (!s->ok())
      return lost(s->why());
    conn_ = std::move(s);
    if (down_) {
      down_ = false;
      logger(component::bank).info("the ledger's PostgreSQL answers again");
    }
  }
  auto key = std::to_string(active_bank_lock);
  const char* params[] = {key.c_str()};
  auto res = PQexecParams(conn_->conn, sql, 1, nullptr, params, nullptr,
                          nullptr, 0);
  std::string value;
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
            && PQnfields(res) >= 1;
  if (ok)
    value = PQgetvalue(res, 0, 0);
  auto why = ok ? std::string{}
                : trimmed(res != nullptr ? PQresultErrorMessage(res)
                                         : PQerrorMessage(conn_->conn));
  PQclear(res);
  if (ok)
    return value;
  if (PQstatus(conn_->conn) != CONNECTION_OK)
    return lost(why);
  // The server answered but refused: the session may still hold the lock,
  // but it cannot be trusted to.
  logger(component::bank).warn("the ledger lock's query failed: {}", why);
  conn_.reset();
  held_ = false;
  return make_error(errc::storage_failure);
}

caf::expected<bool> ledger_lock::try_take() {
  if (held_)
    return true;
  auto r = query("SELECT pg_try_advisory_lock($1::bigint)");
  if (!r)
    return r.error();
  held_ = *r == "t";
  return held_;
}

caf::error ledger_lock::check() {
  if (!held_ || !conn_)
    return make_error(errc::ledger_unavailable, "the ledger lock is not held");
  // Asks the server, not libpq: a session the server ended (or lost)
  // fails here, and one that lives still holds the lock.
  auto r = query("SELECT COUNT(*) FROM pg_locks"
                 " WHERE locktype = 'advisory' AND granted"
                 " AND pid = pg_backend_pid()"
                 " AND ((classid::bigint << 32) | objid::bigint)"
                 " = $1::bigint");
  if (!r)
    return r.error();
  if (*r != "0")
    return caf::none;
  held_ = false;
  return make_error(errc::ledger_unavailable,
                    "the ledger lock's session no longer holds it");
}

std::map<std::string, std::string> ledger_lock::connection_options() const {
  std::map<std::string, std::string> out;
  if (!conn_ || !conn_->ok())
    return out;
  auto opts = PQconninfo(conn_->conn);
  if (opts == nullptr)
    return out;
  for (auto o = opts; o->keyword != nullptr; ++o)
    if (o->val != nullptr && std::string{o->keyword} != "password")
      out[o->keyword] = o->val;
  PQconninfoFree(opts);
  return out;
}

} // namespace courier::bank
