#include "crypto/signature.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

/// Applies RSA-PSS parameters (SHA-256 MGF1, salt = digest length).
bool set_pss(EVP_PKEY_CTX* pctx) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
         && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
         && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

/// Prepares `ctx` for signing (`for_sign`) or verifying with `k`'s scheme.
bool init(EVP_MD_CTX* ctx, const key& k, bool for_sign) {
  auto kind = k.kind();
  if (kind != key_kind::rsa && kind != key_kind::ed25519)
    return false;
  // Ed25519 hashes internally and must be given no digest.
  const EVP_MD* md = kind == key_kind::rsa ? EVP_sha256() : nullptr;
  EVP_PKEY_CTX* pctx = nullptr; // owned by ctx
  int rc = for_sign
             ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, k.get())
             : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, k.get());
  if (rc != 1)
    return false;
  return kind != key_kind::rsa || set_pss(pctx);
}

} // namespace

caf::expected<bytes> sign(const key& private_key, byte_view message) {
  auto kind = private_key.kind();
  if (kind != key_kind::rsa && kind != key_kind::ed25519)
    return make_error(errc::bad_key);
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  size_t len = 0;
  if (!ctx || !init(ctx.get(), private_key, true)
      || EVP_DigestSign(ctx.get(), nullptr, &len, message.data, message.size)
           != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data, message.size)
      != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  sig.resize(len);
  return sig;
}

bool verify(const key& public_key, byte_view message, byte_view signature) {
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  bool ok = ctx && init(ctx.get(), public_key, false)
            && EVP_DigestVerify(ctx.get(), signature.data, signature.size,
                                message.data, message.size)
                 == 1;
  ERR_clear_error();
  return ok;
}

} // namespace courier::crypto
