#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  caf::error seal(std::string_view plaintext, std::string& out);

  /// Seals the next outgoing frame and appends it, with its length prefix,
  /// to `out`; on failure `out` is as it was.
  caf::error seal_frame(std::string_view plaintext, std::vector<char>& out);

  /// Opens the next incoming frame.
  caf::error open(std::string_view sealed, std::string& out);

  /// Frees the cipher contexts (~2.3 KB) of a quiet channel;
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

  caf::error seal_to(std::string_view plaintext, char* out);
};

} // namespace courier::protocol
