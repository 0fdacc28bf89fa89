// Actor tests for the router, the store and the directory, in a real
// in-process actor system. Sessions are played by the fake sessions of
// fake_session.hpp, which forward everything they receive to the test's
// inbox.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/router.hpp"
#include "actors/server/store.hpp"
#include "actors/server/unacked_window.hpp"
#include "tests/support/fake_session.hpp"
#include "tests/support/inbox.hpp"

using namespace courier;
using namespace std::chrono_literals;

namespace {

using namespace courier::test;

predicate any_seq_reply() {
  return [](const caf::message& m) {
    return m.match_elements<uint64_t, bool>();
  };
}

class RouterTest : public fake_session_fixture {
protected:
  void release_handles() override {
    directory_ = nullptr;
    store_ = nullptr;
    router_ = nullptr;
  }

  /// Spawns directory, store and router on in-memory databases.
  void start(edge_limits limits = {},
             std::chrono::microseconds commit_window = {}) {
    auto ddb = open_directory_db(":memory:");
    ASSERT_TRUE(ddb) << to_string(ddb.error());
    auto sdb = open_store_db(":memory:");
    ASSERT_TRUE(sdb) << to_string(sdb.error());
    directory_ = spawn_directory(*sys_, *ddb);
    auto first_seq = next_free_seq(**sdb);
    store_ = spawn_store(*sys_, *sdb, commit_window);
    router_ = spawn_router(*sys_, directory_, store_, limits, first_seq);
    track(directory_.address());
    track(store_.address());
    track(router_.address());
  }

  void register_user(const std::string& name) {
    bool answered = false;
    self()
      ->request(directory_, wait_time, register_atom::value, name,
                "key of " + name)
      .receive([&](bool is_new) { answered = is_new; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "register " << name << ": "
                               << sys_->render(err);
               });
    ASSERT_TRUE(answered) << name << " was not new";
  }

  send_result send(const std::string& from, const std::string& to,
                   const std::string& blob) {
    return send_via(router_, from, to, blob);
  }

  /// Sends and requires success; returns the seq.
  uint64_t send_ok(const std::string& from, const std::string& to,
                   const std::string& blob) {
    auto res = send(from, to, blob);
    EXPECT_FALSE(res.err) << sys_->render(res.err);
    EXPECT_GT(res.seq, 0u);
    return res.seq;
  }

  void login(const std::string& user, const session_actor& s) {
    self()->send(router_, login_atom::value, user, s);
  }

  void ack(const std::string& user, uint64_t seq) {
    self()->send(router_, ack_atom::value, user, seq);
  }

  std::vector<std::string> online() {
    std::vector<std::string> result{"<no answer>"};
    self()
      ->request(router_, wait_time, online_atom::value)
      .receive([&](std::vector<std::string>& names) { result = names; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "online: " << sys_->render(err);
               });
    return result;
  }

