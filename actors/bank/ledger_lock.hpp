#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace courier::bank {

/// What makes one of several bank processes on one PostgreSQL ledger the
/// active one: a session-level advisory lock on a connection of its own.
/// PostgreSQL drops it with the session, so a bank killed with -9 frees
/// it as soon as the server notices the connection is gone (its
/// tcp_keepalives_* settings bound that for a machine that vanished).
/// The connection itself has TCP keepalives (lock_keepalives), so that a
/// bank notices a PostgreSQL that vanished too.
class ledger_lock {
public:
  explicit ledger_lock(std::string conninfo);
  ~ledger_lock();

  ledger_lock(const ledger_lock&) = delete;
  ledger_lock& operator=(const ledger_lock&) = delete;

  /// Takes the lock if nobody holds it: true once this process holds it,
  /// false while another session does. `ledger_unavailable` when the
  /// server cannot be reached (try again later); what libpq said is
  /// logged, never in the error.
  caf::expected<bool> try_take();

  /// Checks that the session holding the lock is still alive (a round
  /// trip on it). After an error the lock may be someone else's: the bank
  /// must stop acting at once.
  caf::error check();

  /// The connection parameters in use on the open lock connection, as
  /// libpq reports them (PQconninfo): keyword to value, only those set.
  /// Empty without a connection.
  std::map<std::string, std::string> connection_options() const;

private:
  struct session; ///< the libpq connection (libpq stays out of this header)

  /// Runs `sql` (with one bigint parameter, the lock's key) and returns
  /// the first column of its one row.
  caf::expected<std::string> query(const char* sql);

  std::string conninfo_;
  std::unique_ptr<session> conn_;
  bool held_ = false;
  bool down_ = false; ///< the last attempt found the server unreachable
};

/// The keepalive parameters the lock connection gets unless its
/// connection string sets them (keyword, value), so that a dead peer on
/// either side is found in about 15 s rather than the kernel's 2 hours.
const std::map<std::string, std::string>& lock_keepalives();

} // namespace courier::bank
