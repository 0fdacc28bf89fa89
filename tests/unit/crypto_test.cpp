// Unit tests for the crypto library: known-answer vectors, round trips and
// tamper detection.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <caf/sec.hpp>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "actors/client/identity.hpp"
#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"
#include "crypto/error.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/key.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/hostile_keys.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::crypto;

namespace {

/// Decodes a hex literal; test vectors are always well-formed.
bytes unhex(const std::string& hex) {
  bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr,
                                                  16)));
  return out;
}

/// Bytes `first`, `first + 1`, ... (RFC 5869 case 2 inputs).
bytes counting(uint8_t first, size_t n) {
  bytes out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<uint8_t>(first + i);
  return out;
}

/// The code of a failed result, nothing for a success.
template <class T>
std::optional<errc> code(const caf::expected<T>& x) {
  if (x)
    return std::nullopt;
  EXPECT_EQ(x.error().category(), error_category);
  return static_cast<errc>(x.error().code());
}

/// Keys are expensive to make; share them across tests.
const key& rsa_key() {
  static key k = *generate_rsa(2048);
  return k;
}

const key& rsa_key2() {
  static key k = *generate_rsa(2048);
  return k;
}

const key& ed_key() {
  static key k = *generate_ed25519();
  return k;
}

/// True for 16 groups of four lowercase hex digits split by single spaces
/// (what the regex "([0-9a-f]{4} ){15}[0-9a-f]{4}" accepts).
bool is_fingerprint_format(const std::string& fp) {
  if (fp.size() != 16 * 4 + 15)
    return false;
  for (size_t i = 0; i < fp.size(); ++i) {
    char c = fp[i];
    bool ok = i % 5 == 4 ? c == ' '
                         : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok)
      return false;
  }
  return true;
}

key public_only(const key& k) {
  auto der = k.public_der();
  EXPECT_TRUE(der);
  return *public_key_from_der(*der);
}

} // namespace

// -- bytes ---------------------------------------------------------------------

