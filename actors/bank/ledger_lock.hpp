#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace courier::bank {

/// What makes one of several bank processes on one PostgreSQL ledger the
/// active one: a session-level advisory lock on a connection of its own.
/// PostgreSQL drops it with the session, so a bank killed with -9 frees
/// it as soon as the server notices the connection is gone.
class ledger_lock {
public:
  explicit ledger_lock(std::string conninfo);
  ~ledger_lock();

  ledger_lock(const ledger_lock&) = delete;
  ledger_lock& operator=(const ledger_lock&) = delete;

  /// Takes the lock if nobody holds it: true once this process holds it,
  /// false while another session does. `store_unavailable` when the
  /// server cannot be reached (try again later).
  caf::expected<bool> try_take();

  /// Checks that the session holding the lock is still alive (a round
  /// trip on it). After an error the lock may be someone else's: the bank
  /// must stop acting at once.
  caf::error check();

private:
  struct session; ///< the connection (libpqxx stays out of this header)
  std::string conninfo_;
  std::unique_ptr<session> conn_;
  bool held_ = false;
};

} // namespace courier::bank
