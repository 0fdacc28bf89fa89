#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"

namespace courier::crypto {

/// Size of an HMAC-SHA256 tag.
constexpr size_t hmac_sha256_size = 32;

/// HMAC-SHA256 (RFC 2104) of `data` under `key`, via EVP_MAC.
caf::expected<secret> hmac_sha256(byte_view key, byte_view data);

} // namespace courier::crypto
