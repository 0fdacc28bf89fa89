// Unit tests for the double-entry ledger. Every rule runs on an in-memory
// and on an on-disk SQLite database and on PostgreSQL (TEST_P over the
// backend: the conformance suite); tampering and durability need a file
// and run on SQLite on disk only.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <pqxx/pqxx>

#include "actors/bank/ledger.hpp"
#include "actors/bank/ledger_backend.hpp"
#include "actors/bank/ledger_lock.hpp"
#include "actors/bank/pg_ledger.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "tests/support/pg_server.hpp"

using namespace courier;
using namespace courier::bank;

namespace fs = std::filesystem;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

/// A fresh database file name in the temp directory.
std::string temp_db_path() {
  static std::atomic<int> counter{0};
  auto name = "courier_ledger_test_" + std::to_string(::getpid()) + "_"
              + std::to_string(counter++) + ".db";
  return (fs::temp_directory_path() / name).string();
}

void remove_db(const std::string& path) {
  std::error_code ec;
  for (auto suffix : {"", "-wal", "-shm", "-journal"})
    fs::remove(path + suffix, ec);
}

transfer_order transfer(std::string id, std::string from, std::string to,
                        int64_t amount, std::string fp = {}) {
  if (fp.empty())
    fp = "fp-" + from;
  return {std::move(id), "transfer", from, std::move(fp), from, std::move(to),
          amount};
}

transfer_order issue(std::string id, std::string to, int64_t amount) {
  return {std::move(id), "issue", "op", "fp-op", issuance_account,
          std::move(to), amount};
}

/// Everything observable about a set of accounts, to compare before/after.
struct snapshot {
  std::map<std::string, int64_t> balances;
  std::map<std::string, size_t> history_sizes;
  int64_t total_issued = 0;
  int64_t total_balances = 0;
  int64_t accounts = 0;
  int64_t transfers = 0;
  bool operator==(const snapshot& o) const {
    return balances == o.balances && history_sizes == o.history_sizes
           && total_issued == o.total_issued
           && total_balances == o.total_balances && accounts == o.accounts
           && transfers == o.transfers;
  }
};

std::ostream& operator<<(std::ostream& os, const snapshot& s) {
  os << "{";
  for (auto& [k, v] : s.balances)
    os << k << "=" << v << "/" << s.history_sizes.at(k) << " ";
  return os << "issued=" << s.total_issued << " sum=" << s.total_balances
            << " accounts=" << s.accounts << " transfers=" << s.transfers
            << "}";
}

class LedgerBase {
protected:
  void open_at(const std::string& path) {
    auto l = open_ledger(path);
    ASSERT_TRUE(l) << explain(l.error());
    books_ = std::move(*l);
  }

  ledger_backend& books() {
    return *books_;
  }

  /// Opens `user` with key "fp-<user>", expecting a new account.
  void open(const std::string& user) {
    bool created = false;
    ASSERT_FALSE(books().begin());
    auto b = books().open_account(user, "fp-" + user, created);
    ASSERT_TRUE(b) << explain(b.error());
    ASSERT_FALSE(books().commit());
    ASSERT_TRUE(created) << user;
    ASSERT_EQ(*b, 0);
  }

  /// Applies one order in its own transaction (rolled back on refusal).
  caf::expected<transfer_receipt> run(const transfer_order& o,
                                      int64_t now = t0) {
    if (auto err = books().begin())
      return err;
    auto r = books().apply(o, now);
    if (!r) {
      books().rollback();
      return r;
    }
    if (auto err = books().commit()) {
      books().rollback();
      return err;
    }
    return r;
  }

  int64_t balance_of(const std::string& user) {
    auto b = books().balance(user);
    EXPECT_TRUE(b) << user << ": " << explain(b.error());
    return b ? *b : -999999;
  }

  std::vector<transfer_receipt> history_of(const std::string& user,
                                           uint32_t limit = 100,
                                           uint64_t before = 0) {
    auto h = books().history(user, limit, before);
    EXPECT_TRUE(h) << user << ": " << explain(h.error());
    return h ? *h : std::vector<transfer_receipt>{};
  }

  audit_report audit() {
    auto rep = books().audit();
    EXPECT_TRUE(rep) << explain(rep.error());
    return rep ? *rep : audit_report{};
  }

  snapshot snap(const std::vector<std::string>& users) {
    snapshot s;
    for (auto& u : users) {
      s.balances[u] = balance_of(u);
      s.history_sizes[u] = history_of(u).size();
    }
    auto rep = audit();
    s.total_issued = rep.total_issued;
    s.total_balances = rep.total_balances;
    s.accounts = rep.accounts;
    s.transfers = rep.transfers;
    return s;
  }

  /// alice (1000.00 issued), bob (empty), carol (empty).
  void standard_setup() {
    open("alice");
    open("bob");
    open("carol");
    auto r = run(issue("seed", "alice", 100000));
    ASSERT_TRUE(r) << explain(r.error());
  }

  std::unique_ptr<ledger_backend> books_;
};

// -- every rule on both kinds of database -------------------------------------