  directory_actor directory_;
  store_actor store_;
  router_actor router_;
};

// -- sending -------------------------------------------------------------------

TEST_F(RouterTest, SendToUnknownUserFails) {
  start();
  register_user("alice");
  auto res = send("alice", "nobody", "blob");
  ASSERT_TRUE(res.err);
  EXPECT_EQ(code_of(res.err), errc::unknown_user) << sys_->render(res.err);
  EXPECT_EQ(res.seq, 0u);
  // The name did not become known by being asked for.
  auto again = send("alice", "nobody", "blob");
  EXPECT_EQ(code_of(again.err), errc::unknown_user);
}

TEST_F(RouterTest, OfflineMessagesAreDeliveredOnLoginInOrder) {
  start();
  register_user("alice");
  register_user("bob");
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 5; ++i)
    seqs.push_back(send_ok("alice", "bob", "m" + std::to_string(i)));
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_LT(seqs[i - 1], seqs[i]) << "seqs must grow";
  // Nothing is pushed to anybody while bob is away; he logs in.
  auto bob = fake_session("bob");
  login("bob", bob);
  auto got = deliveries("bob", 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(seqs_of(got), seqs);
  EXPECT_EQ(blobs_of(got),
            (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
  for (auto& m : got) {
    EXPECT_EQ(m.from, "alice");
    EXPECT_GT(m.ts, 0);
  }
  EXPECT_TRUE(stray_deliveries("bob").empty());
}

TEST_F(RouterTest, OnlineUserGetsMessagesDirectlyInOrder) {
  start();
  register_user("alice");
  register_user("bob");
  auto bob = fake_session("bob");
  login("bob", bob);
  EXPECT_EQ(online(), std::vector<std::string>{"bob"});
  // One at a time: each arrives after its receipt.
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 3; ++i) {
    seqs.push_back(send_ok("alice", "bob", "one-" + std::to_string(i)));
    auto got = deliveries("bob", 1);
    ASSERT_EQ(got.size(), 1u) << "message " << i << " not pushed";
    EXPECT_EQ(got[0].seq, seqs.back());
    EXPECT_EQ(got[0].blob, "one-" + std::to_string(i));
  }
  // A burst without waiting for receipts still arrives in order.
  for (int i = 1; i <= 20; ++i)
    self()->send(router_, send_atom::value, std::string{"alice"},
                 std::string{"bob"}, "burst-" + std::to_string(i));
  std::vector<uint64_t> receipts;
  for (int i = 0; i < 20; ++i) {
    auto r = box_->take(any_seq_reply(), wait_time);
    ASSERT_TRUE(r) << "receipt " << i << " missing";
    receipts.push_back(r->get_as<uint64_t>(0));
  }
  auto got = deliveries("bob", 20);
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(got[i].blob, "burst-" + std::to_string(i + 1));
  EXPECT_EQ(seqs_of(got), receipts);
  EXPECT_TRUE(stray_deliveries("bob").empty());
}

// -- acknowledgements ------------------------------------------------------------

TEST_F(RouterTest, MessagesStayUntilAcked) {
  start();
  register_user("alice");
  register_user("bob");
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 3; ++i)
    seqs.push_back(send_ok("alice", "bob", "m" + std::to_string(i)));
  auto first = fake_session("first");
  login("bob", first);
  EXPECT_EQ(seqs_of(deliveries("first", 3)), seqs);
  // No ack: a new login gets the same messages again.
  auto second = fake_session("second");
  login("bob", second);
  EXPECT_EQ(seqs_of(deliveries("second", 3)), seqs);
  // Ack the first two: only the third is left.
  ack("bob", seqs[0]);
  ack("bob", seqs[1]);
  auto third = fake_session("third");
  login("bob", third);
  auto got = deliveries("third", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seqs[2]);
  EXPECT_EQ(got[0].blob, "m3");
  EXPECT_TRUE(stray_deliveries("third").empty());
  // Ack the last: a fresh login gets nothing.
  ack("bob", seqs[2]);
  auto fourth = fake_session("fourth");
  login("bob", fourth);
  EXPECT_TRUE(stray_deliveries("fourth").empty());
}

TEST_F(RouterTest, AckForAnotherUsersSeqDeletesNothing) {
  start();
  register_user("alice");
  register_user("bob");
  register_user("mallory");
  auto seq = send_ok("alice", "bob", "for bob only");
  // Mallory is online and acks bob's seq.
  auto mal = fake_session("mallory");
  login("mallory", mal);
  ack("mallory", seq);
  // Directly at the store as well.
  self()->send(store_, drop_atom::value, std::string{"mallory"}, seq);
  auto bob = fake_session("bob");
  login("bob", bob);
  auto got = deliveries("bob", 1);
  ASSERT_EQ(got.size(), 1u) << "mallory's ack deleted bob's message";
  EXPECT_EQ(got[0].seq, seq);
  EXPECT_EQ(got[0].blob, "for bob only");
  EXPECT_TRUE(stray_deliveries("mallory").empty());
}

TEST_F(RouterTest, DeliveryWindowLimitsUnackedMessages) {
  edge_limits limits;
  limits.delivery_window = 4;
  start(limits);
  register_user("alice");
  register_user("bob");
  auto bob = fake_session("bob");
  login("bob", bob);
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 10; ++i)
    seqs.push_back(send_ok("alice", "bob", "w" + std::to_string(i)));
  auto got = deliveries("bob", 4);
  ASSERT_EQ(seqs_of(got),
            (std::vector<uint64_t>{seqs.begin(), seqs.begin() + 4}));
  EXPECT_TRUE(stray_deliveries("bob").empty()) << "window exceeded";
  // Two acks open two slots, no more.
  ack("bob", seqs[0]);
  ack("bob", seqs[1]);
  std::vector<stored_message> all = got;
  auto more = deliveries("bob", 1);
  ASSERT_EQ(more.size(), 1u) << "acks did not reopen the window";
  all.push_back(more[0]);
  if (auto m = box_->take(delivered_to("bob"), quiet_time))
    all.push_back(m->get_as<stored_message>(2));
  // The second ack may arrive while the fetch started by the first is out;
  // the router must fetch again for the slot it freed.
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(seqs_of(all),
            (std::vector<uint64_t>{seqs.begin(), seqs.begin() + all.size()}));
  EXPECT_TRUE(stray_deliveries("bob").empty()) << "window exceeded";
  // Ack what arrives: the rest comes in order, never more than 4 unacked.
  size_t acked = 2;
  while (all.size() < 10) {
    while (acked < all.size())
      ack("bob", all[acked++].seq);
    auto next = deliveries("bob", 1);
    ASSERT_EQ(next.size(), 1u) << "stalled after " << all.size();
    all.push_back(next[0]);
    EXPECT_LE(all.size() - acked, 4u) << "window exceeded";
  }
  while (acked < all.size())
    ack("bob", all[acked++].seq);
  EXPECT_EQ(seqs_of(all), seqs);
  std::vector<std::string> want;
  for (int i = 1; i <= 10; ++i)
    want.push_back("w" + std::to_string(i));
  EXPECT_EQ(blobs_of(all), want);
  EXPECT_TRUE(stray_deliveries("bob").empty());
  // With everything acked, new messages are pushed at once again.
  auto s11 = send_ok("alice", "bob", "w11");
  auto last = deliveries("bob", 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].seq, s11);
}

