#include "actors/server/cluster/peer_certs.hpp"

#include <cctype>
#include <deque>
#include <memory>
#include <mutex>

#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "actors/server/cluster/peer_link.hpp"
#include "crypto/openssl_ptr.hpp"

namespace courier::cluster {

namespace {

using crypto::bio_ptr;
using crypto::openssl_ptr;
using x509_ptr = openssl_ptr<X509, X509_free>;
using crl_ptr = openssl_ptr<X509_CRL, X509_CRL_free>;

/// The address key of a connection as CAF's middleman reports it.
using endpoint_key = std::pair<std::string, uint16_t>;

// Verified connections beyond this many are forgotten oldest first; only
// configured routers with valid certificates get in, so this is plenty.
constexpr size_t max_verified = 4096;

/// Process-wide: OpenSSL calls back on the I/O thread, routers ask from
/// actors; neither is actor state.
struct trust_state {
  std::mutex mtx;
  std::shared_ptr<const backbone_trust> trust;
  std::shared_ptr<X509_CRL> crl;
  std::map<endpoint_key, std::string> verified;
  std::deque<endpoint_key> order;
};

trust_state& state() {
  static trust_state st;
  return st;
}

/// What a connection learned during its handshake (SSL ex_data).
struct conn_info {
  std::shared_ptr<const backbone_trust> trust;
  std::shared_ptr<X509_CRL> crl;
  std::string name; ///< of the verified leaf certificate
};

void free_conn_info(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<conn_info*>(ptr);
}

int conn_index() {
  static int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr,
                                        free_conn_info);
  return idx;
}

std::optional<endpoint_key> remote_of(const SSL* ssl) {
  auto fd = SSL_get_fd(ssl);
  if (fd < 0)
    return std::nullopt;
  auto host = caf::io::network::remote_addr_of_fd(fd);
  auto port = caf::io::network::remote_port_of_fd(fd);
  if (!host || !port)
    return std::nullopt;
  return endpoint_key{*host, *port};
}

std::string subject_of(X509* cert) {
  char buf[256] = {0};
  if (!cert || !X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf))
    return "?";
  return buf;
}

std::string peer_text(const SSL* ssl) {
  auto ep = remote_of(ssl);
  return ep ? ep->first + ":" + std::to_string(ep->second) : "?";
}

int verify_peer(int ok, X509_STORE_CTX* ctx) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(
    ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* info = ssl ? static_cast<conn_info*>(SSL_get_ex_data(ssl, conn_index()))
                   : nullptr;
  auto* cert = X509_STORE_CTX_get_current_cert(ctx);
  if (!info || !info->trust)
    return 0;
  if (!ok) {
    auto code = X509_STORE_CTX_get_error(ctx);
    logger(component::backbone)
      .warn("backbone: refused the certificate '{}' from {}: {}",
            subject_of(cert), peer_text(ssl),
            X509_verify_cert_error_string(code));
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(ctx) > 0)
    return 1; // the CA; OpenSSL checked the chain
  auto name = certificate_name(cert);
  if (!name || info->trust->peers.count(*name) == 0) {
    logger(component::backbone)
      .warn("backbone: refused the certificate '{}' from {}: it does "
            "not name a configured peer router",
            subject_of(cert), peer_text(ssl));
    return 0;
  }
  if (auto pin = info->trust->pins.find(*name);
      pin != info->trust->pins.end()) {
    auto fp = certificate_fingerprint(cert);
    if (fp.size() != pin->second.size()
        || CRYPTO_memcmp(fp.data(), pin->second.data(), fp.size()) != 0) {
      logger(component::backbone)
        .warn("backbone: refused a certificate for router '{}' from "
              "{}: its fingerprint {} is not the one pinned for '{}'",
              *name, peer_text(ssl), fp, *name);
      return 0;
    }
  }
  info->name = *name;
  return 1;
}

void remember(const endpoint_key& ep, const std::string& name) {
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  if (st.verified.insert_or_assign(ep, name).second)
    st.order.push_back(ep);
  while (st.order.size() > max_verified) {
    st.verified.erase(st.order.front());
    st.order.pop_front();
  }
}

void forget(const endpoint_key& ep) {
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  st.verified.erase(ep); // its slot in `order` ages out harmlessly
}

// A connection counts as verified only once its handshake is done, i.e.
// the peer also proved it holds the certificate's key.
void on_info(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0)
    return;
  auto* info = static_cast<conn_info*>(SSL_get_ex_data(ssl, conn_index()));
  if (!info || info->name.empty())
    return;
  if (auto ep = remote_of(ssl))
    remember(*ep, info->name);
}

// Makes the connection fail its handshake.
void refuse_all(SSL* ssl) {
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 [](int, X509_STORE_CTX*) { return 0; });
}

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

caf::error bad(const std::string& what) {
  ERR_clear_error();
  return make_error(errc::bad_key, what);
}

} // namespace

std::optional<std::string> parse_fingerprint(const std::string& text) {
  // Into a fixed buffer: g++ 12 (with other includes before) took the move
  // out of a local string for an out-of-bounds copy (-Warray-bounds).
  char hex[64];
  size_t n = 0;
  for (char c : text) {
    if (c == ':')
      continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)) || n == sizeof(hex))
      return std::nullopt;
    hex[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (n != sizeof(hex))
    return std::nullopt;
  return std::optional<std::string>{std::in_place, hex, n};
}

