#pragma once

// The set of routers a router's data folder was written for. Homes are
// computed from the router names, so a router that starts with another set
// than its data was written for would look for users in the wrong place
// and let their names be registered again with other keys. Until the
// cluster keeps its state in one shared store, a router records the set at
// its first start and refuses to start with another one; `courier-node
// migrate` (migrate.hpp) moves the data and records the new set.

#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace courier::cluster {

/// What a data folder records about its cluster (file `cluster-members`).
struct membership {
  std::string self;                      ///< the router that owns the folder
  std::vector<std::string> routers;      ///< sorted, `self` usually among them
  std::vector<std::string> migrating_to; ///< sorted; set while migrating
};

/// `names` sorted and without repeats.
std::vector<std::string> normalized(std::vector<std::string> names);

/// "A, B, C".
std::string listed(const std::vector<std::string>& names);

/// Reads `dir`'s record; none if the folder has none yet. A record that
/// cannot be read is an error (`io_error`, `bad_encoding`).
caf::expected<std::optional<membership>> read_membership(const std::string& dir);

/// Writes `dir`'s record whole (a new file renamed over the old, synced).
caf::error write_membership(const std::string& dir, const membership& m);

/// At a router's start: records `self` and `routers` if `dir` has no
/// record yet, and refuses (`membership_changed`, with a sentence that
/// says how to migrate) a record of another set or an unfinished
/// migration.
caf::error check_membership(const std::string& dir, const std::string& self,
                            const std::vector<std::string>& routers);

/// Holds an exclusive lock on `dir` for as long as the process lives (or
/// until unlock_data_dir), so that two routers, or a router and a
/// migration, never use one folder at once. Fails with a sentence if
/// another process holds it.
caf::expected<int> lock_data_dir(const std::string& dir);

/// Releases a lock from lock_data_dir.
void unlock_data_dir(int fd);

} // namespace courier::cluster
