#pragma once

// What `courier-node admin` does to a router's store, as functions the
// tests call directly: list the names, show a queue, purge expired
// messages, re-bind a name to a new key (lost-key recovery), block and
// unblock a name. They work on a router's SQLite data folder (stopped for
// every change: its directory caches the names) or on a shared PostgreSQL
// store (live: every router asks the store at each sign-in). Every change
// is recorded in the store's audit table with who did it and when. A block
// needs no stop: every sign-in asks the store.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/server/admin_store.hpp"
#include "actors/server/store_backend.hpp"

namespace courier::admin {

/// A router's SQLite data folder opened for an operator command: its
/// two databases and, for a change, the folder's lock, held until this
/// goes.
class router_folder {
public:
  /// Opens directory.db and queue.db in `data`, which must hold a router's
  /// data (else `io_error`, whose sentence ends "give `what`"). With
  /// `lock` the folder is locked first: a running router there (or another
  /// admin command) makes it fail with `node_running`.
  static caf::expected<std::unique_ptr<router_folder>>
  open(const std::string& data, bool lock,
       const std::string& what = "the router's --data folder");

  ~router_folder();
  router_folder(const router_folder&) = delete;
  router_folder& operator=(const router_folder&) = delete;

  std::shared_ptr<database> directory;
  std::shared_ptr<database> queue;

private:
  router_folder() = default;
  int lock_ = -1;
};

/// A router's store opened for the operator.
class target {
public:
  /// Opens `store` (a PostgreSQL address) or, if empty, the SQLite files
  /// in `data`, which must hold a router's data. With `write` (a re-bind,
  /// a purge) the SQLite folder is locked for the target's lifetime: a
  /// running router there makes it fail with `node_running`.
  static caf::expected<std::unique_ptr<target>>
  open(const std::string& data, const std::string& store, bool write);

  ~target();
  target(const target&) = delete;
  target& operator=(const target&) = delete;

  std::shared_ptr<directory_backend> directory;
  std::shared_ptr<queue_backend> queue;
  std::shared_ptr<admin_store> admin;

private:
  target() = default;
  std::unique_ptr<router_folder> folder_; ///< null on PostgreSQL
};

/// One name with what waits for it.
struct user_report {
  user_entry user;
  uint64_t queued = 0;
  uint64_t queued_bytes = 0;
};

/// Every bound name, in name order, with its queue.
caf::expected<std::vector<user_report>> list_users(target& t);

/// What waits for `name`: messages and bytes (zero for a name with an
/// empty queue, `unknown_user` for a name not bound).
caf::expected<std::pair<uint64_t, uint64_t>> queue_of(target& t,
                                                      const std::string& name);

/// Deletes every message older than `expiry`; how many.
caf::expected<uint64_t> purge_expired(target& t,
                                      std::chrono::milliseconds expiry,
                                      const std::string& by);

/// Reads a public key file: the PEM `PUBLIC KEY` block `courier-cli
/// public-key` prints. The key must be an RSA identity as Courier makes
/// them. Returns its SPKI DER.
caf::expected<std::string> read_public_key(const std::string& path);

/// The key `name` is bound to now (SPKI DER), or `unknown_user`.
caf::expected<std::string> current_key(target& t, const std::string& name);

/// Binds `name` to `key` (SPKI DER) in place of its current key, drops the
/// device certificates and prekeys made under the old one, and records
/// both fingerprints.
caf::error rebind(target& t, const std::string& name, const std::string& key,
                  const std::string& by);

/// Blocks (or unblocks) `name`: it cannot sign in, senders to it are
/// refused with `name_blocked`; what was queued stays.
caf::error set_blocked(target& t, const std::string& name, bool blocked,
                       const std::string& by);

/// Who runs the command: `$SUDO_USER` if set, else the login name of the
/// user, else the uid.
std::string operator_name();

/// Seconds since the epoch, as ISO 8601 in UTC ("2026-12-05T08:35:51Z").
std::string iso_time(int64_t seconds);

} // namespace courier::admin
