#include "crypto/random.hpp"

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

} // namespace courier::crypto
