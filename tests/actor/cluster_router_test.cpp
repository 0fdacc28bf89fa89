// Actor tests for two routers in one cluster, in a real in-process actor
// system: each router has its own directory and store, and they learn about
// each other through peer_up as their peer links would tell them. Sessions
// are played by the fake sessions of fake_session.hpp, which forward
// everything they receive to the test's inbox.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "actors/server/cluster/rendezvous.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/router.hpp"
#include "actors/server/store.hpp"
#include "tests/support/fake_session.hpp"
#include "tests/support/inbox.hpp"
#include "tests/support/prekey_fixture.hpp"

using namespace courier;
using namespace std::chrono_literals;

namespace {

using namespace courier::test;

/// Every router of the cluster under test.
const std::vector<std::string> cluster_names{"A", "B"};

/// The `nth` (from 0) of the names u0, u1, ... whose home is `router`.
std::string user_at(const std::string& router, size_t nth = 0) {
  size_t seen = 0;
  for (int i = 0; i < 100000; ++i) {
    auto name = "u" + std::to_string(i);
    if (cluster_names[cluster::home_index(cluster_names, name)] == router
        && seen++ == nth)
      return name;
  }
  ADD_FAILURE() << "no user homed at " << router;
  return "nobody";
}

/// One router of the cluster with its own databases.
struct node {
  std::string name;
  directory_actor directory;
  store_actor store;
  router_actor router;
};

struct lookup_result {
  std::string key;
  caf::error err;
};

struct register_result {
  bool is_new = false;
  caf::error err;
};

struct peer_up_result {
  bool ok = false;
  caf::error err;
};

/// Stands in for the backbone's TLS: the name on the certificate behind
/// each handle, as the fake routers' "connections" would present it.
using cert_names = std::map<caf::actor_addr, std::string>;

cluster::peer_identity_actor::behavior_type
fake_identity(cluster::peer_identity_actor::pointer, cert_names names) {
  return {
    [=](identify_atom, const caf::actor_addr& who)
      -> caf::result<std::string> {
      if (auto it = names.find(who); it != names.end())
        return it->second;
      return make_error(errc::peer_refused, "no certificate");
    },
  };
}

class ClusterRouterTest : public fake_session_fixture {
protected:
  void release_handles() override {
    a_ = node{};
    b_ = node{};
  }

  /// Spawns directory, store and router `name` of the cluster {A, B} on
  /// in-memory databases; `identity` checks its peers' certificates.
  node start(const std::string& name,
             cluster::peer_identity_actor identity = {},
             queue_limits queue = {}) {
    node n;
    n.name = name;
    auto ddb = open_directory_db(":memory:");
    EXPECT_TRUE(ddb) << to_string(ddb.error());
    auto sdb = open_store_db(":memory:");
    EXPECT_TRUE(sdb) << to_string(sdb.error());
    if (!ddb || !sdb)
      return n;
    n.directory = spawn_directory(*sys_, *ddb);
    auto first_seq = next_free_seq(**sdb);
    n.store = spawn_store(*sys_, *sdb, {}, queue);
    n.router = spawn_router(*sys_, n.directory, n.store, edge_limits{},
                            first_seq,
                            cluster_config{name, cluster_names, identity});
    track(n.directory.address());
    track(n.store.address());
    track(n.router.address());
    return n;
  }

  /// A new router `name` on the directory and store of `old` (a restart of
  /// the router alone); its seqs start at `first_seq`.
  node restart(const node& old, uint64_t first_seq) {
    node n = old;
    n.router = spawn_router(*sys_, n.directory, n.store, edge_limits{},
                            first_seq, cluster_config{n.name, cluster_names, {}});
    track(n.router.address());
    return n;
  }

  /// Starts A and B (not introduced).
  void start_both() {
    a_ = start("A");
    b_ = start("B");
    ASSERT_TRUE(a_.router && b_.router);
  }

