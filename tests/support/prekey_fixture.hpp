#pragma once

// What a device publishes at its router (a prekey_upload), made from the
// devices of device_fixture.hpp, and the public key its user signs in with.

#include <string>

#include "actors/protocol/bundle.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/device_fixture.hpp"

namespace courier::test {

/// `count` fresh one-time prekeys with ids `first`, `first + 1`, ...
inline std::vector<protocol::x3dh::prekey> one_time_prekeys(size_t count,
                                                            uint32_t first) {
  std::vector<protocol::x3dh::prekey> out;
  for (size_t i = 0; i < count; ++i) {
    auto k = crypto::generate_x25519().value();
    out.push_back({first + static_cast<uint32_t>(i),
                   crypto::x25519_public_raw(k).value()});
  }
  return out;
}

/// `dev`'s certificate and signed prekey with `count` one-time prekeys.
inline protocol::prekey_upload upload_of(const device& dev, size_t count = 0,
                                         uint32_t first = 100) {
  protocol::prekey_upload up;
  up.device = dev.cert;
  up.signed_prekey = dev.bundle.signed_prekey;
  up.prekey_signature = dev.bundle.prekey_signature;
  up.one_time = one_time_prekeys(count, first);
  return up;
}

/// The SPKI DER of `who`'s RSA identity: what the directory binds the
/// name to when `who` signs in.
inline std::string identity_der(const std::string& who) {
  auto der = rsa(who).public_der().value();
  return {der.begin(), der.end()};
}

} // namespace courier::test
