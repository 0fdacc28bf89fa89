#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "actors/common/sqlite.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier {

/// The key that seals a client's secrets at rest (device keys, prekeys,
/// ratchet states) inside its database: 32 random bytes, kept in the
/// database wrapped with RSA-OAEP to the user's identity key. The database
/// alone opens nothing; the identity file and its passphrase open the
/// vault, once per start (one RSA private operation).
class vault {
public:
  /// Opens the vault of `db` with `identity` (private), making one on first
  /// use. A wrapped key that the identity does not open is an error
  /// (`decrypt_failed`): the database belongs to another identity.
  static caf::expected<vault> open(database& db, const crypto::key& identity);

  /// AES-256-GCM under the vault key with a random nonce; `label` names
  /// what is sealed and must be given again to open it, so that a value
  /// moved to another row does not open there.
  caf::expected<crypto::bytes> seal(std::string_view label,
                                    crypto::byte_view plaintext) const;

  /// Opens what `seal` wrote under the same label (`decrypt_failed`).
  caf::expected<crypto::secret> open(std::string_view label,
                                     crypto::byte_view sealed) const;

private:
  crypto::secret key_;
};

} // namespace courier
