// Whole processes: a router on 127.0.0.1 keeps the prekeys users publish
// and hands out bundles, each one-time prekey once; the clients are the
// library's client actors with identities made by courier-cli.

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include <caf/all.hpp>

#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/harness.hpp"

using namespace courier::test;
using namespace std::chrono;
namespace x3dh = courier::protocol::x3dh;

namespace {

class prekeys_test : public ::testing::Test {
protected:
  void SetUp() override {
    router = router_process::start(dir / "router");
    for (auto user : {"alice", "bob"}) {
      auto r = init_identity(home(), user);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  std::string home() { return dir / "home"; }

  /// A connected client actor for `user`.
  courier::client_actor client(const std::string& user) {
    courier::client_config cc;
    cc.user = user;
    cc.dir = courier::user_dir(home(), user);
    cc.identity = *courier::load_identity(cc.dir, "");
    cc.servers = {{"127.0.0.1", router.port}};
    cc.forward_secrecy = false; // the test publishes by hand
    auto c = courier::spawn_client(sys, cc);
    EXPECT_TRUE(c);
    self->request(*c, seconds{10}, courier::connect_atom::value)
      .receive([](const std::string&, bool) {},
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    clients.push_back(*c);
    return *c;
  }

  void TearDown() override {
    for (auto& c : clients)
      caf::anon_send(c, courier::stop_atom::value);
  }

  /// The answer of `c` to `xs...`, or its error.
  template <class T, class... Ts>
  caf::expected<T> ask(const courier::client_actor& c, Ts&&... xs) {
    caf::expected<T> out{caf::error{}};
    self->request(c, seconds{10}, std::forward<Ts>(xs)...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  temp_dir dir;
  router_process router;
  courier::base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::vector<courier::client_actor> clients;
};

} // namespace

TEST_F(prekeys_test, alice_publishes_and_bob_fetches_each_one_time_prekey_once) {
  auto alice = client("alice");
  auto bob = client("bob");
  // Alice's device, certified by her identity, with a signed prekey and
  // two one-time prekeys whose private halves she keeps.
  auto identity = *courier::load_identity(courier::user_dir(home(), "alice"), "");
  auto made = x3dh::make_device(identity, "alice", 1, courier::now_ms());
  ASSERT_TRUE(made);
  auto spk = courier::crypto::generate_x25519().value();
  std::map<uint32_t, courier::crypto::key> opks;
  courier::protocol::prekey_upload up;
  up.device = made->second;
  up.signed_prekey = {1, courier::crypto::x25519_public_raw(spk).value()};
  up.prekey_signature =
    x3dh::sign_prekey(made->first, up.device, up.signed_prekey).value();
  for (uint32_t id : {5u, 6u}) {
    opks[id] = courier::crypto::generate_x25519().value();
    up.one_time.push_back({id, courier::crypto::x25519_public_raw(opks[id]).value()});
  }
  // Before she publishes, bob hears that she has no bundle.
  auto none = ask<x3dh::bundle>(bob, courier::bundle_atom::value,
                                std::string{"alice"});
  ASSERT_FALSE(none);
  EXPECT_EQ(courier::code_of(none.error()), courier::errc::no_bundle);
  auto stored = ask<uint32_t>(alice, courier::prekeys_atom::value, up);
  ASSERT_TRUE(stored) << courier::explain(stored.error());
  EXPECT_EQ(*stored, 2u);
  // Bob fetches twice: two different one-time prekeys, and the count drops.
  std::set<uint32_t> handed;
  for (int i = 0; i < 2; ++i) {
    auto b = ask<x3dh::bundle>(bob, courier::bundle_atom::value,
                               std::string{"alice"});
    ASSERT_TRUE(b) << courier::explain(b.error());
    ASSERT_TRUE(b->one_time);
    handed.insert(b->one_time->id);
    auto left = ask<uint32_t>(alice, courier::prekeys_atom::value);
    ASSERT_TRUE(left) << courier::explain(left.error());
    EXPECT_EQ(*left, 1u - i);
    // The bundle starts a session: both ends agree on the secret.
    auto bob_dev = x3dh::make_device(
      *courier::load_identity(courier::user_dir(home(), "bob"), ""), "bob", 1,
      courier::now_ms());
    ASSERT_TRUE(bob_dev);
    auto identity_pub = courier::crypto::public_key_from_der(
      identity.public_der().value());
    auto started = x3dh::initiate(bob_dev->first, bob_dev->second, *b,
                                  *identity_pub, "alice");
    ASSERT_TRUE(started) << courier::explain(started.error());
    auto agreed = x3dh::respond(made->first, made->second, spk,
                                opks.at(b->one_time->id),
                                started->first);
    ASSERT_TRUE(agreed) << courier::explain(agreed.error());
    EXPECT_TRUE(courier::crypto::equal_ct(agreed->sk, started->second.sk));
  }
  EXPECT_EQ(handed, (std::set<uint32_t>{5, 6}));
  // None left: the bundle carries none, and the session starts without.
  auto last = ask<x3dh::bundle>(bob, courier::bundle_atom::value,
                                std::string{"alice"});
  ASSERT_TRUE(last) << courier::explain(last.error());
  EXPECT_FALSE(last->one_time);
  EXPECT_EQ(*ask<uint32_t>(alice, courier::prekeys_atom::value), 0u);
  // Bob cannot publish for alice: his client refuses, and the router would.
  auto as_bob = ask<uint32_t>(bob, courier::prekeys_atom::value, up);
  EXPECT_EQ(courier::code_of(as_bob.error()), courier::errc::bad_signature);
}
