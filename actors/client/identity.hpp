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

/// Creates `dir/identity.pem` with a new RSA key encrypted under
/// `passphrase`; refuses to overwrite, and refuses an empty passphrase
/// (`errc::passphrase_required`).
caf::expected<crypto::key> create_identity(const std::string& dir, int bits,
                                           const std::string& passphrase);

/// Creates `dir/identity.pem` with a new RSA key stored unencrypted: the
/// bank (it starts unattended), `courier-cli --no-passphrase`, tests.
caf::expected<crypto::key> create_plain_identity(const std::string& dir,
                                                 int bits);

/// Writes `key` (from a backup) as `dir/identity.pem`, encrypted under
/// `passphrase`, or unencrypted if `plain`; refuses to overwrite, and
/// refuses an empty passphrase unless `plain`.
caf::error store_identity(const std::string& dir, const crypto::key& key,
                          const std::string& passphrase, bool plain);

/// Whether `dir/identity.pem` is encrypted, i.e. needs a passphrase.
caf::expected<bool> identity_has_passphrase(const std::string& dir);

/// What `load_identity` noticed that the person should hear about.
struct identity_notes {
  bool unencrypted = false; ///< the key file has no passphrase
  bool upgraded = false; ///< an older file was rewritten with today's KDF
  caf::error upgrade_error; ///< why it could not be (the key still loads)
};

/// Loads and unlocks `dir/identity.pem` (an unencrypted one needs no
/// passphrase). A file encrypted with a cheaper KDF than Courier writes
/// today (older versions: PBKDF2 at 2048 iterations) is rewritten with the
/// current one once the passphrase has unlocked it.
caf::expected<crypto::key> load_identity(const std::string& dir,
                                         const std::string& passphrase,
                                         identity_notes* notes = nullptr);

/// Loads a node's unencrypted key at `path`, or creates an Ed25519 key
/// there (mode 0600) if the file does not exist; `created` says which.
caf::expected<crypto::key> load_or_create_node_key(const std::string& path,
                                                   bool& created);

/// Writes `text` to `path` atomically (a fresh temp file with the given
/// mode, fsync, rename, fsync of the folder); a missing folder is made 0700
/// (`make_private_dir`).
caf::error write_file_atomic(const std::string& path, const std::string& text,
                             unsigned mode);

/// Reads a whole file.
caf::expected<std::string> read_file(const std::string& path);

} // namespace courier
