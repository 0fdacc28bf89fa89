// Actor tests for the bank: the ledger actor over an in-memory ledger, and
// the bank handler talking to a fake client actor, in a real actor system.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/bank/bank.hpp"
#include "actors/bank/ledger.hpp"
#include "actors/bank/ledger_actor.hpp"
#include "actors/client/client_actor.hpp"
#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/order.hpp"
#include "tests/support/inbox.hpp"

using namespace courier;
using namespace courier::bank;
using namespace std::chrono_literals;

namespace {

using courier::test::ms;
using courier::test::steady;
namespace json = boost::json;

/// How long we wait for something that must arrive.
constexpr ms wait_time{5000};
/// How long we watch for something that must not arrive.
constexpr ms quiet_time{300};

// Tags of what the test's helper actors report to the inbox.
using answer_atom = caf::atom_constant<caf::atom("answer")>;
using held_atom = caf::atom_constant<caf::atom("held")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;

using courier::test::inbox;
using courier::test::predicate;

// -- the fake client ------------------------------------------------------------

/// Shared between the test and its fake client.
struct fake_control {
  std::mutex mtx;
  std::vector<std::pair<std::string, std::string>> sent; ///< (to, body)
  bool fail_sends = false; ///< make every send fail (under mtx)
  int connects = 0;        ///< connect requests seen (under mtx)

  std::vector<std::pair<std::string, std::string>> log() {
    std::lock_guard<std::mutex> guard{mtx};
    return sent;
  }

  void fail(bool on) {
    std::lock_guard<std::mutex> guard{mtx};
    fail_sends = on;
  }
};

/// Recipient for which the fake client holds the send until the gate
/// releases it.
constexpr const char* slow_user = "slowpoke";
/// Recipient for which every send fails.
constexpr const char* doomed_user = "doomed";

/// Holds sends until told to release them; reports what it holds to `sink`.
caf::behavior gate_fun(caf::event_based_actor* self, caf::actor sink) {
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [=](send_atom, const std::string& to,
        const std::string& body) -> caf::result<std::string> {
      held->push_back(self->make_response_promise());
      caf::anon_send(sink, held_atom::value, to, body);
      return held->back();
    },
    [=](release_atom) {
      for (auto& rp : *held)
        rp.deliver(std::string{"held-msg-id"});
      held->clear();
    },
  };
}

/// Stands in for the bank's client (the parts the bank does not use answer
/// trivially): records every (to, body) it is asked
/// to send in `ctl` (before answering), forwards it to `sink` as
/// (send_atom, to, body) and answers a msg_id; fails for `doomed_user` or
/// when `ctl->fail_sends`; lets `gate` decide when to answer for
/// `slow_user`.
client_actor spawn_fake_client(caf::actor_system& sys, caf::actor sink,
                               std::shared_ptr<fake_control> ctl,
                               caf::actor gate) {
  return sys.spawn([sink, ctl, gate](client_actor::pointer self)
                     -> client_actor::behavior_type {
    auto counter = std::make_shared<int>(0);
    return {
      [=](connect_atom) -> caf::result<std::string, bool> {
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          ++ctl->connects;
        }
        caf::anon_send(sink, connect_atom::value);
        return {std::string{"router-fp"}, false};
      },
      [=](send_atom, const std::string& to,
          const std::string& body) -> caf::result<std::string> {
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          if (ctl->fail_sends || to == doomed_user) {
            caf::anon_send(sink, failed_atom::value, to, body);
            return make_error(errc::unreachable, "fake client: send failed");
          }
        }
        if (to == slow_user) {
          auto rp = self->make_response_promise<std::string>();
          self->request(gate, caf::infinite, send_atom::value, to, body)
            .then(
              [=](const std::string& id) mutable {
                {
                  std::lock_guard<std::mutex> guard{ctl->mtx};
                  ctl->sent.emplace_back(to, body);
                }
                rp.deliver(id);
              },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        }
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          ctl->sent.emplace_back(to, body);
        }
        caf::anon_send(sink, send_atom::value, to, body);
        return "fake-msg-" + std::to_string(++*counter);
      },
      [=](online_atom) -> std::vector<std::string> {
        return {std::string{bank_user}};
      },
      [=](lookup_atom, const std::string& user) -> contact_key {
        return {user, "fp-" + user, false};
      },
      [=](trust_atom, const std::string& user,
          const std::string& fp) -> contact_key { return {user, fp, false}; },
      [=](verify_atom, const std::string& user) -> contact_key {
        return {user, "fp-" + user, false};
      },
      [=](contacts_atom) -> std::vector<contact_key> { return {}; },
      [=](history_atom, const std::string&,
          uint32_t) -> std::vector<history_entry> { return {}; },
      [=](listen_atom, const listener_actor&) {},
      [=](frame_atom, const std::string&) {},
      [=](stop_atom) { self->quit(); },
    };
  });
}

