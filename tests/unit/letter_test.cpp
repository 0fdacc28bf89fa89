// Unit tests for sealed letters: round trips, foreign readers, tampering and
// malformed blobs.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/letter.hpp"
#include "tests/support/hostile_keys.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

using namespace courier;
using crypto::bytes;
using crypto::generate_ed25519;
using crypto::generate_rsa;
using crypto::key;
using crypto::public_key_from_der;
using namespace courier::protocol;

namespace json = boost::json;

namespace {

struct user {
  std::string name;
  key priv;
  key pub;
};

user make_user(const std::string& name) {
  auto priv = *generate_rsa(2048);
  auto pub = *public_key_from_der(*priv.public_der());
  return {name, priv, pub};
}

/// Users are expensive to create; share them.
const user& alice() {
  static user u = make_user("alice");
  return u;
}
const user& bob() {
  static user u = make_user("bob");
  return u;
}
const user& carol() {
  static user u = make_user("carol");
  return u;
}

letter sample() {
  return letter{"alice", "bob", 1700000000123, "m-42",
                "Hi Bob, \"quotes\" and \xc3\xa9 work."};
}

/// A letter from alice to bob, with alice's own copy.
const std::string& sealed_blob() {
  static std::string blob = *seal_letter(
    sample(), alice().priv, {{"bob", bob().pub}, {"alice", alice().pub}});
  return blob;
}

errc open_code(const std::string& blob, const user& u = bob()) {
  auto r = open_letter(blob, u.name, u.priv);
  return r ? errc::none : code_of(r.error());
}

/// Replaces one field of the outer blob JSON.
std::string with_field(const std::string& name, json::value v) {
  auto obj = json::parse(sealed_blob()).as_object();
  obj[name] = std::move(v);
  return json::serialize(obj);
}

std::string without_field(const std::string& name) {
  auto obj = json::parse(sealed_blob()).as_object();
  obj.erase(name);
  return json::serialize(obj);
}

} // namespace

TEST(letter, recipient_and_sender_can_open) {
  for (const user* u : {&bob(), &alice()}) {
    auto opened = open_letter(sealed_blob(), u->name, u->priv);
    ASSERT_TRUE(opened) << u->name << ": " << explain(opened.error());
    auto expected = sample();
    EXPECT_EQ(opened->content.from, expected.from);
    EXPECT_EQ(opened->content.to, expected.to);
    EXPECT_EQ(opened->content.ts, expected.ts);
    EXPECT_EQ(opened->content.msg_id, expected.msg_id);
    EXPECT_EQ(opened->content.body, expected.body);
    EXPECT_TRUE(verify_letter(*opened, alice().pub));
  }
}

TEST(letter, blob_layout) {
  auto obj = json::parse(sealed_blob()).as_object();
  EXPECT_EQ(obj.size(), 4u);
  EXPECT_EQ(obj.at("v").as_int64(), 1);
  EXPECT_EQ(obj.at("keys").as_object().size(), 2u);
  // The body never appears in the clear.
  EXPECT_EQ(sealed_blob().find("Hi Bob"), std::string::npos);
  auto again = seal_letter(sample(), alice().priv, {{"bob", bob().pub}});
  ASSERT_TRUE(again);
  EXPECT_NE(*again, sealed_blob());
}

TEST(letter, ed25519_sender) {
  auto ed = *generate_ed25519();
  auto blob = seal_letter(sample(), ed, {{"bob", bob().pub}});
  ASSERT_TRUE(blob);
  auto opened = open_letter(*blob, "bob", bob().priv);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(verify_letter(*opened, ed));
  EXPECT_FALSE(verify_letter(*opened, alice().pub));
}

TEST(letter, third_user_cannot_open) {
  EXPECT_EQ(open_code(sealed_blob(), carol()), errc::decrypt_failed);
  // Claiming to be bob with carol's key fails too.
  auto r = open_letter(sealed_blob(), "bob", carol().priv);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::decrypt_failed);
}

TEST(letter, other_signer_fails_verify) {
  auto opened = open_letter(sealed_blob(), "bob", bob().priv);
  ASSERT_TRUE(opened);
  EXPECT_FALSE(verify_letter(*opened, carol().pub));
  EXPECT_FALSE(verify_letter(*opened, bob().pub));
  auto forged = *opened;
  forged.inner[forged.inner.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify_letter(forged, alice().pub));
  // A letter signed by carol, claiming to be from alice, does not verify.
  auto carols = seal_letter(sample(), carol().priv, {{"bob", bob().pub}});
  auto opened2 = open_letter(*carols, "bob", bob().priv);
  ASSERT_TRUE(opened2);
  EXPECT_EQ(opened2->content.from, "alice");
  EXPECT_FALSE(verify_letter(*opened2, alice().pub));
}

