// Unit tests for actors/protocol/x3dh: device certificates rooted in the RSA
// identity, prekey bundles, and the key agreement feeding the Double Ratchet.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "actors/common/error.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/device_fixture.hpp"

using namespace courier;
using namespace courier::protocol;
using courier::crypto::bytes;
using namespace courier::test;

namespace {

errc code_of_result(const caf::error& err) {
  return code_of(err);
}

// Both sides agree, and the agreement starts a working ratchet.
void expect_session_works(device& alice, device& bob, bool with_one_time) {
  if (!with_one_time)
    bob.bundle.one_time.reset();
  auto started = x3dh::initiate(alice.keys, alice.cert, bob.bundle,
                                rsa("bob"), "bob");
  ASSERT_TRUE(started) << explain(started.error());
  auto& [init, ours] = *started;
  EXPECT_EQ(init.one_time.has_value(), with_one_time);
  ASSERT_FALSE(x3dh::verify(init.sender, rsa("alice"), "alice"));
  std::optional<crypto::key> opk;
  if (init.one_time)
    opk = bob.opk;
  auto theirs = x3dh::respond(bob.keys, bob.cert, bob.spk, opk, init);
  ASSERT_TRUE(theirs) << explain(theirs.error());
  EXPECT_TRUE(crypto::equal_ct(ours.sk, theirs->sk));
  EXPECT_EQ(ours.ad, theirs->ad);
  auto a = ratchet::session::init_alice(ours.sk, bob.bundle.signed_prekey.key);
  auto b = ratchet::session::init_bob(theirs->sk, bob.spk);
  ASSERT_TRUE(a && b);
  auto m = a->encrypt(std::string{"hello bob"}, ours.ad);
  ASSERT_TRUE(m);
  auto p = b->decrypt(*m, theirs->ad, t0);
  ASSERT_TRUE(p) << explain(p.error());
  EXPECT_EQ(std::string(p->begin(), p->end()), "hello bob");
}

TEST(X3dh, WithAOneTimePrekey) {
  device alice{"alice"}, bob{"bob"};
  expect_session_works(alice, bob, true);
}

TEST(X3dh, WithoutAOneTimePrekey) {
  device alice{"alice"}, bob{"bob"};
  expect_session_works(alice, bob, false);
}

TEST(X3dh, TheOneTimePrekeyChangesTheSecret) {
  device alice{"alice"}, bob{"bob"};
  auto with = x3dh::initiate(alice.keys, alice.cert, bob.bundle, rsa("bob"),
                             "bob");
  ASSERT_TRUE(with);
  // Bob no longer has the one-time prekey the message names: refused, not
  // silently opened with another secret.
  auto gone = x3dh::respond(bob.keys, bob.cert, bob.spk, std::nullopt,
                            with->first);
  ASSERT_FALSE(gone);
  EXPECT_EQ(code_of_result(gone.error()), errc::decrypt_failed);
  // Using another one-time key gives another secret.
  auto other = crypto::generate_x25519().value();
  auto wrong = x3dh::respond(bob.keys, bob.cert, bob.spk, other, with->first);
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(crypto::equal_ct(wrong->sk, with->second.sk));
}

TEST(X3dh, ACertificateNotSignedByThePinnedIdentityIsRefused) {
  device alice{"alice"}, bob{"bob"};
  // mallory certifies a device under bob's name with her own RSA key.
  device fake{"mallory"};
  fake.bundle.device.user = "bob";
  auto r = x3dh::initiate(alice.keys, alice.cert, fake.bundle, rsa("bob"),
                          "bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of_result(r.error()), errc::bad_signature);
  // bob's real certificate checked against the wrong pinned key.
  r = x3dh::initiate(alice.keys, alice.cert, bob.bundle, rsa("mallory"), "bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of_result(r.error()), errc::bad_signature);
  // A real certificate of someone else, offered as bob's.
  r = x3dh::initiate(alice.keys, alice.cert, fake.bundle, rsa("mallory"), "bob");
  ASSERT_FALSE(r);
}

TEST(X3dh, AnyChangeToTheCertificateBreaksIt) {
  device bob{"bob"};
  ASSERT_FALSE(x3dh::verify(bob.cert, rsa("bob"), "bob"));
  auto flip = [&](auto change) {
    auto c = bob.cert;
    change(c);
    return x3dh::verify(c, rsa("bob"), "bob");
  };
  EXPECT_TRUE(flip([](auto& c) { c.identity[0] ^= 1; }));
  EXPECT_TRUE(flip([](auto& c) { c.signing[31] ^= 1; }));
  EXPECT_TRUE(flip([](auto& c) { c.device = 2; }));
  EXPECT_TRUE(flip([](auto& c) { c.created_ms += 1; }));
  EXPECT_TRUE(flip([](auto& c) { c.signature[10] ^= 1; }));
  EXPECT_TRUE(flip([](auto& c) { c.identity.pop_back(); }));
  EXPECT_TRUE(flip([](auto& c) { c.user = "bobb"; }));
}

TEST(X3dh, AForgedPrekeySignatureIsRefused) {
  device alice{"alice"}, bob{"bob"}, mallory{"mallory"};
  // The router swaps in its own signed prekey.
  auto forged = bob.bundle;
  forged.signed_prekey = mallory.bundle.signed_prekey;
  auto r = x3dh::initiate(alice.keys, alice.cert, forged, rsa("bob"), "bob");
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of_result(r.error()), errc::bad_signature);
  // ... or signs it with another device's key.
  forged.prekey_signature = mallory.bundle.prekey_signature;
  r = x3dh::initiate(alice.keys, alice.cert, forged, rsa("bob"), "bob");
  ASSERT_FALSE(r);
  // The prekey id is signed too.
  forged = bob.bundle;
  forged.signed_prekey.id += 1;
  r = x3dh::initiate(alice.keys, alice.cert, forged, rsa("bob"), "bob");
  ASSERT_FALSE(r);
}

TEST(X3dh, ASmallOrderKeyIsRefused) {
  device alice{"alice"}, bob{"bob"};
  auto bad = bob.bundle;
  bad.one_time->key.assign(32, 0); // the all-zero point
  auto r = x3dh::initiate(alice.keys, alice.cert, bad, rsa("bob"), "bob");
  ASSERT_FALSE(r);
  auto started = x3dh::initiate(alice.keys, alice.cert, bob.bundle, rsa("bob"),
                                "bob");
  ASSERT_TRUE(started);
  auto msg = started->first;
  msg.ephemeral.assign(32, 0);
  EXPECT_FALSE(x3dh::respond(bob.keys, bob.cert, bob.spk, bob.opk, msg));
  msg.ephemeral.resize(5);
  EXPECT_FALSE(x3dh::respond(bob.keys, bob.cert, bob.spk, bob.opk, msg));
}

} // namespace