// -- predicates -------------------------------------------------------------------

predicate answer_for(std::string msg_id) {
  return [msg_id](const caf::message& m) {
    return (m.match_elements<answer_atom, std::string, bool>()
            || m.match_elements<answer_atom, std::string, caf::error>())
           && m.get_as<std::string>(1) == msg_id;
  };
}

predicate any_send() {
  return [](const caf::message& m) {
    return m.match_elements<send_atom, std::string, std::string>();
  };
}

predicate sent_to(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<send_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

predicate held_for(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<held_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

predicate failed_for(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<failed_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

predicate tagged(caf::atom_value tag) {
  return [tag](const caf::message& m) {
    return m.size() > 0 && m.match_element<caf::atom_value>(0)
           && m.get_as<caf::atom_value>(0) == tag;
  };
}

predicate down_of(caf::actor_addr addr) {
  return [addr](const caf::message& m) {
    return m.match_elements<caf::down_msg>()
           && m.get_as<caf::down_msg>(0).source == addr;
  };
}

/// Sends `(message_atom, m)` to the bank as a request from a short-lived
/// actor and reports `(answer_atom, msg_id, bool|error)` to `sink`.
void ask(caf::actor_system& sys, caf::actor bank, caf::actor sink,
         inbound_message m) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(bank, std::chrono::seconds{20}, message_atom::value, m)
      .then(
        [=](bool ok) {
          caf::anon_send(sink, answer_atom::value, m.msg_id, ok);
        },
        [=](caf::error& err) {
          caf::anon_send(sink, answer_atom::value, m.msg_id, err);
        });
  });
}

json::object parse_object(const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  EXPECT_FALSE(ec) << body;
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << body;
    return {};
  }
  return v.as_object();
}

std::string str(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string())
    return "<missing " + std::string{key} + ">";
  return std::string{it->value().get_string()};
}

int64_t num(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end())
    return -424242;
  if (it->value().is_int64())
    return it->value().get_int64();
  if (it->value().is_uint64())
    return static_cast<int64_t>(it->value().get_uint64());
  return -434343;
}

std::optional<bool> flag(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool())
    return std::nullopt;
  return it->value().get_bool();
}

// -- base fixture -----------------------------------------------------------------

class BankTestBase : public ::testing::Test {
protected:
  void SetUp() override {
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    box_ = std::make_unique<inbox>(*sys_);
    auto l = ledger::open(":memory:");
    ASSERT_TRUE(l) << explain(l.error());
    books_ = spawn_ledger(*sys_, std::make_shared<ledger>(std::move(*l)));
  }

  void TearDown() override {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    spawned_.clear();
    caf::anon_send_exit(books_, caf::exit_reason::kill);
    books_ = nullptr;
    box_.reset();
    sys_.reset();
  }

  caf::scoped_actor& self() {
    return box_->self();
  }