  /// Tells `to` that router `about` is up under `name` (its own by
  /// default), as a peer link would; the router's answer.
  peer_up_result peer_up(const node& to, const node& about,
                         std::string name = "") {
    return ask(&peer_up_result::ok, to.router, peer_up_atom::value,
               name.empty() ? about.name : name,
               caf::actor_cast<caf::strong_actor_ptr>(about.router));
  }

  /// A fake TLS identity that reports `names`.
  cluster::peer_identity_actor identity(cert_names names) {
    auto hdl = sys_->spawn(fake_identity, std::move(names));
    track(hdl.address());
    return hdl;
  }

  void introduce(const node& x, const node& y) {
    peer_up(x, y);
    peer_up(y, x);
  }

  register_result register_via(const router_actor& hdl, const std::string& user,
                               const std::string& key) {
    return ask(&register_result::is_new, hdl, register_atom::value, user, key);
  }

  /// Registers `user` with the key "key of <user>" through router `n`.
  void register_ok(const node& n, const std::string& user) {
    auto res = register_via(n.router, user, "key of " + user);
    ASSERT_FALSE(res.err) << "register " << user << " via " << n.name << ": "
                          << explain(res.err);
    ASSERT_TRUE(res.is_new) << user << " was not new";
  }

  template <class Handle>
  lookup_result lookup_at(const Handle& hdl, const std::string& user) {
    return ask(&lookup_result::key, hdl, lookup_atom::value, user);
  }

  send_result send(const node& n, const std::string& from,
                   const std::string& to, const std::string& blob) {
    return send_via(n.router, from, to, blob);
  }

  /// The answer of `hdl` to `xs...`; on an error, a failure that names
  /// `what`, and `fallback`.
  template <class T, class Handle, class... Ts>
  T answer_of(T fallback, const std::string& what, const Handle& hdl,
              Ts&&... xs) {
    T out = std::move(fallback);
    self()
      ->request(hdl, wait_time, std::forward<Ts>(xs)...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& err) {
                 ADD_FAILURE() << what << ": " << explain(err);
               });
    return out;
  }

  /// Sends and requires success; returns the seq.
  uint64_t send_ok(const node& n, const std::string& from,
                   const std::string& to, const std::string& blob) {
    auto res = send(n, from, to, blob);
    EXPECT_FALSE(res.err) << "send via " << n.name << ": " << explain(res.err);
    EXPECT_GT(res.seq, 0u);
    return res.seq;
  }

  /// What the store of `n` holds for `to`.
  std::vector<stored_message> queued_at(const node& n, const std::string& to) {
    return answer_of(std::vector<stored_message>{}, "fetch", n.store,
                     fetch_atom::value, to, uint64_t{0}, uint32_t{100});
  }

  void login(const node& n, const std::string& user, const session_actor& s) {
    self()->send(n.router, login_atom::value, user, s);
  }

  void ack(const node& n, const std::string& user, uint64_t seq) {
    self()->send(n.router, ack_atom::value, user, seq);
  }

  /// Which of `asked` are online, through `n`, and how long it took.
  std::vector<std::string> online(const node& n,
                                  std::vector<std::string> asked,
                                  ms* took = nullptr) {
    auto t0 = steady::now();
    auto result = answer_of(std::vector<std::string>{"<no answer>"},
                            "online via " + n.name, n.router,
                            online_atom::value, std::move(asked));
    if (took)
      *took = std::chrono::duration_cast<ms>(steady::now() - t0);
    return result;
  }

  /// Looks `user` up through `n` until the router itself refuses it as
  /// unreachable ("try again"), i.e. it has processed the peer's down
  /// message. A request that raced into the dead peer is never answered
  /// (routers are brokers, and CAF 0.17 does not bounce what is left in a
  /// dead broker's mailbox), so each attempt waits briefly.
  lookup_result lookup_until_refused(const node& n, const std::string& user) {
    auto deadline = steady::now() + wait_time;
    lookup_result res;
    do {
      res = lookup_result{};
      self()
        ->request(n.router, ms{250}, lookup_atom::value, user)
        .receive([&](std::string& key) { res.key = std::move(key); },
                 [&](caf::error& err) { res.err = std::move(err); });
      if (res.err && explain(res.err).find("try again") != std::string::npos)
        break;
      std::this_thread::sleep_for(ms{10});
    } while (steady::now() < deadline);
    return res;
  }