TEST_F(RouterTest, OnlineSenderIsToldWhenTheRecipientAcks) {
  start();
  register_user("alice");
  register_user("bob");
  auto alice = fake_session("alice");
  auto bob = fake_session("bob");
  login("alice", alice);
  login("bob", bob);
  auto seq = send_ok("alice", "bob", "hello");
  auto got = deliveries("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(box_->take(told_delivered("alice"), quiet_time))
    << "delivered before the ack";
  ack("bob", seq);
  auto told = box_->take(told_delivered("alice"), wait_time);
  ASSERT_TRUE(told);
  EXPECT_EQ(told->get_as<uint64_t>(2), seq);
  EXPECT_FALSE(box_->take(told_delivered("bob"), quiet_time));
}

TEST_F(RouterTest, AckWhileTheStoreIsBusyMakesTheAnswerSayDelivered) {
  // Commits wait 300 ms, so the acks below come before the store answers.
  start({}, std::chrono::milliseconds{300});
  for (auto name : {"alice", "bob", "carol"})
    register_user(name);
  auto alice = fake_session("alice");
  auto bob = fake_session("bob");
  auto carol = fake_session("carol");
  login("alice", alice);
  login("bob", bob);
  login("carol", carol);
  // Everyone caught up: the first message goes through the store.
  auto first = send_ok("alice", "bob", "first");
  ASSERT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{first});
  ack("bob", first);
  ASSERT_TRUE(box_->take(told_delivered("alice"), wait_time));
  self()->send(router_, send_atom::value, std::string{"alice"},
               std::string{"bob"}, std::string{"acked early"});
  self()->send(router_, send_atom::value, std::string{"alice"},
               std::string{"carol"}, std::string{"acked by someone else"});
  auto to_bob = deliveries("bob", 1);
  auto to_carol = deliveries("carol", 1);
  ASSERT_EQ(to_bob.size(), 1u);
  ASSERT_EQ(to_carol.size(), 1u);
  ack("bob", to_bob[0].seq);
  ack("bob", to_carol[0].seq); // not bob's to acknowledge
  for (int i = 0; i < 2; ++i) {
    auto m = box_->take(any_seq_reply(), wait_time);
    ASSERT_TRUE(m);
    auto seq = m->get_as<uint64_t>(0);
    EXPECT_EQ(m->get_as<bool>(1), seq == to_bob[0].seq) << seq;
  }
  EXPECT_FALSE(box_->take(told_delivered("alice"), quiet_time))
    << "the answer told alice already";
}