TEST(bytes, hex_and_base64) {
  EXPECT_EQ(to_hex(unhex("00ff10ab")), "00ff10ab");
  for (size_t n = 0; n < 40; ++n) {
    auto data = random_bytes(n);
    bytes back;
    ASSERT_TRUE(from_base64(to_base64(data), back));
    EXPECT_EQ(back, data);
  }
  EXPECT_EQ(to_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(to_base64("fo"), "Zm8=");
}

TEST(bytes, base64_rejects_malformed) {
  bytes out{1, 2, 3};
  for (const char* bad : {"abc", "a===", "@@@@", "====", "Zm9v YmFy",
                          "Zm8=Zm8=", "Zm9=", "Zg=a", " Zm8=", "Zm8=\n"}) {
    EXPECT_FALSE(from_base64(bad, out)) << bad;
    EXPECT_TRUE(out.empty());
  }
  ASSERT_TRUE(from_base64("Zg==", out));
  EXPECT_EQ(out, bytes{'f'});
}

TEST(bytes, equal_ct) {
  EXPECT_TRUE(equal_ct("abc", "abc"));
  EXPECT_FALSE(equal_ct("abc", "abd"));
  EXPECT_FALSE(equal_ct("abc", "ab"));
  EXPECT_TRUE(equal_ct(bytes{}, bytes{}));
}

// -- digest --------------------------------------------------------------------

TEST(digest, sha256_abc) {
  const auto expected =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  EXPECT_EQ(to_hex(sha256("abc")), expected);
  sha256_stream s;
  s.update("a");
  s.update("bc");
  EXPECT_EQ(to_hex(s.digest()), expected);
  // digest() leaves the stream usable.
  s.update("d");
  EXPECT_EQ(s.digest(), sha256("abcd"));
}

TEST(digest, framed_updates_differ) {
  sha256_stream a;
  a.update_framed("ab");
  a.update_framed("c");
  sha256_stream b;
  b.update_framed("a");
  b.update_framed("bc");
  EXPECT_NE(a.digest(), b.digest());
  EXPECT_EQ(a.digest(), sha256(unhex("00000002616200000001" "63")));
}

// -- HKDF (RFC 5869 appendix A) ------------------------------------------------

TEST(hkdf, rfc5869_case1) {
  auto okm = hkdf_sha256(unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                         unhex("000102030405060708090a0b0c"),
                         unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm);
  EXPECT_EQ(to_hex(*okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5d"
                          "b02d56ecc4c5bf34007208d5b887185865");
}

TEST(hkdf, rfc5869_case2) {
  auto okm = hkdf_sha256(counting(0x00, 80), counting(0x60, 80),
                         counting(0xb0, 80), 82);
  ASSERT_TRUE(okm);
  EXPECT_EQ(to_hex(*okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(hkdf, rfc5869_case3) {
  auto okm = hkdf_sha256(unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                         bytes{}, bytes{}, 42);
  ASSERT_TRUE(okm);
  EXPECT_EQ(to_hex(*okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3"
                          "454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(hkdf, rejects_bad_lengths) {
  EXPECT_FALSE(hkdf_sha256("ikm", "salt", "info", 0));
  EXPECT_FALSE(hkdf_sha256("ikm", "salt", "info", 255 * 32 + 1));
  EXPECT_TRUE(hkdf_sha256("ikm", "salt", "info", 255 * 32));
}

// -- X25519 (RFC 7748) ---------------------------------------------------------

namespace {

std::string x25519_hex(const std::string& scalar, const std::string& u) {
  auto priv = x25519_private_from_raw(unhex(scalar));
  auto pub = x25519_from_raw(unhex(u));
  if (!priv || !pub)
    return "bad key";
  auto shared = x25519_derive(*priv, *pub);
  return shared ? to_hex(*shared) : "derive failed";
}

} // namespace

TEST(x25519, rfc7748_section_5_2) {
  EXPECT_EQ(
    x25519_hex(
      "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
      "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  EXPECT_EQ(
    x25519_hex(
      "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
      "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

TEST(x25519, rfc7748_section_6_1) {
  const std::string alice_priv =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
  const std::string alice_pub =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
  const std::string bob_priv =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
  const std::string bob_pub =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
  const std::string shared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  auto a = x25519_private_from_raw(unhex(alice_priv));
  auto b = x25519_private_from_raw(unhex(bob_priv));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(to_hex(*x25519_public_raw(*a)), alice_pub);
  EXPECT_EQ(to_hex(*x25519_public_raw(*b)), bob_pub);
  EXPECT_EQ(x25519_hex(alice_priv, bob_pub), shared);
  EXPECT_EQ(x25519_hex(bob_priv, alice_pub), shared);
}

TEST(x25519, ephemeral_agreement) {
  auto a = generate_x25519();
  auto b = generate_x25519();
  ASSERT_TRUE(a && b);
  auto a_pub = x25519_from_raw(*x25519_public_raw(*a));
  auto b_pub = x25519_from_raw(*x25519_public_raw(*b));
  auto s1 = x25519_derive(*a, *b_pub);
  auto s2 = x25519_derive(*b, *a_pub);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s1->size(), 32u);
  EXPECT_TRUE(equal_ct(*s1, *s2));
}

TEST(x25519, rejects_low_order_and_bad_input) {
  auto own = generate_x25519();
  ASSERT_TRUE(own);
  auto zero = x25519_from_raw(bytes(32, 0));
  ASSERT_TRUE(zero);
  EXPECT_FALSE(x25519_derive(*own, *zero));
  // u = 1 is another small-order point.
  auto one = x25519_from_raw(unhex("01" + std::string(62, '0')));
  ASSERT_TRUE(one);
  EXPECT_FALSE(x25519_derive(*own, *one));
  EXPECT_EQ(code(x25519_from_raw(bytes(31, 1))), errc::bad_key);
  EXPECT_EQ(code(x25519_derive(ed_key(), *own)), errc::bad_key);
}

// -- AES-256-GCM (McGrew & Viega test cases 13-16) -----------------------------

namespace {

const std::string gcm_key15 =
  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const std::string gcm_iv15 = "cafebabefacedbaddecaf888";
const std::string gcm_p15 =
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const std::string gcm_c15 =
  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

void check_gcm(const std::string& k, const std::string& iv,
               const std::string& aad, const std::string& p,
               const std::string& c_and_tag) {
  auto sealed = aead_seal(unhex(k), unhex(iv), unhex(aad), unhex(p));
  ASSERT_TRUE(sealed);
  EXPECT_EQ(to_hex(*sealed), c_and_tag);
  auto opened = aead_open(unhex(k), unhex(iv), unhex(aad), *sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(to_hex(*opened), p);
}

} // namespace

TEST(aead, gcm_test_case_13) {
  check_gcm(std::string(64, '0'), std::string(24, '0'), "", "",
            "530f8afbc74536b9a963b4f1c4cb738b");
}

TEST(aead, gcm_test_case_14) {
  check_gcm(std::string(64, '0'), std::string(24, '0'), "",
            std::string(32, '0'),
            "cea7403d4d606b6e074ec5d3baf39d18"
            "d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(aead, gcm_test_case_15) {
  check_gcm(gcm_key15, gcm_iv15, "", gcm_p15,
            gcm_c15 + "b094dac5d93471bdec1a502270e3cc6c");
}

TEST(aead, gcm_test_case_16_with_aad) {
  check_gcm(gcm_key15, gcm_iv15, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            gcm_p15.substr(0, 120),
            gcm_c15.substr(0, 120) + "76fc6ece0f4e1768cddf8853bb2d551b");
}

TEST(aead, round_trip_and_into) {
  auto k = random_secret(aead_key_size);
  auto iv = random_bytes(aead_nonce_size);
  bytes sealed;
  ASSERT_FALSE(aead_seal_into(k, iv, "hdr", "hello world", sealed));
  EXPECT_EQ(sealed.size(), 11 + aead_tag_size);
  bytes plain{9, 9};
  ASSERT_FALSE(aead_open_into(k, iv, "hdr", sealed, plain));
  EXPECT_EQ(std::string(plain.begin(), plain.end()), "hello world");
}

TEST(aead, rejects_bad_sizes) {
  auto iv = random_bytes(aead_nonce_size);
  EXPECT_EQ(code(aead_seal(bytes(31), iv, "", "x")), errc::bad_key);
  EXPECT_EQ(code(aead_seal(bytes(32), bytes(11), "", "x")), errc::bad_key);
  EXPECT_EQ(code(aead_open(bytes(32), iv, "", bytes(15))),
            errc::decrypt_failed);
  EXPECT_EQ(code(aead_open(bytes(32), iv, "", bytes{})), errc::decrypt_failed);
}

TEST(aead, detects_every_tamper) {
  auto k = random_secret(aead_key_size).unsafe_bytes();
  auto iv = random_bytes(aead_nonce_size);
  bytes aad{'a', 'a', 'd'};
  auto sealed = *aead_seal(k, iv, aad, "attack at dawn");
  auto expect_fail = [](const caf::expected<bytes>& r) {
    EXPECT_EQ(code(r), errc::decrypt_failed);
  };
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    auto bad = sealed; // covers ciphertext and tag bytes
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    expect_fail(aead_open(k, iv, aad, bad));
  }
  for (size_t i = 0; i < iv.size(); ++i) {
    auto bad = iv;
    bad[i] ^= 0x01;
    expect_fail(aead_open(k, bad, aad, sealed));
  }
  for (size_t i = 0; i < aad.size(); ++i) {
    auto bad = aad;
    bad[i] ^= 0x80;
    expect_fail(aead_open(k, iv, bad, sealed));
  }
  expect_fail(aead_open(k, iv, "", sealed));
  for (size_t i = 0; i < k.size(); i += 7) {
    auto bad = k;
    bad[i] ^= 0x10;
    expect_fail(aead_open(bad, iv, aad, sealed));
  }
  // Truncation: dropping any tail, down to shorter than a tag.
  for (size_t n = 0; n < sealed.size(); ++n)
    expect_fail(aead_open(k, iv, aad, byte_view{sealed.data(), n}));
  EXPECT_TRUE(aead_open(k, iv, aad, sealed));
}

// -- keys ----------------------------------------------------------------------

TEST(key, kinds_and_sizes) {
  EXPECT_EQ(rsa_key().kind(), key_kind::rsa);
  EXPECT_EQ(rsa_key().bits(), 2048);
  EXPECT_EQ(ed_key().kind(), key_kind::ed25519);
  EXPECT_EQ(generate_x25519()->kind(), key_kind::x25519);
  EXPECT_EQ(code(generate_rsa(1024)), errc::bad_key);
  EXPECT_EQ(key{}.kind(), key_kind::other);
  EXPECT_FALSE(key{}.public_der());
}

TEST(key, only_courier_rsa_parameters_are_identities) {
  EXPECT_TRUE(is_rsa_identity(rsa_key()));
  EXPECT_FALSE(is_rsa_identity(ed_key()));
  EXPECT_FALSE(is_rsa_identity(key{}));
  // An attacker picks the exponent freely: each is refused, 65537 is not.
  EXPECT_TRUE(is_rsa_identity(test::with_exponent(rsa_key(), "10001")));
  for (auto e : {std::string{"3"}, std::string{"10003"}, test::huge_exponent(rsa_key().bits())}) {
    auto hostile = test::with_exponent(rsa_key(), e);
    ASSERT_TRUE(hostile) << e;
    EXPECT_FALSE(is_rsa_identity(hostile)) << e;
    // And it survives a round trip through DER, as it would on the wire.
    auto der = hostile.public_der();
    ASSERT_TRUE(der);
    auto back = public_key_from_der(*der);
    ASSERT_TRUE(back);
    EXPECT_FALSE(is_rsa_identity(*back));
  }
  EVP_PKEY* raw = EVP_RSA_gen(3000);
  ASSERT_NE(raw, nullptr);
  EXPECT_FALSE(is_rsa_identity(key{raw})) << "only 2048, 3072 and 4096 bits";
}

TEST(key, public_der_round_trip) {
  for (const key* k : {&rsa_key(), &ed_key()}) {
    auto der = k->public_der();
    ASSERT_TRUE(der);
    auto back = public_key_from_der(*der);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->kind(), k->kind());
    EXPECT_EQ(*back->public_der(), *der);
    auto longer = *der;
    longer.push_back(0);
    EXPECT_EQ(code(public_key_from_der(longer)), errc::bad_encoding);
  }
  EXPECT_EQ(code(public_key_from_der("garbage")), errc::bad_encoding);
  EXPECT_EQ(code(public_key_from_der(bytes{})), errc::bad_encoding);
}

TEST(key, the_reused_decoder_recovers_from_bad_input_and_switches_types) {
  // The decoder context is kept per thread: failures must not poison it,
  // and one key type after another must come out right.
  auto rsa_der = *rsa_key().public_der();
  auto ed_der = *ed_key().public_der();
  auto truncated = rsa_der;
  truncated.resize(truncated.size() / 2);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(code(public_key_from_der(truncated)), errc::bad_encoding);
    auto r = public_key_from_der(rsa_der);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->public_der(), rsa_der);
    EXPECT_EQ(code(public_key_from_der("garbage")), errc::bad_encoding);
    auto e = public_key_from_der(ed_der);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind(), ed_key().kind());
    EXPECT_EQ(*e->public_der(), ed_der);
  }
  // Another thread has its own decoder.
  std::thread other{[&] {
    auto r = public_key_from_der(rsa_der);
    EXPECT_TRUE(r && *r->public_der() == rsa_der);
  }};
  other.join();
}

TEST(key, fingerprint_format_and_stability) {
  auto fp = fingerprint(rsa_key());
  ASSERT_TRUE(fp);
  EXPECT_TRUE(is_fingerprint_format(*fp)) << *fp;
  EXPECT_FALSE(is_fingerprint_format(to_hex(sha256("x"))));
  EXPECT_EQ(*fp, *fingerprint(rsa_key()));
  EXPECT_EQ(*fp, *fingerprint(public_only(rsa_key())));
  EXPECT_EQ(*fp, fingerprint_of_der(*rsa_key().public_der()));
  EXPECT_NE(*fp, *fingerprint(rsa_key2()));
  auto hex = to_hex(sha256(*rsa_key().public_der()));
  EXPECT_EQ(fp->substr(0, 4), hex.substr(0, 4));
  EXPECT_EQ(fp->substr(75, 4), hex.substr(60, 4));
}

TEST(key, pem_with_passphrase) {
  for (const key* k : {&rsa_key(), &ed_key()}) {
    auto pem = private_key_to_pem(*k, "correct horse");
    ASSERT_TRUE(pem);
    EXPECT_NE(pem->find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos);
    auto back = private_key_from_pem(*pem, "correct horse");
    ASSERT_TRUE(back);
    EXPECT_EQ(*back->public_der(), *k->public_der());
    EXPECT_EQ(code(private_key_from_pem(*pem, "wrong horse")),
              errc::wrong_passphrase);
    EXPECT_EQ(code(private_key_from_pem(*pem, "")), errc::wrong_passphrase);
  }
}

TEST(key, pem_unencrypted_and_garbage) {
  auto pem = private_key_to_plain_pem(ed_key());
  ASSERT_TRUE(pem);
  EXPECT_NE(pem->find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(*protection_of(*pem), key_protection::none);
  auto back = private_key_from_pem(*pem, "");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back->public_der(), *ed_key().public_der());
  EXPECT_EQ(code(private_key_from_pem("garbage", "pw")), errc::bad_encoding);
  EXPECT_EQ(code(private_key_from_pem("", "pw")), errc::bad_encoding);
  EXPECT_EQ(code(private_key_from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                                      "AAAA\n"
                                      "-----END ENCRYPTED PRIVATE KEY-----\n",
                                      "pw")),
            errc::bad_encoding);
  EXPECT_EQ(code(protection_of("garbage")), errc::bad_encoding);
  EXPECT_EQ(code(private_key_to_pem(key{}, "pw")), errc::bad_key);
  EXPECT_EQ(code(private_key_to_plain_pem(key{})), errc::bad_key);
}

// -- key files at rest -----------------------------------------------------------

namespace {

using sig_ptr = std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)>;

/// The PBES2 parameters of an encrypted PKCS#8 PEM, read here with
/// OpenSSL's ASN.1 types and not through the code under test.
struct pbes2_view {
  int scheme = NID_undef; ///< the outer algorithm (PBES2)
  int kdf = NID_undef;
  int prf = NID_undef;
  int cipher = NID_undef;
  uint64_t iterations = 0;
  size_t salt_size = 0;
};

std::optional<pbes2_view> read_pbes2(const std::string& pem) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  sig_ptr sig{PEM_read_bio_PKCS8(bio, nullptr, nullptr, nullptr),
              X509_SIG_free};
  BIO_free(bio);
  if (!sig)
    return std::nullopt;
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  pbes2_view out;
  out.scheme = OBJ_obj2nid(alg->algorithm);
  auto* pbe2 = static_cast<PBE2PARAM*>(
    ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter));
  if (pbe2 == nullptr)
    return out;
  out.kdf = OBJ_obj2nid(pbe2->keyfunc->algorithm);
  out.cipher = OBJ_obj2nid(pbe2->encryption->algorithm);
  auto* kdf = static_cast<PBKDF2PARAM*>(ASN1_TYPE_unpack_sequence(
    ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter));
  if (kdf != nullptr) {
    out.prf = kdf->prf ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;
    ASN1_INTEGER_get_uint64(&out.iterations, kdf->iter);
    if (kdf->salt && kdf->salt->type == V_ASN1_OCTET_STRING)
      out.salt_size = static_cast<size_t>(
        ASN1_STRING_length(kdf->salt->value.octet_string));
    PBKDF2PARAM_free(kdf);
  }
  PBE2PARAM_free(pbe2);
  return out;
}

/// What Courier wrote before: OpenSSL's defaults (PBKDF2 at 2048).
std::string old_format_pem(const key& k, const std::string& pass) {
  auto* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, k.get(), EVP_aes_256_cbc(),
                                          const_cast<char*>(pass.data()),
                                          static_cast<int>(pass.size()),
                                          nullptr, nullptr),
            1);
  char* data = nullptr;
  auto len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

/// `pem` with its PBKDF2 iteration count replaced (nothing re-encrypted).
std::string with_iterations(const std::string& pem, uint64_t iterations) {
  auto* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  sig_ptr sig{PEM_read_bio_PKCS8(in, nullptr, nullptr, nullptr),
              X509_SIG_free};
  BIO_free(in);
  X509_ALGOR* alg = nullptr;
  X509_SIG_getm(sig.get(), &alg, nullptr);
  auto* pbe2 = static_cast<PBE2PARAM*>(
    ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter));
  auto* kdf = static_cast<PBKDF2PARAM*>(ASN1_TYPE_unpack_sequence(
    ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter));
  EXPECT_EQ(ASN1_INTEGER_set_uint64(kdf->iter, iterations), 1);
  EXPECT_TRUE(ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf,
                                      &pbe2->keyfunc->parameter));
  EXPECT_TRUE(ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), pbe2,
                                      &alg->parameter));
  PBKDF2PARAM_free(kdf);
  PBE2PARAM_free(pbe2);
  auto* out = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PKCS8(out, sig.get()), 1);
  char* data = nullptr;
  auto len = BIO_get_mem_data(out, &data);
  std::string text(data, static_cast<size_t>(len));
  BIO_free(out);
  return text;
}

