// Actor tests for the ledger actor (actors/bank/ledger_actor.cpp) over an
// in-memory ledger.

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <prometheus/registry.h>

#include "actors/common/telemetry.hpp"

#include "tests/support/bank_fixture.hpp"

using namespace courier;
using namespace courier::bank;
using namespace courier::bank::test;
using namespace std::chrono_literals;

namespace {

// -- (a) the ledger actor -----------------------------------------------------------

using LedgerActorTest = BankTestBase;

/// The ledger of a bank that serves metrics.
class LedgerMetricsTest : public BankTestBase {
protected:
  void SetUp() override {
    node_->registry = std::make_shared<prometheus::Registry>();
    node_->bank = std::make_unique<bank_metrics>(*node_->registry);
    cfg_.node_telemetry = node_;
    BankTestBase::SetUp();
  }

  std::shared_ptr<telemetry> node_ = std::make_shared<telemetry>();
};

TEST_F(LedgerMetricsTest, CommitsAreTimedAndTransfersCountedOnce) {
  auto& m = *node_->bank;
  account("alice", "fp-alice");
  account("bob", "fp-bob");
  ASSERT_TRUE(apply(issue("i1", "alice", 10000)));
  ASSERT_TRUE(apply(transfer("t1", "alice", "bob", 100)));
  ASSERT_TRUE(apply(transfer("t1", "alice", "bob", 100))); // a retry
  EXPECT_FALSE(apply(transfer("t2", "alice", "bob", 999999)));
  EXPECT_EQ(m.transfers.Value(), 2);
  auto commits = m.ledger_commit_seconds.Collect().histogram;
  EXPECT_EQ(commits.sample_count, 4u);
  EXPECT_EQ(m.ledger_batch_orders.Collect().histogram.sample_sum, 4);
}

TEST_F(LedgerActorTest, AccountTransferBalanceHistoryAudit) {
  auto [b0, created] = account("alice", "fp-alice");
  EXPECT_EQ(b0, 0);
  EXPECT_TRUE(created);
  auto again = account("alice", "fp-alice");
  EXPECT_EQ(again.first, 0);
  EXPECT_FALSE(again.second);
  EXPECT_TRUE(account("bob", "fp-bob").second);

  auto i = apply(issue("i1", "alice", 10000));
  ASSERT_TRUE(i) << explain(i.error());
  EXPECT_EQ(i->kind, "issue");
  EXPECT_EQ(i->balance_minor, 10000);
  EXPECT_FALSE(i->replayed);

  auto t = apply(transfer("t1", "alice", "bob", 2550));
  ASSERT_TRUE(t) << explain(t.error());
  EXPECT_EQ(t->transfer_id, "t1");
  EXPECT_EQ(t->from, "alice");
  EXPECT_EQ(t->to, "bob");
  EXPECT_EQ(t->amount_minor, 2550);
  EXPECT_EQ(t->balance_minor, 7450);
  EXPECT_GT(t->seq, i->seq);
  EXPECT_GT(t->ts, 0);
  EXPECT_FALSE(t->replayed);

  EXPECT_EQ(balance_of("alice"), 7450);
  EXPECT_EQ(balance_of("bob"), 2550);
  EXPECT_EQ(account("bob", "fp-bob").first, 2550); // existing account

  auto h = history("alice", "fp-alice", 10, 0);
  ASSERT_TRUE(h) << explain(h.error());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].transfer_id, "t1");
  EXPECT_EQ((*h)[0].balance_minor, 7450);
  EXPECT_EQ((*h)[1].transfer_id, "i1");
  auto h1 = history("alice", "fp-alice", 1, 0);
  ASSERT_TRUE(h1);
  ASSERT_EQ(h1->size(), 1u);
  EXPECT_EQ((*h1)[0].transfer_id, "t1");
  auto h2 = history("alice", "fp-alice", 10, (*h1)[0].seq);
  ASSERT_TRUE(h2);
  ASSERT_EQ(h2->size(), 1u);
  EXPECT_EQ((*h2)[0].transfer_id, "i1");

  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 10000);
  EXPECT_EQ(rep.total_balances, 10000);
  EXPECT_EQ(rep.accounts, 2);
  EXPECT_EQ(rep.transfers, 2);

  auto replay = apply(transfer("t1", "alice", "bob", 2550));
  ASSERT_TRUE(replay) << explain(replay.error());
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->seq, t->seq);
  EXPECT_EQ(balance_of("bob"), 2550);
}