  // Ledger requests from the scoped actor; errors come back in `err`.

  std::pair<int64_t, bool> account(const std::string& user,
                                   const std::string& fp,
                                   caf::error* err = nullptr) {
    std::pair<int64_t, bool> res{-1, false};
    bool answered = false;
    self()
      ->request(books_, wait_time, account_atom::value, user, fp)
      .receive(
        [&](int64_t balance, bool created) {
          answered = true;
          res = {balance, created};
        },
        [&](caf::error& e) {
          answered = true;
          if (err)
            *err = e;
          else
            ADD_FAILURE() << "account " << user << ": " << explain(e);
        });
    EXPECT_TRUE(answered);
    return res;
  }

  caf::expected<transfer_receipt> apply(const transfer_order& o) {
    caf::expected<transfer_receipt> res{make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, transfer_atom::value, o)
      .receive([&](transfer_receipt& r) { res = std::move(r); },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  caf::expected<int64_t> balance(const std::string& user,
                                 const std::string& fp) {
    caf::expected<int64_t> res{make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, balance_atom::value, user, fp)
      .receive([&](int64_t b) { res = b; },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  /// Balance with the standard key "fp-<user>"; -999999 on failure.
  int64_t balance_of(const std::string& user) {
    auto b = balance(user, "fp-" + user);
    EXPECT_TRUE(b) << user << ": " << explain(b.error());
    return b ? *b : -999999;
  }

  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, const std::string& fp, uint32_t limit,
          uint64_t before) {
    caf::expected<std::vector<transfer_receipt>> res{
      make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, history_atom::value, user, fp, limit,
                before)
      .receive([&](std::vector<transfer_receipt>& h) { res = std::move(h); },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  audit_report audit() {
    audit_report rep;
    rep.problems.push_back("<no answer>");
    self()
      ->request(books_, wait_time, audit_atom::value)
      .receive([&](audit_report& r) { rep = std::move(r); },
               [&](caf::error& e) {
                 ADD_FAILURE() << "audit: " << explain(e);
               });
    return rep;
  }

  static transfer_order transfer(std::string id, std::string from,
                                 std::string to, int64_t amount) {
    auto fp = "fp-" + from;
    return {std::move(id), "transfer", from, fp, from, std::move(to), amount};
  }

  static transfer_order issue(std::string id, std::string to, int64_t amount) {
    return {std::move(id), "issue", "op", "fp-op", issuance_account,
            std::move(to), amount};
  }

  base_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<inbox> box_;
  ledger_actor books_;
  std::vector<caf::actor_addr> spawned_;
};

// -- (a) the ledger actor -----------------------------------------------------------

using LedgerActorTest = BankTestBase;

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

// -- (b) the bank handler --------------------------------------------------------------

struct exchange_result {
  bool answered = false;
  bool ok = false;         ///< the handler answered `true`
  caf::error err;          ///< ... or this
  std::string to;          ///< recipient of what the client sent
  std::string body;        ///< what the client sent ("" if nothing)
  json::object receipt;    ///< body, parsed (if JSON)
};

class BankHandlerTest : public BankTestBase {
protected:
  void SetUp() override {
    BankTestBase::SetUp();
    if (HasFatalFailure())
      return;
    ctl_ = std::make_shared<fake_control>();
    gate_ = sys_->spawn(gate_fun, box_->handle());
    spawned_.push_back(gate_.address());
    client_ = spawn_fake_client(*sys_, box_->handle(), ctl_, gate_);
    spawned_.push_back(client_.address());
    bank_ = caf::actor_cast<caf::actor>(
      spawn_bank(*sys_, client_, books_, {"op"}));
    spawned_.push_back(bank_.address());
  }

  inbound_message inbound(const std::string& from, const std::string& body,
                          std::string fp = {}) {
    if (fp.empty())
      fp = "fp-" + from;
    auto id = "msg-" + std::to_string(++next_id_);
    return {from, bank_user, body, id, 1700000000000, 1700000000001, fp};
  }

  /// Delivers `body` from `from` to the bank and waits for its answer and
  /// for what the client was asked to send; checks that the answer only
  /// came once the client had accepted the reply.
  exchange_result exchange(const std::string& from, const std::string& body,
                           std::string fp = {}) {
    exchange_result res;
    auto m = inbound(from, body, std::move(fp));
    ask(*sys_, bank_, box_->handle(), m);
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    EXPECT_TRUE(answer) << "no answer to " << body;
    if (!answer)
      return res;
    res.answered = true;
    if (answer->match_element<bool>(2))
      res.ok = answer->get_as<bool>(2);
    else
      res.err = answer->get_as<caf::error>(2);
    if (res.ok) {
      // The client recorded the reply before it answered the bank, and the
      // bank answers only after that: the reply must be in the log now.
      bool logged = false;
      for (auto& [to, b] : ctl_->log())
        if (to == from && b.find("\"" + m.msg_id + "\"") != std::string::npos)
          logged = true;
      if (body.find("\"bank\"") != std::string::npos) {
        EXPECT_TRUE(logged) << "answered before the receipt was sent";
      }
      auto sent = box_->take(sent_to(from), wait_time);
      EXPECT_TRUE(sent) << "nothing sent to " << from;
      if (sent) {
        res.to = sent->get_as<std::string>(1);
        res.body = sent->get_as<std::string>(2);
        if (!res.body.empty() && res.body.front() == '{') {
          res.receipt = parse_object(res.body);
          EXPECT_EQ(str(res.receipt, "re"), m.msg_id) << res.body;
          EXPECT_EQ(num(res.receipt, "bank"), 1) << res.body;
          EXPECT_EQ(str(res.receipt, "type"), "receipt") << res.body;
        }
      }
    }
    return res;
  }

  /// An exchange that must yield a successful receipt for `op`.
  json::object ok_receipt(const std::string& from, const std::string& body,
                          const std::string& op, std::string fp = {}) {
    auto res = exchange(from, body, std::move(fp));
    EXPECT_TRUE(res.ok) << body << ": " << explain(res.err);
    EXPECT_EQ(flag(res.receipt, "ok"), std::optional<bool>{true})
      << res.body;
    EXPECT_EQ(str(res.receipt, "op"), op) << res.body;
    return res.receipt;
  }

  /// An exchange that must yield an error receipt with `code`.
  json::object error_receipt(const std::string& from, const std::string& body,
                             errc code, std::string fp = {}) {
    auto res = exchange(from, body, std::move(fp));
    EXPECT_TRUE(res.ok) << body << ": " << explain(res.err);
    EXPECT_EQ(flag(res.receipt, "ok"), std::optional<bool>{false})
      << res.body;
    EXPECT_EQ(str(res.receipt, "code"), to_string(code)) << res.body;
    EXPECT_FALSE(str(res.receipt, "message").empty()) << res.body;
    return res.receipt;
  }

  static std::string transfer_order_json(const std::string& id,
                                         const std::string& to,
                                         int64_t amount,
                                         const char* type = "transfer") {
    json::object o{{"bank", 1},  {"type", type},         {"transfer_id", id},
                   {"to", to},   {"amount_minor", amount}};
    return json::serialize(o);
  }

  void open_via_bank(const std::string& user) {
    auto r = ok_receipt(user, R"({"bank":1,"type":"open_account"})",
                        "open_account");
    EXPECT_EQ(flag(r, "created"), std::optional<bool>{true});
  }

  /// Nothing more reaches the client within the quiet time.
  void expect_nothing_sent() {
    auto stray = box_->take(any_send(), quiet_time);
    EXPECT_FALSE(stray) << "unexpected send: "
                        << (stray ? stray->get_as<std::string>(2) : "");
  }

  std::shared_ptr<fake_control> ctl_;
  caf::actor gate_;
  client_actor client_;
  caf::actor bank_; ///< untyped: tests also send what the interface does not allow
  int next_id_ = 0;
};

TEST_F(BankHandlerTest, OpenAccountAndBalance) {
  auto r = ok_receipt("alice", R"({"bank":1,"type":"open_account"})",
                      "open_account");
  EXPECT_EQ(str(r, "user"), "alice");
  EXPECT_EQ(num(r, "balance_minor"), 0);
  EXPECT_EQ(flag(r, "created"), std::optional<bool>{true});

  r = ok_receipt("alice", R"({"bank":1,"type":"open_account"})",
                 "open_account");
  EXPECT_EQ(flag(r, "created"), std::optional<bool>{false});

  // The account is bound to the key that signed the first order.
  caf::error err;
  account("alice", "fp-alice", &err);
  EXPECT_FALSE(err);
  auto b = balance("alice", "fp-alice");
  ASSERT_TRUE(b) << explain(b.error());
  EXPECT_EQ(*b, 0);

  r = ok_receipt("alice", R"({"bank":1,"type":"balance"})", "balance");
  EXPECT_EQ(str(r, "user"), "alice");
  EXPECT_EQ(num(r, "balance_minor"), 0);

  error_receipt("alice", R"({"bank":1,"type":"open_account"})",
                errc::not_permitted, "fp-other");
  error_receipt("zed", R"({"bank":1,"type":"balance"})",
                errc::unknown_account);
  EXPECT_EQ(audit().accounts, 1);
}

TEST_F(BankHandlerTest, IssueTransferBalanceHistory) {
  open_via_bank("alice");
  open_via_bank("bob");

  auto r = ok_receipt("op", transfer_order_json("iss-1", "alice", 10000,
                                                "issue"),
                      "issue");
  EXPECT_EQ(str(r, "transfer_id"), "iss-1");
  EXPECT_EQ(str(r, "kind"), "issue");
  EXPECT_EQ(str(r, "from"), issuance_account);
  EXPECT_EQ(str(r, "to"), "alice");
  EXPECT_EQ(num(r, "amount_minor"), 10000);
  EXPECT_EQ(num(r, "balance_minor"), 10000);
  EXPECT_GT(num(r, "seq"), 0);
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
  auto issue_seq = num(r, "seq");

  r = ok_receipt("alice", transfer_order_json("pay-1", "bob", 1250),
                 "transfer");
  EXPECT_EQ(str(r, "transfer_id"), "pay-1");
  EXPECT_EQ(str(r, "kind"), "transfer");
  EXPECT_EQ(str(r, "from"), "alice");
  EXPECT_EQ(str(r, "to"), "bob");
  EXPECT_EQ(num(r, "amount_minor"), 1250);
  EXPECT_EQ(num(r, "balance_minor"), 8750);
  EXPECT_GT(num(r, "seq"), issue_seq);
  EXPECT_GT(num(r, "ts"), 0);
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
  auto pay_seq = num(r, "seq");

  r = ok_receipt("bob", R"({"bank":1,"type":"balance"})", "balance");
  EXPECT_EQ(str(r, "user"), "bob");
  EXPECT_EQ(num(r, "balance_minor"), 1250);
  EXPECT_EQ(balance_of("alice"), 8750);

  r = ok_receipt("alice", R"({"bank":1,"type":"history"})", "history");
  EXPECT_EQ(str(r, "user"), "alice");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  auto& entries = r.at("entries").as_array();
  ASSERT_EQ(entries.size(), 2u);
  auto e0 = entries[0].as_object();
  auto e1 = entries[1].as_object();
  EXPECT_EQ(str(e0, "transfer_id"), "pay-1"); // newest first
  EXPECT_EQ(num(e0, "seq"), pay_seq);
  EXPECT_EQ(num(e0, "balance_minor"), 8750);
  EXPECT_EQ(str(e0, "to"), "bob");
  EXPECT_EQ(str(e1, "transfer_id"), "iss-1");
  EXPECT_EQ(num(e1, "seq"), issue_seq);

  r = ok_receipt("alice",
                 R"({"bank":1,"type":"history","limit":1,"before":)"
                   + std::to_string(pay_seq) + "}",
                 "history");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  ASSERT_EQ(r.at("entries").as_array().size(), 1u);
  EXPECT_EQ(str(r.at("entries").as_array()[0].as_object(), "transfer_id"),
            "iss-1");

  r = ok_receipt("bob", R"({"bank":1,"type":"history","limit":5})",
                 "history");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  ASSERT_EQ(r.at("entries").as_array().size(), 1u);

  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 10000);
  EXPECT_EQ(rep.transfers, 2);
}

TEST_F(BankHandlerTest, RefusalsBecomeErrorReceipts) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 500, "issue"),
             "issue");
  auto r = error_receipt("alice", transfer_order_json("p1", "bob", 501),
                         errc::insufficient_funds);
  EXPECT_EQ(str(r, "op"), "transfer");
  error_receipt("alice", transfer_order_json("p2", "nobody", 1),
                errc::unknown_account);
  error_receipt("alice", transfer_order_json("p3", "alice", 1),
                errc::not_permitted);
  error_receipt("carol", transfer_order_json("p4", "bob", 1),
                errc::unknown_account);
  EXPECT_EQ(balance_of("alice"), 500);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(audit().transfers, 1);
}

TEST_F(BankHandlerTest, IssueFromNonOperatorIsNotPermitted) {
  open_via_bank("alice");
  auto r = error_receipt("alice",
                         transfer_order_json("iss-x", "alice", 100, "issue"),
                         errc::not_permitted);
  EXPECT_EQ(str(r, "op"), "issue");
  EXPECT_EQ(balance_of("alice"), 0);
  auto rep = audit();
  EXPECT_EQ(rep.transfers, 0);
  EXPECT_EQ(rep.total_issued, 0);
  // The operator may, with the same order.
  ok_receipt("op", transfer_order_json("iss-x", "alice", 100, "issue"),
             "issue");
  EXPECT_EQ(balance_of("alice"), 100);
}

TEST_F(BankHandlerTest, MalformedOrdersGetErrorReceiptsAndChangeNothing) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  struct bad {
    std::string body;
    errc code;
  };
  for (auto& [body, code] : std::vector<bad>{
         {R"({"bank":1,"type":"transfer"})", errc::bad_envelope},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob"})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","amount_minor":5})",
          errc::bad_envelope},
         {R"({"bank":2,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5})",
          errc::unsupported_version},
         {R"({"bank":"1","type":"balance"})", errc::bad_envelope},
         {R"({"bank":1})", errc::bad_envelope},
         {R"({"bank":1,"type":"steal"})", errc::unknown_type},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":"5"})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5.5})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":-5})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":0})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":100000000000001})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"Bob!","amount_minor":5})",
          errc::invalid_username},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"@issuance","amount_minor":5})",
          errc::invalid_username},
         {R"({"bank":1,"type":"transfer","transfer_id":"","to":"bob","amount_minor":5})",
          errc::bad_envelope},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5,"from":"carol"})",
          errc::bad_envelope},
         {R"({"bank":1,"type":"history","limit":0})", errc::bad_envelope},
         {R"({"bank":1,"type":"history","limit":101})", errc::bad_envelope},
         {R"({"bank":1,"type":"history","before":-1})", errc::bad_envelope},
         {R"({"bank":1,"type":"balance","user":"bob"})", errc::bad_envelope},
       }) {
    SCOPED_TRACE(body);
    auto r = error_receipt("alice", body, code);
    EXPECT_EQ(str(r, "op"), "unknown");
  }
  EXPECT_EQ(balance_of("alice"), 1000);
  EXPECT_EQ(balance_of("bob"), 0);
  auto rep = audit();
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.transfers, 1);
}

