#include "actors/server/cluster/tls_files.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

#include "actors/common/error.hpp"
#include "actors/server/cluster/peer_certs.hpp"
#include "crypto/openssl_ptr.hpp"

namespace courier::cluster {

namespace {

using crypto::openssl_ptr;
using ctx_ptr = openssl_ptr<SSL_CTX, SSL_CTX_free>;
using store_ptr = openssl_ptr<X509_STORE, X509_STORE_free>;
using store_ctx_ptr = openssl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;

caf::error bad(const std::string& what) {
  ERR_clear_error();
  return make_error(errc::bad_key, what);
}

} // namespace

caf::error check_tls_files(const std::string& cert, const std::string& key,
                           const std::string& ca, const std::string& name,
                           const std::string& crl) {
  ctx_ptr ctx{SSL_CTX_new(TLS_method())};
  if (!ctx)
    return bad("OpenSSL cannot make a TLS context");
  // An encrypted key would make OpenSSL prompt on the terminal; refuse.
  SSL_CTX_set_default_passwd_cb(ctx.get(),
                                [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
    return bad("cannot read the certificate " + cert);
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM)
      != 1)
    return bad("cannot read the private key " + key
               + " (it must be an unencrypted PEM key)");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return bad("the key " + key + " does not belong to " + cert);
  store_ptr store{X509_STORE_new()};
  if (!store || X509_STORE_load_file(store.get(), ca.c_str()) != 1)
    return bad("cannot read the CA certificate " + ca);
  if (!crl.empty()) {
    if (auto err = check_crl(crl, ca))
      return err;
    // The CRL is loaded like the CA, and checked for this certificate.
    if (X509_STORE_load_file(store.get(), crl.c_str()) != 1
        || X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) != 1)
      return bad("cannot use the revocation list " + crl);
  }
  auto* leaf = SSL_CTX_get0_certificate(ctx.get());
  // Peers accept a router only under the name its certificate carries.
  if (auto named = certificate_name(leaf); !named || *named != name)
    return bad(cert + " is the certificate of '"
               + (named ? *named : std::string{"?"}) + "', not of this router '"
               + name + "' (make one with deploy/make-certs.sh DIR " + name
               + ")");
  // Each router is TLS server and client of its peers.
  auto xku = leaf ? X509_get_extended_key_usage(leaf) : 0;
  if ((xku & XKU_SSL_SERVER) == 0 || (xku & XKU_SSL_CLIENT) == 0)
    return bad(cert + " must allow both TLS server and client use "
                      "(extendedKeyUsage serverAuth, clientAuth)");
  store_ctx_ptr vctx{X509_STORE_CTX_new()};
  if (!leaf || !vctx
      || X509_STORE_CTX_init(vctx.get(), store.get(), leaf, nullptr) != 1)
    return bad("OpenSSL cannot check " + cert);
  if (X509_verify_cert(vctx.get()) != 1) {
    auto code = X509_STORE_CTX_get_error(vctx.get());
    return bad(cert + " does not verify against " + ca + ": "
               + X509_verify_cert_error_string(code));
  }
  return {};
}

} // namespace courier::cluster