TEST_F(LedgerActorTest, ErrorsArriveAsErrorsWithTheirCode) {
  account("alice", "fp-alice");
  account("bob", "fp-bob");
  ASSERT_TRUE(apply(issue("i1", "alice", 1000)));

  caf::error err;
  account("alice", "fp-mallory", &err);
  EXPECT_EQ(code_of(err), errc::not_permitted) << explain(err);

  auto b = balance("alice", "fp-mallory");
  ASSERT_FALSE(b);
  EXPECT_EQ(code_of(b.error()), errc::not_permitted);
  b = balance("nobody", "fp-nobody");
  ASSERT_FALSE(b);
  EXPECT_EQ(code_of(b.error()), errc::unknown_account);
  auto h = history("alice", "fp-bob", 10, 0);
  ASSERT_FALSE(h);
  EXPECT_EQ(code_of(h.error()), errc::not_permitted);

  struct refused {
    transfer_order order;
    errc code;
  };
  auto wrong_key = transfer("w1", "alice", "bob", 10);
  wrong_key.key_fp = "fp-bob";
  for (auto& [order, code] : std::vector<refused>{
         {transfer("t1", "alice", "bob", 1001), errc::insufficient_funds},
         {transfer("t2", "alice", "nobody", 1), errc::unknown_account},
         {transfer("t3", "alice", "alice", 1), errc::not_permitted},
         {transfer("t4", "alice", "bob", 0), errc::invalid_amount},
         {transfer("t5", "alice", "bob", -5), errc::invalid_amount},
         {transfer("t6", "alice", "bob", max_amount_minor + 1),
          errc::invalid_amount},
         {wrong_key, errc::not_permitted},
         {issue("i1", "alice", 999), errc::conflicting_order},
       }) {
    auto r = apply(order);
    ASSERT_FALSE(r) << order.transfer_id;
    EXPECT_EQ(code_of(r.error()), code) << order.transfer_id << ": "
                                        << explain(r.error());
  }
  EXPECT_EQ(balance_of("alice"), 1000);
  EXPECT_EQ(balance_of("bob"), 0);
  auto rep = audit();
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.transfers, 1);
}

/// Fires all `orders` at `books` at once from one actor (request().then,
/// no waiting in between) and reports
/// (done_atom, vector of (seq or -code)) to `sink` when all are answered.
void fire(caf::actor_system& sys, ledger_actor books, caf::actor sink,
          std::vector<transfer_order> orders) {
  sys.spawn([=](caf::event_based_actor* self) {
    auto results = std::make_shared<std::vector<int64_t>>(orders.size(), 0);
    auto left = std::make_shared<size_t>(orders.size());
    auto balances = std::make_shared<std::vector<int64_t>>(orders.size(), 0);
    for (size_t i = 0; i < orders.size(); ++i) {
      self->request(books, std::chrono::seconds{20}, transfer_atom::value,
                    orders[i])
        .then(
          [=](const transfer_receipt& r) {
            (*results)[i] = static_cast<int64_t>(r.seq);
            (*balances)[i] = r.balance_minor;
            if (--*left == 0)
              caf::anon_send(sink, done_atom::value, *results, *balances);
          },
          [=](caf::error& err) {
            (*results)[i] = -static_cast<int64_t>(code_of(err));
            if (--*left == 0)
              caf::anon_send(sink, done_atom::value, *results, *balances);
          });
    }
  });
}

TEST_F(LedgerActorTest, ThousandConcurrentTransfersAreAllAnsweredAndConserved) {
  const std::vector<std::string> users{"u0", "u1", "u2", "u3", "u4",
                                       "u5", "u6", "u7", "u8", "u9"};
  std::map<std::string, int64_t> expected;
  for (auto& u : users) {
    account(u, "fp-" + u);
    ASSERT_TRUE(apply(issue("seed-" + u, u, 5000)));
    expected[u] = 5000;
  }
  // One sender: the ledger sees the orders in sending order, so the
  // outcome of each can be predicted.
  std::vector<transfer_order> orders;
  for (int i = 0; i < 1000; ++i) {
    auto& from = users[(i * 7) % 10];
    auto& to = users[(i * 7 + 1 + i % 9) % 10];
    orders.push_back(transfer("c" + std::to_string(i), from, to,
                              1 + (i * 131) % 3000));
  }
  fire(*sys_, books_, box_->handle(), orders);
  auto done = box_->take(tagged(done_atom::value), 20s);
  ASSERT_TRUE(done) << "not every transfer was answered";
  ASSERT_TRUE((done->match_elements<done_atom, std::vector<int64_t>,
                                    std::vector<int64_t>>()));
  auto results = done->get_as<std::vector<int64_t>>(1);
  auto receipts = done->get_as<std::vector<int64_t>>(2);
  ASSERT_EQ(results.size(), 1000u);
  int ok = 0, refused = 0;
  std::set<int64_t> seqs;
  for (size_t i = 0; i < orders.size(); ++i) {
    auto& o = orders[i];
    bool enough = expected[o.from] >= o.amount_minor;
    if (enough) {
      expected[o.from] -= o.amount_minor;
      expected[o.to] += o.amount_minor;
      ASSERT_GT(results[i], 0) << "order " << i << " refused with code "
                               << -results[i];
      EXPECT_EQ(receipts[i], expected[o.from]) << "order " << i;
      EXPECT_TRUE(seqs.insert(results[i]).second) << "seq reused";
      ++ok;
    } else {
      ASSERT_EQ(results[i],
                -static_cast<int64_t>(errc::insufficient_funds))
        << "order " << i;
      ++refused;
    }
  }
  EXPECT_GT(ok, 100);
  EXPECT_GT(refused, 0);
  int64_t sum = 0;
  for (auto& u : users) {
    EXPECT_EQ(balance_of(u), expected[u]) << u;
    sum += balance_of(u);
  }
  EXPECT_EQ(sum, 50000);
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_balances, 50000);
  EXPECT_EQ(rep.total_issued, 50000);
  EXPECT_EQ(rep.transfers, 10 + ok);
}