TEST_F(BankHandlerTest, PlainChatGetsTheHelpText) {
  for (std::string body : {"hello", "", "{\"hello\":1}", "[1,2]", "{bank"}) {
    SCOPED_TRACE(body);
    auto res = exchange("alice", body);
    EXPECT_TRUE(res.ok) << explain(res.err);
    EXPECT_EQ(res.to, "alice");
    EXPECT_EQ(res.body, bank_help);
  }
  EXPECT_EQ(audit().accounts, 0);
}

TEST_F(BankHandlerTest, MessagesFromTheBankItselfAreIgnored) {
  auto before = ctl_->log().size();
  for (std::string body : {"hello", R"({"bank":1,"type":"open_account"})"}) {
    auto m = inbound(bank_user, body);
    ask(*sys_, bank_, box_->handle(), m);
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    ASSERT_TRUE(answer);
    ASSERT_TRUE(answer->match_element<bool>(2));
    EXPECT_TRUE(answer->get_as<bool>(2));
  }
  expect_nothing_sent();
  EXPECT_EQ(ctl_->log().size(), before);
  EXPECT_EQ(audit().accounts, 0);
}

TEST_F(BankHandlerTest, OrdersSignedWithAnotherKeyAreNotPermitted) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  auto r = error_receipt("alice", transfer_order_json("steal-1", "bob", 600),
                         errc::not_permitted, "fp-mallory");
  EXPECT_EQ(str(r, "op"), "transfer");
  error_receipt("alice", R"({"bank":1,"type":"balance"})", errc::not_permitted,
                "fp-mallory");
  error_receipt("alice", R"({"bank":1,"type":"history"})", errc::not_permitted,
                "fp-mallory");
  EXPECT_EQ(balance_of("alice"), 1000);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(audit().transfers, 1);
  // With the right key the same id still works (the refusal wrote nothing).
  r = ok_receipt("alice", transfer_order_json("steal-1", "bob", 600),
                 "transfer");
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
}

