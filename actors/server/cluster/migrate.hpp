#pragma once

// Moves a stopped cluster's data to a new set of routers: every directory
// entry and queued message goes to the folder of its home under the new
// set, and then every folder records the new set (membership.hpp).

#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace courier::cluster {

/// What to migrate: the old and new router sets and every router's data
/// folder (each router of either set has one; new routers' folders may be
/// missing or empty).
struct migration {
  std::vector<std::string> from;
  std::vector<std::string> to;
  std::map<std::string, std::string> folders; ///< router name -> data folder
};

/// How much moved.
struct migration_report {
  size_t users = 0;
  size_t messages = 0;
};

/// Runs a migration. Every folder is locked (no router may run on it) and
/// must record `from` (or this same migration, left unfinished). First
/// every folder is marked as migrating, so no router starts on it half
/// done; then each new home receives its rows in one transaction, and
/// only once all have committed does each old home delete what left it,
/// again one transaction per folder; last, each folder records `to`. If
/// it stops part-way, running it again finishes it: rows already copied
/// are recognized and not copied twice, so none is lost or duplicated. A
/// name registered in two folders with different keys stops it before
/// anything is written.
caf::expected<migration_report> migrate(const migration& m);

} // namespace courier::cluster
