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