  /// Expects `err` to be the router's own "home is down" refusal for `user`.
  static void expect_home_down(const caf::error& err, const std::string& user,
                               const std::string& what) {
    ASSERT_TRUE(err) << what << " succeeded";
    EXPECT_EQ(code_of(err), errc::unreachable) << what << ": " << explain(err);
    auto text = explain(err);
    EXPECT_NE(text.find("try again"), std::string::npos) << what << ": " << text;
    EXPECT_NE(text.find(user), std::string::npos) << what << ": " << text;
  }

  static std::vector<std::string> sorted(std::vector<std::string> xs) {
    std::sort(xs.begin(), xs.end());
    return xs;
  }

  node a_;
  node b_;
};

// -- homes ---------------------------------------------------------------------

TEST(ClusterHomes, TestUsersAreHomedWhereTheTestsExpect) {
  for (auto& r : cluster_names)
    for (size_t i = 0; i < 3; ++i) {
      auto user = user_at(r, i);
      EXPECT_EQ(cluster_names[cluster::home_index(cluster_names, user)], r);
      // The order of the names does not matter.
      std::vector<std::string> reversed{cluster_names.rbegin(),
                                        cluster_names.rend()};
      EXPECT_EQ(reversed[cluster::home_index(reversed, user)], r);
    }
  EXPECT_NE(user_at("A"), user_at("B"));
  EXPECT_NE(user_at("B", 0), user_at("B", 1));
}

TEST_F(ClusterRouterTest, RoutersKnowTheirNames) {
  start_both();
  auto a_name = answer_of(std::string{}, "status via A", a_.router,
                          status_atom::value);
  auto b_name = answer_of(std::string{}, "status via B", b_.router,
                          status_atom::value);
  EXPECT_EQ(a_name, "A");
  EXPECT_EQ(b_name, "B");
}

// -- directory -----------------------------------------------------------------

TEST_F(ClusterRouterTest, RegisterAndLookupThroughAPeerLandAtTheHome) {
  start_both();
  introduce(a_, b_);
  auto ub = user_at("B");
  auto ua = user_at("A");
  // Registered through A, homed at B.
  register_ok(a_, ub);
  // B answers from its own directory; A passes the lookup on.
  auto via_b = lookup_at(b_.router, ub);
  EXPECT_FALSE(via_b.err) << explain(via_b.err);
  EXPECT_EQ(via_b.key, "key of " + ub);
  auto via_a = lookup_at(a_.router, ub);
  EXPECT_FALSE(via_a.err) << explain(via_a.err);
  EXPECT_EQ(via_a.key, "key of " + ub);
  // The entry is in B's directory and not in A's.
  auto in_b = lookup_at(b_.directory, ub);
  EXPECT_FALSE(in_b.err) << explain(in_b.err);
  EXPECT_EQ(in_b.key, "key of " + ub);
  auto in_a = lookup_at(a_.directory, ub);
  EXPECT_EQ(code_of(in_a.err), errc::unknown_user)
    << "A's directory has " << ub << ": '" << in_a.key << "'";
  // The same binding holds whichever router is asked.
  auto again = register_via(b_.router, ub, "key of " + ub);
  EXPECT_FALSE(again.err) << explain(again.err);
  EXPECT_FALSE(again.is_new) << ub << " registered twice";
  auto taken = register_via(a_.router, ub, "another key");
  EXPECT_EQ(code_of(taken.err), errc::username_taken) << explain(taken.err);
  // And the other way round: homed at A, registered through B.
  register_ok(b_, ua);
  EXPECT_EQ(lookup_at(a_.directory, ua).key, "key of " + ua);
  EXPECT_EQ(code_of(lookup_at(b_.directory, ua).err), errc::unknown_user);
  EXPECT_EQ(lookup_at(b_.router, ua).key, "key of " + ua);
  // A user nobody registered is unknown through either router.
  auto ub2 = user_at("B", 1);
  EXPECT_EQ(code_of(lookup_at(a_.router, ub2).err), errc::unknown_user);
  EXPECT_EQ(code_of(send(a_, ua, ub2, "x").err), errc::unknown_user);
}

