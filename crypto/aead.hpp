#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"

namespace courier::crypto {

constexpr size_t aead_key_size = 32;
constexpr size_t aead_nonce_size = 12;
constexpr size_t aead_tag_size = 16;

/// AES-256-GCM: returns ciphertext followed by the 16-byte tag.
/// Key must be 32 bytes and nonce 12 bytes (else bad_key).
caf::expected<bytes> aead_seal(byte_view key, byte_view nonce, byte_view aad,
                               byte_view plaintext);

/// Seals into `out` (cleared first), avoiding an allocation on hot paths.
caf::error aead_seal_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view plaintext, bytes& out);

/// Opens `ciphertext || tag`; any change to key, nonce, aad, ciphertext or
/// tag yields errc::decrypt_failed, as does input shorter than a tag.
caf::expected<bytes> aead_open(byte_view key, byte_view nonce, byte_view aad,
                               byte_view sealed);

/// Opens into `out` (cleared first).
caf::error aead_open_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view sealed, bytes& out);

} // namespace courier::crypto
