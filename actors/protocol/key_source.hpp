#pragma once

#include <functional>
#include <vector>

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::protocol {

/// Where the protocol code gets what it must not choose itself: fresh
/// X25519 key pairs, random bytes (nonces, session secrets) and the
/// randomized RSA-OAEP wrapping of the handshake's session secret.
///
/// A default-constructed source draws everything from OpenSSL's CSPRNG;
/// every production path uses it. `fixed_key_source` replays given values
/// so that `courier-vectors` can print reproducible test vectors.
class key_source {
public:
  using x25519_fn = std::function<caf::expected<crypto::key>()>;
  using bytes_fn = std::function<caf::expected<crypto::bytes>(size_t)>;
  using wrap_fn = std::function<caf::expected<crypto::bytes>(
    const crypto::key&, crypto::byte_view)>;

  /// OpenSSL's CSPRNG.
  key_source() = default;

  /// Takes each function from `keys`, `random` and `wrap`; an empty one
  /// falls back to OpenSSL.
  key_source(x25519_fn keys, bytes_fn random, wrap_fn wrap);

  /// A new X25519 key pair.
  caf::expected<crypto::key> x25519() const;

  /// `n` random bytes.
  caf::expected<crypto::bytes> random(size_t n) const;

  /// `n` random bytes for a secret.
  caf::expected<crypto::secret> random_secret(size_t n) const;

  /// RSA-OAEP (SHA-256) of `plaintext` to `rsa_public`.
  caf::expected<crypto::bytes> oaep_wrap(const crypto::key& rsa_public,
                                         crypto::byte_view plaintext) const;

  /// Whether everything comes from OpenSSL.
  bool is_default() const { return !keys_ && !random_ && !wrap_; }

private:
  x25519_fn keys_;
  bytes_fn random_;
  wrap_fn wrap_;
};

/// A source for test vectors only: hands out the X25519 private keys
/// (32 raw bytes each), random strings and OAEP wrappings given, each in
/// order. A request beyond the end of a list, or for a length other than
/// the next string's, fails with `errc::internal`, so a change in what the
/// code draws shows up instead of silently shifting every later value.
/// Copies share one position in the lists.
key_source fixed_key_source(std::vector<crypto::bytes> x25519_private,
                            std::vector<crypto::bytes> random,
                            std::vector<crypto::bytes> wrapped = {});

} // namespace courier::protocol