TEST_F(RouterTest, RepeatedAckDoesNotWidenTheWindow) {
  edge_limits limits;
  limits.delivery_window = 4;
  start(limits);
  register_user("alice");
  register_user("bob");
  auto bob = fake_session("bob");
  login("bob", bob);
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 8; ++i)
    seqs.push_back(send_ok("alice", "bob", "r" + std::to_string(i)));
  ASSERT_EQ(deliveries("bob", 4).size(), 4u);
  // The same ack three times frees one slot, not three.
  ack("bob", seqs[0]);
  ack("bob", seqs[0]);
  ack("bob", seqs[0]);
  auto got = deliveries("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seqs[4]);
  EXPECT_EQ(stray_deliveries("bob"), std::vector<uint64_t>{});
}

TEST_F(RouterTest, UnackedBytesAreBoundedToo) {
  edge_limits limits;
  limits.delivery_window = 100;
  limits.max_write_buffer = 100; // at most ~50 unacked bytes
  start(limits);
  register_user("alice");
  register_user("bob");
  auto bob = fake_session("bob");
  login("bob", bob);
  std::string blob(30, 'x');
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 4; ++i)
    seqs.push_back(send_ok("alice", "bob", blob));
  // 30 bytes: room; 60 bytes: full.
  EXPECT_EQ(seqs_of(deliveries("bob", 2)),
            (std::vector<uint64_t>{seqs[0], seqs[1]}));
  EXPECT_EQ(stray_deliveries("bob"), std::vector<uint64_t>{});
  ack("bob", seqs[0]);
  EXPECT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{seqs[2]});
  EXPECT_EQ(stray_deliveries("bob"), std::vector<uint64_t>{});
  // A message larger than the budget still goes out once nothing is
  // unacked, so a big message cannot wedge the queue.
  ack("bob", seqs[1]);
  ack("bob", seqs[2]);
  EXPECT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{seqs[3]});
  ack("bob", seqs[3]);
  auto big = send_ok("alice", "bob", std::string(500, 'y'));
  EXPECT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{big});
}

// -- sessions ------------------------------------------------------------------

TEST_F(RouterTest, SecondLoginKicksFirstAndTakesOverUnacked) {
  start();
  register_user("alice");
  register_user("bob");
  auto first = fake_session("first");
  login("bob", first);
  std::vector<uint64_t> seqs{send_ok("alice", "bob", "a"),
                             send_ok("alice", "bob", "b")};
  EXPECT_EQ(seqs_of(deliveries("first", 2)), seqs);
  auto second = fake_session("second");
  login("bob", second);
  auto kick = box_->take(kicked("first"), wait_time);
  ASSERT_TRUE(kick) << "first session was not kicked";
  EXPECT_FALSE(kick->get_as<std::string>(2).empty());
  auto got = deliveries("second", 2);
  EXPECT_EQ(seqs_of(got), seqs);
  EXPECT_EQ(blobs_of(got), (std::vector<std::string>{"a", "b"}));
  // New traffic goes to the second session only.
  auto s3 = send_ok("alice", "bob", "c");
  auto next = deliveries("second", 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, s3);
  EXPECT_TRUE(stray_deliveries("first").empty());
  EXPECT_FALSE(box_->take(kicked("second"), ms{50}));
  // The old session dying must not log out the new one.
  kill_and_wait(first.address());
  std::this_thread::sleep_for(ms{100});
  EXPECT_EQ(online(), std::vector<std::string>{"bob"});
  auto s4 = send_ok("alice", "bob", "d");
  auto after = deliveries("second", 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].seq, s4);
}

