// The test vectors of docs/PROTOCOL.md ("Test vectors") reproduce: read from
// the document, they are accepted by the ordinary protocol code, which
// takes its keys and nonces from OpenSSL. The vectors_doc test checks that
// the document holds exactly what courier-vectors prints.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/protocol/key_source.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"

using namespace courier;
using namespace courier::protocol;
using courier::crypto::bytes;

namespace {

// The `name: value` lines of the block courier-vectors printed into the
// document; an indented line continues the value before it.
std::map<std::string, std::string> read_vectors() {
  std::ifstream in{std::string{COURIER_SOURCE_DIR} + "/docs/PROTOCOL.md"};
  std::stringstream doc;
  doc << in.rdbuf();
  auto text = doc.str();
  auto begin = text.find("<!-- courier-vectors output -->\n```text\n");
  auto end = text.find("```\n<!-- end of courier-vectors output -->");
  std::map<std::string, std::string> out;
  if (begin == std::string::npos || end == std::string::npos || end < begin)
    return out;
  std::istringstream block{text.substr(begin, end - begin)};
  std::string line, last;
  while (std::getline(block, line)) {
    if (line.rfind("  ", 0) == 0 && !last.empty()) {
      out[last] += line.substr(2) + "\n";
      continue;
    }
    auto colon = line.find(": ");
    auto bare = line.size() > 1 && line.back() == ':';
    if (colon != std::string::npos)
      out[last = line.substr(0, colon)] = line.substr(colon + 2);
    else if (bare)
      out[last = line.substr(0, line.size() - 1)] = "";
  }
  return out;
}

bytes unhex(const std::string& hex) {
  bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(
      static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string text(const bytes& b) {
  return {b.begin(), b.end()};
}

class VectorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    v_ = read_vectors();
    ASSERT_GT(v_.size(), 50u) << "no test vectors in docs/PROTOCOL.md";
  }

  // The value of `name`, which must be in the block.
  const std::string& at(const std::string& name) {
    auto i = v_.find(name);
    if (i == v_.end())
      ADD_FAILURE() << "no '" << name << "' in the test vectors";
    return v_[name];
  }

  bytes hex(const std::string& name) { return unhex(at(name)); }

  crypto::key x25519(const std::string& name) {
    auto k = crypto::x25519_private_from_raw(hex(name));
    EXPECT_TRUE(k) << name;
    return k ? *k : crypto::key{};
  }

  bytes x25519_public(const std::string& name) {
    auto pub = crypto::x25519_public_raw(x25519(name));
    EXPECT_TRUE(pub) << name;
    return pub ? *pub : bytes{};
  }

  // The private X25519 key `priv` has the public key `pub`.
  void expect_public(const std::string& priv, const std::string& pub) {
    EXPECT_EQ(crypto::to_hex(x25519_public(priv)), at(pub)) << priv;
  }

  x3dh::device_certificate certificate(const std::string& user) {
    x3dh::device_certificate cert;
    cert.user = user;
    cert.device = 1;
    cert.identity = hex(user + "_identity_public");
    cert.signing = hex(user + "_signing_public");
    cert.created_ms = 1764900000000;
    return cert;
  }

  ratchet::message message(const std::string& name) {
    auto head = ratchet::decode_header(hex(name + "_header"));
    EXPECT_TRUE(head) << name;
    return ratchet::message{head ? *head : ratchet::header{},
                            hex(name + "_ciphertext")};
  }

  std::map<std::string, std::string> v_;
};

} // namespace

