#include "crypto/scrypt.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/error.hpp"
#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

caf::expected<secret> scrypt(std::string_view passphrase, byte_view salt,
                             const scrypt_cost& cost, size_t length) {
  if (length == 0 || cost.log2_n == 0 || cost.log2_n > 62 || cost.r == 0
      || cost.p == 0 || salt.size == 0)
    return make_error(errc::crypto_failure, "bad scrypt parameters");
  kdf_ptr kdf{EVP_KDF_fetch(nullptr, "SCRYPT", nullptr)};
  kdf_ctx_ptr ctx{kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr};
  if (!ctx) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  // OSSL_PARAM wants a non-null pointer even for an empty passphrase.
  static char empty = 0;
  auto* pass = passphrase.empty() ? &empty
                                  : const_cast<char*>(passphrase.data());
  uint64_t n = uint64_t{1} << cost.log2_n;
  uint32_t r = cost.r;
  uint32_t p = cost.p;
  // A little over what the cost needs: OpenSSL's own overhead.
  uint64_t maxmem = cost.memory() + (uint64_t{1} << 20);
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass,
                                      passphrase.size()),
    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                      const_cast<uint8_t*>(salt.data),
                                      salt.size),
    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
    OSSL_PARAM_construct_end()};
  secret out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure, "scrypt failed");
  }
  return out;
}

} // namespace courier::crypto