std::string slurp(const std::string& path) {
  auto text = courier::read_file(path);
  return text ? *text : std::string{};
}

int mode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777)
                                        : -1;
}

} // namespace

TEST(key_file, new_file_uses_pbkdf2_sha256_at_600000_iterations) {
  auto pem = private_key_to_pem(ed_key(), "correct horse");
  ASSERT_TRUE(pem);
  auto p = read_pbes2(*pem);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scheme, NID_pbes2);
  EXPECT_EQ(p->kdf, NID_id_pbkdf2);
  EXPECT_EQ(p->prf, NID_hmacWithSHA256);
  EXPECT_GE(p->iterations, 600'000u);
  EXPECT_GE(p->salt_size, 16u);
  EXPECT_EQ(p->cipher, NID_aes_256_cbc);
  EXPECT_EQ(*protection_of(*pem), key_protection::current);
  // The same holds for an identity file on disk.
  test::scratch_dir dir;
  ASSERT_TRUE(courier::create_identity(dir.path(), 2048, "correct horse"));
  auto on_disk = read_pbes2(slurp(dir.path() + "/identity.pem"));
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(on_disk->prf, NID_hmacWithSHA256);
  EXPECT_GE(on_disk->iterations, 600'000u);
  EXPECT_EQ(mode_of(dir.path() + "/identity.pem"), 0600);
}

TEST(key_file, empty_passphrase_is_refused) {
  EXPECT_EQ(code(private_key_to_pem(ed_key(), "")),
            errc::passphrase_required);
  test::scratch_dir dir;
  EXPECT_EQ(code(courier::create_identity(dir.path(), 2048, "")),
            errc::passphrase_required);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/identity.pem"));
  // Only the explicit call writes a key in clear.
  ASSERT_TRUE(courier::create_plain_identity(dir.path(), 2048));
  EXPECT_FALSE(*courier::identity_has_passphrase(dir.path()));
  courier::identity_notes notes;
  ASSERT_TRUE(courier::load_identity(dir.path(), "", &notes));
  EXPECT_TRUE(notes.unencrypted);
  EXPECT_FALSE(notes.upgraded);
}

TEST(key_file, wrong_passphrase_fails_with_wrong_passphrase) {
  test::scratch_dir dir;
  ASSERT_TRUE(courier::create_identity(dir.path(), 2048, "right horse"));
  EXPECT_TRUE(*courier::identity_has_passphrase(dir.path()));
  EXPECT_EQ(code(courier::load_identity(dir.path(), "wrong horse")),
            errc::wrong_passphrase);
  EXPECT_EQ(code(courier::load_identity(dir.path(), "")),
            errc::wrong_passphrase);
  courier::identity_notes notes;
  ASSERT_TRUE(courier::load_identity(dir.path(), "right horse", &notes));
  EXPECT_FALSE(notes.unencrypted);
  EXPECT_FALSE(notes.upgraded); // already current
}

TEST(key_file, old_format_loads_and_is_rewritten_with_the_strong_kdf) {
  test::scratch_dir dir;
  auto path = dir.path() + "/identity.pem";
  auto old = old_format_pem(rsa_key(), "old horse");
  auto before = read_pbes2(old);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->iterations, 2048u); // what the old code wrote
  ASSERT_FALSE(courier::write_file_atomic(path, old, 0600));
  EXPECT_EQ(*protection_of(old), key_protection::weak);
  // A wrong passphrase leaves the file as it was.
  EXPECT_EQ(code(courier::load_identity(dir.path(), "new horse")),
            errc::wrong_passphrase);
  EXPECT_EQ(slurp(path), old);
  // The right one unlocks it and rewrites it under the same passphrase.
  courier::identity_notes notes;
  auto k = courier::load_identity(dir.path(), "old horse", &notes);
  ASSERT_TRUE(k) << int{k.error().code()};
  EXPECT_EQ(*k->public_der(), *rsa_key().public_der());
  EXPECT_TRUE(notes.upgraded);
  EXPECT_FALSE(notes.upgrade_error);
  auto after = read_pbes2(slurp(path));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->kdf, NID_id_pbkdf2);
  EXPECT_EQ(after->prf, NID_hmacWithSHA256);
  EXPECT_GE(after->iterations, 600'000u);
  EXPECT_EQ(mode_of(path), 0600);
  // Only the key file is left in the folder: no temp file behind.
  size_t files = 0;
  for (auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "identity.pem");
  }
  EXPECT_EQ(files, 1u);
  // The next unlock has nothing to rewrite.
  courier::identity_notes again;
  auto k2 = courier::load_identity(dir.path(), "old horse", &again);
  ASSERT_TRUE(k2);
  EXPECT_EQ(*k2->public_der(), *rsa_key().public_der());
  EXPECT_FALSE(again.upgraded);
}