// The client's side of the handshake, as a client runs it, derives the
// printed traffic keys from the printed hellos and opens the printed frame;
// the router's check of the client's proof accepts the printed transcript.
TEST_F(VectorsTest, HandshakeReproduces) {
  auto identity = crypto::private_key_from_pem(at("client_identity_pem"), "");
  ASSERT_TRUE(identity) << explain(identity.error());
  auto hello = parse_client_hello(at("client_hello"));
  ASSERT_TRUE(hello) << explain(hello.error());
  EXPECT_EQ(hello->user, at("client_user"));
  EXPECT_EQ(hello->eph, x25519_public("client_eph_private"));
  EXPECT_EQ(crypto::to_hex(hello->nonce), at("client_nonce"));
  client_start start{x25519("client_eph_private"), *hello};
  auto server_key
    = crypto::ed25519_private_from_raw(hex("server_signing_seed"));
  ASSERT_TRUE(server_key);
  auto server_der = server_key->public_der();
  ASSERT_TRUE(server_der);
  EXPECT_EQ(crypto::to_hex(*server_der), at("server_key_der"));
  auto result = finish_handshake(start, *identity, at("server_hello"),
                                 *server_der);
  ASSERT_TRUE(result) << explain(result.error());
  EXPECT_EQ(crypto::to_hex(result->keys.send.unsafe_bytes()), at("c2s_key"));
  EXPECT_EQ(crypto::to_hex(result->keys.receive.unsafe_bytes()), at("s2c_key"));
  // The router signed exactly the printed transcript hash.
  auto obj = boost::json::parse(at("server_hello")).as_object();
  bytes sig, wrapped;
  ASSERT_TRUE(crypto::from_base64(obj.at("sig").as_string().c_str(), sig));
  ASSERT_TRUE(crypto::from_base64(obj.at("wrapped_secret").as_string().c_str(),
                                  wrapped));
  EXPECT_EQ(crypto::to_hex(wrapped), at("wrapped_secret"));
  auto signed_text = bytes{'c', 'o', 'u', 'r', 'i', 'e', 'r', ' ', 's',
                           'e', 'r', 'v', 'e', 'r', ' ', 'h', 'e', 'l',
                           'l', 'o', ' ', 'v', '1', 0};
  auto th = hex("transcript_hash");
  signed_text.insert(signed_text.end(), th.begin(), th.end());
  EXPECT_TRUE(crypto::verify(*server_key, signed_text, sig));
  server_pending pending{th, traffic_keys{crypto::secret{hex("s2c_key")},
                                          crypto::secret{hex("c2s_key")}}};
  EXPECT_FALSE(verify_finish(*hello, pending, result->finish_text));
  // The printed frame: length prefix, then the first s2c frame.
  auto frame = hex("sealed_frame");
  ASSERT_GT(frame.size(), frame_header_size);
  auto len = (uint32_t{frame[0]} << 24) | (uint32_t{frame[1]} << 16)
             | (uint32_t{frame[2]} << 8) | uint32_t{frame[3]};
  EXPECT_EQ(len, frame.size() - frame_header_size);
  channel client{std::move(result->keys)};
  std::string opened;
  ASSERT_FALSE(client.open(
    std::string_view{reinterpret_cast<const char*>(frame.data())
                       + frame_header_size,
                     frame.size() - frame_header_size},
    opened));
  EXPECT_EQ(opened, at("frame_plaintext"));
}

// Bob's side of X3DH, as a device runs it, agrees the printed secrets and
// associated data with and without the one-time prekey, and the printed
// prekey signature verifies.
TEST_F(VectorsTest, X3dhReproduces) {
  expect_public("alice_identity_private", "alice_identity_public");
  expect_public("bob_spk_private", "bob_spk_public");
  expect_public("bob_opk_private", "bob_opk_public");
  expect_public("alice_ephemeral_private", "alice_ephemeral_public");
  expect_public("alice_ephemeral2_private", "alice_ephemeral2_public");
  auto seed = crypto::ed25519_private_from_raw(hex("bob_signing_seed"));
  ASSERT_TRUE(seed);
  EXPECT_EQ(crypto::to_hex(crypto::ed25519_public_raw(*seed).value()),
            at("bob_signing_public"));
  x3dh::device_keys bob{x25519("bob_identity_private"), *seed};
  auto bob_cert = certificate("bob");
  EXPECT_EQ(x25519_public("bob_identity_private"), bob_cert.identity);
  auto spk_id = static_cast<uint32_t>(std::stoul(at("bob_spk_id")));
  auto opk_id = static_cast<uint32_t>(std::stoul(at("bob_opk_id")));
  EXPECT_FALSE(x3dh::verify_prekey(
    bob_cert, x3dh::prekey{spk_id, hex("bob_spk_public")},
    hex("bob_spk_signature")));
  x3dh::initiation init{certificate("alice"), hex("alice_ephemeral_public"),
                        spk_id, opk_id};
  auto agreed = x3dh::respond(bob, bob_cert, x25519("bob_spk_private"),
                              x25519("bob_opk_private"), init);
  ASSERT_TRUE(agreed) << explain(agreed.error());
  EXPECT_EQ(crypto::to_hex(agreed->sk.unsafe_bytes()), at("sk_with_opk"));
  EXPECT_EQ(crypto::to_hex(agreed->ad), at("ad"));
  x3dh::initiation init2{certificate("alice"), hex("alice_ephemeral2_public"),
                         spk_id, std::nullopt};
  auto agreed2 = x3dh::respond(bob, bob_cert, x25519("bob_spk_private"),
                               std::nullopt, init2);
  ASSERT_TRUE(agreed2) << explain(agreed2.error());
  EXPECT_EQ(crypto::to_hex(agreed2->sk.unsafe_bytes()), at("sk_without_opk"));
  EXPECT_EQ(crypto::to_hex(agreed2->ad), at("ad"));
}

