#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::crypto {

/// An ephemeral X25519 key pair.
caf::expected<key> generate_x25519();

/// The 32-byte raw public value of an X25519 key.
caf::expected<bytes> x25519_public_raw(const key& k);

/// An X25519 public key from its 32 raw bytes.
caf::expected<key> x25519_from_raw(byte_view raw);

/// The 32 raw bytes of an X25519 private key (stored ratchet state).
caf::expected<secret> x25519_private_raw(const key& k);

/// Raw X25519 private key (RFC 7748 test vectors need this).
caf::expected<key> x25519_private_from_raw(byte_view raw);

/// The shared secret; fails (crypto_failure) on an all-zero result, i.e.
/// a small-order peer key.
caf::expected<secret> x25519_derive(const key& own_private,
                                    const key& peer_public);

} // namespace courier::crypto