/// One PostgreSQL database for the binary, emptied for each test (a new
/// database and its migration per test would cost several times more).
void empty_pg_ledger(std::string& conninfo) {
  static std::string shared;
  if (shared.empty()) {
    auto& pg = test::pg_server::shared();
    ASSERT_TRUE(pg.ok()) << pg.why();
    shared = pg.fresh_database();
    ASSERT_FALSE(shared.empty()) << pg.why();
  } else {
    pqxx::connection c{shared};
    pqxx::nontransaction tx{c};
    tx.exec("TRUNCATE postings, transfers, accounts;"
            "ALTER SEQUENCE transfer_seq RESTART;"
            "INSERT INTO accounts(name, key_fp, overdraft, opened)"
            " VALUES('@issuance', '', true, 0)");
  }
  conninfo = shared;
}

class LedgerTest : public LedgerBase,
                   public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      ASSERT_NO_FATAL_FAILURE(empty_pg_ledger(path_));
    } else {
      path_ = GetParam() == "disk" ? temp_db_path() : std::string{":memory:"};
    }
    open_at(path_);
  }

  void TearDown() override {
    books_.reset();
    if (GetParam() == "disk")
      remove_db(path_);
  }

  std::string path_;
};

TEST_P(LedgerTest, OpenAccountCreatesOnce) {
  bool created = false;
  ASSERT_FALSE(books().begin());
  auto first = books().open_account("alice", "fp-alice", created);
  ASSERT_FALSE(books().commit());
  ASSERT_TRUE(first) << explain(first.error());
  EXPECT_TRUE(created);
  EXPECT_EQ(*first, 0);

  ASSERT_TRUE(run(issue("i1", "alice", 4200)));

  created = true;
  auto second = books().open_account("alice", "fp-alice", created);
  ASSERT_TRUE(second) << explain(second.error());
  EXPECT_FALSE(created);
  EXPECT_EQ(*second, 4200);
  EXPECT_EQ(balance_of("alice"), 4200);
  EXPECT_EQ(audit().accounts, 1);

  auto key = books().account_key("alice");
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "fp-alice");
}

TEST_P(LedgerTest, OpenAccountWithAnotherKeyIsRefused) {
  open("alice");
  bool created = true;
  auto other = books().open_account("alice", "fp-mallory", created);
  ASSERT_FALSE(other);
  EXPECT_EQ(code_of(other.error()), errc::not_permitted);
  EXPECT_FALSE(created);
  auto key = books().account_key("alice");
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "fp-alice");
  EXPECT_EQ(audit().accounts, 1);
}

TEST_P(LedgerTest, UnknownAccountQueries) {
  auto b = books().balance("nobody");
  ASSERT_FALSE(b);
  EXPECT_EQ(code_of(b.error()), errc::unknown_account);
  auto k = books().account_key("nobody");
  ASSERT_FALSE(k);
  EXPECT_EQ(code_of(k.error()), errc::unknown_account);
}

TEST_P(LedgerTest, IssueCreditsTheUser) {
  open("alice");
  auto r = run(issue("i1", "alice", 12345), t0 + 7);
  ASSERT_TRUE(r) << explain(r.error());
  EXPECT_EQ(r->transfer_id, "i1");
  EXPECT_EQ(r->kind, "issue");
  EXPECT_EQ(r->from, issuance_account);
  EXPECT_EQ(r->to, "alice");
  EXPECT_EQ(r->amount_minor, 12345);
  EXPECT_EQ(r->balance_minor, 12345); // the credited account's
  EXPECT_EQ(r->ts, t0 + 7);
  EXPECT_GT(r->seq, 0u);
  EXPECT_FALSE(r->replayed);
  EXPECT_EQ(balance_of("alice"), 12345);
  EXPECT_EQ(balance_of(issuance_account), -12345);

  auto h = history_of("alice");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].transfer_id, "i1");
  EXPECT_EQ(h[0].kind, "issue");
  EXPECT_EQ(h[0].from, issuance_account);
  EXPECT_EQ(h[0].to, "alice");
  EXPECT_EQ(h[0].amount_minor, 12345);
  EXPECT_EQ(h[0].balance_minor, 12345);
  EXPECT_EQ(h[0].seq, r->seq);
  EXPECT_EQ(h[0].ts, t0 + 7);

  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 12345);
  EXPECT_EQ(rep.total_balances, 12345);
  EXPECT_EQ(rep.transfers, 1);
}

TEST_P(LedgerTest, TransferDebitsAndCreditsWithTwoPostings) {
  standard_setup();
  auto r = run(transfer("t1", "alice", "bob", 30050), t0 + 1);
  ASSERT_TRUE(r) << explain(r.error());
  EXPECT_EQ(r->kind, "transfer");
  EXPECT_EQ(r->from, "alice");
  EXPECT_EQ(r->to, "bob");
  EXPECT_EQ(r->amount_minor, 30050);
  EXPECT_EQ(r->balance_minor, 100000 - 30050); // the requester's
  EXPECT_FALSE(r->replayed);
  EXPECT_EQ(balance_of("alice"), 69950);
  EXPECT_EQ(balance_of("bob"), 30050);
  EXPECT_EQ(balance_of("carol"), 0);

  // One posting on each side, both pointing at the same transfer.
  auto ha = history_of("alice");
  ASSERT_EQ(ha.size(), 2u);
  EXPECT_EQ(ha[0].transfer_id, "t1"); // newest first
  EXPECT_EQ(ha[0].seq, r->seq);
  EXPECT_EQ(ha[0].balance_minor, 69950);
  EXPECT_EQ(ha[0].amount_minor, 30050);
  EXPECT_EQ(ha[1].transfer_id, "seed");
  EXPECT_EQ(ha[1].balance_minor, 100000);
  EXPECT_LT(ha[1].seq, ha[0].seq);

  auto hb = history_of("bob");
  ASSERT_EQ(hb.size(), 1u);
  EXPECT_EQ(hb[0].transfer_id, "t1");
  EXPECT_EQ(hb[0].seq, r->seq);
  EXPECT_EQ(hb[0].from, "alice");
  EXPECT_EQ(hb[0].to, "bob");
  EXPECT_EQ(hb[0].balance_minor, 30050);
  EXPECT_TRUE(history_of("carol").empty());

  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.transfers, 2);
  EXPECT_EQ(rep.total_issued, 100000);
  EXPECT_EQ(rep.total_balances, 100000);
}

