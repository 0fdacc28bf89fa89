// Unit tests for actors/protocol/handshake: the authenticated handshake and
// the client hello parser.

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "actors/common/error.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"
#include "tests/support/hostile_keys.hpp"
#include "tests/support/protocol_helpers.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;

namespace {

// -- shared keys (RSA generation is slow) -----------------------------------

const crypto::key& alice_key() {
  static crypto::key k = *crypto::generate_rsa(2048);
  return k;
}

const crypto::key& mallory_key() {
  static crypto::key k = *crypto::generate_rsa(2048);
  return k;
}

const crypto::key& server_key() {
  static crypto::key k = *crypto::generate_ed25519();
  return k;
}

const crypto::bytes& server_der() {
  static crypto::bytes der = *server_key().public_der();
  return der;
}

const crypto::key& other_server_key() {
  static crypto::key k = *crypto::generate_ed25519();
  return k;
}

const crypto::bytes& other_server_der() {
  static crypto::bytes der = *other_server_key().public_der();
  return der;
}

struct run {
  client_start start;
  client_hello hello; ///< as the server parsed it
  std::string server_hello;
  server_pending pending;
};

run begin(const std::string& user, const crypto::key& identity) {
  run r;
  auto st = start_handshake(user, identity);
  EXPECT_TRUE(st) << explain(st.error());
  r.start = *st;
  auto hello = parse_client_hello(st->hello.text);
  EXPECT_TRUE(hello) << explain(hello.error());
  r.hello = *hello;
  auto ans = answer_hello(*hello, server_key(), server_der());
  EXPECT_TRUE(ans) << explain(ans.error());
  r.server_hello = ans->first;
  r.pending = ans->second;
  return r;
}

boost::json::object as_object(const std::string& text) {
  return boost::json::parse(text).as_object();
}

std::string get_field(const std::string& text, const char* name) {
  return std::string{as_object(text).at(name).as_string()};
}

template <class T>
std::string with_field(const std::string& text, const char* name,
                       const T& value) {
  auto obj = as_object(text);
  obj[name] = value;
  return boost::json::serialize(obj);
}

/// Replaces one base64 character in the middle of the field with another
/// alphabet character, so that the decoded bytes change.
std::string tamper_b64(const std::string& text, const char* name) {
  auto s = get_field(text, name);
  EXPECT_GT(s.size(), 8u);
  auto i = s.size() / 2;
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return with_field(text, name, s);
}

void expect_channels_interoperate(channel& client, channel& server) {
  for (int i = 0; i < 5; ++i) {
    std::string got;
    auto up = "c2s " + std::to_string(i);
    ASSERT_FALSE(server.open(seal(client, up), got));
    EXPECT_EQ(got, up);
    auto down = "s2c " + std::to_string(i);
    ASSERT_FALSE(client.open(seal(server, down), got));
    EXPECT_EQ(got, down);
  }
}

TEST(Handshake, HappyPath) {
  auto st = start_handshake("alice", alice_key());
  ASSERT_TRUE(st) << explain(st.error());
  auto hello = parse_client_hello(st->hello.text);
  ASSERT_TRUE(hello) << explain(hello.error());
  EXPECT_EQ(hello->user, "alice");
  EXPECT_EQ(hello->identity, *alice_key().public_der());
  EXPECT_EQ(hello->eph, st->hello.eph);
  EXPECT_EQ(hello->eph.size(), 32u);
  EXPECT_EQ(hello->nonce, st->hello.nonce);
  EXPECT_EQ(hello->nonce.size(), 32u);
  EXPECT_EQ(hello->text, st->hello.text);
  EXPECT_EQ(hello->identity_key.kind(), crypto::key_kind::rsa);

  auto ans = answer_hello(*hello, server_key(), server_der());
  ASSERT_TRUE(ans) << explain(ans.error());
  auto& [server_hello, pending] = *ans;
  EXPECT_EQ(pending.transcript.size(), 32u);

  auto res = finish_handshake(*st, alice_key(), server_hello, {});
  ASSERT_TRUE(res) << explain(res.error());
  EXPECT_EQ(res->server_key, server_der());

  auto err = verify_finish(*hello, pending, res->finish_text);
  ASSERT_FALSE(err) << explain(err);

  // Client send == server receive and vice versa.
  EXPECT_TRUE(crypto::equal_ct(res->keys.send, pending.keys.receive));
  EXPECT_TRUE(crypto::equal_ct(res->keys.receive, pending.keys.send));
  EXPECT_FALSE(crypto::equal_ct(res->keys.send, res->keys.receive));

  channel client{res->keys};
  channel server{pending.keys};
  expect_channels_interoperate(client, server);
}

TEST(Handshake, PinnedKeyMatches) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello,
                              server_der());
  ASSERT_TRUE(res) << explain(res.error());
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

