#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/key.hpp"

namespace courier::crypto {

/// Size of a raw Ed25519 public key, private key or X25519 key.
constexpr size_t ed25519_key_size = 32;

/// The 32 raw bytes of an Ed25519 public key (RFC 8032).
caf::expected<bytes> ed25519_public_raw(const key& k);

/// An Ed25519 public key from its 32 raw bytes.
caf::expected<key> ed25519_from_raw(byte_view raw);

/// The 32-byte seed of an Ed25519 private key (device key files).
caf::expected<secret> ed25519_private_raw(const key& k);

/// An Ed25519 private key from its 32-byte seed.
caf::expected<key> ed25519_private_from_raw(byte_view raw);

} // namespace courier::crypto
