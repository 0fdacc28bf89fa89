#pragma once

// A device of the end-to-end v2 tests: an RSA identity (2048 bits, made
// once per name per test program), its certified device keys, a signed
// prekey and a one-time prekey, and the bundle a router would hand out.

#include <map>
#include <string>

#include "actors/protocol/x3dh.hpp"
#include "crypto/key.hpp"
#include "crypto/x25519.hpp"

namespace courier::test {

inline constexpr int64_t t0 = 1'700'000'000'000;

inline const crypto::key& rsa(const std::string& who) {
  static std::map<std::string, crypto::key> keys;
  auto& k = keys[who];
  if (!k)
    k = crypto::generate_rsa(2048).value();
  return k;
}

/// A device with its signed prekey and one one-time prekey.
struct device {
  protocol::x3dh::device_keys keys;
  protocol::x3dh::device_certificate cert;
  crypto::key spk;
  crypto::key opk;
  protocol::x3dh::bundle bundle;

  explicit device(const std::string& user) {
    auto made = protocol::x3dh::make_device(rsa(user), user, 1, t0).value();
    keys = std::move(made.first);
    cert = std::move(made.second);
    spk = crypto::generate_x25519().value();
    opk = crypto::generate_x25519().value();
    bundle.device = cert;
    bundle.signed_prekey = {7, crypto::x25519_public_raw(spk).value()};
    bundle.prekey_signature =
      protocol::x3dh::sign_prekey(keys, cert, bundle.signed_prekey).value();
    bundle.one_time = protocol::x3dh::prekey{42, crypto::x25519_public_raw(opk).value()};
  }
};

} // namespace courier::test
