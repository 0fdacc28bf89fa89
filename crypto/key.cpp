#include "crypto/key.hpp"

#include <climits>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"
#include "crypto/random.hpp"

namespace courier::crypto {

namespace {

/// Drops OpenSSL's queued errors so they cannot leak into later calls.

/// Generates a key of the named algorithm; `bits` > 0 sets the RSA size.
caf::expected<key> generate(const char* alg, int bits) {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, alg, nullptr)};
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0)
    return openssl_failure(errc::crypto_failure);
  if (bits > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0)
    return openssl_failure(errc::crypto_failure);
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0)
    return openssl_failure(errc::crypto_failure);
  return key{raw};
}

/// A memory BIO whose buffer is wiped on free (it may hold a private key).
bio_ptr secure_mem_bio() {
  return bio_ptr{BIO_new(BIO_s_secmem())};
}

/// Refuses every PEM-level passphrase prompt: Courier's key files carry
/// their encryption inside PKCS#8, and OpenSSL's default callback would
/// read a passphrase from the terminal for a file with `Proc-Type` headers.
int no_passphrase_cb(char*, int, int, void*) {
  return 0;
}

using p8_info_ptr = openssl_ptr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
using algor_ptr = openssl_ptr<X509_ALGOR, X509_ALGOR_free>;
using pbe2_ptr = openssl_ptr<PBE2PARAM, PBE2PARAM_free>;
using pbkdf2_ptr = openssl_ptr<PBKDF2PARAM, PBKDF2PARAM_free>;
using scrypt_ptr = openssl_ptr<SCRYPT_PARAMS, SCRYPT_PARAMS_free>;
using cipher_ptr = openssl_ptr<EVP_CIPHER, EVP_CIPHER_free>;

// What a key file may ask of us before we have a passphrase: bounded, so a
// planted file costs a few seconds at most. OpenSSL itself caps scrypt's
// memory at 32 MiB; p bounds its time.
constexpr uint64_t max_iterations = 10'000'000;
constexpr uint64_t max_scrypt_n = uint64_t{1} << 20;
constexpr uint64_t max_scrypt_r = 32;
constexpr uint64_t max_scrypt_p = 16;

/// Reads an ASN.1 integer that must lie in [1, max].
bool read_count(const ASN1_INTEGER* x, uint64_t max, uint64_t& out) {
  return x != nullptr && ASN1_INTEGER_get_uint64(&out, x) == 1 && out >= 1
         && out <= max;
}

/// Reads the KDF of an encrypted PKCS#8 structure from its PBES2
/// parameters and checks it against the bounds above.
caf::expected<key_protection> protection_of_sig(const X509_SIG* sig) {
  auto unreadable = [] {
    ERR_clear_error();
    return make_error(errc::bad_key,
                      "the key file's encryption is not one Courier reads, "
                      "or asks for more key-derivation work than it allows");
  };
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig, &alg, nullptr);
  if (alg == nullptr || OBJ_obj2nid(alg->algorithm) != NID_pbes2)
    return unreadable(); // PBES1 and PKCS#12 schemes: Courier never wrote them
  pbe2_ptr pbe2{static_cast<PBE2PARAM*>(
    ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter))};
  if (!pbe2 || pbe2->keyfunc == nullptr)
    return unreadable();
  switch (OBJ_obj2nid(pbe2->keyfunc->algorithm)) {
    case NID_id_pbkdf2: {
      pbkdf2_ptr kdf{static_cast<PBKDF2PARAM*>(ASN1_TYPE_unpack_sequence(
        ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter))};
      uint64_t iter = 0;
      if (!kdf || !read_count(kdf->iter, max_iterations, iter))
        return unreadable();
      // No PRF named means HMAC-SHA1 (RFC 8018).
      auto prf = kdf->prf ? OBJ_obj2nid(kdf->prf->algorithm)
                          : NID_hmacWithSHA1;
      return prf == NID_hmacWithSHA256 && iter >= key_file_iterations
               ? key_protection::current
               : key_protection::weak;
    }
    case NID_id_scrypt: {
      scrypt_ptr kdf{static_cast<SCRYPT_PARAMS*>(ASN1_TYPE_unpack_sequence(
        ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter))};
      uint64_t n = 0, r = 0, p = 0;
      if (!kdf || !read_count(kdf->costParameter, max_scrypt_n, n)
          || !read_count(kdf->blockSize, max_scrypt_r, r)
          || !read_count(kdf->parallelizationParameter, max_scrypt_p, p))
        return unreadable();
      return n >= (uint64_t{1} << 17) && r >= 8 ? key_protection::current
                                                 : key_protection::weak;
    }
    default:
      return unreadable();
  }
}

