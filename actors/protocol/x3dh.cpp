#include "actors/protocol/x3dh.hpp"

#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/big_endian.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"

namespace courier::protocol::x3dh {

namespace {

using namespace big_endian;
using crypto::byte_view;
using crypto::bytes;
using crypto::secret;

constexpr size_t key_size = 32;
constexpr char device_label[] = "Courier device certificate v2";
constexpr char spk_label[] = "Courier signed prekey v2";
// Section 2.1: the application's info string for the KDF.
constexpr char kdf_info[] = "Courier X3DH v2";

caf::expected<secret> dh(const crypto::key& own, const bytes& their_raw) {
  auto theirs = crypto::x25519_from_raw(their_raw);
  if (!theirs)
    return make_error(errc::bad_key, "an X3DH key is not an X25519 key");
  return crypto::x25519_derive(own, *theirs);
}

// Section 2.2 KDF: HKDF-SHA256 over F || KM, with F 32 0xFF bytes (for
// X25519), a zero salt of the hash's length and the info string.
caf::expected<secret> kdf(const std::vector<const secret*>& dhs) {
  bytes ikm(key_size, 0xFF);
  for (auto* d : dhs)
    ikm.insert(ikm.end(), d->data(), d->data() + d->size());
  static constexpr uint8_t zero_salt[key_size] = {};
  auto sk = crypto::hkdf_sha256(ikm, byte_view{zero_salt, key_size}, kdf_info,
                                key_size);
  crypto::wipe(ikm.data(), ikm.size());
  return sk;
}

// Section 3.3: AD = Encode(IK_A) || Encode(IK_B), extended (as the section
// allows) with both users' names and device ids.
bytes associated_data(const device_certificate& a,
                      const device_certificate& b) {
  bytes ad;
  ad.insert(ad.end(), a.identity.begin(), a.identity.end());
  ad.insert(ad.end(), b.identity.begin(), b.identity.end());
  put_field(ad, a.user);
  put_u32(ad, a.device);
  put_field(ad, b.user);
  put_u32(ad, b.device);
  return ad;
}

caf::error check_sizes(const device_certificate& cert) {
  if (cert.identity.size() != key_size || cert.signing.size() != key_size)
    return make_error(errc::bad_key, "a device key is not 32 bytes");
  return caf::none;
}

} // namespace

bytes signed_part(const device_certificate& cert) {
  bytes out;
  put_field(out, device_label);
  put_field(out, cert.user);
  put_u32(out, cert.device);
  put_field(out, cert.identity);
  put_field(out, cert.signing);
  put_u64(out, static_cast<uint64_t>(cert.created_ms));
  return out;
}

caf::expected<std::pair<device_keys, device_certificate>>
make_device(const crypto::key& rsa_identity, const std::string& user,
            uint32_t device, int64_t now_ms) {
  auto ik = crypto::generate_x25519();
  if (!ik)
    return ik.error();
  auto sk = crypto::generate_ed25519();
  if (!sk)
    return sk.error();
  auto ik_raw = crypto::x25519_public_raw(*ik);
  if (!ik_raw)
    return ik_raw.error();
  auto sk_raw = crypto::ed25519_public_raw(*sk);
  if (!sk_raw)
    return sk_raw.error();
  device_certificate cert{user, device, std::move(*ik_raw), std::move(*sk_raw),
                          now_ms, {}};
  auto sig = crypto::sign(rsa_identity, signed_part(cert));
  if (!sig)
    return sig.error();
  cert.signature = std::move(*sig);
  return std::make_pair(device_keys{std::move(*ik), std::move(*sk)},
                        std::move(cert));
}

caf::error verify(const device_certificate& cert,
                  const crypto::key& pinned_identity,
                  const std::string& user) {
  if (cert.user != user)
    return make_error(errc::bad_signature,
                      "a device certificate for another user");
  if (auto err = check_sizes(cert))
    return err;
  if (!crypto::is_rsa_identity(pinned_identity)
      || !crypto::verify(pinned_identity, signed_part(cert), cert.signature))
    return make_error(errc::bad_signature,
                      "the device is not certified by " + user + "'s key");
  return caf::none;
}

bytes spk_part(const device_certificate& device, const prekey& spk) {
  bytes out;
  put_field(out, spk_label);
  put_field(out, device.identity);
  put_u32(out, spk.id);
  put_field(out, spk.key);
  return out;
}

caf::error verify_prekey(const device_certificate& device, const prekey& spk,
                         const bytes& signature) {
  auto device_key = crypto::ed25519_from_raw(device.signing);
  if (!device_key)
    return make_error(errc::bad_key, "the device signing key is not usable");
  if (!crypto::verify(*device_key, spk_part(device, spk), signature))
    return make_error(errc::bad_signature,
                      "the signed prekey is not signed by the device");
  return caf::none;
}

caf::expected<bytes> sign_prekey(const device_keys& keys,
                                 const device_certificate& device,
                                 const prekey& spk) {
  return crypto::sign(keys.signing, spk_part(device, spk));
}

caf::expected<std::pair<initiation, agreement>>
initiate(const device_keys& own, const device_certificate& own_cert,
         const bundle& theirs, const crypto::key& their_identity,
         const std::string& their_user, const key_source& keys) {
  // Section 3.3: verify the prekey signature first, and abort if it fails;
  // here the device key that signed it is verified against the RSA
  // identity before that.
  if (auto err = verify(theirs.device, their_identity, their_user))
    return err;
  if (auto err = verify_prekey(theirs.device, theirs.signed_prekey,
                               theirs.prekey_signature))
    return err;
  auto ek = keys.x25519();
  if (!ek)
    return ek.error();
  auto ek_raw = crypto::x25519_public_raw(*ek);
  if (!ek_raw)
    return ek_raw.error();
  // DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B),
  // DH4 = DH(EK_A, OPK_B) when there is a one-time prekey.
  auto dh1 = dh(own.identity, theirs.signed_prekey.key);
  auto dh2 = dh(*ek, theirs.device.identity);
  auto dh3 = dh(*ek, theirs.signed_prekey.key);
  if (!dh1 || !dh2 || !dh3)
    return make_error(errc::bad_key, "a bundle key is not usable");
  std::vector<const secret*> parts{&*dh1, &*dh2, &*dh3};
  caf::expected<secret> dh4{secret{}};
  if (theirs.one_time) {
    dh4 = dh(*ek, theirs.one_time->key);
    if (!dh4)
      return make_error(errc::bad_key, "the one-time prekey is not usable");
    parts.push_back(&*dh4);
  }
  auto sk = kdf(parts);
  if (!sk)
    return sk.error();
  // The ephemeral private key and the DH outputs go out of scope here and
  // are wiped (section 3.3: "deletes her ephemeral private key").
  initiation msg{own_cert, std::move(*ek_raw), theirs.signed_prekey.id,
                 std::nullopt};
  if (theirs.one_time)
    msg.one_time = theirs.one_time->id;
  return std::make_pair(
    std::move(msg),
    agreement{std::move(*sk), associated_data(own_cert, theirs.device)});
}

caf::expected<agreement>
respond(const device_keys& own, const device_certificate& own_cert,
        const crypto::key& signed_prekey,
        const std::optional<crypto::key>& one_time, const initiation& msg) {
  // Section 3.4: the same DH values from Bob's side.
  if (auto err = check_sizes(msg.sender))
    return err;
  if (msg.one_time.has_value() != one_time.has_value())
    return make_error(errc::decrypt_failed,
                      "the one-time prekey the message names is gone");
  auto dh1 = dh(signed_prekey, msg.sender.identity);
  auto dh2 = dh(own.identity, msg.ephemeral);
  auto dh3 = dh(signed_prekey, msg.ephemeral);
  if (!dh1 || !dh2 || !dh3)
    return make_error(errc::bad_key, "an initiation key is not usable");
  std::vector<const secret*> parts{&*dh1, &*dh2, &*dh3};
  caf::expected<secret> dh4{secret{}};
  if (one_time) {
    dh4 = dh(*one_time, msg.ephemeral);
    if (!dh4)
      return make_error(errc::bad_key, "an initiation key is not usable");
    parts.push_back(&*dh4);
  }
  auto sk = kdf(parts);
  if (!sk)
    return sk.error();
  return agreement{std::move(*sk), associated_data(msg.sender, own_cert)};
}

} // namespace courier::protocol::x3dh