TEST_P(LedgerTest, InsufficientFundsChangesNothing) {
  standard_setup();
  ASSERT_TRUE(run(transfer("t1", "alice", "bob", 500)));
  auto before = snap({"alice", "bob", "carol", issuance_account});
  auto r = run(transfer("t2", "bob", "carol", 501));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::insufficient_funds);
  // Refused inside a transaction that is then committed: still nothing.
  ASSERT_FALSE(books().begin());
  auto r2 = books().apply(transfer("t3", "alice", "carol", 100000), t0);
  ASSERT_FALSE(r2);
  EXPECT_EQ(code_of(r2.error()), errc::insufficient_funds);
  ASSERT_FALSE(books().commit());
  EXPECT_EQ(snap({"alice", "bob", "carol", issuance_account}), before);
  EXPECT_TRUE(audit().ok());
  // The refused id is not burnt: the same id works once funds suffice.
  auto ok = run(transfer("t2", "bob", "carol", 500));
  ASSERT_TRUE(ok) << explain(ok.error());
  EXPECT_FALSE(ok->replayed);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(balance_of("carol"), 500);
}

TEST_P(LedgerTest, ExactBalanceCanBeSpent) {
  standard_setup();
  auto r = run(transfer("all", "alice", "bob", 100000));
  ASSERT_TRUE(r) << explain(r.error());
  EXPECT_EQ(r->balance_minor, 0);
  EXPECT_EQ(balance_of("alice"), 0);
  EXPECT_EQ(balance_of("bob"), 100000);
}

TEST_P(LedgerTest, UnknownAccountsAreRefused) {
  standard_setup();
  auto before = snap({"alice", "bob", "carol"});
  auto r = run(transfer("t1", "alice", "nobody", 100));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::unknown_account);
  r = run(issue("i2", "nobody", 100));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::unknown_account);
  r = run(transfer("t2", "ghost", "bob", 100));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::unknown_account);
  EXPECT_EQ(snap({"alice", "bob", "carol"}), before);
  EXPECT_FALSE(books().balance("nobody"));
}

TEST_P(LedgerTest, InvalidAmountsAreRefused) {
  standard_setup();
  auto before = snap({"alice", "bob"});
  for (int64_t amount : {int64_t{0}, int64_t{-1}, int64_t{-100000},
                         max_amount_minor + 1,
                         std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min()}) {
    auto r = run(transfer("bad" + std::to_string(amount), "alice", "bob",
                          amount));
    ASSERT_FALSE(r) << amount;
    EXPECT_EQ(code_of(r.error()), errc::invalid_amount) << amount;
    auto i = run(issue("badi" + std::to_string(amount), "bob", amount));
    ASSERT_FALSE(i) << amount;
    EXPECT_EQ(code_of(i.error()), errc::invalid_amount) << amount;
  }
  EXPECT_EQ(snap({"alice", "bob"}), before);
  // The maximum itself is fine.
  auto max = run(issue("max", "bob", max_amount_minor));
  ASSERT_TRUE(max) << explain(max.error());
  EXPECT_EQ(balance_of("bob"), max_amount_minor);
}

TEST_P(LedgerTest, BadTransferIdsAndKinds) {
  standard_setup();
  auto before = snap({"alice", "bob"});
  auto r = run(transfer("", "alice", "bob", 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_envelope);
  r = run(transfer(std::string(65, 'x'), "alice", "bob", 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::bad_envelope);
  auto odd = transfer("k1", "alice", "bob", 1);
  odd.kind = "steal";
  r = run(odd);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::unknown_type);
  EXPECT_EQ(snap({"alice", "bob"}), before);
  auto ok = run(transfer(std::string(64, 'x'), "alice", "bob", 1));
  EXPECT_TRUE(ok) << explain(ok.error());
}

TEST_P(LedgerTest, TransferToSelfIsNotPermitted) {
  standard_setup();
  auto before = snap({"alice"});
  auto r = run(transfer("self", "alice", "alice", 100));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::not_permitted);
  EXPECT_EQ(snap({"alice"}), before);
}

TEST_P(LedgerTest, OrderSignedByAnotherKeyIsNotPermitted) {
  standard_setup();
  auto before = snap({"alice", "bob"});
  auto r = run(transfer("t1", "alice", "bob", 100, "fp-mallory"));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::not_permitted);
  // Bob's key cannot move alice's money either.
  r = run(transfer("t2", "alice", "bob", 100, "fp-bob"));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::not_permitted);
  EXPECT_EQ(snap({"alice", "bob"}), before);
  // Replaying an applied transfer with another key reveals nothing.
  ASSERT_TRUE(run(transfer("t3", "alice", "bob", 100)));
  r = run(transfer("t3", "alice", "bob", 100, "fp-mallory"));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::not_permitted);
}