TEST_F(ClusterRouterTest, PrekeysOfAUserHomedElsewhereGoThroughThePeer) {
  start_both();
  introduce(a_, b_);
  auto ub = user_at("B");
  ASSERT_FALSE(register_via(a_.router, ub, identity_der(ub)).err);
  device dev{ub};
  auto upload = boost::json::serialize(protocol::to_json(upload_of(dev, 2)));
  struct count_result {
    uint32_t n = 0;
    caf::error err;
  };
  struct bundle_result {
    std::string json;
    caf::error err;
  };
  // Published through A, kept at B, B's directory alone.
  auto published = ask(&count_result::n, a_.router, prekeys_atom::value, ub,
                       upload);
  ASSERT_FALSE(published.err) << explain(published.err);
  EXPECT_EQ(published.n, 2u);
  EXPECT_EQ(ask(&count_result::n, b_.directory, prekeys_atom::value, ub).n, 2u);
  EXPECT_EQ(ask(&count_result::n, a_.directory, prekeys_atom::value, ub).n, 0u);
  // Fetched through A: each one-time prekey once.
  std::vector<uint32_t> handed;
  for (int i = 0; i < 3; ++i) {
    auto got = ask(&bundle_result::json, a_.router, bundle_atom::value, ub);
    ASSERT_FALSE(got.err) << explain(got.err);
    auto b = protocol::bundle_from_json(
      boost::json::parse(got.json).as_object());
    ASSERT_TRUE(b);
    EXPECT_FALSE(protocol::x3dh::verify(b->device, rsa(ub), ub));
    if (b->one_time)
      handed.push_back(b->one_time->id);
  }
  EXPECT_EQ(handed, (std::vector<uint32_t>{100, 101}));
  EXPECT_EQ(ask(&count_result::n, a_.router, prekeys_atom::value, ub).n, 0u);
  // Refusals come back through the peer as they are.
  auto ub2 = user_at("B", 1);
  EXPECT_EQ(code_of(ask(&bundle_result::json, a_.router, bundle_atom::value,
                        ub2)
                      .err),
            errc::unknown_user);
  auto forged = ask(&count_result::n, a_.router, prekeys_atom::value, ub,
                    boost::json::serialize(protocol::to_json(
                      upload_of(device{user_at("A")}, 1))));
  EXPECT_EQ(code_of(forged.err), errc::bad_signature);
}

// -- messages --------------------------------------------------------------------

