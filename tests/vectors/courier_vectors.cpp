// courier-vectors: prints the test vectors of docs/PROTOCOL.md ("Test
// vectors") from the fixed keys below, through the same protocol code the
// client and the router run. The only difference from production is the
// key source: fixed values instead of OpenSSL's CSPRNG. The output is
// deterministic; `vectors_doc` fails when it differs from the document,
// and `vectors_test` opens the printed messages with the ordinary code.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/protocol/key_source.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/oaep.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"

namespace {

using namespace courier;
using crypto::bytes;

// -- the fixed inputs (hex) --------------------------------------------------

/// RSA-2048 identity of the client "alice" in the handshake; it also
/// certifies both devices below (randomized RSA-PSS signatures, which no
/// printed value depends on).
constexpr char identity_pem[] = R"(-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDatG6/hoJ1URyF
EHuWLiv5qkAxccI67p50dH5QaS0KB8BsVNKCKyu316jEy+2uJDvhuweVsEncu1SD
S32zlYW0AE7ZFyh7nJ1e+7aIm6yd1C3RlVLPr7QsIUhrXsf+wf4LjEUShADVQ4p7
Ay+s0YfjqsL8O5KoGI57PGC8KjrARS6YWErjFp0TYjlrW94JkkWwuSW7E4MdGXeb
sRIxbYlYRMr9+mUvjya1YCK4jRT8RyoV4Cd+CXqfaghh7M21AFXmZvqwALD57ozr
xvPtGdcupSERAs8LigzwR0dc7ZdazPMjzKrbfZiGtVJlp2HF13tf2sP05Ebgo7g2
Wm4qrO83AgMBAAECggEAZzGZy/8g0VA7X8HePod8smoVrf7aQcpTs+k/rJtj6Aau
Ua9YQJk0IKO+e1UpyfBI3QLN2mB7CY7OmsDlB/Z2Ru+aRK67qE/GpYmpoB2sPjBe
ijSmBV8HaYcuz5LCVT+dqj8+XDUy223qCo7/UNDxCIiLRk6prW0g1Z8wmbhnTk62
eiGoYkL23xq7EO/akpZYxEMMGg9shit5w6eBC6fAO+/RjIbjU3JRTYzK8jA70Cvq
ARTbBjRAOd/Lh5z3ILBbII61qEylifTjTuyJl3Ln9HtMCKZ1LpCtPpx+xsBMH/S1
G5rZT1W+aseXS8k2M5UvTjOISx+uL5c9T0OnOePyiQKBgQD+7DZ5vYncePLRkS8H
fm3EUj0D8HoO2s8WGwX4BZsD5iqBX3tFhlcWYaQLibUozrUVIXckOveJ1D4NZtFN
UyzNaxGg5gx+2+jjoL3GACiOsfJ/CwDTtFTQlMfoJ2M8xM6ZaXkUYN3eSRwPlCMy
pL1y9G8RPe2JDpjVlLGRoqyUrQKBgQDboQmhft1ziXWBb5rj0Zxm2xrH1b8TXodp
VUchy2LkpwtIXb7to4a4mX1Z2/TSwEDszaz4m14d8bmmMjKVnqMYrfu/1uYub8MC
BEeasLYcyg85n0QSTA7Mt717td3pO5vgLa5nseh9i7De+7uvIpjQDjaFN9y+eOUN
grbjwQXr8wKBgEY3wnmeH88+8YOQPigORyYAkRX4s2ZMFya7otVClgRo7eRc7JOm
AW8Ezi7va5sl9PMxGKQ+KdkpQT5nx9dIxdp/V4e+VkrLQEcTC7LycDl+ApHD8iJe
Vc5ubPIhh1BB1bakOtnGJNcJxFT2NQvKHPUBJ2bUbA2Im8iZAKBg8rCxAoGAFe4u
mAGi+zZulU4fmUAE7gBS3EFrovN9cfch8y3r4gkMB13VAsWhXi11ZtOfzquD0CF5
dBmPfE32y7GXe3krr/sveChtM5XVUw46WCftB1Ll0ksk8O7HS4nNUd0HG5LoLapi
D9ij7mVUc++O/h3mRGAm8YZydFJ+DKtQt80+WiECgYB1YaTUNTuKzgZ//tnS2alG
cnRfpD0fOj93Prr+w3l3TGyust3+RWTQIFZEms0PQtm5QLu4wucpqS50/9hjq1Lt
DwXTx+8lKgzR5/8jS7VHm50B3XVJ86xsHSMYi3XoIiK5ccn64MBIHKL4f9pAp2S3
Rgay+G6/6iEK608QLHRHJw==
-----END PRIVATE KEY-----
)";

