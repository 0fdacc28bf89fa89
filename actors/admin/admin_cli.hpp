#pragma once

// The command lines of `courier-node admin`, `backup` and `restore`: they
// parse their options, ask for confirmation where a change cannot be taken
// back, and print results, or one sentence and exit 1 when something is
// wrong (exit 2 for a usage error).

#include <string>
#include <vector>

namespace courier::admin {

/// `courier-node admin ...` (the words after `admin`); `default_data` is
/// the router folder used without --data or --store.
int run_admin(std::vector<std::string> args, const std::string& default_data);

/// `courier-node backup --data DIR --to FILE`.
int run_backup(std::vector<std::string> args);

/// `courier-node restore --from FILE --data DIR [--force]`.
int run_restore(std::vector<std::string> args);

} // namespace courier::admin