TEST_F(ClusterRouterTest, VisitingSessionGetsMessagesAndAcksGoHome) {
  start_both();
  introduce(a_, b_);
  auto ua = user_at("A");
  auto ub = user_at("B");
  register_ok(a_, ua);
  register_ok(a_, ub);
  // Both sessions are connected to A; ub's home is B.
  auto sender = fake_session("sender");
  auto visitor = fake_session("visitor");
  login(a_, ua, sender);
  login(a_, ub, visitor);
  // Through A, then through B: both reach the session on A.
  auto s1 = send_ok(a_, ua, ub, "via A");
  auto got = deliveries("visitor", 1);
  ASSERT_EQ(got.size(), 1u) << "message through A not pushed";
  EXPECT_EQ(got[0].seq, s1);
  EXPECT_EQ(got[0].blob, "via A");
  EXPECT_EQ(got[0].from, ua);
  auto s2 = send_ok(b_, ua, ub, "via B");
  got = deliveries("visitor", 1);
  ASSERT_EQ(got.size(), 1u) << "message through B not pushed";
  EXPECT_EQ(got[0].seq, s2);
  EXPECT_EQ(got[0].blob, "via B");
  EXPECT_TRUE(stray_deliveries("visitor").empty());
  // Both wait in B's queue, none in A's.
  EXPECT_EQ(seqs_of(queued_at(b_, ub)), (std::vector<uint64_t>{s1, s2}));
  EXPECT_TRUE(queued_at(a_, ub).empty());
  EXPECT_FALSE(box_->take(told_delivered("sender"), ms{50}))
    << "delivered before the ack";
  // Acks through A reach B; the sender on A hears of each.
  ack(a_, ub, s1);
  auto told = box_->take(told_delivered("sender"), wait_time);
  ASSERT_TRUE(told) << "sender not told of the ack through A";
  EXPECT_EQ(told->get_as<uint64_t>(2), s1);
  ack(a_, ub, s2);
  told = box_->take(told_delivered("sender"), wait_time);
  ASSERT_TRUE(told) << "sender not told of the second ack";
  EXPECT_EQ(told->get_as<uint64_t>(2), s2);
  EXPECT_FALSE(box_->take(told_delivered("visitor"), ms{50}));
  // A new session for ub (again through A) takes over and gets nothing:
  // the acks removed both messages at B.
  auto second = fake_session("second");
  login(a_, ub, second);
  EXPECT_TRUE(box_->take(kicked("visitor"), wait_time))
    << "the first session was not kicked";
  EXPECT_TRUE(stray_deliveries("second").empty()) << "acked message came again";
  // New traffic goes to the new session only.
  auto s3 = send_ok(a_, ua, ub, "after");
  got = deliveries("second", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, s3);
  EXPECT_TRUE(stray_deliveries("visitor").empty());
}

TEST_F(ClusterRouterTest, UnackedMessagesComeAgainToTheNextVisitingSession) {
  start_both();
  introduce(a_, b_);
  auto ua = user_at("A");
  auto ub = user_at("B");
  register_ok(b_, ua);
  register_ok(b_, ub);
  auto s1 = send_ok(a_, ua, ub, "one");
  auto s2 = send_ok(a_, ua, ub, "two");
  auto first = fake_session("first");
  login(a_, ub, first);
  EXPECT_EQ(seqs_of(deliveries("first", 2)), (std::vector<uint64_t>{s1, s2}));
  // Only the first is acknowledged (through B this time).
  ack(b_, ub, s1);
  auto second = fake_session("second");
  login(a_, ub, second);
  auto got = deliveries("second", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, s2);
  EXPECT_EQ(got[0].blob, "two");
  EXPECT_TRUE(stray_deliveries("second").empty());
}

// -- home down -------------------------------------------------------------------

TEST_F(ClusterRouterTest, UnknownPeerIsUnreachableButLocalUsersWork) {
  start_both();
  auto ua = user_at("A");
  auto ub = user_at("B");
  // B itself knows ub; A has not heard of B yet.
  register_ok(b_, ub);
  auto reg = register_via(a_.router, ub, "key of " + ub);
  expect_home_down(reg.err, ub, "register");
  auto look = lookup_at(a_.router, ub);
  expect_home_down(look.err, ub, "lookup");
  EXPECT_TRUE(look.key.empty());
  auto sent = send(a_, ua, ub, "blob");
  expect_home_down(sent.err, ub, "send");
  EXPECT_EQ(sent.seq, 0u);
  EXPECT_NE(explain(sent.err).find("B"), std::string::npos)
    << "the error should name the home router: " << explain(sent.err);
  // Nothing reached B's queue.
  EXPECT_TRUE(queued_at(b_, ub).empty());
  // A user homed at A works as usual.
  register_ok(a_, ua);
  EXPECT_EQ(lookup_at(a_.router, ua).key, "key of " + ua);
  auto self_session = fake_session("ua");
  login(a_, ua, self_session);
  auto seq = send_ok(a_, ub, ua, "to A's user");
  auto got = deliveries("ua", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seq);
  // Once A hears of B, the same requests go through.
  peer_up(a_, b_);
  auto now = lookup_at(a_.router, ub);
  EXPECT_FALSE(now.err) << explain(now.err);
  EXPECT_EQ(now.key, "key of " + ub);
  send_ok(a_, ua, ub, "now");
  EXPECT_EQ(blobs_of(queued_at(b_, ub)), std::vector<std::string>{"now"});
}