// Edge handshake.
constexpr char client_eph_private[]
  = "62ce8df87f37b27a9182d90facf69de67d6708ead7d3ed818dd8fc51c79d09ad";
constexpr char client_nonce[]
  = "ba506301d43c6191b759ba34d325757a6cae2e062cfdd3d18b7c1d0117dd4442";
constexpr char server_signing_seed[]
  = "75b7b2dd83340ee5f929f099a60e2f08cc3d4a104d11644a0c6a62f7983f63c9";
constexpr char server_eph_private[]
  = "f82e9400081caa57cc519665c645368563649d772e0fde8b3e9d41b1d097984d";
constexpr char server_nonce[]
  = "15ff17b557fe78a3cbcca7b884dd9d52168c1fe9c64c25e18ee25c7c3c86e948";
constexpr char session_secret[]
  = "89b4037cbfb76af7cbf565736799847a6b27077a1362ab41adba0b3a2752444c";
/// RSA-OAEP (SHA-256) of `session_secret` to the identity key. OAEP is
/// randomized, so the wrapping is an input; the program checks it unwraps.
constexpr char wrapped_secret[] =
  "0c1c23c1731bc3503fc2c3d9b302396573e200d340707d98fb9e44d453d0d87c"
  "b23f9a04396eefefe486c03fca562699b786393a6d77587add198fd53096911a"
  "75e27c144dc5cf3def025726c3478eae66482c7d8e4432c0617ece86c5de1b2e"
  "4ecf128179cf570ed71d0c4d131a3d0dec279328fb9fe7b4e69b554b9e893c99"
  "f906c3ea4998902cacab92049557b00493197ab838c5dbef752fe2272fab1fcd"
  "033e4d28e74285ddcde2ea6921c6d8ce76b1d00f384f48a5eb510425effff9ce"
  "f7e35164319db773426d658606062902e8154d31091cb8ea0a8b1d610dc6fad8"
  "12ec1a6df7b90206ad52d472232cb6eecb9e00c6ba7de8bae8679254936144e5";
constexpr char frame_plaintext[]
  = R"({"v":1,"type":"welcome","user":"alice","server":"router-a","new_user":1})";

// X3DH.
constexpr char alice_identity_private[]
  = "196262202ee1bcc3661921dd4cc5f898de48378d9bb1365423cfaa631d354032";
constexpr char alice_signing_seed[]
  = "534f01e8fcfd14344a9ecb2a49e4f3a5f84fa60ef57ffea663a0133633006802";
constexpr char bob_identity_private[]
  = "77e2cc14e6b2139812f891e0ff37a551d93d7d6283cd4e8514d4c0e470285157";
constexpr char bob_signing_seed[]
  = "1d4b01f4ffc5c84881733a7e1efcce73d48430f6498a32c6b632ce79ecc8ad9a";
constexpr uint32_t bob_spk_id = 1;
constexpr char bob_spk_private[]
  = "6f2a004c0ecf8ec59a06cb170d8f91d86f91ce57fc0d2d6a2b5e64cf19a9e005";
constexpr uint32_t bob_opk_id = 2;
constexpr char bob_opk_private[]
  = "695c78e0998efff42404951eabf268192964a79756132a47d83f74bb174c1070";
constexpr char alice_ephemeral_private[]
  = "238f5bb285824108f7de423cd48fa7811c94f1b3b1398483020befa3d9acc3f9";
constexpr char alice_ephemeral2_private[]
  = "e6a4809263a2c2b0bfb27722a07c0561eea85e7723ccbdd27a0aa864b1e270a4";
constexpr int64_t created_ms = 1764900000000;

// Double Ratchet.
constexpr char alice_ratchet1_private[]
  = "f54f984a923dbce04cfe61ad6e65a2d25284476e4526148ed5c50e07b55c6fc5";
constexpr char alice_ratchet2_private[]
  = "a95b35a655dde629b50def7a0b948373fa25290b6db79022daa534e411cb7940";
