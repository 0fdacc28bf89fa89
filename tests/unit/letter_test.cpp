// Unit tests for sealed letters: round trips, foreign readers, tampering and
// malformed blobs.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/letter.hpp"
#include "tests/support/hostile_keys.hpp"
#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"

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
  auto r = open_letter(blob, u.name, "alice", alice().pub, u.priv);
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
    auto opened = open_letter(sealed_blob(), u->name, "alice", alice().pub,
                              u->priv);
    ASSERT_TRUE(opened) << u->name << ": " << explain(opened.error());
    auto expected = sample();
    EXPECT_EQ(opened->from, expected.from);
    EXPECT_EQ(opened->to, expected.to);
    EXPECT_EQ(opened->ts, expected.ts);
    EXPECT_EQ(opened->msg_id, expected.msg_id);
    EXPECT_EQ(opened->body, expected.body);
  }
}

// Read receipts and typing indicators are marked in the sealed letter
// (`"control":true`), which only the client sets: no chat text is one.
TEST(letter, the_control_mark_is_sealed_with_the_letter) {
  auto content = sample();
  content.control = true;
  auto blob = seal_letter(content, alice().priv, {{"bob", bob().pub}});
  ASSERT_TRUE(blob);
  auto opened = open_letter(*blob, "bob", "alice", alice().pub, bob().priv);
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_TRUE(opened->control);
  EXPECT_EQ(opened->body, content.body);
  auto chat = open_letter(sealed_blob(), "bob", "alice", alice().pub,
                          bob().priv);
  ASSERT_TRUE(chat);
  EXPECT_FALSE(chat->control);
}

TEST(letter, blob_layout) {
  auto obj = json::parse(sealed_blob()).as_object();
  EXPECT_EQ(obj.size(), 6u);
  EXPECT_EQ(obj.at("v").as_int64(), 2);
  EXPECT_EQ(obj.at("from").as_string(), "alice");
  EXPECT_EQ(obj.at("keys").as_object().size(), 2u);
  EXPECT_TRUE(obj.contains("sig"));
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
  EXPECT_TRUE(open_letter(*blob, "bob", "alice", ed, bob().priv));
  auto wrong = open_letter(*blob, "bob", "alice", alice().pub, bob().priv);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(code_of(wrong.error()), errc::bad_signature);
}

TEST(letter, third_user_cannot_open) {
  EXPECT_EQ(open_code(sealed_blob(), carol()), errc::decrypt_failed);
  // Claiming to be bob with carol's key fails too.
  auto r = open_letter(sealed_blob(), "bob", "alice", alice().pub,
                       carol().priv);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::decrypt_failed);
}

TEST(letter, other_signer_or_sender_is_refused) {
  for (const key* k : {&carol().pub, &bob().pub}) {
    auto r = open_letter(sealed_blob(), "bob", "alice", *k, bob().priv);
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), errc::bad_signature);
  }
  // The router says carol sent it; the blob says alice.
  auto r = open_letter(sealed_blob(), "bob", "carol", carol().pub, bob().priv);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_signature);
  // A letter signed by carol, claiming to be from alice, does not verify.
  auto carols = seal_letter(sample(), carol().priv, {{"bob", bob().pub}});
  ASSERT_TRUE(carols);
  EXPECT_EQ(open_code(*carols), errc::bad_signature);
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
      EXPECT_TRUE(code == errc::bad_signature || code == errc::bad_encoding)
        << field << " pos " << i << ": " << to_string(code);
    }
  };
  for (auto f : {"ct", "iv", "sig"})
    check(f, std::string{obj.at(f).as_string()},
          [f](json::object& o, const std::string& v) { o[f] = v; });
  for (auto reader : {"bob", "alice"})
    check(reader, std::string{obj.at("keys").at(reader).as_string()},
          [reader](json::object& o, const std::string& v) {
            o["keys"].as_object()[reader] = v;
          });
  // Swapping in alice's wrapped key for bob fails as well.
  auto copy = obj;
  copy["keys"].as_object()["bob"] = obj.at("keys").at("alice");
  EXPECT_EQ(open_code(json::serialize(copy)), errc::bad_signature);
  // So does dropping alice's copy, or adding a reader.
  copy = obj;
  copy["keys"].as_object().erase("alice");
  EXPECT_EQ(open_code(json::serialize(copy)), errc::bad_signature);
  copy = obj;
  copy["keys"].as_object()["carol"] = obj.at("keys").at("alice");
  EXPECT_EQ(open_code(json::serialize(copy)), errc::bad_signature);
}

