// Unit tests for actors/protocol/bundle: the JSON forms of certificates,
// bundles and initiations.

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "tests/support/device_fixture.hpp"
#include "tests/support/prekey_fixture.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;
using courier::crypto::bytes;

namespace {

TEST(BundleJson, RoundTripsAndStillVerifies) {
  device alice{"alice"}, bob{"bob"};
  auto text = boost::json::serialize(to_json(bob.bundle));
  auto back = bundle_from_json(boost::json::parse(text).as_object());
  ASSERT_TRUE(back) << explain(back.error());
  EXPECT_EQ(back->device.identity, bob.cert.identity);
  ASSERT_TRUE(back->one_time);
  EXPECT_EQ(back->one_time->id, 42u);
  EXPECT_TRUE(x3dh::initiate(alice.keys, alice.cert, *back, rsa("bob"), "bob"));
  auto started = x3dh::initiate(alice.keys, alice.cert, bob.bundle, rsa("bob"),
                                "bob");
  ASSERT_TRUE(started);
  auto init = initiation_from_json(
    boost::json::parse(boost::json::serialize(to_json(started->first)))
      .as_object());
  ASSERT_TRUE(init) << explain(init.error());
  EXPECT_EQ(init->one_time, std::optional<uint32_t>{42});
  EXPECT_TRUE(x3dh::respond(bob.keys, bob.cert, bob.spk, bob.opk, *init));
  bob.bundle.one_time.reset();
  back = bundle_from_json(to_json(bob.bundle));
  ASSERT_TRUE(back) << explain(back.error()) << text;
  EXPECT_FALSE(back->one_time);
}

TEST(BundleJson, HostileFormsAreRefused) {
  device bob{"bob"};
  auto good = to_json(bob.bundle);
  auto refused = [&](auto change) {
    auto obj = good;
    change(obj);
    return !bundle_from_json(obj);
  };
  EXPECT_TRUE(refused([](auto& o) { o["extra"] = 1; }));
  EXPECT_TRUE(refused([](auto& o) { o.erase("spk"); }));
  EXPECT_TRUE(refused([](auto& o) { o["opk"] = "x"; }));
  EXPECT_TRUE(refused([](auto& o) { o["spk_sig"] = "AAAA"; }));
  EXPECT_TRUE(refused([](auto& o) { o["spk"].as_object()["id"] = -1; }));
  EXPECT_TRUE(refused([](auto& o) { o["spk"].as_object()["id"] = 1LL << 40; }));
  EXPECT_TRUE(refused([](auto& o) { o["spk"].as_object()["key"] = "AAAA"; }));
  EXPECT_TRUE(refused([](auto& o) { o["device"].as_object()["user"] = ".."; }));
  EXPECT_TRUE(refused([](auto& o) { o["device"].as_object()["ik"] = "!!"; }));
  EXPECT_TRUE(refused([](auto& o) {
    o["device"].as_object()["sig"] = std::string(2000, 'A');
  }));
  EXPECT_TRUE(refused([](auto& o) { o["device"].as_object()["created"] = -5; }));
}

} // namespace


// -- what a device publishes at its router ---------------------------------------

namespace {

TEST(PrekeyUpload, RoundTripsAndVerifiesAgainstTheSignInKey) {
  device alice{"alice"};
  auto up = upload_of(alice, 3);
  auto text = boost::json::serialize(to_json(up));
  auto back = upload_from_json(boost::json::parse(text).as_object());
  ASSERT_TRUE(back) << explain(back.error());
  ASSERT_EQ(back->one_time.size(), 3u);
  EXPECT_EQ(back->one_time[2].id, 102u);
  EXPECT_EQ(back->one_time[2].key, up.one_time[2].key);
  EXPECT_FALSE(verify(*back, rsa("alice"), "alice"));
  // The envelope that carries it parses as it is; no one-time prekeys is
  // fine too (a signed-prekey rotation).
  auto env = to_json(upload_of(alice));
  env.erase("opks");
  env["v"] = 1;
  env["type"] = "prekeys_publish";
  env["id"] = "7";
  back = upload_from_json(env);
  ASSERT_TRUE(back) << explain(back.error());
  EXPECT_TRUE(back->one_time.empty());
}

TEST(PrekeyUpload, HostileFormsAreRefused) {
  device alice{"alice"};
  auto good = to_json(upload_of(alice, 2));
  auto code = [&](auto change) {
    auto obj = good;
    change(obj);
    auto up = upload_from_json(obj);
    return up ? errc::none : code_of(up.error());
  };
  EXPECT_EQ(code([](auto&) {}), errc::none);
  // Oversize batches.
  EXPECT_EQ(code([](auto& o) {
              o["opks"] = to_json(upload_of(device{"alice"}, 101)).at("opks");
            }),
            errc::oversize);
  EXPECT_EQ(code([](auto& o) {
              o["opks"] = to_json(upload_of(device{"alice"}, 100)).at("opks");
            }),
            errc::none);
  // Duplicate ids.
  EXPECT_EQ(code([](auto& o) {
              auto& a = o["opks"].as_array();
              a[1].as_object()["id"] = a[0].as_object()["id"];
            }),
            errc::bad_envelope);
  // Truncated or overlong keys and signatures.
  EXPECT_EQ(code([](auto& o) {
              o["opks"].as_array()[0].as_object()["key"] =
                std::string(40, 'A');
            }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["spk"].as_object()["key"] = "AAAA"; }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["spk_sig"] = std::string(84, 'A'); }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["device"].as_object()["sk"] = "AAAA"; }),
            errc::bad_envelope);
  // Wrong types and unknown or missing fields.
  EXPECT_EQ(code([](auto& o) { o["opks"] = "x"; }), errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["opks"].as_array().push_back(5); }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["device"] = "x"; }), errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["spk"].as_object()["id"] = "1"; }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["opks"].as_array()[0].as_object()["x"] = 1; }),
            errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o["extra"] = 1; }), errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o.erase("spk_sig"); }), errc::bad_envelope);
  EXPECT_EQ(code([](auto& o) { o.erase("device"); }), errc::bad_envelope);
}

TEST(PrekeyUpload, SignaturesAndTheNameAreChecked) {
  device alice{"alice"}, mallory{"mallory"};
  auto good = upload_of(alice, 1);
  EXPECT_FALSE(verify(good, rsa("alice"), "alice"));
  // Signed in as someone else, or certified by another key.
  EXPECT_EQ(code_of(verify(good, rsa("mallory"), "mallory")),
            errc::bad_signature);
  EXPECT_EQ(code_of(verify(good, rsa("mallory"), "alice")),
            errc::bad_signature);
  // Mallory's own certificate presented as alice's.
  auto foreign = upload_of(mallory, 1);
  EXPECT_EQ(code_of(verify(foreign, rsa("alice"), "alice")),
            errc::bad_signature);
  // A forged certificate field or prekey signature.
  auto forged = good;
  forged.device.created_ms += 1;
  EXPECT_EQ(code_of(verify(forged, rsa("alice"), "alice")),
            errc::bad_signature);
  forged = good;
  forged.signed_prekey.key = mallory.bundle.signed_prekey.key;
  EXPECT_EQ(code_of(verify(forged, rsa("alice"), "alice")),
            errc::bad_signature);
  forged = good;
  forged.prekey_signature = mallory.bundle.prekey_signature;
  EXPECT_EQ(code_of(verify(forged, rsa("alice"), "alice")),
            errc::bad_signature);
  forged = good;
  forged.prekey_signature[3] ^= 1;
  EXPECT_EQ(code_of(verify(forged, rsa("alice"), "alice")),
            errc::bad_signature);
}

} // namespace
