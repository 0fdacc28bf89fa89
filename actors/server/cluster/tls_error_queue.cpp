// CAF 0.17's OpenSSL session calls SSL_read/SSL_write/SSL_accept/
// SSL_connect without first clearing the thread's OpenSSL error queue, and
// drains the queue only in log statements that the Debian build compiles
// out. OpenSSL requires an empty queue before these calls, or
// SSL_get_error() misreports: after one failed handshake on the backbone
// port (a port scan, a peer with a wrong certificate), the next
// SSL_read on a healthy peer link that merely wants more data was seen as
// a fatal error and the link was dropped.
//
// courier-node defines these four functions itself, so the dynamic linker
// binds libcaf_openssl's calls to them; each clears the queue and calls
// OpenSSL's own function. SSL_connect and SSL_accept also apply the
// backbone's own peer checks (peer_certs.hpp: names, pins, revocation)
// before the handshake starts, since CAF offers no hook for them.

#include <cstdlib>
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "actors/server/cluster/peer_certs.hpp"

namespace {

// OpenSSL is linked in, so the lookup cannot fail short of a broken
// installation; then there is nothing sensible left to do.
template <class Fn>
Fn next_symbol(const char* name) {
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  if (!fn)
    std::abort();
  return fn;
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_symbol<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = next_symbol<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static auto real = next_symbol<int (*)(SSL*)>("SSL_accept");
  courier::cluster::prepare_backbone_ssl(ssl);
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static auto real = next_symbol<int (*)(SSL*)>("SSL_connect");
  courier::cluster::prepare_backbone_ssl(ssl);
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"
