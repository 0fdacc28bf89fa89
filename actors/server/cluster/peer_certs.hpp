#pragma once

// Which routers the backbone's TLS accepts, beyond "a certificate from the
// deployment's CA": the certificate must name a configured peer router,
// match that router's pinned fingerprint if one is configured, and not be
// revoked. Each verified connection is remembered by its remote address,
// so that a router can later ask whose certificate stands behind a node
// (peer_identity_actor).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/server/cluster/peer_identity.hpp"

typedef struct ssl_st SSL;
typedef struct x509_st X509;

namespace courier::cluster {

/// What this router's backbone accepts from the other end.
struct backbone_trust {
  std::set<std::string> peers; ///< configured peer router names
  /// Pinned SHA-256 fingerprints of peer certificates (64 lowercase hex).
  std::map<std::string, std::string> pins;
  std::string crl; ///< a PEM CRL file of the CA; empty for none
};

/// Normalizes a SHA-256 fingerprint: 64 hex digits, with or without
/// colons, any case, to 64 lowercase hex digits; none if malformed.
std::optional<std::string> parse_fingerprint(const std::string& text);

/// The SHA-256 fingerprint of a certificate (64 lowercase hex).
std::string certificate_fingerprint(X509* cert);

/// The router name a certificate carries: its one subject CN, if that is
/// a valid router name.
std::optional<std::string> certificate_name(X509* cert);

/// Reads `crl` and checks that the CA in `ca` signed it and that it is not
/// past its next update; the error says which and why.
caf::error check_crl(const std::string& crl, const std::string& ca);

/// Applies `trust` to every backbone TLS connection this process makes or
/// accepts from now on (call once, before the backbone starts). Reads the
/// CRL, if any.
caf::error install_backbone_trust(backbone_trust trust);

/// Called for each TLS connection before OpenSSL's handshake starts (from
/// the interposed SSL_connect/SSL_accept of tls_error_queue.cpp); a no-op
/// until install_backbone_trust.
void prepare_backbone_ssl(SSL* ssl);

/// The router name of the verified certificate on the connection whose
/// other end is `host`:`port` (as CAF's middleman reports it), if any.
std::optional<std::string> verified_peer(const std::string& host,
                                         uint16_t port);

/// Answers which router's certificate stands behind a remote handle by
/// asking the middleman for its node's connection.
peer_identity_actor spawn_tls_peer_identity(caf::actor_system& sys);

} // namespace courier::cluster
