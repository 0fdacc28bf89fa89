#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "actors/protocol/letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"

namespace courier::protocol {

/// Ratchet letters (blob version 3): one device's message to another inside
/// a ratchet session.
/// The blob the router carries is
/// `{"v":3,"from_device":N,"to_device":N,"x3dh":{...}?,"h":b64,"ct":b64}`:
/// `h` is the 40-byte ratchet header, `ct` the ratchet ciphertext of the
/// inner letter `{"from","to","ts","msg_id","body","sig"?}`, and `x3dh` the
/// initiation, sent with every message until the first reply arrives.
/// Chat letters carry no signature: the session alone authenticates them,
/// so they prove nothing to a third party. Bank orders and receipts carry
/// `sig`, the sender device's Ed25519 signature over `signed_letter_part`,
/// which anyone holding the device certificate can check.

/// The blob version of ratchet letters (1 and 2 are RSA letters).
constexpr int64_t ratchet_letter_version = 3;

/// The `v` of a blob (1 to 3), or `bad_encoding`.
caf::expected<int64_t> letter_version(const std::string& blob);

/// A ratchet letter as it arrives, before anything is decrypted.
struct ratchet_letter_blob {
  uint32_t from_device = 0;
  uint32_t to_device = 0;
  std::optional<x3dh::initiation> initiation;
  ratchet::message message;
};

/// Strict parsing: sizes, fields, nothing unknown (`bad_encoding`).
caf::expected<ratchet_letter_blob> parse_ratchet_letter(const std::string& blob);

/// The blob for `msg` (the ratchet has already encrypted the inner text).
std::string write_ratchet_letter(const ratchet_letter_blob& msg);

/// What a device signature covers: a label and every letter field.
crypto::bytes signed_letter_part(const letter& content);

/// Encrypts `content` with the session (signed by `signing` if given) into
/// a ratchet letter. The caller stores the session's new state before the blob
/// leaves.
caf::expected<std::string>
seal_ratchet_letter(const letter& content, ratchet::session& session,
               const crypto::bytes& ad, uint32_t from_device,
               uint32_t to_device,
               const std::optional<x3dh::initiation>& initiation,
               const crypto::key* signing = nullptr);

/// A ratchet letter as opened: its content and the signature, if it had one.
struct opened_ratchet_letter {
  letter content;
  std::optional<crypto::bytes> signature;
};

/// Decrypts a parsed blob with the session; on any failure the session is
/// unchanged (`decrypt_failed`, or `bad_encoding` for a malformed inside).
caf::expected<opened_ratchet_letter> open_ratchet_letter(const ratchet_letter_blob& blob,
                                               ratchet::session& session,
                                               const crypto::bytes& ad,
                                               int64_t now_ms);

/// Checks a letter's device signature against a certified device.
bool verify_ratchet_letter(const opened_ratchet_letter& opened,
                      const x3dh::device_certificate& device);

} // namespace courier::protocol
