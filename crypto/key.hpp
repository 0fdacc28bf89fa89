#pragma once

#include <cstdint>
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

/// PBKDF2-HMAC-SHA256 iterations of every key file Courier encrypts
/// (OWASP's figure for this PRF; ~0.15 s here). Not scrypt: OpenSSL 3.0
/// caps scrypt inside PKCS#8 at 32 MiB (N = 2^14 with r = 8), both when
/// writing (PKCS5_pbe2_set_scrypt) and when decoding, and no decoder or
/// PEM call takes a larger limit; N = 2^17, r = 8 needs 128 MiB.
constexpr uint64_t key_file_iterations = 600'000;

/// How a private-key PEM is protected at rest.
enum class key_protection {
  none,    ///< unencrypted PKCS#8: whoever reads the file has the key
  weak,    ///< encrypted with a cheaper KDF than Courier writes today
  current, ///< PBES2, PBKDF2-HMAC-SHA256 >= key_file_iterations (or scrypt
           ///< N >= 2^17, r >= 8)
};

/// Encrypted PKCS#8 PEM: PBES2 with PBKDF2-HMAC-SHA256 at
/// `key_file_iterations`, a 16-byte salt and AES-256-CBC. An empty
/// passphrase is refused (`errc::passphrase_required`): writing a key in
/// clear is `private_key_to_plain_pem`, never an accident.
caf::expected<std::string> private_key_to_pem(const key& k,
                                              const std::string& passphrase);

/// Unencrypted PKCS#8 PEM, for keys that unattended programs load (router
/// and bank keys) and for identities made with `--no-passphrase`.
caf::expected<std::string> private_key_to_plain_pem(const key& k);

/// Loads an encrypted or plain PKCS#8 PEM (the passphrase is ignored for a
/// plain one). A wrong passphrase yields `errc::wrong_passphrase`, garbage
/// `errc::bad_encoding`, an encryption scheme Courier does not read or a
/// KDF cost over its bounds (a planted file must not pin a CPU for hours)
/// `errc::bad_key`.
caf::expected<key> private_key_from_pem(const std::string& pem,
                                        const std::string& passphrase);

/// How `pem` is protected, read without a passphrase; errors as
/// `private_key_from_pem` reports them for a file it would refuse anyway.
caf::expected<key_protection> protection_of(const std::string& pem);

/// SHA-256 over the SubjectPublicKeyInfo DER, shown as 16 groups of four
/// hex digits ("3f2a 9c01 ...") so two people can read it to each other.
caf::expected<std::string> fingerprint(const key& k);

/// The same fingerprint from DER bytes (no parsing needed).
std::string fingerprint_of_der(byte_view der);

} // namespace courier::crypto
