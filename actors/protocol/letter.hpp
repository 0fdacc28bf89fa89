#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::protocol {

using crypto::bytes;
using crypto::key;

/// The end-to-end content of one message; the router never sees it.
struct letter {
  std::string from;
  std::string to;
  int64_t ts = 0;       ///< sender's clock, milliseconds since the epoch
  std::string msg_id;   ///< sender-chosen unique id, receivers drop repeats
  std::string body;
};

/// One reader of a sealed letter: a username and their RSA public key.
struct reader {
  std::string user;
  key public_key;
};

/// Seals a letter (blob format v1, a JSON text):
/// `{"v":1,"keys":{user: b64(OAEP(content key))...},"iv":b64,"ct":b64}`
/// where ct = AES-256-GCM(content key, iv, aad "courier-letter-v1",
/// `{"inner":"<inner JSON text>","sig":b64(sign(sender, inner))}`).
/// A fresh content key per letter; it is wiped afterwards.
caf::expected<std::string> seal_letter(const letter& content,
                                       const key& sender_private,
                                       const std::vector<reader>& readers);

/// A letter that was decrypted but whose signature is not yet checked.
struct opened_letter {
  letter content;
  std::string inner;   ///< the signed inner JSON text, verbatim
  bytes signature;
};

/// Decrypts a blob with the wrapped key for `me`. Fails closed on any
/// malformed, oversize, tampered or foreign blob (no key for `me`).
caf::expected<opened_letter> open_letter(const std::string& blob,
                                         const std::string& me,
                                         const key& my_private);

/// Checks the sender's signature over the inner text.
bool verify_letter(const opened_letter& opened, const key& sender_public);

} // namespace courier::protocol
