#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <caf/expected.hpp>

#include "actors/protocol/key_source.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::protocol {

/// X3DH (Signal, "The X3DH Key Agreement Protocol", revision 1, 2016-11-04)
/// on X25519 and HKDF-SHA256, with one change the specification allows for:
/// the identity key IK is an X25519 key, and what XEdDSA signs in section
/// 2.1 is signed here by a separate Ed25519 device key. Both belong to one
/// device and are certified together by the user's RSA identity, the key
/// people compare and pin. Comments cite the section each step implements.
namespace x3dh {

/// A device's public keys, certified by its user's RSA identity key with
/// one RSA-PSS signature.
struct device_certificate {
  std::string user;
  uint32_t device = 0;
  crypto::bytes identity;    ///< IK: X25519, 32 raw bytes
  crypto::bytes signing;     ///< Ed25519, 32 raw bytes
  int64_t created_ms = 0;
  crypto::bytes signature;   ///< RSA-PSS over `signed_part`
};

/// What the RSA identity signs: a label, then every field, length-prefixed.
crypto::bytes signed_part(const device_certificate& cert);

/// A device's private keys.
struct device_keys {
  crypto::key identity; ///< X25519
  crypto::key signing;  ///< Ed25519
};

/// Makes a device's keys and their certificate signed by `rsa_identity`.
caf::expected<std::pair<device_keys, device_certificate>>
make_device(const crypto::key& rsa_identity, const std::string& user,
            uint32_t device, int64_t now_ms);

/// Checks a certificate against the user's pinned RSA identity key: the
/// name, the signature and the key sizes (`bad_signature`, `bad_key`).
caf::error verify(const device_certificate& cert,
                  const crypto::key& pinned_identity,
                  const std::string& user);

/// A signed prekey (section 2.2 SPK) or one-time prekey (OPK), public half.
struct prekey {
  uint32_t id = 0;
  crypto::bytes key; ///< X25519, 32 raw bytes
};

/// What a router hands out for a device (section 3.2).
struct bundle {
  device_certificate device;
  prekey signed_prekey;
  crypto::bytes prekey_signature; ///< Ed25519 by the device, `spk_part`
  std::optional<prekey> one_time;
};

/// What the device key signs for a signed prekey (Sig(IK, Encode(SPK))).
crypto::bytes spk_part(const device_certificate& device, const prekey& spk);

/// Checks that `signature` is the certified device's signature of `spk`
/// (`bad_signature`, or `bad_key` for an unusable device key). The
/// certificate itself is checked by `verify`.
caf::error verify_prekey(const device_certificate& device, const prekey& spk,
                         const crypto::bytes& signature);

/// Signs a signed prekey with the device's Ed25519 key.
caf::expected<crypto::bytes> sign_prekey(const device_keys& keys,
                                         const device_certificate& device,
                                         const prekey& spk);

/// What the initiator sends with its first message (section 3.3): its
/// certificate, its ephemeral key and which of the bundle's prekeys it used.
struct initiation {
  device_certificate sender;
  crypto::bytes ephemeral; ///< EK_A, 32 raw bytes
  uint32_t signed_prekey = 0;
  std::optional<uint32_t> one_time;
};

/// What both sides end with: the shared secret SK and the associated data
/// AD (section 3.3), which the ratchet binds into every message.
struct agreement {
  crypto::secret sk;
  crypto::bytes ad;
};

/// Alice (section 3.3): verifies the bundle (the certificate against Bob's
/// pinned RSA identity, the prekey signature against the certified device
/// key) and computes SK with or without a one-time prekey. The ephemeral
/// key EK_A comes from `keys` (OpenSSL unless a test vector fixes it).
caf::expected<std::pair<initiation, agreement>>
initiate(const device_keys& own, const device_certificate& own_cert,
         const bundle& theirs, const crypto::key& their_identity,
         const std::string& their_user, const key_source& keys = {});

/// Bob (section 3.4): `sender` must already be verified against Alice's
/// pinned identity by the caller. `one_time` is the private one-time
/// prekey the initiation names (the caller deletes it afterwards).
caf::expected<agreement>
respond(const device_keys& own, const device_certificate& own_cert,
        const crypto::key& signed_prekey,
        const std::optional<crypto::key>& one_time, const initiation& msg);

} // namespace x3dh

} // namespace courier::protocol