TEST_F(ClusterRouterTest, DeadPeerIsForgottenAndUnreachable) {
  start_both();
  introduce(a_, b_);
  auto ua = user_at("A");
  auto ub = user_at("B");
  register_ok(a_, ua);
  register_ok(a_, ub);
  ASSERT_EQ(lookup_at(a_.router, ub).key, "key of " + ub);
  auto ua_session = fake_session("ua");
  login(a_, ua, ua_session);
  kill_and_wait(b_.router.address());
  // Once A processed the down message, it refuses on its own.
  auto look = lookup_until_refused(a_, ub);
  expect_home_down(look.err, ub, "lookup after B died");
  auto reg = register_via(a_.router, user_at("B", 1), "k");
  expect_home_down(reg.err, user_at("B", 1), "register after B died");
  auto sent = send(a_, ua, ub, "blob");
  expect_home_down(sent.err, ub, "send after B died");
  // Users homed at A are not affected.
  EXPECT_EQ(lookup_at(a_.router, ua).key, "key of " + ua);
  register_ok(a_, user_at("A", 1));
  auto seq = send_ok(a_, user_at("A", 1), ua, "still here");
  auto got = deliveries("ua", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seq);
  // A restarted B (same directory and store) is used once A hears of it.
  auto b2 = restart(b_, 1000);
  peer_up(a_, b2);
  auto back = lookup_at(a_.router, ub);
  EXPECT_FALSE(back.err) << explain(back.err);
  EXPECT_EQ(back.key, "key of " + ub);
  auto s2 = send_ok(a_, ua, ub, "again");
  EXPECT_GE(s2, 1000u) << "not accepted by the restarted B";
}

// -- visiting sessions -----------------------------------------------------------

TEST_F(ClusterRouterTest, VisitingSessionLogsInAtHomeOncePeerIsUp) {
  start_both();
  auto ub = user_at("B");
  register_ok(b_, ub);
  // Queued at B while ub is offline.
  auto s1 = send_ok(b_, "someone", ub, "queued-1");
  auto s2 = send_ok(b_, "someone", ub, "queued-2");
  // ub connects to A, which does not know B yet: nothing can arrive.
  auto visitor = fake_session("visitor");
  login(a_, ub, visitor);
  EXPECT_TRUE(stray_deliveries("visitor").empty());
  EXPECT_TRUE(online(b_, {ub}).empty()) << "B saw a login it could not have seen";
  // A hears of B: the session is logged in at B and gets the backlog.
  peer_up(a_, b_);
  auto got = deliveries("visitor", 2);
  ASSERT_EQ(got.size(), 2u) << "backlog did not reach the visiting session";
  EXPECT_EQ(seqs_of(got), (std::vector<uint64_t>{s1, s2}));
  EXPECT_EQ(blobs_of(got),
            (std::vector<std::string>{"queued-1", "queued-2"}));
  EXPECT_EQ(online(b_, {ub}), std::vector<std::string>{ub});
  // New messages reach it directly.
  auto s3 = send_ok(b_, "someone", ub, "live");
  got = deliveries("visitor", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, s3);
  // Telling A again about the same B logs nothing in twice.
  peer_up(a_, b_);
  EXPECT_TRUE(stray_deliveries("visitor").empty());
  EXPECT_FALSE(box_->take(kicked("visitor"), ms{50}));
}

