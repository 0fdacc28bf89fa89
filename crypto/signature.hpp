#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::crypto {

/// Signs with the key's own scheme: RSA-PSS (SHA-256, salt length = digest
/// length) for RSA keys, pure Ed25519 for Ed25519 keys.
caf::expected<bytes> sign(const key& private_key, byte_view message);

/// Verifies with the same scheme choice; false on any failure, including a
/// key of the wrong kind.
bool verify(const key& public_key, byte_view message, byte_view signature);

} // namespace courier::crypto