/// Reads the first encrypted PKCS#8 block of `pem`, if it has one.
x509_sig_ptr read_encrypted_pkcs8(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  x509_sig_ptr sig{
    PEM_read_bio_PKCS8(bio.get(), nullptr, no_passphrase_cb, nullptr)};
  if (!sig)
    ERR_clear_error(); // "no start line": the caller tries a plain key next
  return sig;
}

/// Reads the first plain PKCS#8 block of `pem`, if it has one.
p8_info_ptr read_plain_pkcs8(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  return p8_info_ptr{PEM_read_bio_PKCS8_PRIV_KEY_INFO(bio.get(), nullptr,
                                                      no_passphrase_cb,
                                                      nullptr)};
}

/// Writes `sig` or `p8` (whichever is given) as PEM.
caf::expected<std::string> to_pem(const X509_SIG* sig,
                                  const PKCS8_PRIV_KEY_INFO* p8) {
  auto bio = secure_mem_bio();
  if (!bio)
    return openssl_failure(errc::crypto_failure);
  auto ok = sig ? PEM_write_bio_PKCS8(bio.get(), sig)
                : PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), p8);
  if (ok != 1)
    return openssl_failure(errc::crypto_failure);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr)
    return openssl_failure(errc::crypto_failure);
  return std::string(data, static_cast<size_t>(len));
}

} // namespace

key::key(EVP_PKEY* raw) : ptr_(raw, EVP_PKEY_free) {
  // nop
}

key_kind key::kind() const {
  if (!ptr_)
    return key_kind::other;
  switch (EVP_PKEY_get_base_id(ptr_.get())) {
    case EVP_PKEY_RSA:
      return key_kind::rsa;
    case EVP_PKEY_ED25519:
      return key_kind::ed25519;
    case EVP_PKEY_X25519:
      return key_kind::x25519;
    default:
      return key_kind::other;
  }
}

int key::bits() const {
  if (!ptr_)
    return 0;
  if (kind() == key_kind::rsa)
    return EVP_PKEY_get_bits(ptr_.get());
  return EVP_PKEY_get_security_bits(ptr_.get());
}

caf::expected<bytes> key::public_der() const {
  if (!ptr_)
    return make_error(errc::bad_key);
  int len = i2d_PUBKEY(ptr_.get(), nullptr);
  if (len <= 0)
    return openssl_failure(errc::crypto_failure);
  bytes der(static_cast<size_t>(len));
  auto* out = der.data();
  if (i2d_PUBKEY(ptr_.get(), &out) != len)
    return openssl_failure(errc::crypto_failure);
  return der;
}

caf::expected<key> generate_rsa(int bits) {
  if (bits != 2048 && bits != 3072 && bits != 4096)
    return make_error(errc::bad_key);
  return generate("RSA", bits);
}

bool is_rsa_identity(const key& k) {
  if (k.kind() != key_kind::rsa)
    return false;
  auto bits = k.bits();
  if (bits != 2048 && bits != 3072 && bits != 4096)
    return false;
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1)
    return false;
  bool ok = BN_is_word(e, RSA_F4);
  BN_free(e);
  return ok;
}

caf::expected<key> generate_ed25519() {
  return generate("ED25519", 0);
}

namespace {

// OpenSSL 3 builds a decoder chain for every d2i_PUBKEY (~0.1 ms, most of
// a router's handshake); a decoder context kept per thread and reused
// decodes in ~10 us. It only ever holds public keys.
struct pubkey_decoder {
  EVP_PKEY* out = nullptr; ///< where the context puts each key
  OSSL_DECODER_CTX* ctx = nullptr;

  pubkey_decoder() {
    ctx = OSSL_DECODER_CTX_new_for_pkey(&out, "DER", "SubjectPublicKeyInfo",
                                        nullptr, EVP_PKEY_PUBLIC_KEY, nullptr,
                                        nullptr);
  }
  ~pubkey_decoder() {
    OSSL_DECODER_CTX_free(ctx);
    EVP_PKEY_free(out);
  }
  pubkey_decoder(const pubkey_decoder&) = delete;
  pubkey_decoder& operator=(const pubkey_decoder&) = delete;
};

} // namespace

