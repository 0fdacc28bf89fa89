#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"

namespace courier::crypto {

/// HKDF-SHA256 (RFC 5869) via EVP_KDF: extract with `salt`, expand with
/// `info` to `length` bytes (at most 255 * 32).
caf::expected<secret> hkdf_sha256(byte_view ikm, byte_view salt,
                                  byte_view info, size_t length);

} // namespace courier::crypto