TEST(key_file, costly_kdf_is_refused_before_it_runs) {
  // A planted file that asks for 50 million PBKDF2 rounds (~10 s of CPU)
  // is refused at once, with any passphrase.
  auto pem = with_iterations(old_format_pem(ed_key(), "pw"), 50'000'000);
  ASSERT_EQ(read_pbes2(pem)->iterations, 50'000'000u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(code(private_key_from_pem(pem, "pw")), errc::bad_key);
  EXPECT_EQ(code(protection_of(pem)), errc::bad_key);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{1});
  // Within the bounds, a changed count only makes the passphrase wrong.
  EXPECT_EQ(code(private_key_from_pem(with_iterations(
                                        old_format_pem(ed_key(), "pw"), 4096),
                                      "pw")),
            errc::wrong_passphrase);
}

// -- signatures ----------------------------------------------------------------

TEST(signature, round_trip_and_tamper) {
  for (const key* k : {&rsa_key(), &ed_key()}) {
    bytes msg{'h', 'e', 'l', 'l', 'o'};
    auto sig = sign(*k, msg);
    ASSERT_TRUE(sig);
    auto pub = public_only(*k);
    EXPECT_TRUE(verify(pub, msg, *sig));
    EXPECT_TRUE(verify(*k, msg, *sig));
    auto bad_msg = msg;
    bad_msg[2] ^= 0x04;
    EXPECT_FALSE(verify(pub, bad_msg, *sig));
    auto bad_sig = *sig;
    bad_sig[bad_sig.size() / 2] ^= 0x01;
    EXPECT_FALSE(verify(pub, msg, bad_sig));
    EXPECT_FALSE(verify(pub, msg, bytes{}));
    // Signing with a public-only key must fail, not crash.
    EXPECT_FALSE(sign(pub, msg));
  }
  EXPECT_EQ(sign(ed_key(), "m")->size(), 64u);
  EXPECT_EQ(sign(rsa_key(), "m")->size(), 256u);
}

