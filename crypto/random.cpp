#include "crypto/random.hpp"

#include <uuid/uuid.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <openssl/rand.h>

namespace courier::crypto {

namespace {

/// Fills `n` bytes or aborts: without randomness nothing is safe.
void fill_random(uint8_t* out, size_t n) {
  constexpr size_t chunk = 1 << 20;
  while (n > 0) {
    auto step = std::min(n, chunk);
    if (RAND_bytes(out, static_cast<int>(step)) != 1) {
      std::fputs("courier: RAND_bytes failed, aborting\n", stderr);
      std::abort();
    }
    out += step;
    n -= step;
  }
}

} // namespace

bytes random_bytes(size_t n) {
  bytes out(n);
  fill_random(out.data(), n);
  return out;
}

secret random_secret(size_t n) {
  secret out(n);
  fill_random(out.data(), n);
  return out;
}

std::string random_uuid() {
  auto b = random_bytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40); // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
  char text[37];
  uuid_unparse_lower(b.data(), text);
  return text;
}

} // namespace courier::crypto