TEST(letter, malformed_blobs_fail_cleanly) {
  EXPECT_EQ(open_code(""), errc::bad_encoding);
  EXPECT_EQ(open_code("not json"), errc::bad_encoding);
  EXPECT_EQ(open_code("[1,2,3]"), errc::bad_encoding);
  EXPECT_EQ(open_code("{}"), errc::bad_encoding);
  EXPECT_EQ(open_code("{\"v\":2}"), errc::bad_encoding);
  EXPECT_EQ(open_code(sealed_blob().substr(0, sealed_blob().size() - 1)),
            errc::bad_encoding);
  // A v2 letter relabelled v1 does not have v1's layout: refused before
  // any private operation (genuine v1 letters: a test below).
  EXPECT_EQ(open_code(with_field("v", 1)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("v", 3)), errc::unsupported_version);
  EXPECT_EQ(open_code(with_field("v", 0)), errc::unsupported_version);
  EXPECT_EQ(open_code(with_field("v", "2")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("v", 2.0)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("from", 7)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("iv", 12)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("iv", "AAAA")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("ct", json::array{})), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("ct", "")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("ct", "!!!!")), errc::bad_encoding);
  EXPECT_NE(open_code(with_field("sig", "")), errc::none);
  EXPECT_EQ(open_code(with_field("sig", json::string(1000, 'A'))),
            errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", "bob")), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", json::object{{"bob", 5}})),
            errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("keys", json::object{})),
            errc::bad_encoding);
  json::object many;
  for (int i = 0; i < 17; ++i)
    many["u" + std::to_string(i)] = "AAAA";
  EXPECT_EQ(open_code(with_field("keys", many)), errc::bad_encoding);
  EXPECT_EQ(open_code(with_field("extra", true)), errc::bad_encoding);
  for (const char* f : {"v", "from", "keys", "iv", "ct", "sig"})
    EXPECT_EQ(open_code(without_field(f)), errc::bad_encoding) << f;
  EXPECT_EQ(open_code(std::string(1000, '[') + std::string(1000, ']')),
            errc::bad_encoding);
}

TEST(letter, huge_blob_is_oversize) {
  std::string huge = "{\"v\":2,\"pad\":\"" + std::string(1 << 20, 'x')
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
  auto opened = open_letter(sealed_blob(), "bob", "alice", alice().pub, ed);
  ASSERT_FALSE(opened);
  EXPECT_EQ(code_of(opened.error()), errc::bad_key);
  // A sender's key with a hostile exponent is refused before it is used.
  auto hostile = test::with_exponent(alice().pub,
                                     test::huge_exponent(alice().pub.bits()));
  ASSERT_TRUE(hostile);
  auto checked = check_letter(sealed_blob(), "bob", "alice", hostile);
  ASSERT_FALSE(checked);
  EXPECT_EQ(code_of(checked.error()), errc::bad_key);
}

