#include "crypto/oaep.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

/// A context for `k` set to OAEP with SHA-256 for both digests.
pkey_ctx_ptr oaep_ctx(const key& k, bool encrypt) {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr)};
  if (!ctx)
    return nullptr;
  int rc = encrypt ? EVP_PKEY_encrypt_init(ctx.get())
                   : EVP_PKEY_decrypt_init(ctx.get());
  if (rc <= 0
      || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0
      || EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0
      || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0)
    return nullptr;
  return ctx;
}

} // namespace

caf::expected<bytes> oaep_wrap(const key& rsa_public, byte_view plaintext) {
  if (rsa_public.kind() != key_kind::rsa)
    return make_error(errc::bad_key);
  auto ctx = oaep_ctx(rsa_public, true);
  size_t len = 0;
  if (!ctx
      || EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plaintext.data,
                          plaintext.size)
           <= 0) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plaintext.data,
                       plaintext.size)
      <= 0) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  out.resize(len);
  return out;
}

caf::expected<secret> oaep_unwrap(const key& rsa_private, byte_view wrapped) {
  if (rsa_private.kind() != key_kind::rsa)
    return make_error(errc::bad_key);
  auto ctx = oaep_ctx(rsa_private, false);
  size_t len = 0;
  if (!ctx
      || EVP_PKEY_decrypt(ctx.get(), nullptr, &len, wrapped.data,
                          wrapped.size)
           <= 0) {
    ERR_clear_error();
    return make_error(errc::decrypt_failed);
  }
  secret buf(len);
  if (EVP_PKEY_decrypt(ctx.get(), buf.data(), &len, wrapped.data,
                       wrapped.size)
      <= 0) {
    ERR_clear_error();
    return make_error(errc::decrypt_failed);
  }
  // The result is usually shorter than the modulus; copy out the prefix
  // (buf wipes itself).
  return secret{bytes(buf.data(), buf.data() + len)};
}

} // namespace courier::crypto