TEST_F(BankHandlerTest, ReplayedOrderGetsTheSameReceipt) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  auto order = transfer_order_json("pay-7", "bob", 300);
  auto first = ok_receipt("alice", order, "transfer");
  auto second = ok_receipt("alice", order, "transfer");
  EXPECT_EQ(flag(first, "replayed"), std::optional<bool>{false});
  EXPECT_EQ(flag(second, "replayed"), std::optional<bool>{true});
  EXPECT_EQ(num(second, "seq"), num(first, "seq"));
  EXPECT_EQ(num(second, "balance_minor"), num(first, "balance_minor"));
  EXPECT_EQ(num(second, "amount_minor"), 300);
  EXPECT_NE(str(second, "re"), str(first, "re"));
  EXPECT_EQ(balance_of("alice"), 700);
  EXPECT_EQ(balance_of("bob"), 300);
  EXPECT_EQ(audit().transfers, 2);
  // Same id, other amount.
  error_receipt("alice", transfer_order_json("pay-7", "bob", 301),
                errc::conflicting_order);
  EXPECT_EQ(balance_of("alice"), 700);
}

TEST_F(BankHandlerTest, AnswerWaitsUntilTheClientAcceptedTheReceipt) {
  auto m = inbound(slow_user, R"({"bank":1,"type":"open_account"})");
  ask(*sys_, bank_, box_->handle(), m);
  auto held = box_->take(held_for(slow_user), wait_time);
  ASSERT_TRUE(held) << "the receipt never reached the client";
  auto receipt = parse_object(held->get_as<std::string>(2));
  EXPECT_EQ(str(receipt, "re"), m.msg_id);
  EXPECT_EQ(flag(receipt, "ok"), std::optional<bool>{true});
  // The ledger has committed, but the client has not accepted the receipt.
  EXPECT_FALSE(box_->take(answer_for(m.msg_id), quiet_time))
    << "answered before the client accepted the receipt";
  self()->send(gate_, release_atom::value);
  auto answer = box_->take(answer_for(m.msg_id), wait_time);
  ASSERT_TRUE(answer);
  ASSERT_TRUE(answer->match_element<bool>(2));
  EXPECT_TRUE(answer->get_as<bool>(2));
}