constexpr char bob_ratchet1_private[]
  = "0687fca64e062bbcc68e2016c6ca331ece9013b2e8d903ae125f58e4015ca9b6";
constexpr char nonce_a1[] = "861592d7fed60aa93ef32fd0";
constexpr char nonce_a2[] = "20df0949d49d4352475f76a9";
constexpr char nonce_b1[] = "e003df7576e27a8b95b39e4c";
constexpr char plaintext_a1[] = "hello bob";
constexpr char plaintext_a2[] = "are you there?";
constexpr char plaintext_b1[] = "hi alice";
constexpr int64_t now_ms = 1764900000000;

// -- helpers -----------------------------------------------------------------

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "courier-vectors: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T get(caf::expected<T> x, const char* what) {
  if (!x)
    fail(std::string{what} + ": " + to_string(x.error()));
  return std::move(*x);
}

void check(const caf::error& err, const char* what) {
  if (err)
    fail(std::string{what} + ": " + to_string(err));
}

void expect(bool ok, const char* what) {
  if (!ok)
    fail(std::string{"inconsistent: "} + what);
}

bytes unhex(std::string_view hex) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    fail("bad hex constant");
  };
  if (hex.size() % 2 != 0)
    fail("odd hex constant");
  bytes out;
  for (size_t i = 0; i < hex.size(); i += 2)
    out.push_back(
      static_cast<uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

void line(std::string_view name, std::string_view value) {
  std::printf("%.*s: %.*s\n", static_cast<int>(name.size()), name.data(),
              static_cast<int>(value.size()), value.data());
}

void hex_line(std::string_view name, crypto::byte_view value) {
  line(name, crypto::to_hex(value));
}

void section(const char* title) {
  std::printf("\n[%s]\n", title);
}

crypto::key x25519(const char* hex) {
  return get(crypto::x25519_private_from_raw(unhex(hex)), "X25519 key");
}

bytes x25519_public(const crypto::key& k) {
  return get(crypto::x25519_public_raw(k), "X25519 public key");
}

// -- edge handshake ----------------------------------------------------------

void handshake(const crypto::key& identity) {
  section("handshake");
  line("client_user", "alice");
  std::printf("client_identity_pem:\n");
  std::string pem = identity_pem;
  for (size_t pos = 0; pos < pem.size();) {
    auto end = pem.find('\n', pos);
    std::printf("  %s\n", pem.substr(pos, end - pos).c_str());
    pos = end == std::string::npos ? pem.size() : end + 1;
  }
  line("client_eph_private", client_eph_private);
  line("client_nonce", client_nonce);
  line("server_signing_seed", server_signing_seed);
  line("server_eph_private", server_eph_private);
  line("server_nonce", server_nonce);
  line("session_secret", session_secret);
  line("wrapped_secret", wrapped_secret);
  auto server_key = get(crypto::ed25519_private_from_raw(
                          unhex(server_signing_seed)),
                        "server key");
  auto server_der = get(server_key.public_der(), "server key DER");
  auto unwrapped = get(crypto::oaep_unwrap(identity, unhex(wrapped_secret)),
                       "unwrap");
  expect(crypto::equal_ct(unwrapped, unhex(session_secret)),
         "wrapped_secret does not hold session_secret");
  auto client_keys = protocol::fixed_key_source({unhex(client_eph_private)},
                                                {unhex(client_nonce)});
  auto start = get(protocol::start_handshake("alice", identity, client_keys),
                   "client hello");
  auto hello = get(protocol::parse_client_hello(start.hello.text),
                   "parse client hello");
  auto server_keys = protocol::fixed_key_source(
    {unhex(server_eph_private)}, {unhex(session_secret), unhex(server_nonce)},
    {unhex(wrapped_secret)});
  auto [server_hello, pending] = get(
    protocol::answer_hello(hello, server_key, server_der, server_keys),
    "server hello");
  auto result = get(protocol::finish_handshake(start, identity, server_hello,
                                               server_der),
                    "client finish");
  check(protocol::verify_finish(hello, pending, result.finish_text),
        "verify finish");
  expect(crypto::equal_ct(result.keys.send, pending.keys.receive)
           && crypto::equal_ct(result.keys.receive, pending.keys.send),
         "client and server keys differ");
  line("client_hello", start.hello.text);
  hex_line("server_key_der", server_der);
  line("server_hello", server_hello);
  hex_line("transcript_hash", pending.transcript);
  hex_line("c2s_key", result.keys.send);
  hex_line("s2c_key", result.keys.receive);
  // The router's first sealed frame (s2c, counter 0), with its length
  // prefix.
  protocol::channel server{std::move(pending.keys)};
  std::vector<char> frame;
  check(server.seal_frame(frame_plaintext, frame), "seal frame");
  protocol::channel client{std::move(result.keys)};
  std::string opened;
  check(client.open(std::string_view{frame.data() + 4, frame.size() - 4},
                    opened),
        "open frame");
  expect(opened == frame_plaintext, "the frame opens to something else");
  line("frame_plaintext", frame_plaintext);
  hex_line("sealed_frame",
           crypto::byte_view{reinterpret_cast<const uint8_t*>(frame.data()),
                             frame.size()});
}

// -- X3DH --------------------------------------------------------------------

struct device {
  protocol::x3dh::device_keys keys;
  protocol::x3dh::device_certificate cert;
};

device make_device(const crypto::key& identity, const char* user,
                   const char* ik_hex, const char* seed_hex) {
  device d;
  d.keys.identity = x25519(ik_hex);
  d.keys.signing = get(crypto::ed25519_private_from_raw(unhex(seed_hex)),
                       "Ed25519 key");
  d.cert.user = user;
  d.cert.device = 1;
  d.cert.identity = x25519_public(d.keys.identity);
  d.cert.signing = get(crypto::ed25519_public_raw(d.keys.signing),
                       "Ed25519 public key");
  d.cert.created_ms = created_ms;
  d.cert.signature = get(crypto::sign(identity,
                                      protocol::x3dh::signed_part(d.cert)),
                         "certificate");
  return d;
}

struct x3dh_result {
  crypto::secret sk;
  bytes ad;
  bytes bob_spk_public;
  crypto::key bob_spk;
};

x3dh_result x3dh(const crypto::key& identity) {
  namespace x = protocol::x3dh;
  section("x3dh");
  line("alice_identity_private", alice_identity_private);
  line("alice_signing_seed", alice_signing_seed);
  line("bob_identity_private", bob_identity_private);
  line("bob_signing_seed", bob_signing_seed);
  line("bob_spk_id", std::to_string(bob_spk_id));
  line("bob_spk_private", bob_spk_private);
  line("bob_opk_id", std::to_string(bob_opk_id));
  line("bob_opk_private", bob_opk_private);
  line("alice_ephemeral_private", alice_ephemeral_private);
  line("alice_ephemeral2_private", alice_ephemeral2_private);
  line("certificates", "user alice / bob, device 1, created "
                         + std::to_string(created_ms));
  auto alice = make_device(identity, "alice", alice_identity_private,
                           alice_signing_seed);
  auto bob = make_device(identity, "bob", bob_identity_private,
                         bob_signing_seed);
  auto spk = x25519(bob_spk_private);
  auto opk = x25519(bob_opk_private);
  x::bundle b;
  b.device = bob.cert;
  b.signed_prekey = x::prekey{bob_spk_id, x25519_public(spk)};
  b.prekey_signature = get(x::sign_prekey(bob.keys, bob.cert, b.signed_prekey),
                           "prekey signature");
  b.one_time = x::prekey{bob_opk_id, x25519_public(opk)};
  hex_line("alice_identity_public", alice.cert.identity);
  hex_line("alice_signing_public", alice.cert.signing);
  hex_line("bob_identity_public", bob.cert.identity);
  hex_line("bob_signing_public", bob.cert.signing);
  hex_line("bob_spk_public", b.signed_prekey.key);
  hex_line("bob_spk_signature", b.prekey_signature);
  hex_line("bob_opk_public", b.one_time->key);
  // With the one-time prekey, then without.
  auto [init, agreed] = get(
    x::initiate(alice.keys, alice.cert, b, identity, "bob",
                protocol::fixed_key_source({unhex(alice_ephemeral_private)},
                                           {})),
    "initiate");
  auto bob_side = get(x::respond(bob.keys, bob.cert, spk, opk, init),
                      "respond");
  expect(crypto::equal_ct(agreed.sk, bob_side.sk)
           && crypto::equal_ct(agreed.ad, bob_side.ad),
         "X3DH sides differ");
  hex_line("alice_ephemeral_public", init.ephemeral);
  hex_line("sk_with_opk", agreed.sk);
  auto b2 = b;
  b2.one_time.reset();
  auto [init2, agreed2] = get(
    x::initiate(alice.keys, alice.cert, b2, identity, "bob",
                protocol::fixed_key_source({unhex(alice_ephemeral2_private)},
                                           {})),
    "initiate without one-time prekey");
  auto bob_side2 = get(x::respond(bob.keys, bob.cert, spk, std::nullopt,
                                  init2),
                       "respond without one-time prekey");
  expect(crypto::equal_ct(agreed2.sk, bob_side2.sk),
         "X3DH sides differ without a one-time prekey");
  hex_line("alice_ephemeral2_public", init2.ephemeral);
  hex_line("sk_without_opk", agreed2.sk);
  hex_line("ad", agreed.ad);
  return x3dh_result{std::move(agreed.sk), std::move(agreed.ad),
                     b.signed_prekey.key, std::move(spk)};
}

// -- Double Ratchet ----------------------------------------------------------

void print_message(const char* name, const protocol::ratchet::message& m) {
  hex_line(std::string{name} + "_header", protocol::ratchet::encode(m.head));
  hex_line(std::string{name} + "_ciphertext", m.ciphertext);
}

std::string text(const bytes& b) {
  return std::string{b.begin(), b.end()};
}

void ratchet(const x3dh_result& agreed) {
  namespace r = protocol::ratchet;
  section("ratchet");
  // What the ratchet starts from: X3DH's results with the one-time
  // prekey, and Bob's signed prekey as his first ratchet key pair.
  line("ratchet_sk", "sk_with_opk");
  line("ratchet_ad", "ad");
  line("bob_ratchet0", "bob_spk_private");
  line("alice_ratchet1_private", alice_ratchet1_private);
  line("alice_ratchet2_private", alice_ratchet2_private);
  line("bob_ratchet1_private", bob_ratchet1_private);
  line("nonce_a1", nonce_a1);
  line("nonce_a2", nonce_a2);
  line("nonce_b1", nonce_b1);
  line("plaintext_a1", plaintext_a1);
  line("plaintext_a2", plaintext_a2);
  line("plaintext_b1", plaintext_b1);
  auto alice = get(
    r::session::init_alice(agreed.sk, agreed.bob_spk_public,
                           protocol::fixed_key_source(
                             {unhex(alice_ratchet1_private),
                              unhex(alice_ratchet2_private)},
                             {unhex(nonce_a1), unhex(nonce_a2)})),
    "init alice");
  auto bob = get(r::session::init_bob(agreed.sk, agreed.bob_spk,
                                      protocol::fixed_key_source(
                                        {unhex(bob_ratchet1_private)},
                                        {unhex(nonce_b1)})),
                 "init bob");
  auto a1 = get(alice.encrypt(std::string_view{plaintext_a1}, agreed.ad),
                "encrypt a1");
  auto a2 = get(alice.encrypt(std::string_view{plaintext_a2}, agreed.ad),
                "encrypt a2");
  expect(text(get(bob.decrypt(a1, agreed.ad, now_ms), "decrypt a1"))
           == plaintext_a1,
         "a1");
  expect(text(get(bob.decrypt(a2, agreed.ad, now_ms), "decrypt a2"))
           == plaintext_a2,
         "a2");
  auto b1 = get(bob.encrypt(std::string_view{plaintext_b1}, agreed.ad),
                "encrypt b1");
  auto opened = text(get(alice.decrypt(b1, agreed.ad, now_ms), "decrypt b1"));
  expect(opened == plaintext_b1, "b1");
  print_message("a1", a1);
  print_message("a2", a2);
  print_message("b1", b1);
  line("alice_opens_b1", opened);
}

} // namespace

int main() {
  std::printf("# courier-vectors: test vectors of docs/PROTOCOL.md\n"
              "# hex unless the value is text; inputs first, then outputs\n");
  auto identity = get(crypto::private_key_from_pem(identity_pem, ""),
                      "identity key");
  handshake(identity);
  auto agreed = x3dh(identity);
  ratchet(agreed);
  return 0;
}
