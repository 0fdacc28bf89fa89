// Actor tests for the router in a real in-process actor system: sending,
// acknowledgements, sessions and messages held for their ack. Sessions are
// played by the fake sessions of tests/support/fake_session.hpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/router_fixture.hpp"

using namespace courier;
using namespace courier::test;

namespace {

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
  EXPECT_EQ(online({"alice", "bob"}), std::vector<std::string>{"bob"});
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
  EXPECT_EQ(online({"alice", "bob"}), std::vector<std::string>{"bob"});
  auto s4 = send_ok("alice", "bob", "d");
  auto after = deliveries("second", 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].seq, s4);
}

TEST_F(RouterTest, OnlineListsUsersAndDropsDeadSessions) {
  start();
  register_user("alice");
  register_user("bob");
  EXPECT_TRUE(online({"alice", "bob"}).empty());
  auto a = fake_session("alice");
  auto b = fake_session("bob");
  login("bob", b);
  login("alice", a);
  EXPECT_EQ(online({"alice", "bob"}), (std::vector<std::string>{"alice", "bob"}));
  kill_and_wait(b.address());
  auto deadline = steady::now() + wait_time;
  std::vector<std::string> names;
  do {
    names = online({"alice", "bob"});
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

TEST_F(RouterTest, PresenceAnswersOnlyForTheNamesAskedAndIsBounded) {
  start();
  for (auto name : {"alice", "bob", "carol"})
    register_user(name);
  login("alice", fake_session("alice"));
  login("bob", fake_session("bob"));
  EXPECT_EQ(online({"carol", "bob", "bob", "nobody"}),
            std::vector<std::string>{"bob"});
  // No names: nobody. The router has no answer that lists everyone.
  EXPECT_TRUE(online({}).empty());
  // At most max_presence_names per request; more is refused.
  std::vector<std::string> many{"alice"};
  while (many.size() < max_presence_names)
    many.push_back("user" + std::to_string(many.size()));
  EXPECT_EQ(online(many), std::vector<std::string>{"alice"});
  many.push_back("one-too-many");
  caf::error err;
  self()
    ->request(router_, wait_time, online_atom::value, many)
    .receive([](std::vector<std::string>&) { ADD_FAILURE() << "answered"; },
             [&](caf::error& e) { err = std::move(e); });
  EXPECT_EQ(code_of(err), errc::oversize) << sys_->render(err);
}

// -- quotas and rates ----------------------------------------------------------

TEST_F(RouterTest, FullOfflineQueueRefusesTheSenderUntilMessagesAreRead) {
  queue_limits queue;
  queue.max_messages = 3;
  start({}, {}, queue);
  for (auto name : {"alice", "bob", "carol"})
    register_user(name);
  for (int i = 0; i < 3; ++i)
    send_ok("alice", "bob", "m" + std::to_string(i));
  // Whoever sends: bob's queue is full.
  for (auto from : {"alice", "carol"}) {
    auto res = send(from, "bob", "one too many");
    ASSERT_TRUE(res.err) << from << "'s message was accepted";
    EXPECT_EQ(code_of(res.err), errc::quota_exceeded) << sys_->render(res.err);
    EXPECT_NE(explain(res.err).find("bob"), std::string::npos);
  }
  send_ok("alice", "carol", "carol's queue is her own");
  // Bob reads and acknowledges one: there is room for one more.
  auto bob = fake_session("bob");
  login("bob", bob);
  auto got = deliveries("bob", 3);
  ASSERT_EQ(got.size(), 3u);
  ack("bob", got[0].seq);
  kill_and_wait(bob.address());
  auto deadline = steady::now() + wait_time;
  send_result res;
  do {
    res = send("carol", "bob", "room again");
    if (!res.err)
      break;
    std::this_thread::sleep_for(ms{10});
  } while (steady::now() < deadline);
  EXPECT_FALSE(res.err) << sys_->render(res.err);
}

TEST_F(RouterTest, SenderOverItsBudgetIsRefusedWhateverItsSessions) {
  edge_limits limits;
  limits.sender_rate = 1; // a token a second: none comes back in the test
  limits.sender_burst = 3;
  start(limits);
  for (auto name : {"alice", "bob", "carol"})
    register_user(name);
  for (int i = 0; i < 3; ++i)
    send_ok("alice", "bob", "m" + std::to_string(i));
  auto res = send("alice", "carol", "fourth");
  EXPECT_EQ(code_of(res.err), errc::sending_too_fast) << sys_->render(res.err);
  // Signing in again, from another session, does not refill the budget.
  login("alice", fake_session("alice-2"));
  res = send("alice", "bob", "fifth");
  EXPECT_EQ(code_of(res.err), errc::sending_too_fast) << sys_->render(res.err);
  // Other senders have budgets of their own.
  send_ok("carol", "bob", "carol is fine");
}

// The bank answers every order with a receipt: a name reserved for a key
// is not held to the budget, however many orders come at once.
TEST_F(RouterTest, ReservedServiceNamesHaveNoBudget) {
  edge_limits limits;
  limits.sender_rate = 1;
  limits.sender_burst = 3;
  start(limits, {}, {}, {"bank"});
  for (auto name : {"bank", "alice"})
    register_user(name);
  for (int i = 0; i < 20; ++i)
    send_ok("bank", "alice", "receipt " + std::to_string(i));
  for (int i = 0; i < 3; ++i)
    send_ok("alice", "bank", "order " + std::to_string(i));
  EXPECT_EQ(code_of(send("alice", "bank", "one more").err),
            errc::sending_too_fast);
}
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

} // namespace