TEST_F(BankHandlerTest, FailedSendIsAnErrorSoTheOrderComesBack) {
  // A recipient the client cannot reach.
  for (std::string body : {std::string{"hello"},
                           std::string{R"({"bank":1,"type":"open_account"})"},
                           std::string{R"({"bank":1,"type":"nope"})"}}) {
    SCOPED_TRACE(body);
    auto m = inbound(doomed_user, body);
    ask(*sys_, bank_, box_->handle(), m);
    EXPECT_TRUE(box_->take(failed_for(doomed_user), wait_time));
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    ASSERT_TRUE(answer);
    EXPECT_FALSE(answer->match_element<bool>(2))
      << "answered true although the receipt was not sent";
    if (answer->match_element<caf::error>(2)) {
      EXPECT_TRUE(answer->get_as<caf::error>(2));
    }
  }

  // A transfer whose receipt cannot be sent: the redelivered order gets
  // the first result again and the money moves only once.
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  ctl_->fail(true);
  auto order = transfer_order_json("pay-1", "bob", 400);
  auto res = exchange("alice", order);
  EXPECT_TRUE(res.answered);
  EXPECT_FALSE(res.ok) << "answered true although the receipt was not sent";
  EXPECT_TRUE(res.err);
  EXPECT_TRUE(box_->take(failed_for("alice"), wait_time));
  ctl_->fail(false);
  auto again = ok_receipt("alice", order, "transfer");
  EXPECT_EQ(flag(again, "replayed"), std::optional<bool>{true});
  EXPECT_EQ(balance_of("alice"), 600);
  EXPECT_EQ(balance_of("bob"), 400);
}

