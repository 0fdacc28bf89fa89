#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "actors/protocol/letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"

namespace courier::protocol {

/// Letter v2: one device's message to another inside a ratchet session.
/// The blob the router carries is
/// `{"v":2,"from_device":N,"to_device":N,"x3dh":{...}?,"h":b64,"ct":b64}`:
/// `h` is the 40-byte ratchet header, `ct` the ratchet ciphertext of the
/// inner letter `{"from","to","ts","msg_id","body","sig"?}`, and `x3dh` the
/// initiation, sent with every message until the first reply arrives.
/// Chat letters carry no signature: the session alone authenticates them,
/// so they prove nothing to a third party. Bank orders and receipts carry
/// `sig`, the sender device's Ed25519 signature over `signed_letter_part`,
/// which anyone holding the device certificate can check.

/// The blob version number of letter v2.
constexpr int64_t letter_v2 = 2;

/// The `v` of a blob (1 or 2), or `bad_encoding`.
caf::expected<int64_t> letter_version(const std::string& blob);

/// A v2 blob as it arrives, before anything is decrypted.
struct letter_v2_blob {
  uint32_t from_device = 0;
  uint32_t to_device = 0;
  std::optional<x3dh::initiation> initiation;
  ratchet::message message;
};

/// Strict parsing: sizes, fields, nothing unknown (`bad_encoding`).
caf::expected<letter_v2_blob> parse_letter_v2(const std::string& blob);

/// The blob for `msg` (the ratchet has already encrypted the inner text).
std::string write_letter_v2(const letter_v2_blob& msg);

/// What a device signature covers: a label and every letter field.
crypto::bytes signed_letter_part(const letter& content);

/// Encrypts `content` with the session (signed by `signing` if given) into
/// a v2 blob. The caller stores the session's new state before the blob
/// leaves.
caf::expected<std::string>
seal_letter_v2(const letter& content, ratchet::session& session,
               const crypto::bytes& ad, uint32_t from_device,
               uint32_t to_device,
               const std::optional<x3dh::initiation>& initiation,
               const crypto::key* signing = nullptr);

/// A v2 letter as opened: its content and the signature, if it had one.
struct opened_letter_v2 {
  letter content;
  std::optional<crypto::bytes> signature;
};

/// Decrypts a parsed blob with the session; on any failure the session is
/// unchanged (`decrypt_failed`, or `bad_encoding` for a malformed inside).
caf::expected<opened_letter_v2> open_letter_v2(const letter_v2_blob& blob,
                                               ratchet::session& session,
                                               const crypto::bytes& ad,
                                               int64_t now_ms);

/// Checks a letter's device signature against a certified device.
bool verify_letter_v2(const opened_letter_v2& opened,
                      const x3dh::device_certificate& device);

} // namespace courier::protocol