// The reader's private key is the expensive part, and anyone can send a
// blob that names a reader. Everything a sender cannot vouch for is refused
// before it is used: with bob's *public* key standing in for his private
// one, a private operation could only fail with decrypt_failed, so a
// bad_signature answer shows that the refusal came first.
TEST(letter, forged_or_garbage_blob_costs_no_private_operation) {
  const key& no_private = bob().pub;
  auto code = [&](const std::string& blob, const std::string& from = "alice",
                  const key& sender = alice().pub) {
    auto r = open_letter(blob, "bob", from, sender, no_private);
    return r ? errc::none : code_of(r.error());
  };
  // The control: a genuine letter gets as far as the private operation,
  // which this key cannot do.
  EXPECT_EQ(code(sealed_blob()), errc::decrypt_failed);
  // Forged: carol signs a letter that says it is from alice.
  auto carols = seal_letter(sample(), carol().priv, {{"bob", bob().pub}});
  ASSERT_TRUE(carols);
  EXPECT_EQ(code(*carols), errc::bad_signature);
  // Garbage in the wrapped key and the ciphertext under alice's signature.
  auto obj = json::parse(sealed_blob()).as_object();
  obj["keys"].as_object()["bob"] = std::string(344, 'Q');
  obj["ct"] = std::string(64, 'Q');
  EXPECT_EQ(code(json::serialize(obj)), errc::bad_signature);
  // A genuine letter from alice that the router says came from carol.
  EXPECT_EQ(code(sealed_blob(), "carol", carol().pub), errc::bad_signature);
  // check_letter takes no private key at all: it passes on a forgery only
  // if the signature verifies.
  auto checked = check_letter(*carols, "bob", "alice", alice().pub);
  ASSERT_FALSE(checked);
  EXPECT_EQ(code_of(checked.error()), errc::bad_signature);
  checked = check_letter(sealed_blob(), "bob", "alice", alice().pub);
  ASSERT_TRUE(checked) << explain(checked.error());
  auto opened = open_checked_letter(*checked, bob().priv);
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_EQ(opened->body, sample().body);
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

namespace {

/// A letter as the v1 code wrote it (signature inside the encryption), for
/// letters still queued from before v2.
std::string v1_blob(const letter& l, const key& signer) {
  json::object inner{{"from", l.from}, {"to", l.to},     {"ts", l.ts},
                     {"msg_id", l.msg_id}, {"body", l.body}};
  auto inner_text = json::serialize(inner);
  auto sig = *crypto::sign(signer, inner_text);
  json::object payload{{"inner", inner_text}, {"sig", crypto::to_base64(sig)}};
  auto payload_text = json::serialize(payload);
  auto ck = crypto::random_secret(32);
  auto iv = crypto::random_bytes(12);
  auto ct = *crypto::aead_seal(ck, iv, "courier-letter-v1", payload_text);
  json::object keys{{"bob", crypto::to_base64(*crypto::oaep_wrap(bob().pub, ck))}};
  json::object blob;
  blob["v"] = 1;
  blob["keys"] = keys;
  blob["iv"] = crypto::to_base64(iv);
  blob["ct"] = crypto::to_base64(ct);
  return json::serialize(blob);
}

} // namespace

TEST(letter, a_v1_letter_from_before_the_upgrade_still_opens) {
  auto blob = v1_blob(sample(), alice().priv);
  EXPECT_TRUE(is_legacy_letter(blob));
  EXPECT_FALSE(is_legacy_letter(sealed_blob()));
  auto opened = open_letter(blob, "bob", "alice", alice().pub, bob().priv);
  ASSERT_TRUE(opened) << explain(opened.error());
  EXPECT_EQ(opened->body, sample().body);
  // Signed by someone else, or claimed by another sender: refused.
  EXPECT_EQ(open_code(v1_blob(sample(), carol().priv)), errc::bad_signature);
  auto r = open_letter(blob, "bob", "carol", carol().pub, bob().priv);
  ASSERT_FALSE(r);
  // The same bytes with a space are not v1 to a reader (nor to a router):
  // they go the v2 way and are refused before any private operation.
  auto spaced = "{ " + blob.substr(1);
  EXPECT_FALSE(is_legacy_letter(spaced));
  EXPECT_EQ(open_code(spaced), errc::unsupported_version);
}