TEST_P(LedgerTest, SameIdSameContentReplaysTheFirstReceipt) {
  standard_setup();
  auto first = run(transfer("t1", "alice", "bob", 2500), t0 + 10);
  ASSERT_TRUE(first) << explain(first.error());
  ASSERT_TRUE(run(transfer("t2", "alice", "carol", 100), t0 + 20));
  auto again = run(transfer("t1", "alice", "bob", 2500), t0 + 30);
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->transfer_id, "t1");
  EXPECT_EQ(again->kind, "transfer");
  EXPECT_EQ(again->from, "alice");
  EXPECT_EQ(again->to, "bob");
  EXPECT_EQ(again->amount_minor, 2500);
  EXPECT_EQ(again->balance_minor, first->balance_minor); // the first result
  EXPECT_EQ(again->ts, t0 + 10);
  EXPECT_EQ(balance_of("alice"), 100000 - 2500 - 100);
  EXPECT_EQ(balance_of("bob"), 2500);
  EXPECT_EQ(history_of("bob").size(), 1u);
  EXPECT_EQ(audit().transfers, 3);

  // Twice more inside one transaction, and an issue replay.
  ASSERT_FALSE(books().begin());
  auto a = books().apply(transfer("t1", "alice", "bob", 2500), t0 + 40);
  auto b = books().apply(transfer("t1", "alice", "bob", 2500), t0 + 50);
  ASSERT_FALSE(books().commit());
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->replayed && b->replayed);
  EXPECT_EQ(a->seq, first->seq);
  EXPECT_EQ(b->seq, first->seq);
  auto seed = run(issue("seed", "alice", 100000));
  ASSERT_TRUE(seed) << explain(seed.error());
  EXPECT_TRUE(seed->replayed);
  EXPECT_EQ(seed->balance_minor, 100000); // credited account after the issue
  EXPECT_EQ(balance_of("bob"), 2500);
  EXPECT_EQ(balance_of("alice"), 100000 - 2600);
  auto rep = audit();
  EXPECT_EQ(rep.transfers, 3);
  EXPECT_EQ(rep.total_issued, 100000);
  EXPECT_TRUE(rep.ok());
}

TEST_P(LedgerTest, SameIdDifferentContentConflicts) {
  standard_setup();
  ASSERT_TRUE(run(transfer("t1", "alice", "bob", 2500)));
  auto before = snap({"alice", "bob", "carol"});
  auto r = run(transfer("t1", "alice", "bob", 2501));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::conflicting_order);
  r = run(transfer("t1", "alice", "carol", 2500));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::conflicting_order);
  EXPECT_EQ(snap({"alice", "bob", "carol"}), before);
}

TEST_P(LedgerTest, TransferIdsAreScopedByRequester) {
  standard_setup();
  ASSERT_TRUE(run(issue("i2", "carol", 5000)));
  // carol takes the id alice is about to use: alice's transfer still goes
  // through, as her own, and learns nothing about carol's.
  auto carols = run(transfer("t1", "carol", "bob", 700));
  ASSERT_TRUE(carols) << explain(carols.error());
  auto alices = run(transfer("t1", "alice", "bob", 2500));
  ASSERT_TRUE(alices) << explain(alices.error());
  EXPECT_FALSE(alices->replayed);
  EXPECT_NE(alices->seq, carols->seq);
  EXPECT_EQ(alices->balance_minor, 100000 - 2500);
  // An operator's issue under the same id is the operator's own, too.
  auto op = run(issue("t1", "bob", 100));
  ASSERT_TRUE(op) << explain(op.error());
  EXPECT_FALSE(op->replayed);
  // Each requester's retry still replays its own receipt.
  auto again = run(transfer("t1", "alice", "bob", 2500));
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, alices->seq);
  EXPECT_EQ(balance_of("bob"), 700 + 2500 + 100);
  EXPECT_TRUE(audit().ok());
}

TEST_P(LedgerTest, OverdraftAllowsNegativeBalancesAndAuditPasses) {
  standard_setup();
  auto r = run(transfer("t1", "bob", "carol", 700));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::insufficient_funds);
  ASSERT_FALSE(books().allow_overdraft("bob", true));
  r = run(transfer("t1", "bob", "carol", 700));
  ASSERT_TRUE(r) << explain(r.error());
  EXPECT_EQ(r->balance_minor, -700);
  EXPECT_EQ(balance_of("bob"), -700);
  EXPECT_EQ(balance_of("carol"), 700);
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 100000);
  EXPECT_EQ(rep.total_balances, 100000);

  // Without the overdraft the negative balance is a finding.
  ASSERT_FALSE(books().allow_overdraft("bob", false));
  rep = audit();
  EXPECT_FALSE(rep.ok());
  ASSERT_EQ(rep.problems.size(), 1u);
  EXPECT_NE(rep.problems[0].find("below zero"), std::string::npos)
    << rep.problems[0];
  r = run(transfer("t2", "bob", "carol", 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::insufficient_funds);
}

