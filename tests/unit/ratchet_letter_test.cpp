// Unit tests for actors/protocol/ratchet_letter_version: letters inside ratchet
// sessions, deniable chat and signed orders.

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "tests/support/device_fixture.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;
using courier::crypto::bytes;

namespace {

/// alice and bob with a ratchet session from X3DH.
struct conversation {
  device alice{"alice"};
  device bob{"bob"};
  x3dh::initiation init;
  bytes ad;
  ratchet::session a, b;

  conversation() {
    auto started = x3dh::initiate(alice.keys, alice.cert, bob.bundle,
                                  rsa("bob"), "bob")
                     .value();
    init = started.first;
    ad = started.second.ad;
    a = std::move(*ratchet::session::init_alice(started.second.sk,
                                                bob.bundle.signed_prekey.key));
  }

  // Bob's side of the first message: verify, respond, open.
  caf::expected<opened_ratchet_letter> bob_opens(const std::string& blob) {
    auto parsed = parse_ratchet_letter(blob);
    if (!parsed)
      return parsed.error();
    if (parsed->initiation) {
      if (auto err = x3dh::verify(parsed->initiation->sender, rsa("alice"),
                                  "alice"))
        return err;
      auto agreed = x3dh::respond(bob.keys, bob.cert, bob.spk, bob.opk,
                                  *parsed->initiation);
      if (!agreed)
        return agreed.error();
      b = std::move(*ratchet::session::init_bob(agreed->sk, bob.spk));
    }
    return open_ratchet_letter(*parsed, b, ad, t0);
  }
};

TEST(RatchetLetter, ChatIsUnsignedAndOrdersAreSigned) {
  conversation c;
  letter chat{"alice", "bob", t0, "m1", "hi bob"};
  auto blob = seal_ratchet_letter(chat, c.a, c.ad, 1, 1, c.init);
  ASSERT_TRUE(blob) << explain(blob.error());
  EXPECT_EQ(letter_version(*blob).value(), 3);
  EXPECT_EQ(blob->find("hi bob"), std::string::npos);
  auto opened = c.bob_opens(*blob);
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_EQ(opened->content.body, "hi bob");
  EXPECT_EQ(opened->content.msg_id, "m1");
  EXPECT_FALSE(opened->signature); // deniable: nothing to show anyone
  EXPECT_FALSE(verify_ratchet_letter(*opened, c.alice.cert));
  letter order{"alice", "bob", t0 + 1, "m2", R"({"bank":1,"type":"balance"})"};
  blob = seal_ratchet_letter(order, c.a, c.ad, 1, 1, c.init, &c.alice.keys.signing);
  ASSERT_TRUE(blob);
  opened = c.bob_opens(*blob);
  ASSERT_TRUE(opened) << explain(opened.error());
  ASSERT_TRUE(opened->signature);
  // Anyone with alice's certificate (checked against her RSA key) can
  // check it; a changed body or another device cannot pass.
  EXPECT_TRUE(verify_ratchet_letter(*opened, c.alice.cert));
  EXPECT_FALSE(verify_ratchet_letter(*opened, c.bob.cert));
  auto changed = *opened;
  changed.content.body = R"({"bank":1,"type":"history"})";
  EXPECT_FALSE(verify_ratchet_letter(changed, c.alice.cert));
}

// A control letter (receipt, typing) is marked inside the letter, where
// no chat text reaches: the same body in a chat letter stays chat.
TEST(RatchetLetter, TheControlMarkTravelsInsideAndChatNeverHasIt) {
  conversation c;
  std::string body = R"({"v":1,"type":"typing"})";
  letter chat{"alice", "bob", t0, "m1", body};
  auto opened = c.bob_opens(*seal_ratchet_letter(chat, c.a, c.ad, 1, 1, c.init));
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_EQ(opened->content.body, body);
  EXPECT_FALSE(opened->content.control);
  letter typing{"alice", "bob", t0 + 1, "m2", body, true};
  opened = c.bob_opens(*seal_ratchet_letter(typing, c.a, c.ad, 1, 1, c.init));
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_TRUE(opened->content.control);
  // A signature covers the mark: a signed letter cannot change kind.
  auto blob = seal_ratchet_letter(typing, c.a, c.ad, 1, 1, c.init,
                                  &c.alice.keys.signing);
  opened = c.bob_opens(*blob);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(verify_ratchet_letter(*opened, c.alice.cert));
  opened->content.control = false;
  EXPECT_FALSE(verify_ratchet_letter(*opened, c.alice.cert));
}

TEST(RatchetLetter, MalformedBlobsAreRefused) {
  conversation c;
  auto blob = seal_ratchet_letter({"alice", "bob", t0, "m1", "x"}, c.a, c.ad, 1, 1,
                             c.init)
                .value();
  auto good = boost::json::parse(blob).as_object();
  auto refused = [&](auto change) {
    auto obj = good;
    change(obj);
    return !parse_ratchet_letter(boost::json::serialize(obj));
  };
  EXPECT_TRUE(parse_ratchet_letter(blob));
  EXPECT_TRUE(refused([](auto& o) { o["v"] = 2; }));
  EXPECT_TRUE(refused([](auto& o) { o["h"] = "AAAA"; }));
  EXPECT_TRUE(refused([](auto& o) { o["ct"] = "%%"; }));
  EXPECT_TRUE(refused([](auto& o) { o["from_device"] = -1; }));
  EXPECT_TRUE(refused([](auto& o) { o["to_device"] = 1LL << 33; }));
  EXPECT_TRUE(refused([](auto& o) { o["x3dh"] = 5; }));
  EXPECT_TRUE(refused([](auto& o) { o["x3dh"].as_object()["ek"] = "AA=="; }));
  EXPECT_TRUE(refused([](auto& o) { o["more"] = true; }));
  EXPECT_TRUE(refused([](auto& o) { o.erase("h"); }));
  EXPECT_FALSE(letter_version("{\"v\":4}"));
  EXPECT_FALSE(letter_version("[]"));
  EXPECT_FALSE(letter_version(std::string(2 << 20, ' ')));
}

TEST(RatchetLetter, AForgedOrTamperedLetterDoesNotOpen) {
  conversation c;
  auto blob = seal_ratchet_letter({"alice", "bob", t0, "m1", "x"}, c.a, c.ad, 1, 1,
                             c.init)
                .value();
  // mallory certifies her own device as alice: bob checks it against
  // alice's pinned key.
  device mallory{"mallory"};
  auto forged = parse_ratchet_letter(blob).value();
  forged.initiation->sender = mallory.cert;
  forged.initiation->sender.user = "alice";
  auto r = c.bob_opens(write_ratchet_letter(forged));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_signature);
  auto tampered = parse_ratchet_letter(blob).value();
  tampered.message.ciphertext[15] ^= 1;
  r = c.bob_opens(write_ratchet_letter(tampered));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::decrypt_failed);
  ASSERT_TRUE(c.bob_opens(blob));
}

} // namespace
