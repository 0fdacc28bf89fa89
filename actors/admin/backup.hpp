#pragma once

// `courier-node backup` and `restore`: a consistent copy of a node's data
// folder (a router's or the bank's) taken while the node runs, and putting
// it back.
//
// A backup is one file, itself a SQLite database (inspect it with
// `sqlite3 FILE 'SELECT name, size FROM files'`): table `backup` (format,
// when, from where), `files` (name, mode, size, SHA-256) and `chunks`
// (each file's bytes in pieces of at most 4 MiB, so no file is limited by
// SQLite's largest value). Every SQLite database of the folder is copied
// with SQLite's online backup API in one step, a snapshot of one moment
// that writers do not disturb (WAL); other files (keys, the cluster
// record) are copied as they are. The lock, -wal, -shm and -journal files
// are left out. Each database is consistent in itself; two databases of
// one folder are copied one after the other.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace courier::admin {

/// One file in a backup.
struct backed_up_file {
  std::string name;
  uint64_t size = 0;
  bool database = false;
};

/// Copies the data folder `data` into a new backup file `to` (mode 0600,
/// written beside it first and renamed when complete); refuses to replace
/// an existing file. What it copied.
caf::expected<std::vector<backed_up_file>> backup(const std::string& data,
                                                  const std::string& to);

/// Puts the backup `from` into `data` (made 0700 if missing; files 0600).
/// Refuses a folder a running node uses (`node_running`) and, unless
/// `force`, a folder that is not empty. Each file is checked against its
/// size and SHA-256 before any is put in place, and each database passes
/// SQLite's integrity check. What it restored.
caf::expected<std::vector<backed_up_file>>
restore(const std::string& from, const std::string& data, bool force);

/// Takes a shared lock on `data` (its `lock` file) for as long as the
/// process lives, as a running bank does: a restore (which needs the lock
/// alone) then refuses the folder. Fails with `node_running` while a
/// restore holds it.
caf::expected<int> share_data_dir(const std::string& data);

} // namespace courier::admin
