#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
  /// A control letter between clients (a read receipt, a typing
  /// indicator), never a message: the inner field `"control":true`, set
  /// only by the client itself, so no text a person types can pass for one.
  bool control = false;
};

/// One reader of a sealed letter: a username and their RSA public key.
struct reader {
  std::string user;
  key public_key;
};

/// Seals a letter (blob format v2, a JSON text):
/// `{"v":2,"from":sender,"keys":{user: b64(OAEP(content key))...},
///   "iv":b64,"ct":b64,"sig":b64}` where ct = AES-256-GCM(content key, iv,
/// aad "courier-letter-v2", inner JSON `{from,to,ts,msg_id,body}`) and sig
/// is the sender's signature over signed_bytes(from, keys, iv, ct): outside
/// the encryption, so that a reader checks it with a public-key operation
/// before spending a private one. A fresh content key per letter; it is
/// wiped afterwards.
caf::expected<std::string> seal_letter(const letter& content,
                                       const key& sender_private,
                                       const std::vector<reader>& readers);

/// A blob whose structure, sizes and sender's signature are checked; no
/// private-key work has been done on it yet.
struct checked_letter {
  std::string from;  ///< the sender, as the blob and its signature say
  bytes wrapped_key; ///< the content key wrapped to this reader
  bytes iv;
  bytes ct;
};

/// Checks a blob before any private-key operation: its size and layout,
/// that it is from `from` and names `me` as a reader, every field's size,
/// and the signature with `sender_public` (a public-key operation). A
/// forged, foreign or malformed blob is refused here, cheaply.
caf::expected<checked_letter> check_letter(const std::string& blob,
                                           const std::string& me,
                                           const std::string& from,
                                           const key& sender_public);

/// Unwraps the content key with `my_private` (the one RSA private
/// operation), decrypts and parses; the inner `from` must match.
caf::expected<letter> open_checked_letter(const checked_letter& checked,
                                          const key& my_private);

/// Whether a blob is a letter v1, judged by its first bytes only, exactly
/// as `seal_letter` wrote them: routers refuse these at `send` at no cost
/// to the relay, and readers open only these the old way.
bool is_legacy_letter(std::string_view blob);

/// check_letter, then open_checked_letter; a v1 blob (written before v2,
/// still waiting in a queue) is opened the old way: unwrap, then check.
caf::expected<letter> open_letter(const std::string& blob,
                                  const std::string& me,
                                  const std::string& from,
                                  const key& sender_public,
                                  const key& my_private);

} // namespace courier::protocol
