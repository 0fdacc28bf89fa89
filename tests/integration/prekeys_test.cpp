// Whole processes: a router on 127.0.0.1 keeps the prekeys users publish
// and hands out bundles, each one-time prekey once; the clients are the
// library's client actors with identities made by courier-cli.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include <caf/all.hpp>

#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/sqlite.hpp"
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

  /// A connected client actor for `user`; `fs`: it publishes prekeys and
  /// sends in ratchet sessions (as every client does by default).
  courier::client_actor client(const std::string& user, bool fs = false) {
    courier::client_config cc;
    cc.user = user;
    cc.dir = courier::user_dir(home(), user);
    cc.identity = *courier::load_identity(cc.dir, "");
    cc.servers = {{"127.0.0.1", router.port}};
    cc.forward_secrecy = fs; // most cases here publish by hand
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

  /// Sends `body` from `c` to `to`; the msg_id, or fails the test.
  void send(const courier::client_actor& c, const std::string& to,
            const std::string& body) {
    auto id = ask<std::string>(c, courier::send_atom::value, to, body);
    EXPECT_TRUE(id) << courier::explain(id.error());
  }

  /// What `c` hands its listener (this test) within `within`, up to `n`.
  std::vector<courier::inbound_message>
  receive(const courier::client_actor& c, size_t n,
          milliseconds within = milliseconds{10000}) {
    self->send(c, courier::listen_atom::value,
               caf::actor_cast<courier::listener_actor>(self));
    std::vector<courier::inbound_message> got;
    auto deadline = steady_clock::now() + within;
    while (got.size() < n && steady_clock::now() < deadline)
      self->receive(
        [&](courier::message_atom, const courier::inbound_message& m) {
          got.push_back(m);
          return true;
        },
        [](courier::status_atom, const std::string&) {},
        [](courier::delivered_atom, const std::string&) {},
        caf::after(milliseconds{100}) >> [] {});
    return got;
  }

  /// Waits until `c` has published `want` one-time prekeys.
  bool published(const courier::client_actor& c, uint32_t want) {
    for (int i = 0; i < 100; ++i) {
      auto n = ask<uint32_t>(c, courier::prekeys_atom::value);
      if (n && *n == want)
        return true;
      std::this_thread::sleep_for(milliseconds{50});
    }
    return false;
  }

  void stop(const courier::client_actor& c) {
    caf::anon_send(c, courier::stop_atom::value);
    std::this_thread::sleep_for(milliseconds{200});
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

TEST_F(prekeys_test, letters_v1_queued_before_the_upgrade_open_and_then_v3) {
  // Bob signs in with a client that publishes nothing (an older version),
  // and alice writes to him while he is away: letters v1.
  stop(client("bob", false));
  auto alice = client("alice", true);
  send(alice, "bob", "queued as v1");
  stop(alice);
  // Bob's new client opens it and publishes prekeys.
  auto bob = client("bob", true);
  auto got = receive(bob, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "queued as v1");
  EXPECT_FALSE(got[0].forward_secret);
  EXPECT_TRUE(got[0].signed_by_sender) << "letters v1 are signed";
  ASSERT_TRUE(published(bob, courier::max_stored_prekeys));
  // From now on, both ways are ratchet sessions.
  alice = client("alice", true);
  send(alice, "bob", "now forward secret");
  got = receive(bob, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "now forward secret");
  EXPECT_TRUE(got[0].forward_secret);
  EXPECT_FALSE(got[0].signed_by_sender) << "chat in v3 is deniable";
  send(bob, "alice", "answer");
  got = receive(alice, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].forward_secret);
  auto k = ask<courier::contact_key>(alice, courier::lookup_atom::value,
                                     std::string{"bob"});
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->forward_secret);
}

// A router that drops the bundle of a peer alice had letters v3 with would
// have her next first message go out as a letter v1 (not forward secret)
// if she believed it: she refuses to send, and says so. A peer she never
// saw with letters v3 still gets letters v1.
TEST_F(prekeys_test, a_router_withdrawing_a_known_bundle_gets_no_letter_v1) {
  auto bob = client("bob", true);
  ASSERT_TRUE(published(bob, courier::max_stored_prekeys));
  auto alice = client("alice", true);
  send(alice, "bob", "in a session");
  ASSERT_EQ(receive(bob, 1).size(), 1u);
  stop(bob);
  stop(alice);
  auto run = [](const std::string& path, const std::string& sql) {
    auto db = courier::database::open(path);
    ASSERT_TRUE(db) << courier::explain(db.error());
    auto err = db->exec(sql);
    EXPECT_FALSE(err) << courier::explain(err);
  };
  // The router "forgets" bob's bundle, and alice's sessions are gone
  // (trimmed, or a damaged row): she needs a new one.
  run(router.data + "/directory.db",
      "DELETE FROM devices WHERE user = 'bob';"
      "DELETE FROM one_time_prekeys WHERE user = 'bob';");
  run(courier::user_dir(home(), "alice") + "/client.db", "DELETE FROM ratchets;");
  alice = client("alice", true);
  auto sent = ask<std::string>(alice, courier::send_atom::value,
                               std::string{"bob"}, std::string{"as v1?"});
  ASSERT_FALSE(sent) << "sent after the router withdrew bob's bundle";
  EXPECT_EQ(courier::code_of(sent.error()), courier::errc::bundle_withdrawn);
  EXPECT_NE(courier::explain(sent.error()).find("ask bob to sign in again"),
            std::string::npos)
    << courier::explain(sent.error());
  bob = client("bob", false); // publishes nothing: the router keeps none
  EXPECT_TRUE(receive(bob, 1, milliseconds{500}).empty());
  // A peer never seen with letters v3: letters v1, as before.
  ASSERT_EQ(init_identity(home(), "carol").exit_code, 0);
  auto carol = client("carol", false);
  send(alice, "carol", "v1 is all carol has");
  auto got = receive(carol, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].forward_secret);
}

TEST_F(prekeys_test, a_device_without_one_time_prekeys_left_still_receives) {
  auto bob = client("bob", true);
  ASSERT_TRUE(published(bob, courier::max_stored_prekeys));
  stop(bob);
  // Others use up every one-time prekey bob published.
  auto drain = client("alice", false);
  for (size_t i = 0; i < courier::max_stored_prekeys; ++i) {
    auto b = ask<x3dh::bundle>(drain, courier::bundle_atom::value,
                               std::string{"bob"});
    ASSERT_TRUE(b && b->one_time);
  }
  stop(drain);
  // Alice starts a session without one and writes while bob is away.
  auto alice = client("alice", true);
  for (auto body : {"one", "two", "three"})
    send(alice, "bob", body);
  bob = client("bob", true);
  auto got = receive(bob, 3);
  ASSERT_EQ(got.size(), 3u);
  for (auto& m : got)
    EXPECT_TRUE(m.forward_secret) << m.body;
  EXPECT_EQ(got[0].body, "one");
  EXPECT_EQ(got[2].body, "three");
  // Signing in, bob saw none left and published a new batch.
  EXPECT_TRUE(published(bob, courier::max_stored_prekeys));
}