TEST_F(ClusterRouterTest, VisitingSessionLogsInAgainWhenItsHomeComesBack) {
  start_both();
  auto ub = user_at("B");
  register_ok(b_, ub);
  auto visitor = fake_session("visitor");
  peer_up(a_, b_);
  login(a_, ub, visitor);
  auto s1 = send_ok(a_, "someone", ub, "before");
  auto got = deliveries("visitor", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, s1);
  // B dies with s1 unacknowledged; the router restarts on the same store.
  kill_and_wait(b_.router.address());
  lookup_until_refused(a_, ub);
  auto b2 = restart(b_, s1 + 1000);
  auto s2 = send_ok(b2, "someone", ub, "while A did not know");
  EXPECT_TRUE(stray_deliveries("visitor").empty());
  // A hears of the new B: the session is logged in there again and gets
  // the unacknowledged message and the new one.
  peer_up(a_, b2);
  got = deliveries("visitor", 2);
  ASSERT_EQ(got.size(), 2u) << "not logged in again at the restarted home";
  EXPECT_EQ(seqs_of(got), (std::vector<uint64_t>{s1, s2}));
  EXPECT_EQ(blobs_of(got),
            (std::vector<std::string>{"before", "while A did not know"}));
}

TEST_F(ClusterRouterTest, DeadVisitingSessionIsNotLoggedInAgain) {
  start_both();
  auto ub = user_at("B");
  register_ok(b_, ub);
  auto visitor = fake_session("visitor");
  login(a_, ub, visitor);
  kill_and_wait(visitor.address());
  // Make sure A handled the down before it hears of B.
  std::this_thread::sleep_for(ms{100});
  peer_up(a_, b_);
  send_ok(a_, "someone", ub, "nobody home");
  std::vector<std::string> names{"<none>"};
  auto deadline = steady::now() + quiet_time;
  do {
    names = online(b_, {ub});
    if (!names.empty())
      break;
    std::this_thread::sleep_for(ms{10});
  } while (steady::now() < deadline);
  EXPECT_TRUE(names.empty()) << "a dead session was logged in at B";
}

// -- backbone names ----------------------------------------------------------

TEST_F(ClusterRouterTest, SecondPeerUpForALiveNameIsIgnored) {
  start_both();
  auto impostor = start("B"); // another router that calls itself B
  ASSERT_TRUE(impostor.router);
  auto ub = user_at("B");
  register_ok(b_, ub);
  auto first = peer_up(a_, b_);
  EXPECT_FALSE(first.err) << explain(first.err);
  EXPECT_TRUE(first.ok);
  // The same handle again is fine (both ends of a link tell).
  auto again = peer_up(a_, b_);
  EXPECT_FALSE(again.err) << explain(again.err);
  // Another handle under the live name is refused, not taken.
  auto second = peer_up(a_, impostor);
  EXPECT_EQ(code_of(second.err), errc::peer_refused) << explain(second.err);
  EXPECT_NE(explain(second.err).find("up already"), std::string::npos)
    << explain(second.err);
  // A still asks the first B, which knows ub; the impostor does not.
  auto look = lookup_at(a_.router, ub);
  EXPECT_FALSE(look.err) << "A now asks the impostor: " << explain(look.err);
  EXPECT_EQ(look.key, "key of " + ub);
  // Once the first B is gone, a new B is taken.
  kill_and_wait(b_.router.address());
  lookup_until_refused(a_, ub);
  auto after = peer_up(a_, impostor);
  EXPECT_FALSE(after.err) << explain(after.err);
  EXPECT_EQ(code_of(lookup_at(a_.router, ub).err), errc::unknown_user);
}