TEST_P(LedgerTest, AuditOnCleanLedger) {
  auto empty = audit();
  EXPECT_TRUE(empty.ok()) << ::testing::PrintToString(empty.problems);
  EXPECT_EQ(empty.total_issued, 0);
  EXPECT_EQ(empty.total_balances, 0);
  EXPECT_EQ(empty.accounts, 0);
  EXPECT_EQ(empty.transfers, 0);

  standard_setup();
  ASSERT_TRUE(run(issue("i2", "bob", 555)));
  ASSERT_TRUE(run(transfer("t1", "alice", "carol", 1000)));
  ASSERT_TRUE(run(transfer("t2", "carol", "bob", 400)));
  ASSERT_TRUE(run(transfer("t3", "bob", "alice", 955)));
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 100555);
  EXPECT_EQ(rep.total_balances, 100555);
  EXPECT_EQ(rep.total_balances, balance_of("alice") + balance_of("bob")
                                  + balance_of("carol"));
  EXPECT_EQ(balance_of(issuance_account), -100555);
  EXPECT_EQ(rep.accounts, 3);
  EXPECT_EQ(rep.transfers, 5);
}

TEST_P(LedgerTest, HistoryPagesNewestFirst) {
  standard_setup();
  std::vector<uint64_t> seqs;
  for (int i = 1; i <= 5; ++i) {
    auto r = run(transfer("p" + std::to_string(i), "alice", "bob", i * 100));
    ASSERT_TRUE(r) << explain(r.error());
    seqs.push_back(r->seq);
  }
  // Unrelated activity does not show up in bob's history.
  ASSERT_TRUE(run(transfer("other", "alice", "carol", 1)));

  auto all = history_of("bob");
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, seqs[4 - i]);
    EXPECT_EQ(all[i].amount_minor, static_cast<int64_t>((5 - i) * 100));
  }
  auto page1 = history_of("bob", 2, 0);
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].transfer_id, "p5");
  EXPECT_EQ(page1[1].transfer_id, "p4");
  EXPECT_EQ(page1[0].balance_minor, 1500);
  EXPECT_EQ(page1[1].balance_minor, 1000);
  auto page2 = history_of("bob", 2, page1.back().seq);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].transfer_id, "p3");
  EXPECT_EQ(page2[1].transfer_id, "p2");
  auto page3 = history_of("bob", 2, page2.back().seq);
  ASSERT_EQ(page3.size(), 1u);
  EXPECT_EQ(page3[0].transfer_id, "p1");
  EXPECT_EQ(page3[0].balance_minor, 100);
  EXPECT_TRUE(history_of("bob", 2, page3.back().seq).empty());
  EXPECT_TRUE(history_of("bob", 0, 0).empty());
  // `before` is exclusive.
  auto upto = history_of("bob", 10, seqs[2]);
  ASSERT_EQ(upto.size(), 2u);
  EXPECT_EQ(upto[0].seq, seqs[1]);
  EXPECT_EQ(upto[1].seq, seqs[0]);
  // alice: 5 transfers, "other" and the seed.
  auto ha = history_of("alice", 3, 0);
  ASSERT_EQ(ha.size(), 3u);
  EXPECT_EQ(ha[0].transfer_id, "other");
  EXPECT_EQ(ha[1].transfer_id, "p5");
  EXPECT_EQ(history_of("alice").size(), 7u);
  EXPECT_TRUE(history_of("nobody").empty());
}

TEST_P(LedgerTest, RollbackLeavesNothing) {
  open("alice");
  open("bob");
  auto before = snap({"alice", "bob"});
  ASSERT_FALSE(books().begin());
  auto i = books().apply(issue("i1", "alice", 5000), t0);
  ASSERT_TRUE(i) << explain(i.error());
  auto t = books().apply(transfer("t1", "alice", "bob", 2000), t0);
  ASSERT_TRUE(t) << explain(t.error());
  bool created = false;
  ASSERT_TRUE(books().open_account("dave", "fp-dave", created));
  EXPECT_TRUE(created);
  EXPECT_EQ(balance_of("bob"), 2000); // visible inside the transaction
  books().rollback();

  EXPECT_EQ(snap({"alice", "bob"}), before);
  EXPECT_EQ(audit().transfers, 0);
  auto dave = books().balance("dave");
  ASSERT_FALSE(dave);
  EXPECT_EQ(code_of(dave.error()), errc::unknown_account);
  // The rolled-back ids are free: applying them again is not a replay.
  auto again = run(issue("i1", "alice", 5000));
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_FALSE(again->replayed);
  EXPECT_EQ(balance_of("alice"), 5000);
}

TEST_P(LedgerTest, ManyTransfersInOneTransactionStayBalanced) {
  standard_setup();
  ASSERT_FALSE(books().begin());
  std::vector<std::string> users{"alice", "bob", "carol"};
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto& from = users[i % 3];
    auto& to = users[(i % 3 + 1 + (i / 3) % 2) % 3];
    auto r = books().apply(transfer("m" + std::to_string(i), from, to,
                                    1 + (i * 37) % 5000),
                           t0 + i);
    if (!r) {
      EXPECT_EQ(code_of(r.error()), errc::insufficient_funds);
      ++refused;
    }
  }
  ASSERT_FALSE(books().commit());
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_balances, 100000);
  EXPECT_EQ(rep.transfers, 1 + 300 - refused);
}