TEST(signature, wrong_key_or_kind) {
  auto sig = *sign(rsa_key(), "msg");
  EXPECT_FALSE(verify(rsa_key2(), "msg", sig));
  EXPECT_FALSE(verify(ed_key(), "msg", sig));
  auto x = *generate_x25519();
  EXPECT_FALSE(verify(x, "msg", sig));
  EXPECT_EQ(code(sign(x, "msg")), errc::bad_key);
  EXPECT_FALSE(verify(key{}, "msg", sig));
  // PSS is randomized: two signatures differ but both verify.
  auto sig2 = *sign(rsa_key(), "msg");
  EXPECT_NE(sig, sig2);
  EXPECT_TRUE(verify(rsa_key(), "msg", sig2));
}

// -- OAEP ----------------------------------------------------------------------

TEST(oaep, round_trip_and_tamper) {
  auto content_key = random_secret(32);
  auto wrapped = oaep_wrap(public_only(rsa_key()), content_key);
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->size(), 256u);
  auto back = oaep_unwrap(rsa_key(), *wrapped);
  ASSERT_TRUE(back);
  EXPECT_TRUE(equal_ct(*back, content_key));
  for (size_t i = 0; i < wrapped->size(); i += 17) {
    auto bad = *wrapped;
    bad[i] ^= 0x01;
    EXPECT_EQ(code(oaep_unwrap(rsa_key(), bad)), errc::decrypt_failed) << i;
  }
  EXPECT_EQ(code(oaep_unwrap(rsa_key2(), *wrapped)), errc::decrypt_failed);
  EXPECT_EQ(code(oaep_unwrap(rsa_key(), bytes(10))), errc::decrypt_failed);
  EXPECT_EQ(code(oaep_wrap(ed_key(), content_key)), errc::bad_key);
  EXPECT_EQ(code(oaep_unwrap(ed_key(), *wrapped)), errc::bad_key);
  // Too long for one OAEP block with a 2048-bit key.
  EXPECT_FALSE(oaep_wrap(rsa_key(), bytes(300)));
}