TEST_F(RouterTest, OnlineListsUsersAndDropsDeadSessions) {
  start();
  register_user("alice");
  register_user("bob");
  EXPECT_TRUE(online().empty());
  auto a = fake_session("alice");
  auto b = fake_session("bob");
  login("bob", b);
  login("alice", a);
  EXPECT_EQ(online(), (std::vector<std::string>{"alice", "bob"}));
  kill_and_wait(b.address());
  auto deadline = steady::now() + wait_time;
  std::vector<std::string> names;
  do {
    names = online();
    if (names == std::vector<std::string>{"alice"})
      break;
    std::this_thread::sleep_for(ms{10});
  } while (steady::now() < deadline);
  EXPECT_EQ(names, std::vector<std::string>{"alice"});
  // Messages for bob now wait in the store.
  auto seq = send_ok("alice", "bob", "later");
  auto b2 = fake_session("bob2");
  login("bob", b2);
  auto got = deliveries("bob2", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seq);
}

// -- unacked window --------------------------------------------------------------

TEST(UnackedWindow, AcksInAnyOrderAreCountedOnceAndNameTheSender) {
  unacked_window w;
  for (uint64_t seq = 1; seq <= 5; ++seq)
    w.push(seq, 10 * seq, "from" + std::to_string(seq));
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.bytes(), 150u);
  EXPECT_EQ(w.take(3), std::optional<std::string>{"from3"});
  EXPECT_FALSE(w.take(3)); // twice is not counted twice
  EXPECT_FALSE(w.take(9)); // never pushed
  EXPECT_FALSE(w.take(0)); // the mark of an acked entry
  EXPECT_EQ(w.take(1), std::optional<std::string>{"from1"});
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.bytes(), 110u);
  for (uint64_t seq : {5, 2, 4})
    EXPECT_TRUE(w.take(seq)) << seq;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.bytes(), 0u);
  EXPECT_EQ(w.capacity_used(), 0u);
}

TEST(UnackedWindow, OneUnackedMessageDoesNotLetAckedOnesPileUp) {
  // A client that never acks its first message but acks every later one.
  unacked_window w;
  w.push(1, 1, "a");
  for (uint64_t seq = 2; seq < 100000; ++seq) {
    w.push(seq, 1, "a");
    ASSERT_TRUE(w.take(seq));
  }
  EXPECT_EQ(w.size(), 1u);
  EXPECT_LE(w.capacity_used(), 40u);
  EXPECT_TRUE(w.take(1));
}

// -- store -----------------------------------------------------------------------

class StoreTest : public RouterTest {
protected:
  void SetUp() override {
    RouterTest::SetUp();
    char tmpl[] = "/tmp/courier-store-XXXXXX";
    auto dir = ::mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
  }