TEST_F(BankHandlerTest, ManyOrdersAtOnceAllGetReceipts) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 100000, "issue"),
             "issue");
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto m = inbound("alice", transfer_order_json("b" + std::to_string(i),
                                                  "bob", 10));
    ids.push_back(m.msg_id);
    ask(*sys_, bank_, box_->handle(), m);
  }
  for (auto& id : ids) {
    auto answer = box_->take(answer_for(id), wait_time);
    ASSERT_TRUE(answer) << id;
    ASSERT_TRUE(answer->match_element<bool>(2)) << id;
    EXPECT_TRUE(answer->get_as<bool>(2));
  }
  std::set<std::string> receipts;
  for (auto& [to, body] : ctl_->log()) {
    auto o = parse_object(body);
    if (to == "alice" && str(o, "op") == "transfer" && flag(o, "ok") == true)
      receipts.insert(str(o, "re"));
  }
  EXPECT_EQ(receipts, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(balance_of("alice"), 100000 - 1000);
  EXPECT_EQ(balance_of("bob"), 1000);
  EXPECT_TRUE(audit().ok());
}

TEST_F(BankHandlerTest, ReconnectsWhenDisconnectedAndQuitsWithItsClient) {
  caf::anon_send(bank_, status_atom::value, std::string{"disconnected"});
  EXPECT_TRUE(box_->take(tagged(connect_atom::value), wait_time))
    << "the bank did not reconnect";
  caf::anon_send(bank_, status_atom::value, std::string{"connected"});
  EXPECT_FALSE(box_->take(tagged(connect_atom::value), quiet_time));

  self()->monitor(bank_);
  caf::anon_send(client_, stop_atom::value);
  EXPECT_TRUE(box_->take(down_of(bank_.address()), wait_time))
    << "the bank outlived its client";
}

} // namespace