// A batch, as the ledger actor hands it over: PostgreSQL writes it with a
// few statements, and must still decide every order as `apply` would, in
// turn, retries of an order earlier in the batch included.
TEST_P(LedgerTest, ABatchDecidesEachOrderAsApplyWould) {
  standard_setup();
  std::vector<transfer_order> batch{
    transfer("b1", "alice", "bob", 1000),
    transfer("b2", "alice", "carol", 500),
    transfer("b1", "alice", "bob", 1000),       // a retry: replays b1
    transfer("b1", "alice", "bob", 999),        // conflicts with b1
    transfer("b3", "bob", "carol", 5000),       // bob has 10.00
    transfer("b4", "bob", "carol", 1000),       // all of it
    transfer("b5", "alice", "mallory", 10),     // no such account
    transfer("b6", "alice", "bob", 10, "fp-x"), // another key
    issue("i9", "carol", 700),
    transfer("", "alice", "bob", 10),
    transfer("b7", "alice", "alice", 10),
  };
  ASSERT_FALSE(books().begin());
  auto r = books().apply_all(batch, t0 + 5);
  EXPECT_FALSE(books().torn());
  ASSERT_FALSE(books().commit());
  ASSERT_EQ(r.size(), batch.size());
  auto code = [&](size_t i) {
    return r[i] ? errc{} : code_of(r[i].error());
  };
  ASSERT_TRUE(r[0] && r[1] && r[2] && r[5] && r[8]);
  EXPECT_FALSE(r[0]->replayed);
  EXPECT_EQ(r[0]->balance_minor, 99000);
  EXPECT_EQ(r[1]->balance_minor, 98500);
  EXPECT_TRUE(r[2]->replayed);
  EXPECT_EQ(r[2]->seq, r[0]->seq);
  EXPECT_EQ(r[2]->balance_minor, 99000);
  EXPECT_EQ(code(3), errc::conflicting_order);
  EXPECT_EQ(code(4), errc::insufficient_funds);
  EXPECT_EQ(r[5]->balance_minor, 0);
  EXPECT_EQ(code(6), errc::unknown_account);
  EXPECT_EQ(code(7), errc::not_permitted);
  EXPECT_EQ(r[8]->balance_minor, 500 + 1000 + 700);
  EXPECT_EQ(code(9), errc::bad_envelope);
  EXPECT_EQ(code(10), errc::not_permitted);
  // Numbered in the batch's order.
  EXPECT_LT(r[0]->seq, r[1]->seq);
  EXPECT_LT(r[1]->seq, r[5]->seq);
  EXPECT_LT(r[5]->seq, r[8]->seq);
  EXPECT_EQ(balance_of("alice"), 98500);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(balance_of("carol"), 2200);
  // Each posting keeps its own account's balance after it.
  auto bob = history_of("bob");
  ASSERT_EQ(bob.size(), 2u);
  EXPECT_EQ(bob[0].seq, r[5]->seq);
  EXPECT_EQ(bob[0].balance_minor, 0);
  EXPECT_EQ(bob[1].seq, r[0]->seq);
  EXPECT_EQ(bob[1].balance_minor, 1000);
  auto carol = history_of("carol");
  ASSERT_EQ(carol.size(), 3u);
  EXPECT_EQ(carol[0].balance_minor, 2200);
  EXPECT_EQ(carol[1].balance_minor, 1500);
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.transfers, 5);
  EXPECT_EQ(rep.total_issued, 100700);
  // After the commit, a retry still gets the first receipt.
  auto again = run(transfer("b2", "alice", "carol", 500));
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, r[1]->seq);
  EXPECT_EQ(balance_of("alice"), 98500);
}

INSTANTIATE_TEST_SUITE_P(Storage, LedgerTest,
                         ::testing::Values(std::string{"memory"},
                                           std::string{"disk"},
                                           std::string{"postgresql"}),
                         [](const auto& info) { return info.param; });

// -- on disk only: tampering and durability -------------------------------------

class LedgerOnDisk : public LedgerBase, public ::testing::Test {
protected:
  void SetUp() override {
    path_ = temp_db_path();
    open_at(path_);
  }

  void TearDown() override {
    books_.reset();
    remove_db(path_);
  }

  /// Runs `sql` on a second, raw connection to the same file.
  void tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* msg = nullptr;
    auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    auto changed = sqlite3_changes(db);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << text;
    ASSERT_GT(changed, 0) << sql;
  }

  /// Runs `sql` on a raw connection, changes or not (schema, triggers).
  void tamper_new(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << text;
  }

  std::string path_;
};

TEST_F(LedgerOnDisk, TamperedBalanceIsFound) {
  standard_setup();
  ASSERT_TRUE(run(transfer("t1", "alice", "bob", 300)));
  auto clean = audit();
  ASSERT_TRUE(clean.ok()) << ::testing::PrintToString(clean.problems);

  tamper("UPDATE accounts SET balance = balance + 1 WHERE name = 'bob'");
  EXPECT_EQ(balance_of("bob"), 301);
  auto rep = audit();
  EXPECT_FALSE(rep.ok());
  EXPECT_EQ(rep.total_issued, 100000);
  EXPECT_EQ(rep.total_balances, 100001);
  // The sum is off and bob's balance disagrees with his postings.
  EXPECT_EQ(rep.problems.size(), 2u) << ::testing::PrintToString(rep.problems);
}

