#pragma once

#include <string>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier {

/// The router's own identity: an Ed25519 key that signs handshakes.
struct server_identity {
  crypto::key key;
  crypto::bytes der; ///< SPKI DER of the public half, sent in every hello
  std::string name;  ///< shown to clients in `welcome`
};

} // namespace courier