  void TearDown() override {
    RouterTest::TearDown();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  stored_message put(const store_actor& st, const std::string& to,
                     const std::string& from, const std::string& blob) {
    stored_message out;
    self()
      ->request(st, wait_time, put_atom::value, to,
                stored_message{0, from, blob, 0})
      .receive([&](stored_message& m) { out = std::move(m); },
               [&](caf::error& err) {
                 ADD_FAILURE() << "put: " << sys_->render(err);
               });
    return out;
  }

  /// Rows in the queue database, read through a connection of its own.
  int64_t rows_on_disk() {
    auto db = database::open(dir_ + "/queue.db");
    EXPECT_TRUE(db);
    auto stmt = db->prepare("SELECT COUNT(*) FROM queue");
    EXPECT_TRUE(stmt);
    auto row = stmt->step();
    EXPECT_TRUE(row && *row);
    return stmt->int_at(0);
  }

  std::vector<stored_message> fetch(const store_actor& st,
                                    const std::string& to, uint64_t after,
                                    uint32_t limit) {
    std::vector<stored_message> out;
    self()
      ->request(st, wait_time, fetch_atom::value, to, after, limit)
      .receive([&](std::vector<stored_message>& rows) { out = rows; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "fetch: " << sys_->render(err);
               });
    return out;
  }

  std::string dir_;
};

TEST_F(StoreTest, MessagesSurviveARestartInOrder) {
  auto path = dir_ + "/queue.db";
  std::vector<stored_message> put_bob;
  {
    auto db = open_store_db(path);
    ASSERT_TRUE(db) << to_string(db.error());
    auto st = spawn_store(*sys_, *db);
    track(st.address());
    for (int i = 1; i <= 4; ++i) {
      put_bob.push_back(put(st, "bob", "alice", "blob-" + std::to_string(i)));
      ASSERT_GT(put_bob.back().seq, 0u);
      EXPECT_GT(put_bob.back().ts, 0);
    }
    put(st, "carol", "alice", "for carol");
    // A binary blob with a NUL byte in it.
    std::string binary{"\x00\x01\xff", 3};
    put_bob.push_back(put(st, "bob", "dave", binary));
    // Drop the second one; the fetch flushes the drop before answering.
    self()->send(st, drop_atom::value, std::string{"bob"}, put_bob[1].seq);
    EXPECT_EQ(fetch(st, "bob", 0, 100).size(), 4u);
    kill_and_wait(st.address());
  }
  put_bob.erase(put_bob.begin() + 1);
  // "Restart": a new database handle and a new store actor.
  auto db = open_store_db(path);
  ASSERT_TRUE(db) << to_string(db.error());
  auto st = spawn_store(*sys_, *db);
  track(st.address());
  auto rows = fetch(st, "bob", 0, 100);
  ASSERT_EQ(rows.size(), put_bob.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, put_bob[i].seq);
    EXPECT_EQ(rows[i].from, put_bob[i].from);
    EXPECT_EQ(rows[i].blob, put_bob[i].blob);
    EXPECT_EQ(rows[i].ts, put_bob[i].ts);
  }
  EXPECT_EQ(rows.back().blob, std::string("\x00\x01\xff", 3));
  // `after` and `limit` work on the reopened queue.
  auto tail = fetch(st, "bob", put_bob[1].seq, 2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, put_bob[2].seq);
  EXPECT_EQ(tail[1].seq, put_bob[3].seq);
  auto carol = fetch(st, "carol", 0, 100);
  ASSERT_EQ(carol.size(), 1u);
  EXPECT_EQ(carol[0].blob, "for carol");
  // New seqs continue after the old ones.
  auto fresh = put(st, "bob", "alice", "after restart");
  EXPECT_GT(fresh.seq, put_bob.back().seq);
}

TEST_F(StoreTest, DropChecksTheRecipient) {
  auto db = open_store_db(dir_ + "/queue.db");
  ASSERT_TRUE(db);
  auto st = spawn_store(*sys_, *db);
  track(st.address());
  auto m = put(st, "bob", "alice", "x");
  self()->send(st, drop_atom::value, std::string{"alice"}, m.seq);
  self()->send(st, drop_atom::value, std::string{"carol"}, m.seq);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, m.seq);
  self()->send(st, drop_atom::value, std::string{"bob"}, m.seq);
  EXPECT_TRUE(fetch(st, "bob", 0, 10).empty());
}

TEST_F(StoreTest, AckInTheSameBatchSparesTheWrite) {
  auto db = open_store_db(dir_ + "/queue.db");
  ASSERT_TRUE(db);
  auto st = spawn_store(*sys_, *db, std::chrono::milliseconds{200});
  track(st.address());
  // Within one commit window: a put and the recipient's ack of it, and a
  // put acked by someone else.
  self()->send(st, put_atom::value, std::string{"bob"},
               stored_message{500, "alice", "x", 0});
  self()->send(st, put_atom::value, std::string{"bob"},
               stored_message{501, "alice", "y", 0});
  self()->send(st, drop_atom::value, std::string{"bob"}, uint64_t{500});
  self()->send(st, drop_atom::value, std::string{"carol"}, uint64_t{501});
  for (int i = 0; i < 2; ++i)
    self()->receive([](stored_message&) {},
                    [&](caf::error& err) { ADD_FAILURE() << to_string(err); },
                    caf::after(wait_time) >> [] { ADD_FAILURE() << "no answer"; });
  EXPECT_EQ(rows_on_disk(), 1);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, 501u);
}

// -- messages held for their ack ---------------------------------------------------