// -- random --------------------------------------------------------------------

TEST(random, produces_fresh_bytes) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
  secret a = random_secret(16);
  secret b = std::move(a);
  EXPECT_EQ(b.size(), 16u);
}

// -- error queue ---------------------------------------------------------------

TEST(errors, failures_leave_no_openssl_errors_behind) {
  ERR_clear_error();
  auto pem = *private_key_to_pem(ed_key(), "pw");
  EXPECT_FALSE(private_key_from_pem(pem, "nope"));
  EXPECT_FALSE(private_key_from_pem("garbage", "pw"));
  EXPECT_FALSE(public_key_from_der("garbage"));
  EXPECT_FALSE(oaep_unwrap(rsa_key(), bytes(256, 7)));
  EXPECT_FALSE(verify(rsa_key(), "m", bytes(256, 7)));
  EXPECT_FALSE(aead_open(bytes(32), bytes(12), "", bytes(20)));
  EXPECT_FALSE(x25519_derive(*generate_x25519(), *x25519_from_raw(bytes(32))));
  EXPECT_EQ(ERR_peek_error(), 0ul);
}

// The keyed cipher must produce exactly what the one-shot functions do,
// message after message, and fail closed the same way.
TEST(aead_cipher, matches_one_shot_and_fails_closed) {
  using namespace courier::crypto;
  auto key = random_bytes(aead_key_size);
  auto sealer = aead_cipher::make(key, true);
  auto opener = aead_cipher::make(key, false);
  ASSERT_TRUE(sealer);
  ASSERT_TRUE(opener);
  for (int i = 0; i < 50; ++i) {
    auto nonce = random_bytes(aead_nonce_size);
    auto text = random_bytes(static_cast<size_t>(i) * 37);
    bytes mine, theirs, back;
    ASSERT_FALSE(sealer->seal_into(nonce, "aad", text, mine));
    ASSERT_FALSE(aead_seal_into(key, nonce, "aad", text, theirs));
    EXPECT_EQ(mine, theirs);
    ASSERT_FALSE(opener->open_into(nonce, "aad", mine, back));
    EXPECT_EQ(back, text);
    mine[static_cast<size_t>(i) % mine.size()] ^= 0x80;
    EXPECT_EQ(opener->open_into(nonce, "aad", mine, back).code(),
              static_cast<uint8_t>(errc::decrypt_failed));
    EXPECT_TRUE(back.empty());
  }
  bytes out;
  auto nonce = random_bytes(aead_nonce_size);
  EXPECT_TRUE(opener->seal_into(nonce, "", "x", out)); // wrong direction
  EXPECT_TRUE(sealer->open_into(nonce, "", bytes(20, 0), out));
  EXPECT_FALSE(aead_cipher::make(random_bytes(16), true));
  EXPECT_EQ(opener->open_into(nonce, "", bytes(5, 0), out).code(),
            static_cast<uint8_t>(errc::decrypt_failed));
}
