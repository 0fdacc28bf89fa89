#pragma once

#include <string>

#include "crypto/bytes.hpp"

namespace courier::crypto {

/// `n` bytes from OpenSSL's CSPRNG (RAND_bytes); aborts if it fails, since
/// no caller can do anything safe without randomness.
bytes random_bytes(size_t n);

/// Fills a secret from the CSPRNG.
secret random_secret(size_t n);

/// A version-4 UUID from the CSPRNG, lowercase text.
std::string random_uuid();

} // namespace courier::crypto
