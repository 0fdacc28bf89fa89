#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

using mac_ptr = openssl_ptr<EVP_MAC, EVP_MAC_free>;
using mac_ctx_ptr = openssl_ptr<EVP_MAC_CTX, EVP_MAC_CTX_free>;

// Fetched once: a ratchet step runs two HMACs, and fetching costs more than
// the MAC itself. A fetched algorithm may be shared between threads.
const EVP_MAC* hmac_algorithm() {
  static const mac_ptr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  return mac.get();
}

} // namespace

caf::expected<secret> hmac_sha256(byte_view key, byte_view data) {
  auto* mac = hmac_algorithm();
  mac_ctx_ptr ctx{mac != nullptr ? EVP_MAC_CTX_new(const_cast<EVP_MAC*>(mac))
                                 : nullptr};
  if (!ctx || key.size == 0) {
    ERR_clear_error();
    return make_error(errc::crypto_failure, "HMAC is not available");
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
    OSSL_PARAM_construct_end()};
  secret out(hmac_sha256_size);
  size_t len = 0;
  if (EVP_MAC_init(ctx.get(), key.data, key.size, params) != 1
      || EVP_MAC_update(ctx.get(), data.data, data.size) != 1
      || EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1
      || len != out.size()) {
    ERR_clear_error();
    return make_error(errc::crypto_failure, "HMAC failed");
  }
  return out;
}

} // namespace courier::crypto
