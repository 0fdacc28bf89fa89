#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "crypto/key.hpp"
#include "crypto/scrypt.hpp"

namespace courier {

/// What an identity backup brings back: the name and the RSA identity key
/// (the key people pin and that signs in). Device keys, prekeys and
/// ratchet sessions are left out on purpose: a restored ratchet would
/// reuse message keys its copy already used, so a restore starts a new
/// device (new keys, new prekeys) and peers start new sessions with it.
struct backup_contents {
  std::string user;
  crypto::key identity;
};

/// The scrypt cost a backup is written with (128 MiB, about half a
/// second here).
constexpr crypto::scrypt_cost backup_write_cost{17, 8, 1};

/// The most a backup may ask of whoever opens it: 256 MiB of memory and
/// 2^25 units of N * r * p (a few seconds). A file over these is refused
/// before any derivation (`backup_too_costly`).
constexpr uint64_t max_backup_kdf_memory = uint64_t{256} << 20;
constexpr uint64_t max_backup_kdf_work = uint64_t{1} << 25;

/// Largest backup file read (an RSA-4096 key is about 3.3 KiB).
constexpr size_t max_backup_size = 64 * 1024;

/// A backup file: "COURIERB", format 1, KDF 1 (scrypt) with log2(N), r and
/// p, a 16-byte salt, a 12-byte nonce and a 16-byte passphrase check, then
/// the contents sealed with AES-256-GCM under a key derived from the
/// passphrase, the header as associated data. Refuses an empty passphrase
/// (`passphrase_required`).
caf::expected<std::string>
seal_backup(const backup_contents& in, const std::string& passphrase,
            const crypto::scrypt_cost& cost = backup_write_cost);

/// Opens what `seal_backup` wrote: `wrong_passphrase` if the passphrase
/// does not match, `backup_damaged` for a file cut short, altered or of
/// another kind, `backup_too_costly` for KDF parameters over the bounds,
/// `unsupported_version` for a format from a newer Courier.
caf::expected<backup_contents> open_backup(std::string_view file,
                                           const std::string& passphrase);

/// Writes a backup to `path` (mode 0600), refusing to overwrite a file.
caf::error write_backup(const std::string& path, const backup_contents& in,
                        const std::string& passphrase,
                        const crypto::scrypt_cost& cost = backup_write_cost);

/// Reads and opens the backup at `path` (at most `max_backup_size` bytes).
caf::expected<backup_contents> read_backup(const std::string& path,
                                           const std::string& passphrase);

} // namespace courier
