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
  /// Sets up both directions. The keyed OpenSSL contexts are made on first
  /// use and can be released while the channel is quiet.
  explicit channel(traffic_keys keys);

  /// Seals the next outgoing frame.
  caf::error seal(const std::string& plaintext, std::string& out);

  /// Opens the next incoming frame.
  caf::error open(const std::string& sealed, std::string& out);

  /// Frees the cipher contexts and buffers (~2.5 KB) of a quiet channel;
  /// the next frame keys a context again (a few microseconds).
  void release();

  bool ready() const { return !keys_.send.empty() && !broken_; }

  /// True while a cipher context is keyed (see release()).
  bool holds_contexts() const {
    return static_cast<bool>(send_) || static_cast<bool>(receive_);
  }

private:
  traffic_keys keys_; ///< wiped when the channel goes
  crypto::aead_cipher send_;
  crypto::aead_cipher receive_;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  bool broken_ = false;
  crypto::bytes scratch_;
};

} // namespace courier::protocol