TEST_F(LedgerOnDisk, TamperedPostingIsFound) {
  standard_setup();
  ASSERT_TRUE(run(transfer("t1", "alice", "bob", 300)));
  tamper("UPDATE postings SET amount = amount + 5 WHERE account = 'bob'");
  auto rep = audit();
  EXPECT_FALSE(rep.ok());
  // Postings no longer sum to zero, bob's balance differs from them and
  // transfer t1 is unbalanced; the balances themselves still add up.
  EXPECT_EQ(rep.total_balances, rep.total_issued);
  EXPECT_EQ(rep.problems.size(), 3u) << ::testing::PrintToString(rep.problems);
}

TEST_F(LedgerOnDisk, DeletedPostingIsFound) {
  standard_setup();
  ASSERT_TRUE(run(transfer("t1", "alice", "bob", 300)));
  tamper("DELETE FROM postings WHERE account = 'bob'");
  auto rep = audit();
  EXPECT_FALSE(rep.ok());
  EXPECT_GE(rep.problems.size(), 3u) << ::testing::PrintToString(rep.problems);
}

TEST_F(LedgerOnDisk, TamperedIssueAmountIsFound) {
  standard_setup();
  tamper("UPDATE transfers SET amount = amount + 100 WHERE transfer_id = 'seed'");
  auto rep = audit();
  EXPECT_FALSE(rep.ok());
  EXPECT_EQ(rep.total_issued, 100100);
  EXPECT_EQ(rep.total_balances, 100000);
}

TEST_F(LedgerOnDisk, ReopenedLedgerKeepsEverything) {
  standard_setup();
  auto t1 = run(transfer("t1", "alice", "bob", 1234), t0 + 5);
  ASSERT_TRUE(t1) << explain(t1.error());
  ASSERT_FALSE(books().allow_overdraft("carol", true));
  ASSERT_TRUE(run(transfer("t2", "carol", "bob", 66)));
  auto before = snap({"alice", "bob", "carol", issuance_account});
  auto hist_before = history_of("bob");

  books_.reset(); // close
  open_at(path_);

  EXPECT_EQ(snap({"alice", "bob", "carol", issuance_account}), before);
  EXPECT_EQ(balance_of("alice"), 100000 - 1234);
  EXPECT_EQ(balance_of("bob"), 1300);
  EXPECT_EQ(balance_of("carol"), -66);
  auto hist = history_of("bob");
  ASSERT_EQ(hist.size(), hist_before.size());
  ASSERT_EQ(hist.size(), 2u);
  for (size_t i = 0; i < hist.size(); ++i) {
    EXPECT_EQ(hist[i].transfer_id, hist_before[i].transfer_id);
    EXPECT_EQ(hist[i].seq, hist_before[i].seq);
    EXPECT_EQ(hist[i].balance_minor, hist_before[i].balance_minor);
    EXPECT_EQ(hist[i].ts, hist_before[i].ts);
  }
  auto key = books().account_key("alice");
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "fp-alice");
  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems); // overdraft kept
  // Idempotency survives the restart too.
  auto again = run(transfer("t1", "alice", "bob", 1234));
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, t1->seq);
  EXPECT_EQ(again->ts, t0 + 5);
  EXPECT_EQ(balance_of("bob"), 1300);
  // New sequence numbers continue after the old ones.
  auto t3 = run(transfer("t3", "alice", "carol", 1));
  ASSERT_TRUE(t3) << explain(t3.error());
  EXPECT_GT(t3->seq, t1->seq);
  bool created = true;
  ASSERT_TRUE(books().open_account("alice", "fp-alice", created));
  EXPECT_FALSE(created);
}

TEST_F(LedgerOnDisk, AWriteFailingPartWayTearsTheTransaction) {
  standard_setup();
  open("mallory");
  // The second posting of a transfer to mallory fails after the transfer
  // row and the first posting were written.
  tamper_new("CREATE TRIGGER no_mallory BEFORE INSERT ON postings"
         " WHEN NEW.account = 'mallory'"
         " BEGIN SELECT RAISE(ABORT, 'injected'); END");
  ASSERT_FALSE(books().begin());
  EXPECT_TRUE(books().apply(transfer("t1", "alice", "bob", 10), t0));
  EXPECT_FALSE(books().torn());
  // A refusal writes nothing and does not tear.
  EXPECT_FALSE(books().apply(transfer("t2", "alice", "bob", 10'000'000), t0));
  EXPECT_FALSE(books().torn());
  auto r = books().apply(transfer("t3", "alice", "mallory", 10), t0);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), errc::storage_failure);
  EXPECT_TRUE(books().torn());
  books().rollback();
  EXPECT_FALSE(books().torn());
  EXPECT_EQ(balance_of("alice"), 100000);
  EXPECT_TRUE(audit().ok());
}