// A ledger on disk whose postings to "mallory" fail part-way through an
// order, as an unexpected SQLite error would.
class LedgerActorOnDisk : public BankTestBase {
protected:
  void SetUp() override {
    BankTestBase::SetUp();
    caf::anon_send_exit(books_, caf::exit_reason::kill);
    path_ = (std::filesystem::temp_directory_path()
             / ("courier_ledger_actor_" + std::to_string(::getpid()) + ".db"))
              .string();
    auto l = ledger::open(path_);
    ASSERT_TRUE(l) << explain(l.error());
    books_ = spawn_ledger(*sys_, std::make_shared<ledger>(std::move(*l)));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    auto rc = sqlite3_exec(db,
                           "CREATE TRIGGER no_mallory BEFORE INSERT ON postings"
                           " WHEN NEW.account = 'mallory'"
                           " BEGIN SELECT RAISE(ABORT, 'injected'); END",
                           nullptr, nullptr, nullptr);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK);
  }

  void TearDown() override {
    BankTestBase::TearDown();
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_ + suffix);
  }

  std::string path_;
};

TEST_F(LedgerActorOnDisk, AnOrderThatFailsPartWayIsUndoneAloneInItsBatch) {
  for (auto u : {"alice", "bob", "mallory"})
    account(u, std::string{"fp-"} + u);
  ASSERT_TRUE(apply(issue("seed", "alice", 10000)));
  // Sent at once, so they share a batch: the one to mallory writes its
  // transfer row and alice's posting before its second posting fails.
  std::vector<transfer_order> orders{transfer("a", "alice", "bob", 100),
                                     transfer("b", "alice", "mallory", 200),
                                     transfer("c", "alice", "bob", 300)};
  fire(*sys_, books_, box_->handle(), orders);
  auto done = box_->take(tagged(done_atom::value), 20s);
  ASSERT_TRUE(done);
  ASSERT_TRUE((done->match_elements<done_atom, std::vector<int64_t>,
                                    std::vector<int64_t>>()));
  auto results = done->get_as<std::vector<int64_t>>(1);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_GT(results[0], 0);
  EXPECT_EQ(results[1], -static_cast<int64_t>(errc::storage_failure));
  EXPECT_GT(results[2], 0);
  EXPECT_EQ(balance_of("alice"), 10000 - 400);
  EXPECT_EQ(balance_of("bob"), 400);
  EXPECT_EQ(balance_of("mallory"), 0);
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.transfers, 3);
}

TEST_F(LedgerActorTest, ConcurrentSendersConserveMoney) {
  const std::vector<std::string> users{"a", "b", "c", "d", "e"};
  for (auto& u : users) {
    account(u, "fp-" + u);
    ASSERT_TRUE(apply(issue("seed-" + u, u, 2000)));
  }
  // Four senders at once, 250 orders each; some ids are shared between
  // senders with the same content, so those must be replays.
  for (int s = 0; s < 4; ++s) {
    std::vector<transfer_order> orders;
    for (int i = 0; i < 250; ++i) {
      auto id = i % 10 == 0 ? "shared" + std::to_string(i)
                            : "s" + std::to_string(s) + "-" + std::to_string(i);
      auto to = i % 10 == 0 ? users[(i + 1) % 5] : users[(i + 1 + s) % 5];
      orders.push_back(transfer(id, users[i % 5], to, 1 + (i * 17) % 400));
    }
    fire(*sys_, books_, box_->handle(), orders);
  }
  int answered = 0;
  std::map<size_t, std::set<int64_t>> shared_seqs; // index -> seqs seen
  while (answered < 4) {
    auto done = box_->take(tagged(done_atom::value), 20s);
    ASSERT_TRUE(done) << "only " << answered << " senders done";
    auto results = done->get_as<std::vector<int64_t>>(1);
    ASSERT_EQ(results.size(), 250u);
    for (size_t i = 0; i < results.size(); ++i) {
      auto r = results[i];
      EXPECT_TRUE(r > 0 || r == -static_cast<int64_t>(errc::insufficient_funds))
        << "order " << i << ": " << r;
      if (i % 10 == 0 && r > 0)
        shared_seqs[i].insert(r);
    }
    ++answered;
  }
  EXPECT_FALSE(shared_seqs.empty());
  for (auto& [i, seqs] : shared_seqs)
    EXPECT_EQ(seqs.size(), 1u) << "shared order " << i << " applied twice";
  int64_t sum = 0;
  for (auto& u : users)
    sum += balance_of(u);
  EXPECT_EQ(sum, 10000);
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_balances, 10000);
  EXPECT_LE(rep.transfers, 5 + 4 * 250 - 3 * 25); // shared ids count once
}

} // namespace