TEST(Handshake, SessionsDiffer) {
  auto r1 = begin("alice", alice_key());
  auto r2 = begin("alice", alice_key());
  EXPECT_NE(r1.pending.transcript, r2.pending.transcript);
  EXPECT_FALSE(crypto::equal_ct(r1.pending.keys.send, r2.pending.keys.send));
}

TEST(Handshake, TamperedServerHelloFails) {
  auto r = begin("alice", alice_key());
  for (const char* field : {"sig", "eph", "wrapped_secret", "nonce"}) {
    auto bad = tamper_b64(r.server_hello, field);
    ASSERT_NE(bad, r.server_hello);
    auto res = finish_handshake(r.start, alice_key(), bad, {});
    ASSERT_FALSE(res) << field;
    EXPECT_EQ(code(res), errc::bad_signature) << field;
  }
  // The untouched hello still works (the loop did not break anything).
  EXPECT_TRUE(finish_handshake(r.start, alice_key(), r.server_hello, {}));
}

TEST(Handshake, MalformedServerHelloFails) {
  auto r = begin("alice", alice_key());
  EXPECT_FALSE(finish_handshake(r.start, alice_key(), "garbage", {}));
  EXPECT_FALSE(finish_handshake(r.start, alice_key(), r.start.hello.text, {}));
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "v", 2), {})),
            errc::unsupported_version);
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "sig", "!!"), {})),
            errc::bad_frame);
  auto obj = as_object(r.server_hello);
  obj.erase("wrapped_secret");
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  boost::json::serialize(obj), {})),
            errc::bad_frame);
}

TEST(Handshake, PinnedKeyMismatch) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello,
                              other_server_der());
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::key_changed);
}

TEST(Handshake, ServerImpersonationFails) {
  auto r = begin("alice", alice_key());
  // Claim another server key but keep the real server's signature.
  auto bad = with_field(r.server_hello, "server_key",
                        crypto::to_base64(other_server_der()));
  auto res = finish_handshake(r.start, alice_key(), bad, {});
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::bad_signature);
  // Pinning the impostor's key does not help it either.
  auto pinned = finish_handshake(r.start, alice_key(), bad, other_server_der());
  ASSERT_FALSE(pinned);
  EXPECT_EQ(code(pinned), errc::bad_signature);
  // A hello fully produced by another server key is signed correctly but
  // must not pass a pin on the real key.
  auto ans = answer_hello(r.hello, other_server_key(), other_server_der());
  ASSERT_TRUE(ans);
  EXPECT_TRUE(finish_handshake(r.start, alice_key(), ans->first, {}));
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(), ans->first,
                                  server_der())),
            errc::key_changed);
}

TEST(Handshake, ServerHelloForAnotherClientFails) {
  auto r1 = begin("alice", alice_key());
  auto r2 = begin("alice", alice_key());
  auto res = finish_handshake(r2.start, alice_key(), r1.server_hello, {});
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::bad_signature);
}