class HoldTest : public StoreTest {
protected:
  /// A router whose store is on disk and which holds pushed messages for
  /// `hold`; alice and bob are registered and online.
  void start_holding(ms hold) {
    auto ddb = open_directory_db(":memory:");
    ASSERT_TRUE(ddb);
    auto sdb = open_store_db(dir_ + "/queue.db");
    ASSERT_TRUE(sdb);
    directory_ = spawn_directory(*sys_, *ddb);
    store_ = spawn_store(*sys_, *sdb);
    router_ = spawn_router(*sys_, directory_, store_, {}, next_free_seq(**sdb),
                           {}, hold);
    track(directory_.address());
    track(store_.address());
    track(router_.address());
    for (auto name : {"alice", "bob", "carol"})
      register_user(name);
    alice_ = fake_session("alice");
    bob_ = fake_session("bob");
    login("alice", alice_);
    // Bob is caught up (so new messages are pushed, not fetched) once he
    // has what was queued before he signed in.
    auto queued = send_ok("alice", "bob", "queued");
    login("bob", bob_);
    ASSERT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{queued});
    ack("bob", queued);
    ASSERT_TRUE(box_->take(told_delivered("alice"), wait_time));
  }

  /// Sends from alice to bob without waiting; returns the seq bob got.
  uint64_t send_and_push(const std::string& blob) {
    self()->send(router_, send_atom::value, std::string{"alice"},
                 std::string{"bob"}, blob);
    auto got = deliveries("bob", 1);
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? 0 : got[0].seq;
  }

  /// Alice's answer to a send; seq 0 if none came in `timeout`.
  send_result answer(ms timeout = wait_time) {
    send_result res;
    if (auto m = box_->take(any_seq_reply(), timeout)) {
      res.seq = m->get_as<uint64_t>(0);
      res.delivered = m->get_as<bool>(1);
    }
    return res;
  }

  session_actor alice_;
  session_actor bob_;
};

TEST_F(HoldTest, MessageAckedInTimeIsNeverWritten) {
  start_holding(std::chrono::seconds{10});
  auto seq = send_and_push("hi");
  ASSERT_NE(seq, 0u);
  EXPECT_EQ(answer(quiet_time).seq, 0u) << "answered before durable or acked";
  ack("bob", seq);
  // Long before the hold is over, and saying that bob has it.
  auto res = answer();
  EXPECT_EQ(res.seq, seq);
  EXPECT_TRUE(res.delivered);
  EXPECT_FALSE(box_->take(told_delivered("alice"), quiet_time))
    << "the answer told alice already";
  EXPECT_EQ(rows_on_disk(), 0);
}

TEST_F(HoldTest, UnackedMessageIsWrittenWhenItsHoldEnds) {
  start_holding(ms{100});
  auto start = steady::now();
  auto seq = send_and_push("hi");
  // An ack from someone else does not settle it.
  ack("carol", seq);
  auto res = answer();
  EXPECT_EQ(res.seq, seq);
  EXPECT_FALSE(res.delivered);
  EXPECT_GE(steady::now() - start, ms{90});
  EXPECT_EQ(rows_on_disk(), 1);
  EXPECT_FALSE(box_->take(told_delivered("alice"), quiet_time));
  // The late ack deletes it and tells alice.
  ack("bob", seq);
  EXPECT_TRUE(box_->take(told_delivered("alice"), wait_time));
  EXPECT_TRUE(fetch(store_, "bob", 0, 10).empty());
}

TEST_F(HoldTest, SigningInAgainGetsTheHeldMessagesFromTheStore) {
  start_holding(std::chrono::seconds{10});
  auto seq = send_and_push("for bob");
  auto bob2 = fake_session("bob2");
  login("bob", bob2);
  auto got = deliveries("bob2", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seq);
  EXPECT_EQ(got[0].blob, "for bob");
  EXPECT_EQ(answer().seq, seq); // written, so answered
  EXPECT_EQ(rows_on_disk(), 1);
}

TEST_F(HoldTest, EndedSessionsHeldMessagesAreWritten) {
  start_holding(std::chrono::seconds{10});
  auto seq = send_and_push("for bob");
  kill_and_wait(bob_.address());
  EXPECT_EQ(answer().seq, seq);
  auto rows = fetch(store_, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, seq);
}

