#pragma once

#include <string>

#include <caf/expected.hpp>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/key_source.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::protocol {

/// What the client sends first (a JSON frame).
struct client_hello {
  std::string text;        ///< the frame verbatim, part of the transcript
  std::string user;
  crypto::bytes identity;  ///< SPKI DER of the client's RSA key
  crypto::key identity_key;
  crypto::bytes eph;       ///< raw X25519 public key
  crypto::bytes nonce;
};

/// What the server keeps between its hello and the client's finish.
struct server_pending {
  crypto::bytes transcript;   ///< SHA-256 over both hellos
  traffic_keys keys;          ///< server's view: send = s2c
};

/// Client side: an ephemeral key and the hello built from it.
struct client_start {
  crypto::key eph;
  client_hello hello;
};

/// What the client learns from the server's hello.
struct client_result {
  std::string finish_text;    ///< the client_finish frame to send
  traffic_keys keys;          ///< client's view: send = c2s
  crypto::bytes server_key;   ///< SPKI DER of the server's signing key
};

/// Client: makes an ephemeral key and the hello frame; the key and the
/// nonce come from `keys` (OpenSSL unless a test vector fixes them).
caf::expected<client_start> start_handshake(const std::string& user,
                                            const crypto::key& identity,
                                            const key_source& keys = {});

/// Server: parses and checks a client hello (username rules, RSA key of
/// 2048-4096 bits, 32-byte ephemeral key and nonce).
caf::expected<client_hello> parse_client_hello(const std::string& text);

/// Server: the hello reply and the keys, given its Ed25519 signing key.
/// The ephemeral key, the session secret, its OAEP wrapping and the nonce
/// come from `keys` (OpenSSL unless a test vector fixes them).
caf::expected<std::pair<std::string, server_pending>>
answer_hello(const client_hello& hello, const crypto::key& server_key,
             const crypto::bytes& server_key_der,
             const key_source& keys = {});

/// Client: checks the server's hello (signature, and the pinned key if
/// `pinned` is not empty), unwraps the session secret, derives the keys.
caf::expected<client_result>
finish_handshake(const client_start& start, const crypto::key& identity,
                 const std::string& server_hello_text,
                 const crypto::bytes& pinned);

/// Server: checks the client's proof of key possession.
caf::error verify_finish(const client_hello& hello,
                         const server_pending& pending,
                         const std::string& finish_text);

} // namespace courier::protocol