TEST(Handshake, ClientImpersonationFails) {
  // Mallory sends a hello naming alice with alice's public key; she cannot
  // unwrap the secret, and her own signature must not pass.
  auto r = begin("alice", alice_key());
  crypto::bytes msg{'c', 'o', 'u', 'r', 'i', 'e', 'r', ' ', 'c', 'l', 'i',
                    'e', 'n', 't', ' ', 'f', 'i', 'n', 'i', 's', 'h', ' ',
                    'v', '1', 0};
  msg.insert(msg.end(), r.pending.transcript.begin(),
             r.pending.transcript.end());
  // Sanity: alice's own signature over this message is accepted, so the
  // message layout above is the real one.
  auto good_sig = crypto::sign(alice_key(), msg);
  ASSERT_TRUE(good_sig);
  boost::json::object fin{{"v", 1},
                          {"type", "client_finish"},
                          {"sig", crypto::to_base64(*good_sig)}};
  EXPECT_FALSE(verify_finish(r.hello, r.pending, boost::json::serialize(fin)));

  auto mallory_sig = crypto::sign(mallory_key(), msg);
  ASSERT_TRUE(mallory_sig);
  fin["sig"] = crypto::to_base64(*mallory_sig);
  auto err = verify_finish(r.hello, r.pending, boost::json::serialize(fin));
  ASSERT_TRUE(err);
  EXPECT_EQ(code(err), errc::bad_signature);

  // Finishing with the wrong private key fails already at the unwrap.
  EXPECT_FALSE(finish_handshake(r.start, mallory_key(), r.server_hello, {}));
}

TEST(Handshake, ReplayedFinishFails) {
  auto r1 = begin("alice", alice_key());
  auto res1 = finish_handshake(r1.start, alice_key(), r1.server_hello, {});
  ASSERT_TRUE(res1);
  ASSERT_FALSE(verify_finish(r1.hello, r1.pending, res1->finish_text));
  // A second session of the same user: the captured finish is useless.
  auto r2 = begin("alice", alice_key());
  auto err = verify_finish(r2.hello, r2.pending, res1->finish_text);
  ASSERT_TRUE(err);
  EXPECT_EQ(code(err), errc::bad_signature);
  // Replaying the whole client hello too does not help: the server picks
  // fresh randomness, so the transcript changes.
  auto ans = answer_hello(r1.hello, server_key(), server_der());
  ASSERT_TRUE(ans);
  EXPECT_EQ(code(verify_finish(r1.hello, ans->second, res1->finish_text)),
            errc::bad_signature);
}

TEST(Handshake, MalformedFinishFails) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello, {});
  ASSERT_TRUE(res);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending, "nope")), errc::bad_frame);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "type",
                                          "client_hello"))),
            errc::bad_frame);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "v", 2))),
            errc::unsupported_version);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               tamper_b64(res->finish_text, "sig"))),
            errc::bad_signature);
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

// -- parse_client_hello rejections ------------------------------------------

const std::string& good_hello_text() {
  static std::string text = start_handshake("alice", alice_key())->hello.text;
  return text;
}

errc hello_code(const std::string& text) {
  return code(parse_client_hello(text));
}

TEST(ClientHello, GoodOneParses) {
  EXPECT_EQ(hello_code(good_hello_text()), errc::none);
}

TEST(ClientHello, InvalidUsername) {
  for (const char* user : {"", "Alice", "al ice", "ali/ce",
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_EQ(hello_code(with_field(good_hello_text(), "user", user)),
              errc::invalid_username)
      << user;
  }
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "user", 5)),
            errc::bad_frame);
  // start_handshake does not check the name; the server must.
  auto st = start_handshake("Mallory", alice_key());
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::invalid_username);
}

TEST(ClientHello, IdentityNotRsa) {
  auto text = with_field(good_hello_text(), "identity",
                         crypto::to_base64(server_der()));
  EXPECT_EQ(hello_code(text), errc::bad_key);
  // Nor an Ed25519 key through start_handshake.
  auto st = start_handshake("alice", server_key());
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::bad_key);
}

TEST(ClientHello, IdentityNotDer) {
  auto text = with_field(good_hello_text(), "identity",
                         crypto::to_base64(crypto::random_bytes(294)));
  EXPECT_EQ(hello_code(text), errc::bad_key);
}

