#include "crypto/hkdf.hpp"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/error.hpp"
#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

constexpr size_t max_output = 255 * 32;

/// OSSL_PARAM wants a non-null pointer even for empty octet strings.
OSSL_PARAM octets(const char* name, byte_view v) {
  static unsigned char empty = 0;
  auto* p = v.size == 0 ? &empty : const_cast<uint8_t*>(v.data);
  return OSSL_PARAM_construct_octet_string(name, p, v.size);
}

} // namespace

caf::expected<secret> hkdf_sha256(byte_view ikm, byte_view salt,
                                  byte_view info, size_t length) {
  if (length == 0 || length > max_output)
    return make_error(errc::crypto_failure, "bad HKDF output length");
  kdf_ptr kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  kdf_ctx_ptr ctx{kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr};
  if (!ctx) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 digest, 0);
  params[n++] = octets(OSSL_KDF_PARAM_KEY, ikm);
  params[n++] = octets(OSSL_KDF_PARAM_SALT, salt);
  if (info.size > 0)
    params[n++] = octets(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  secret out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  return out;
}

} // namespace courier::crypto
