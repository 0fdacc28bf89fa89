#pragma once

// Owning pointers for OpenSSL objects: each frees its object with the
// matching OpenSSL function.

#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

namespace courier::crypto {

/// Calls `Free` on the pointer (its return value, if any, is of no use).
template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

/// A unique_ptr to an OpenSSL `T` released with `Free`.
template <class T, auto Free>
using openssl_ptr = std::unique_ptr<T, openssl_free<Free>>;

using pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using pkey_ctx_ptr = openssl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using md_ctx_ptr = openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using kdf_ptr = openssl_ptr<EVP_KDF, EVP_KDF_free>;
using kdf_ctx_ptr = openssl_ptr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using bio_ptr = openssl_ptr<BIO, BIO_free>;
using x509_sig_ptr = openssl_ptr<X509_SIG, X509_SIG_free>;

} // namespace courier::crypto