TEST_F(ClusterRouterTest, PeerWhoseCertificateNamesAnotherRouterIsRefused) {
  // C holds a certificate from the same CA and claims to be B.
  auto b = start("B");
  auto c = start("B");
  ASSERT_TRUE(b.router && c.router);
  auto a = start("A", identity({{b.router.address(), "B"},
                                {c.router.address(), "C"}}));
  ASSERT_TRUE(a.router);
  a_ = a;
  b_ = b;
  auto ub = user_at("B");
  register_ok(b, ub);
  auto claimed = peer_up(a, c, "B");
  EXPECT_EQ(code_of(claimed.err), errc::peer_refused) << explain(claimed.err);
  EXPECT_NE(explain(claimed.err).find("certificate names 'C'"),
            std::string::npos)
    << explain(claimed.err);
  // A does not use C for B's users: they are unreachable, not unknown.
  auto look = lookup_at(a.router, ub);
  expect_home_down(look.err, ub, "lookup after the impostor");
  // A handle without any verified certificate is refused too.
  auto nobody = start("B");
  auto unverified = peer_up(a, nobody, "B");
  EXPECT_EQ(code_of(unverified.err), errc::peer_refused);
  // The real B, whose certificate names it, is taken.
  auto real = peer_up(a, b, "B");
  EXPECT_FALSE(real.err) << explain(real.err);
  look = lookup_at(a.router, ub);
  EXPECT_FALSE(look.err) << explain(look.err);
  EXPECT_EQ(look.key, "key of " + ub);
}

// -- quotas ----------------------------------------------------------------------

TEST_F(ClusterRouterTest, QueueQuotaIsKeptAtTheHomeAndReachesASenderElsewhere) {
  queue_limits small;
  small.max_messages = 2;
  a_ = start("A");
  b_ = start("B", {}, small);
  ASSERT_TRUE(a_.router && b_.router);
  introduce(a_, b_);
  auto ub = user_at("B");
  register_ok(b_, ub);
  send_ok(a_, "someone", ub, "m1");
  send_ok(b_, "other", ub, "m2");
  // The queue lives at B; a send through A is refused there.
  for (auto* n : {&a_, &b_}) {
    auto res = send(*n, "someone", ub, "one too many");
    ASSERT_TRUE(res.err) << "accepted via " << n->name;
    EXPECT_EQ(code_of(res.err), errc::quota_exceeded) << explain(res.err);
    EXPECT_NE(explain(res.err).find(ub), std::string::npos);
  }
  EXPECT_EQ(queued_at(b_, ub).size(), 2u);
}

// -- online ----------------------------------------------------------------------

TEST_F(ClusterRouterTest, OnlineListsUsersOfBothRouters) {
  start_both();
  introduce(a_, b_);
  auto ua = user_at("A");
  auto ua2 = user_at("A", 1);
  auto ub = user_at("B");
  auto ub2 = user_at("B", 1);
  // ua at home on A, ub at home on B, ub2 visiting A, ua2 visiting B.
  login(a_, ua, fake_session("ua"));
  login(b_, ub, fake_session("ub"));
  login(a_, ub2, fake_session("ub2"));
  login(b_, ua2, fake_session("ua2"));
  auto all = sorted({ua, ua2, ub, ub2});
  // The logins through a peer take a hop; wait until they are in.
  auto deadline = steady::now() + wait_time;
  std::vector<std::string> names;
  ms took{0};
  do {
    names = online(a_, all, &took);
    if (names == all)
      break;
    std::this_thread::sleep_for(ms{10});
  } while (steady::now() < deadline);
  EXPECT_EQ(names, all) << "online through A";
  EXPECT_LT(took.count(), 1000) << "online through A waited for a timeout";
  names = online(b_, all, &took);
  EXPECT_EQ(names, all) << "online through B";
  EXPECT_LT(took.count(), 1000) << "online through B waited for a timeout";
  // Without B, A lists only the users homed at A.
  kill_and_wait(b_.router.address());
  lookup_until_refused(a_, ub);
  names = online(a_, all, &took);
  EXPECT_EQ(names, sorted({ua, ua2}));
  EXPECT_LT(took.count(), 1000);
}

} // namespace
