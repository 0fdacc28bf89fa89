#pragma once

#include <string>

#include <caf/expected.hpp>

#include "crypto/key.hpp"

namespace courier {

/// The data directory of Courier on this machine: `$XDG_DATA_HOME/courier`
/// or `~/.local/share/courier`, unless `override_dir` is given.
std::string data_home(const std::string& override_dir);

/// The folder of one user under a data home.
std::string user_dir(const std::string& home, const std::string& user);

/// Creates `dir/identity.pem` with a new RSA key; refuses to overwrite.
caf::expected<crypto::key> create_identity(const std::string& dir, int bits,
                                           const std::string& passphrase);

/// Loads and unlocks `dir/identity.pem`.
caf::expected<crypto::key> load_identity(const std::string& dir,
                                         const std::string& passphrase);

/// Loads a node's unencrypted key at `path`, or creates an Ed25519 key
/// there (mode 0600) if the file does not exist; `created` says which.
caf::expected<crypto::key> load_or_create_node_key(const std::string& path,
                                                   bool& created);

/// Writes `text` to `path` atomically (temp file, fsync, rename) with
/// the given mode; a missing folder is made 0700 (`make_private_dir`).
caf::error write_file_atomic(const std::string& path, const std::string& text,
                             unsigned mode);

/// Reads a whole file.
caf::expected<std::string> read_file(const std::string& path);

} // namespace courier