std::string certificate_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1) {
    ERR_clear_error();
    return "";
  }
  return to_hex(md, n);
}

std::optional<std::string> certificate_name(X509* cert) {
  auto* subject = cert ? X509_get_subject_name(cert) : nullptr;
  if (!subject)
    return std::nullopt;
  auto idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0)
    return std::nullopt; // none, or more than one
  auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  if (!data)
    return std::nullopt;
  std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                   static_cast<size_t>(ASN1_STRING_length(data)));
  if (!valid_router_name(name))
    return std::nullopt;
  return name;
}

caf::error check_crl(const std::string& crl, const std::string& ca) {
  bio_ptr ca_bio{BIO_new_file(ca.c_str(), "r")};
  x509_ptr ca_cert{ca_bio ? PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr,
                                              nullptr)
                          : nullptr};
  if (!ca_cert)
    return bad("cannot read the CA certificate " + ca);
  bio_ptr crl_bio{BIO_new_file(crl.c_str(), "r")};
  crl_ptr list{crl_bio ? PEM_read_bio_X509_CRL(crl_bio.get(), nullptr, nullptr,
                                               nullptr)
                       : nullptr};
  if (!list)
    return bad("cannot read the revocation list " + crl
               + " (a PEM CRL, made by deploy/make-certs.sh)");
  if (X509_NAME_cmp(X509_CRL_get_issuer(list.get()),
                    X509_get_subject_name(ca_cert.get()))
        != 0
      || X509_CRL_verify(list.get(), X509_get0_pubkey(ca_cert.get())) != 1)
    return bad("the revocation list " + crl + " is not signed by the CA "
               + ca);
  auto* next = X509_CRL_get0_nextUpdate(list.get());
  if (next && X509_cmp_current_time(next) <= 0)
    return bad("the revocation list " + crl + " has expired; make a new one "
               "with deploy/make-certs.sh DIR --crl and copy it to every "
               "router");
  ERR_clear_error();
  return caf::none;
}

caf::error install_backbone_trust(backbone_trust trust) {
  std::shared_ptr<X509_CRL> crl;
  if (!trust.crl.empty()) {
    bio_ptr bio{BIO_new_file(trust.crl.c_str(), "r")};
    auto* raw = bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr,
                                            nullptr)
                    : nullptr;
    if (!raw)
      return bad("cannot read the revocation list " + trust.crl);
    crl.reset(raw, X509_CRL_free);
  }
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  st.trust = std::make_shared<const backbone_trust>(std::move(trust));
  st.crl = std::move(crl);
  return caf::none;
}

void prepare_backbone_ssl(SSL* ssl) {
  if (!ssl || SSL_get_ex_data(ssl, conn_index()) != nullptr)
    return; // not ours, or prepared already (a handshake takes many calls)
  auto& st = state();
  auto info = std::make_unique<conn_info>();
  {
    std::lock_guard<std::mutex> guard{st.mtx};
    info->trust = st.trust;
    info->crl = st.crl;
  }
  if (!info->trust)
    return; // no backbone trust installed: not a TLS backbone
  // A reused address must not inherit an earlier connection's name.
  if (auto ep = remote_of(ssl))
    forget(*ep);
  auto* raw = info.get();
  if (SSL_set_ex_data(ssl, conn_index(), raw) != 1) {
    refuse_all(ssl);
    return;
  }
  info.release();
  if (raw->crl) {
    auto* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    if (!store || X509_STORE_add_crl(store, raw->crl.get()) != 1
        || X509_VERIFY_PARAM_set_flags(SSL_get0_param(ssl),
                                       X509_V_FLAG_CRL_CHECK)
             != 1) {
      ERR_clear_error();
      refuse_all(ssl);
      return;
    }
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 verify_peer);
  SSL_set_info_callback(ssl, on_info);
}

std::optional<std::string> verified_peer(const std::string& host,
                                         uint16_t port) {
  auto& st = state();
  std::lock_guard<std::mutex> guard{st.mtx};
  auto it = st.verified.find(endpoint_key{host, port});
  if (it == st.verified.end())
    return std::nullopt;
  return it->second;
}

namespace {

peer_identity_actor::behavior_type
tls_identity(peer_identity_actor::pointer self) {
  return {
    [=](identify_atom, const caf::actor_addr& who)
      -> caf::result<std::string> {
      if (!who || who.node() == self->node())
        return make_error(errc::peer_refused, "not a handle of another node");
      auto rp = self->make_response_promise<std::string>();
      self
        ->request(self->system().middleman().actor_handle(),
                  std::chrono::seconds{5}, caf::get_atom::value, who.node())
        .then(
          [=](const caf::node_id&, const std::string& host,
              uint16_t port) mutable {
            auto name = host.empty() ? std::nullopt : verified_peer(host, port);
            if (name)
              rp.deliver(std::move(*name));
            else
              rp.deliver(make_error(errc::peer_refused,
                                    "its node has no connection with a "
                                    "verified certificate"));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace

peer_identity_actor spawn_tls_peer_identity(caf::actor_system& sys) {
  return sys.spawn(tls_identity);
}

} // namespace courier::cluster
