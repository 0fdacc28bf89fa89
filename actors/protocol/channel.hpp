#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"

namespace courier::protocol {

/// The traffic keys of one session, one per direction.
struct traffic_keys {
  crypto::secret send;
  crypto::secret receive;
};

/// AES-256-GCM session frames. Nonces are a per-direction counter, so a
/// replayed, dropped, reordered or reflected frame fails to open; after
/// one failure the channel refuses everything.
class channel {
public:
  channel() = default;
  /// Sets up both directions; the keys live on only inside OpenSSL.
  explicit channel(traffic_keys keys);

  /// Seals the next outgoing frame.
  caf::error seal(const std::string& plaintext, std::string& out);

  /// Opens the next incoming frame.
  caf::error open(const std::string& sealed, std::string& out);

  bool ready() const { return send_ && receive_ && !broken_; }

private:
  crypto::aead_cipher send_;
  crypto::aead_cipher receive_;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  bool broken_ = false;
  crypto::bytes scratch_;
};

} // namespace courier::protocol