TEST(letter, flipping_any_character_fails) {
  auto obj = json::parse(sealed_blob()).as_object();
  auto check = [&](const std::string& field, std::string value,
                   const std::function<void(json::object&,
                                            const std::string&)>& put) {
    for (size_t i = 0; i < value.size(); ++i) {
      auto bad = value;
      // Swap to another base64 character (or padding to a letter).
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      auto copy = obj;
      put(copy, bad);
      auto code = open_code(json::serialize(copy));
      EXPECT_TRUE(code == errc::decrypt_failed || code == errc::bad_encoding)
        << field << " pos " << i << ": " << to_string(code);
    }
  };
  check("ct", std::string{obj.at("ct").as_string()},
        [](json::object& o, const std::string& v) { o["ct"] = v; });
  check("iv", std::string{obj.at("iv").as_string()},
        [](json::object& o, const std::string& v) { o["iv"] = v; });
  auto bob_key = std::string{obj.at("keys").at("bob").as_string()};
  for (size_t i = 0; i < bob_key.size(); ++i) {
    auto bad = bob_key;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto copy = obj;
    copy["keys"].as_object()["bob"] = bad;
    auto code = open_code(json::serialize(copy));
    EXPECT_TRUE(code == errc::decrypt_failed || code == errc::bad_encoding)
      << "key pos " << i;
  }
  // Swapping in alice's wrapped key for bob fails as well.
  auto copy = obj;
  copy["keys"].as_object()["bob"] = obj.at("keys").at("alice");
  EXPECT_EQ(open_code(json::serialize(copy)), errc::decrypt_failed);
}

TEST(letter, malformed_blobs_fail_cleanly) {
  EXPECT_EQ(open_code(""), errc::bad_encoding);
  EXPECT_EQ(open_code("not json"), errc::bad_encoding);
  EXPECT_EQ(open_code("[1,2,3]"), errc::bad_encoding);
  EXPECT_EQ(open_code("{}"), errc::bad_encoding);
  EXPECT_EQ(open_code("{\"v\":1}"), errc::bad_encoding);
  EXPECT_EQ(open_code(sealed_blob().substr(0, sealed_blob().size() - 1)),
            errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("v", 2)), errc::unsupported_version);
  EXPECT_EQ(open_code(with_field("v", 0)), errc::unsupported_version);
  EXPECT_EQ(open_code(with_field("v", "1")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("v", 1.0)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("iv", 12)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("iv", "AAAA")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("ct", json::array{})), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("ct", "")), errc::decrypt_failed);
  EXPECT_EQ(open_code(with_field("ct", "!!!!")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", "bob")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", json::object{{"bob", 5}})),
            errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", json::object{})),
            errc::decrypt_failed);
  EXPECT_EQ(open_code(with_field("extra", true)), errc::bad_encoding);
  for (const char* f : {"v", "keys", "iv", "ct"})
    EXPECT_EQ(open_code(without_field(f)), errc::bad_encoding) << f;
  EXPECT_EQ(open_code(std::string(1000, '[') + std::string(1000, ']')),
            errc::bad_encoding);
}

TEST(letter, huge_blob_is_oversize) {
  std::string huge = "{\"v\":1,\"pad\":\"" + std::string(1 << 20, 'x')
                     + "\"}";
  EXPECT_EQ(open_code(huge), errc::oversize);
}

TEST(letter, wrong_key_kinds) {
  auto ed = *generate_ed25519();
  auto r = seal_letter(sample(), alice().priv, {{"bob", ed}});
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_key);
  EXPECT_FALSE(seal_letter(sample(), alice().priv, {}));
  EXPECT_FALSE(seal_letter(sample(), alice().priv,
                           {{"bob", bob().pub}, {"bob", bob().pub}}));
  EXPECT_FALSE(seal_letter(sample(), key{}, {{"bob", bob().pub}}));
  auto opened = open_letter(sealed_blob(), "bob", ed);
  ASSERT_FALSE(opened);
  EXPECT_EQ(code_of(opened.error()), errc::bad_key);
}

TEST(letter, reader_key_with_a_hostile_exponent_is_refused) {
  // A key a router or contact hands out with a huge exponent would make
  // every wrap a full-length exponentiation.
  auto hostile = test::with_exponent(bob().pub, test::huge_exponent(bob().pub.bits()));
  ASSERT_TRUE(hostile);
  auto r = seal_letter(sample(), alice().priv, {{"bob", hostile}});
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_key);
}
