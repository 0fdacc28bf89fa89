#pragma once

#include <string>

#include <caf/error.hpp>

namespace courier {

/// Mode of every file Courier writes: its owner only.
constexpr unsigned private_file_mode = 0600;
/// Mode of every folder Courier creates: its owner only.
constexpr unsigned private_dir_mode = 0700;

/// Creates `dir` and any missing parents with mode 0700, whatever the
/// umask. `dir` itself is Courier's (a data or user folder), so if it
/// already exists and others may read or enter it, it is tightened to
/// 0700; an existing parent is not ours and is left as it is. Fails with
/// `io_error` if `dir` cannot be created or tightened.
caf::error make_private_dir(const std::string& dir);

/// Makes sure the file at `path` exists with mode 0600 whatever the umask:
/// creates it empty if missing, tightens it if others may read it.
caf::error make_private_file(const std::string& path);

/// Tightens an existing file to 0600 if others may read it; a missing file
/// is fine.
caf::error tighten_file(const std::string& path);

} // namespace courier
