#pragma once

#include <cstdint>
#include <string_view>

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"

namespace courier::crypto {

/// scrypt's cost: N = 2^log2_n, block size r, parallelism p. It needs
/// about 128 * r * N bytes of memory and time in proportion to N * r * p.
struct scrypt_cost {
  uint8_t log2_n = 16;
  uint32_t r = 8;
  uint32_t p = 1;

  /// Bytes of memory a derivation needs (128 * r * N).
  uint64_t memory() const {
    return uint64_t{128} * r * (uint64_t{1} << log2_n);
  }
};

/// scrypt (RFC 7914) via EVP_KDF: `length` bytes from `passphrase` and
/// `salt`. OpenSSL is allowed only the memory `cost` needs; callers bound
/// `cost` before they call (a file that names its own cost is hostile).
caf::expected<secret> scrypt(std::string_view passphrase, byte_view salt,
                             const scrypt_cost& cost, size_t length);

} // namespace courier::crypto
