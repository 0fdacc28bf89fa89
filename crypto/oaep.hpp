#pragma once

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::crypto {

/// RSA-OAEP with SHA-256 (OAEP digest and MGF1) to an RSA public key.
caf::expected<bytes> oaep_wrap(const key& rsa_public, byte_view plaintext);

/// The inverse; any tampering yields errc::decrypt_failed.
caf::expected<secret> oaep_unwrap(const key& rsa_private, byte_view wrapped);

} // namespace courier::crypto
