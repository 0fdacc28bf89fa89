#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace courier::crypto {

/// The kinds of asymmetric key Courier uses.
enum class key_kind { rsa, ed25519, x25519, other };

/// An owning, shareable handle to an OpenSSL EVP_PKEY (public or private).
class key {
public:
  key() = default;
  /// Takes ownership of `raw`.
  explicit key(EVP_PKEY* raw);

  EVP_PKEY* get() const { return ptr_.get(); }
  explicit operator bool() const { return ptr_ != nullptr; }
  key_kind kind() const;
  /// Modulus size for RSA, otherwise the key's security bits.
  int bits() const;

  /// SubjectPublicKeyInfo DER of the public half.
  caf::expected<bytes> public_der() const;

private:
  std::shared_ptr<EVP_PKEY> ptr_;
};

/// Generates an RSA key of 2048, 3072 or 4096 bits (others: bad_key).
caf::expected<key> generate_rsa(int bits);

/// Whether `k` is an RSA key with exactly the parameters Courier makes: a
/// modulus of 2048, 3072 or 4096 bits and the public exponent 65537.
/// Every RSA public key that arrives from elsewhere is checked with this
/// before it is used: a huge exponent makes each OAEP wrap or signature
/// check a full-length exponentiation, which costs the checker dearly and
/// the sender nothing.
bool is_rsa_identity(const key& k);

/// Generates an Ed25519 signing key.
caf::expected<key> generate_ed25519();

/// Parses a SubjectPublicKeyInfo DER public key.
caf::expected<key> public_key_from_der(byte_view der);

/// Encrypted PKCS#8 PEM (AES-256-CBC, scrypt/PBKDF2 as OpenSSL 3 defaults).
/// An empty passphrase writes an unencrypted PKCS#8 PEM.
caf::expected<std::string> private_key_to_pem(const key& k,
                                              const std::string& passphrase);

/// Loads a PKCS#8 PEM; a wrong passphrase yields `errc::wrong_passphrase`,
/// garbage `errc::bad_encoding`.
caf::expected<key> private_key_from_pem(const std::string& pem,
                                        const std::string& passphrase);

/// SHA-256 over the SubjectPublicKeyInfo DER, shown as 16 groups of four
/// hex digits ("3f2a 9c01 ...") so two people can read it to each other.
caf::expected<std::string> fingerprint(const key& k);

/// The same fingerprint from DER bytes (no parsing needed).
std::string fingerprint_of_der(byte_view der);

} // namespace courier::crypto
