#pragma once

// Public keys an attacker can make without any private key: an RSA modulus
// with a public exponent of their choosing.

#include <string>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/key.hpp"

namespace courier::test {

/// A public RSA key with the modulus of `k` and the exponent `e_hex`; an
/// empty key if OpenSSL refuses to build it.
inline crypto::key with_exponent(const crypto::key& k, const std::string& e_hex) {
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* out = nullptr;
  if (bld && ctx && EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_RSA_N, &n)
      && BN_hex2bn(&e, e_hex.c_str()) > 0
      && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
      && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
      && (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr
      && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  BN_free(n);
  BN_free(e);
  return crypto::key{out};
}

/// An odd exponent one bit shorter than a `modulus_bits` modulus (so it
/// is still below it): every operation with it is a full-length
/// exponentiation.
inline std::string huge_exponent(int modulus_bits = 2048) {
  auto digits = static_cast<size_t>(modulus_bits / 4);
  return "7" + std::string(digits - 2, 'f') + "1";
}

} // namespace courier::test