caf::expected<key> public_key_from_der(byte_view der) {
  if (der.size == 0 || der.size > static_cast<size_t>(LONG_MAX))
    return make_error(errc::bad_encoding);
  thread_local pubkey_decoder dec;
  if (!dec.ctx)
    return openssl_failure(errc::crypto_failure);
  const unsigned char* in = der.data;
  size_t left = der.size;
  auto ok = OSSL_DECODER_from_data(dec.ctx, &in, &left) == 1;
  pkey_ptr pk{std::exchange(dec.out, nullptr)};
  if (!ok || !pk)
    return openssl_failure(errc::bad_encoding);
  // Trailing bytes after the structure mean the input is not what we think.
  if (left != 0)
    return make_error(errc::bad_encoding);
  return key{pk.release()};
}

caf::expected<std::string> private_key_to_pem(const key& k,
                                              const std::string& passphrase) {
  if (!k)
    return make_error(errc::bad_key);
  if (passphrase.empty())
    return make_error(errc::passphrase_required);
  if (passphrase.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::oversize);
  cipher_ptr aes{EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr)};
  if (!aes)
    return openssl_failure(errc::crypto_failure);
  // 16 bytes of salt (OpenSSL 3.0 would pick 8); the IV is drawn by OpenSSL.
  auto salt = random_bytes(16);
  algor_ptr pbe{PKCS5_pbe2_set_iv_ex(aes.get(),
                                     static_cast<int>(key_file_iterations),
                                     salt.data(), static_cast<int>(salt.size()),
                                     nullptr, NID_hmacWithSHA256, nullptr)};
  p8_info_ptr p8{EVP_PKEY2PKCS8(k.get())};
  if (!pbe || !p8)
    return openssl_failure(errc::crypto_failure);
  x509_sig_ptr sig{PKCS8_set0_pbe_ex(passphrase.data(),
                                     static_cast<int>(passphrase.size()),
                                     p8.get(), pbe.get(), nullptr, nullptr)};
  if (!sig)
    return openssl_failure(errc::crypto_failure);
  pbe.release(); // now owned by `sig`
  return to_pem(sig.get(), nullptr);
}

caf::expected<std::string> private_key_to_plain_pem(const key& k) {
  if (!k)
    return make_error(errc::bad_key);
  p8_info_ptr p8{EVP_PKEY2PKCS8(k.get())};
  if (!p8)
    return openssl_failure(errc::crypto_failure);
  return to_pem(nullptr, p8.get());
}

caf::expected<key> private_key_from_pem(const std::string& pem,
                                        const std::string& passphrase) {
  if (pem.empty() || pem.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::bad_encoding);
  if (passphrase.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::wrong_passphrase);
  p8_info_ptr p8;
  if (auto sig = read_encrypted_pkcs8(pem)) {
    // Check the KDF's cost before paying it.
    if (auto prot = protection_of_sig(sig.get()); !prot)
      return std::move(prot.error());
    if (passphrase.empty())
      return make_error(errc::wrong_passphrase);
    p8.reset(PKCS8_decrypt_ex(sig.get(), passphrase.data(),
                              static_cast<int>(passphrase.size()), nullptr,
                              nullptr));
    // Bad padding or a structure that does not parse: with a well-formed
    // encrypted file, the passphrase is at fault.
    if (!p8)
      return openssl_failure(errc::wrong_passphrase);
  } else {
    p8 = read_plain_pkcs8(pem);
    if (!p8)
      return openssl_failure(errc::bad_encoding);
  }
  EVP_PKEY* raw = EVP_PKCS82PKEY_ex(p8.get(), nullptr, nullptr);
  if (raw == nullptr)
    return openssl_failure(errc::bad_encoding);
  ERR_clear_error();
  return key{raw};
}

caf::expected<key_protection> protection_of(const std::string& pem) {
  if (pem.empty() || pem.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::bad_encoding);
  if (auto sig = read_encrypted_pkcs8(pem))
    return protection_of_sig(sig.get());
  if (read_plain_pkcs8(pem))
    return key_protection::none;
  return openssl_failure(errc::bad_encoding);
}

caf::expected<std::string> fingerprint(const key& k) {
  auto der = k.public_der();
  if (!der)
    return std::move(der.error());
  return fingerprint_of_der(*der);
}

std::string fingerprint_of_der(byte_view der) {
  auto hex = to_hex(sha256(der));
  std::string out;
  out.reserve(hex.size() + hex.size() / 4);
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 4 == 0)
      out += ' ';
    out += hex[i];
  }
  return out;
}

} // namespace courier::crypto
