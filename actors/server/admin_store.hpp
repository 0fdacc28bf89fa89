#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/common/sqlite.hpp"

namespace courier {

/// A bound name as the operator sees it.
struct user_entry {
  std::string name;
  std::string key;     ///< SPKI DER
  int64_t created = 0; ///< seconds since the epoch (bound or last re-bound)
  bool blocked = false;
};

/// One line of the record of operator actions.
struct audit_entry {
  int64_t at = 0; ///< seconds since the epoch
  std::string by; ///< who ran the command
  std::string action;
  std::string name;
  std::string detail;
};

/// What `courier-node admin` changes in a router's store beyond the
/// directory and queue backends (store_backend.hpp): re-binding a name,
/// blocking it, and the audit record of both. Every change writes its
/// audit row in the same transaction. SQLite (the directory database) and
/// PostgreSQL implement it.
class admin_store {
public:
  virtual ~admin_store() = default;

  /// Calls `f` with every bound name, in name order.
  virtual caf::error each_user(const std::function<void(const user_entry&)>& f)
    = 0;

  /// Binds `name`, which must be bound, to `key` (SPKI DER), and drops the
  /// device certificates and prekeys made under the old key.
  virtual caf::error rebind(const std::string& name, const std::string& key,
                            const audit_entry& why)
    = 0;

  /// Blocks or unblocks `name`.
  virtual caf::error set_blocked(const std::string& name, bool blocked,
                                 const audit_entry& why)
    = 0;

  /// Records an action that changes nothing here (a purge).
  virtual caf::error record(const audit_entry& what) = 0;

  /// Calls `f` with every audit row, oldest first.
  virtual caf::error
  each_audit(const std::function<void(const audit_entry&)>& f) = 0;
};

/// The admin store over a directory database from open_directory_db.
std::shared_ptr<admin_store> sqlite_admin_store(std::shared_ptr<database> db);

/// The admin store in a shared PostgreSQL store (migrated first).
std::shared_ptr<admin_store> pg_admin_store(std::string conninfo);

} // namespace courier
