#include "crypto/key.hpp"

#include <climits>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

/// Drops OpenSSL's queued errors so they cannot leak into later calls.
caf::error fail(errc code) {
  ERR_clear_error();
  return make_error(code);
}

/// Generates a key of the named algorithm; `bits` > 0 sets the RSA size.
caf::expected<key> generate(const char* alg, int bits) {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, alg, nullptr)};
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0)
    return fail(errc::crypto_failure);
  if (bits > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0)
    return fail(errc::crypto_failure);
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0)
    return fail(errc::crypto_failure);
  return key{raw};
}

/// A memory BIO whose buffer is wiped on free (it may hold a private key).
bio_ptr secure_mem_bio() {
  return bio_ptr{BIO_new(BIO_s_secmem())};
}

/// Feeds the passphrase to OpenSSL's PEM reader.
int passphrase_cb(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (pass == nullptr || pass->empty() || size <= 0
      || pass->size() > static_cast<size_t>(size))
    return 0;
  std::copy(pass->begin(), pass->end(), buf);
  return static_cast<int>(pass->size());
}

/// True if `pem` holds a well-formed encrypted PKCS#8 structure, i.e. a
/// failure to load it must be the passphrase's fault.
bool is_encrypted_pkcs8(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return false;
  x509_sig_ptr sig{PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr)};
  return sig != nullptr;
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
    return fail(errc::crypto_failure);
  bytes der(static_cast<size_t>(len));
  auto* out = der.data();
  if (i2d_PUBKEY(ptr_.get(), &out) != len)
    return fail(errc::crypto_failure);
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
    return fail(errc::crypto_failure);
  const unsigned char* in = der.data;
  size_t left = der.size;
  auto ok = OSSL_DECODER_from_data(dec.ctx, &in, &left) == 1;
  pkey_ptr pk{std::exchange(dec.out, nullptr)};
  if (!ok || !pk)
    return fail(errc::bad_encoding);
  // Trailing bytes after the structure mean the input is not what we think.
  if (left != 0)
    return make_error(errc::bad_encoding);
  return key{pk.release()};
}

caf::expected<std::string> private_key_to_pem(const key& k,
                                              const std::string& passphrase) {
  if (!k)
    return make_error(errc::bad_key);
  if (passphrase.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::bad_key);
  auto bio = secure_mem_bio();
  if (!bio)
    return fail(errc::crypto_failure);
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr
                                                : EVP_aes_256_cbc();
  // OpenSSL takes a non-const pointer but does not modify the passphrase.
  auto* kstr = passphrase.empty()
                 ? nullptr
                 : const_cast<char*>(passphrase.data());
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), k.get(), cipher, kstr,
                                    static_cast<int>(passphrase.size()),
                                    nullptr, nullptr)
      != 1)
    return fail(errc::crypto_failure);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr)
    return fail(errc::crypto_failure);
  return std::string(data, static_cast<size_t>(len));
}

caf::expected<key> private_key_from_pem(const std::string& pem,
                                        const std::string& passphrase) {
  if (pem.empty() || pem.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::bad_encoding);
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return fail(errc::crypto_failure);
  // The callback only reads the passphrase.
  auto* user = const_cast<std::string*>(&passphrase);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb,
                                          user);
  if (raw == nullptr) {
    ERR_clear_error();
    auto code = is_encrypted_pkcs8(pem) ? errc::wrong_passphrase
                                        : errc::bad_encoding;
    return fail(code);
  }
  return key{raw};
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