TEST_F(LedgerOnDisk, ALedgerWithGlobalTransferIdsIsMigrated) {
  // A file as the first ledger wrote it: ids unique across the ledger,
  // contents without the requester.
  books_.reset();
  remove_db(path_);
  tamper_new(
    "CREATE TABLE accounts(name TEXT PRIMARY KEY, key_fp TEXT NOT NULL,"
    " balance INTEGER NOT NULL DEFAULT 0, overdraft INTEGER NOT NULL DEFAULT 0,"
    " opened INTEGER NOT NULL);"
    "CREATE TABLE transfers(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " transfer_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " requester TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,"
    " amount INTEGER NOT NULL CHECK(amount > 0), content TEXT NOT NULL,"
    " ts INTEGER NOT NULL);"
    "CREATE TABLE postings(seq INTEGER NOT NULL REFERENCES transfers(seq),"
    " account TEXT NOT NULL REFERENCES accounts(name),"
    " amount INTEGER NOT NULL, balance_after INTEGER NOT NULL,"
    " PRIMARY KEY(seq, account));"
    "INSERT INTO accounts VALUES('@issuance', '', -500, 1, 0),"
    " ('alice', 'fp-alice', 500, 0, 1), ('bob', 'fp-bob', 0, 0, 1);"
    "INSERT INTO transfers VALUES(7, 'seed', 'issue', 'op', '@issuance',"
    " 'alice', 500, 'issue\n@issuance\nalice\n500', 1234);"
    "INSERT INTO postings VALUES(7, '@issuance', -500, -500),"
    " (7, 'alice', 500, 500);");
  open_at(path_);
  EXPECT_TRUE(audit().ok());
  EXPECT_EQ(balance_of("alice"), 500);
  // The old order replays as it was, and its id is free for others.
  auto again = run(issue("seed", "alice", 500));
  ASSERT_TRUE(again) << explain(again.error());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, 7u);
  EXPECT_EQ(again->ts, 1234);
  auto alices = run(transfer("seed", "alice", "bob", 100));
  ASSERT_TRUE(alices) << explain(alices.error());
  EXPECT_FALSE(alices->replayed);
  EXPECT_GT(alices->seq, 7u);
  // Opening again does not migrate twice.
  books_.reset();
  open_at(path_);
  EXPECT_EQ(audit().transfers, 2);
  EXPECT_TRUE(audit().ok());
}

TEST_F(LedgerOnDisk, UncommittedWorkIsGoneAfterReopen) {
  standard_setup();
  ASSERT_FALSE(books().begin());
  ASSERT_TRUE(books().apply(transfer("t1", "alice", "bob", 10), t0));
  books_.reset(); // closed without commit
  open_at(path_);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(balance_of("alice"), 100000);
  EXPECT_EQ(audit().transfers, 1);
}

// -- PostgreSQL failures and the ledger lock ------------------------------------

// Nothing listens on port 1 of the loopback: libpq fails at once.
const std::string closed_port = "postgresql://bank@127.0.0.1:1/courier";

/// Fails the test if `err` is not `code` or what a person would read of
/// it repeats libpq (whose text names hosts, sockets and SQL).
void expect_pinned_without_libpq(const caf::error& err, errc code) {
  EXPECT_EQ(code_of(err), code) << explain(err);
  auto text = explain(err);
  for (auto libpq : {"connection to server", "could not connect", "FATAL",
                     "ERROR", "127.0.0.1", "relation", "does not exist"})
    EXPECT_EQ(text.find(libpq), std::string::npos) << text;
}

TEST(PgLedgerErrors, AnUnreachableLedgerIsAPinnedCodeWithoutLibpqText) {
  auto opened = open_ledger(closed_port);
  ASSERT_FALSE(opened);
  expect_pinned_without_libpq(opened.error(), errc::ledger_unavailable);
  auto books = pg_ledger(closed_port);
  expect_pinned_without_libpq(books->begin(), errc::ledger_unavailable);
  auto b = books->balance("alice");
  ASSERT_FALSE(b);
  expect_pinned_without_libpq(b.error(), errc::ledger_unavailable);
  ledger_lock lock{closed_port};
  auto took = lock.try_take();
  ASSERT_FALSE(took);
  expect_pinned_without_libpq(took.error(), errc::ledger_unavailable);
  expect_pinned_without_libpq(lock.check(), errc::ledger_unavailable);
}

TEST(PgLedgerErrors, AStatementPostgreSQLRefusesIsAPinnedCodeWithoutItsText) {
  auto& pg = test::pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto bare = pg.fresh_database(); // not migrated: no ledger tables
  ASSERT_FALSE(bare.empty()) << pg.why();
  auto books = pg_ledger(bare);
  auto b = books->balance("alice");
  ASSERT_FALSE(b);
  expect_pinned_without_libpq(b.error(), errc::storage_failure);
}

// `conninfo` with `param` added to its query string.
std::string with_param(const std::string& conninfo, const std::string& param) {
  return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&")
         + param;
}

TEST(LedgerLock, TheLockConnectionHasKeepalivesUnlessTheAddressSetsThem) {
  auto& pg = test::pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto db = pg.fresh_database();
  ASSERT_FALSE(db.empty()) << pg.why();
  ledger_lock active{db};
  EXPECT_TRUE(active.connection_options().empty()) << "not connected yet";
  auto took = active.try_take();
  ASSERT_TRUE(took) << explain(took.error());
  ASSERT_TRUE(*took);
  // What libpq uses on the live connection.
  auto opts = active.connection_options();
  for (auto& [key, value] : lock_keepalives())
    EXPECT_EQ(opts[key], value) << key;
  EXPECT_EQ(opts["keepalives"], "1");
  // The operator's own values win; the others are still added.
  ledger_lock standby{with_param(db, "keepalives_idle=30")};
  took = standby.try_take();
  ASSERT_TRUE(took) << explain(took.error());
  EXPECT_FALSE(*took) << "two banks hold the lock";
  opts = standby.connection_options();
  EXPECT_EQ(opts["keepalives_idle"], "30");
  EXPECT_EQ(opts["keepalives_count"], lock_keepalives().at("keepalives_count"));
  EXPECT_FALSE(active.check());
}

} // namespace