TEST(ClientHello, Rsa1024Rejected) {
  EXPECT_FALSE(crypto::generate_rsa(1024));
  EVP_PKEY* raw = EVP_RSA_gen(1024);
  ASSERT_NE(raw, nullptr);
  crypto::key small{raw};
  ASSERT_EQ(small.bits(), 1024);
  auto der = small.public_der();
  ASSERT_TRUE(der);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "identity",
                                  crypto::to_base64(*der))),
            errc::bad_key);
  auto st = start_handshake("alice", small);
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::bad_key);
}

TEST(ClientHello, HostileExponentRefusedBeforeAnyWork) {
  // A public exponent of ~3070 bits makes every OAEP wrap and PSS check a
  // full-length exponentiation; the router must refuse it at parse time.
  for (auto e : {test::huge_exponent(alice_key().bits()), std::string{"3"}}) {
    auto hostile = test::with_exponent(alice_key(), e);
    ASSERT_TRUE(hostile);
    auto der = hostile.public_der();
    ASSERT_TRUE(der);
    EXPECT_EQ(hello_code(with_field(good_hello_text(), "identity",
                                    crypto::to_base64(*der))),
              errc::bad_key)
      << e;
  }
}

TEST(ClientHello, EphWrongSize) {
  for (size_t n : {0u, 1u, 31u, 33u, 64u}) {
    auto text = with_field(good_hello_text(), "eph",
                           crypto::to_base64(crypto::random_bytes(n)));
    EXPECT_EQ(hello_code(text), errc::bad_frame) << n;
  }
  for (size_t n : {31u, 33u}) {
    auto text = with_field(good_hello_text(), "nonce",
                           crypto::to_base64(crypto::random_bytes(n)));
    EXPECT_EQ(hello_code(text), errc::bad_frame) << n;
  }
}

TEST(ClientHello, BadBase64) {
  for (const char* field : {"identity", "eph", "nonce"}) {
    auto s = get_field(good_hello_text(), field);
    auto bad_char = s;
    bad_char[3] = '*';
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field, bad_char)),
              errc::bad_frame)
      << field;
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field,
                                    s.substr(0, s.size() - 1))),
              errc::bad_frame)
      << field;
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field, 12)),
              errc::bad_frame)
      << field;
    auto obj = as_object(good_hello_text());
    obj.erase(field);
    EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame)
      << field;
  }
}

TEST(ClientHello, WrongType) {
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "type", "client_finish")),
            errc::bad_frame);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "type", 1)),
            errc::bad_frame);
  auto obj = as_object(good_hello_text());
  obj.erase("type");
  EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame);
}

TEST(ClientHello, UnknownFieldRefused) {
  // Our own clients never send more than the schema; anything else is
  // refused, like in every other message.
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "extra", 1)),
            errc::bad_frame);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "server", "x")),
            errc::bad_frame);
}

TEST(Handshake, UnknownFieldsRefused) {
  auto r = begin("alice", alice_key());
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "extra", true),
                                  {})),
            errc::bad_frame);
  auto res = finish_handshake(r.start, alice_key(), r.server_hello, {});
  ASSERT_TRUE(res);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "extra", 1))),
            errc::bad_frame);
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

TEST(ClientHello, Version) {
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "v", 2)),
            errc::unsupported_version);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "v", "1")),
            errc::bad_frame);
  auto obj = as_object(good_hello_text());
  obj.erase("v");
  EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame);
}

TEST(ClientHello, Garbage) {
  EXPECT_EQ(hello_code(""), errc::bad_frame);
  EXPECT_EQ(hello_code("garbage"), errc::bad_frame);
  EXPECT_EQ(hello_code("[1,2,3]"), errc::bad_frame);
  EXPECT_EQ(hello_code(std::string("\x00\xff\x10", 3)), errc::bad_frame);
  EXPECT_EQ(hello_code(good_hello_text().substr(0, 40)), errc::bad_frame);
}

TEST(ClientHello, ServerHelloIsNotClientHello) {
  auto r = begin("alice", alice_key());
  EXPECT_EQ(hello_code(r.server_hello), errc::bad_frame);
}
} // namespace