// Bob's session, started as the client starts it, opens alice's two
// messages; alice's session, reloaded so that it runs on OpenSSL's
// randomness, opens bob's reply. A flipped bit is refused.
TEST_F(VectorsTest, RatchetMessagesReproduce) {
  crypto::secret sk{hex("sk_with_opk")};
  auto ad = hex("ad");
  auto now = int64_t{1764900000000};
  auto bob = ratchet::session::init_bob(sk, x25519("bob_spk_private"));
  ASSERT_TRUE(bob);
  auto a1 = message("a1");
  auto tampered = a1;
  tampered.ciphertext.back() ^= 1;
  EXPECT_FALSE(bob->decrypt(tampered, ad, now));
  auto p1 = bob->decrypt(a1, ad, now);
  ASSERT_TRUE(p1) << explain(p1.error());
  EXPECT_EQ(text(*p1), at("plaintext_a1"));
  auto p2 = bob->decrypt(message("a2"), ad, now);
  ASSERT_TRUE(p2) << explain(p2.error());
  EXPECT_EQ(text(*p2), at("plaintext_a2"));
  // Alice's first ratchet key is the one in her headers; the rest of her
  // session is the ordinary one.
  EXPECT_EQ(a1.head.dh, x25519_public("alice_ratchet1_private"));
  auto fixed = ratchet::session::init_alice(
    sk, hex("bob_spk_public"),
    fixed_key_source({hex("alice_ratchet1_private")}, {}));
  ASSERT_TRUE(fixed);
  auto state = fixed->save();
  ASSERT_TRUE(state);
  auto alice = ratchet::session::load(*state);
  ASSERT_TRUE(alice);
  auto b1 = message("b1");
  EXPECT_EQ(b1.head.dh, x25519_public("bob_ratchet1_private"));
  auto p3 = alice->decrypt(b1, ad, now);
  ASSERT_TRUE(p3) << explain(p3.error());
  EXPECT_EQ(text(*p3), at("plaintext_b1"));
  EXPECT_EQ(text(*p3), at("alice_opens_b1"));
}

// A fixed source hands out exactly what it was given, in order, and says
// so when asked for anything else; the default source is OpenSSL's, so
// two handshakes never share an ephemeral key or nonce.
TEST(KeySourceTest, FixedIsStrictAndDefaultIsRandom) {
  auto k = bytes(32, 0x42);
  auto src = fixed_key_source({k}, {bytes(12, 1), bytes(32, 2)}, {bytes{7}});
  EXPECT_FALSE(src.is_default());
  EXPECT_FALSE(src.random(32)); // the next string is 12 bytes
  EXPECT_EQ(src.random(12).value(), bytes(12, 1));
  auto copy = src; // copies share the position
  EXPECT_EQ(copy.random_secret(32).value().unsafe_bytes(), bytes(32, 2));
  auto no_more = src.random(32);
  ASSERT_FALSE(no_more);
  EXPECT_EQ(code_of(no_more.error()), errc::internal);
  auto key = src.x25519();
  ASSERT_TRUE(key);
  EXPECT_EQ(crypto::x25519_private_raw(*key).value().unsafe_bytes(), k);
  EXPECT_FALSE(src.x25519());
  EXPECT_EQ(src.oaep_wrap(crypto::key{}, bytes{}).value(), bytes{7});
  EXPECT_FALSE(src.oaep_wrap(crypto::key{}, bytes{}));

  key_source openssl;
  EXPECT_TRUE(openssl.is_default());
  EXPECT_NE(openssl.random(32).value(), openssl.random(32).value());
  auto a = openssl.x25519();
  auto b = openssl.x25519();
  ASSERT_TRUE(a && b);
  EXPECT_NE(crypto::x25519_public_raw(*a).value(),
            crypto::x25519_public_raw(*b).value());
}