TEST_F(HoldTest, FlushHandsEveryHeldMessageToTheStore) {
  start_holding(std::chrono::seconds{10});
  send_and_push("one");
  send_and_push("two");
  size_t handed = 0;
  self()
    ->request(router_, wait_time, flush_atom::value)
    .receive([&](size_t n) { handed = n; },
             [&](caf::error& err) { ADD_FAILURE() << sys_->render(err); });
  EXPECT_EQ(handed, 2u);
  self()
    ->request(store_, wait_time, stop_atom::value)
    .receive([](size_t) {},
             [&](caf::error& err) { ADD_FAILURE() << sys_->render(err); });
  EXPECT_EQ(rows_on_disk(), 2);
  EXPECT_NE(answer().seq, 0u);
  EXPECT_NE(answer().seq, 0u);
}

// -- directory -------------------------------------------------------------------

TEST_F(RouterTest, DirectoryBindsANameToTheFirstKey) {
  start();
  register_user("alice");
  bool again = true;
  self()
    ->request(directory_, wait_time, register_atom::value,
              std::string{"alice"}, std::string{"key of alice"})
    .receive([&](bool is_new) { again = is_new; },
             [&](caf::error& err) { ADD_FAILURE() << sys_->render(err); });
  EXPECT_FALSE(again) << "same key again is not a new user";
  caf::error err;
  self()
    ->request(directory_, wait_time, register_atom::value,
              std::string{"alice"}, std::string{"another key"})
    .receive([&](bool) { ADD_FAILURE() << "another key was accepted"; },
             [&](caf::error& e) { err = std::move(e); });
  EXPECT_EQ(code_of(err), errc::username_taken);
  std::string key;
  self()
    ->request(directory_, wait_time, lookup_atom::value, std::string{"alice"})
    .receive([&](std::string& k) { key = k; },
             [&](caf::error& e) { ADD_FAILURE() << sys_->render(e); });
  EXPECT_EQ(key, "key of alice");
  caf::error unknown;
  self()
    ->request(directory_, wait_time, lookup_atom::value, std::string{"zed"})
    .receive([&](std::string&) { ADD_FAILURE() << "zed exists"; },
             [&](caf::error& e) { unknown = std::move(e); });
  EXPECT_EQ(code_of(unknown), errc::unknown_user);
}

TEST_F(StoreTest, NewNamesSentTogetherAreAnsweredOnceDurable) {
  auto path = dir_ + "/directory.db";
  {
    auto db = open_directory_db(path);
    ASSERT_TRUE(db);
    auto dir = spawn_directory(*sys_, *db);
    track(dir.address());
    // All in the mailbox at once: they share commits.
    for (int i = 0; i < 50; ++i)
      self()->send(dir, register_atom::value, "u" + std::to_string(i),
                   "key " + std::to_string(i));
    self()->send(dir, register_atom::value, std::string{"u0"},
                 std::string{"key 0"});
    self()->send(dir, register_atom::value, std::string{"u1"},
                 std::string{"not u1's key"});
    int fresh = 0, again = 0, taken = 0;
    for (int i = 0; i < 52; ++i)
      self()->receive([&](bool is_new) { ++(is_new ? fresh : again); },
                      [&](caf::error& err) {
                        if (code_of(err) == errc::username_taken)
                          ++taken;
                        else
                          ADD_FAILURE() << sys_->render(err);
                      },
                      caf::after(wait_time) >> [] { ADD_FAILURE() << "no answer"; });
    EXPECT_EQ(fresh, 50);
    EXPECT_EQ(again, 1);
    EXPECT_EQ(taken, 1);
    kill_and_wait(dir.address());
  }
  auto db = open_directory_db(path);
  ASSERT_TRUE(db);
  auto dir = spawn_directory(*sys_, *db);
  track(dir.address());
  for (int i = 0; i < 50; i += 7) {
    std::string key;
    self()
      ->request(dir, wait_time, lookup_atom::value, "u" + std::to_string(i))
      .receive([&](std::string& k) { key = k; },
               [&](caf::error& e) { ADD_FAILURE() << sys_->render(e); });
    EXPECT_EQ(key, "key " + std::to_string(i));
  }
}

} // namespace
