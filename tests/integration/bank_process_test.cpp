// Whole processes: router + bank + users on 127.0.0.1. The load parts
// drive real client actors in this process against the real router and
// bank processes, through the real edge protocol.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <regex>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include "actors/client/client.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/common/private_files.hpp"
#include "actors/client/identity.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/order.hpp"
#include "crypto/key.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/pg_server.hpp"

using namespace courier;
using namespace courier::test;
using namespace std::chrono;

namespace {

std::string field(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_string()
           ? std::string{it->value().get_string()}
           : std::string{};
}

int64_t number(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

class bank_process_test : public ::testing::Test {
protected:
  void SetUp() override {
    for (auto user : {"alice", "bob", "carol"}) {
      auto r = init_identity(home(), user);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    // As deploy/run.sh does: the operator and the bank are bound to their
    // keys by configuration, and the users are told the bank's key.
    auto mine = run({COURIER_CLI, "--home", home(), "--user", "alice", "--json",
                     "fingerprint"});
    ASSERT_EQ(mine.exit_code, 0) << mine.err;
    alice_fp = field(boost::json::parse(mine.out).as_object(), "fingerprint");
    ASSERT_EQ(normalize_fingerprint(alice_fp).size(), 64u) << mine.out;
    auto bank_key = run({COURIER_NODE, "bank-fingerprint",
                         "--data=" + (dir / "bank")});
    ASSERT_EQ(bank_key.exit_code, 0) << bank_key.err;
    bank_fp = bank_key.out.substr(0, bank_key.out.find('\n'));
    ASSERT_TRUE(is_fingerprint(bank_fp)) << bank_key.out;
    router = router_process::start(dir / "router", 0,
                                   {"--reserve=bank=" + bank_fp,
                                    "--reserve=alice=" + alice_fp});
    start_bank();
    for (auto user : {"alice", "bob", "carol"}) {
      auto r = as(user, {"open-account"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  void start_bank() {
    auto log = dir / "bank.log";
    bank = launch_bank(dir / "bank", log);
    wait_for_line(log, "bank signed in", bank);
  }

  /// A bank on `data` (with `bank_extra` and `more`), logging to `log`.
  process launch_bank(const std::string& data, const std::string& log,
                      const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{COURIER_NODE, "bank",
                                  "--server=" + router.address(),
                                  "--data=" + data,
                                  "--operator=alice=" + alice_fp};
    args.insert(args.end(), bank_extra.begin(), bank_extra.end());
    args.insert(args.end(), more.begin(), more.end());
    return process::start(args, log);
  }

  /// Waits until `log` holds `text` while `p` runs.
  void wait_for_line(const std::string& log, const std::string& text,
                     process& p, milliseconds limit = seconds{20}) {
    auto deadline = steady_clock::now() + limit;
    while (slurp(log).find(text) == std::string::npos) {
      ASSERT_TRUE(steady_clock::now() < deadline) << text << "\n" << slurp(log);
      ASSERT_TRUE(p.running()) << slurp(log);
      std::this_thread::sleep_for(milliseconds{20});
    }
  }

  std::string home() { return dir / "home"; }

  run_result as(const std::string& user, std::vector<std::string> args) {
    args.insert(args.begin(), "--bank-fingerprint=" + bank_fp);
    return as_without_bank_fp(user, std::move(args));
  }

  run_result as_without_bank_fp(const std::string& user,
                                std::vector<std::string> args) {
    return run(cli(home(), router.address(), user, std::move(args)),
               seconds{60});
  }

  boost::json::object json_of(const run_result& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    boost::json::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    if (ec || !v.is_object())
      return {};
    return v.as_object();
  }

  int64_t balance(const std::string& user) {
    return number(json_of(as(user, {"--json", "balance"})), "balance_minor");
  }

  run_result audit() {
    std::vector<std::string> args{COURIER_NODE, "bank-audit",
                                  "--data=" + (dir / "bank")};
    args.insert(args.end(), bank_extra.begin(), bank_extra.end());
    return run(args);
  }

  // Column 0 (text) -> column 1 of `sql`, read straight from one of the
  // bank's databases.
  std::map<std::string, int64_t> rows_of(const std::string& file,
                                         const char* sql) {
    std::map<std::string, int64_t> rows;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2((dir / ("bank/" + file)).c_str(), &db,
                        SQLITE_OPEN_READONLY, nullptr)
        != SQLITE_OK) {
      sqlite3_close(db);
      return rows;
    }
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      rows[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] =
        sqlite3_column_int64(stmt, 1);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }

  // transfer_id -> ledger seq.
  std::map<std::string, int64_t> ledger_rows() {
    return rows_of("ledger.db", "SELECT transfer_id, seq FROM transfers");
  }

  temp_dir dir;
  std::vector<std::string> bank_extra; ///< options every bank gets
  std::string alice_fp; ///< the operator's key
  std::string bank_fp;  ///< the bank's key, from its data folder
  router_process router;
  process bank;
};

/// Users as client actors in this process, sending orders without waiting.
class load {
public:
  load(const std::string& home, const std::string& server,
       const std::vector<std::string>& users, const std::string& bank_fp)
    : sys_(cfg_), self_(sys_) {
    for (auto& user : users) {
      client_config cc;
      cc.user = user;
      cc.bank_fingerprint = bank_fp;
      cc.reconnect = true; // a busy client outlives a lost connection
      cc.dir = user_dir(home, user);
      cc.identity = *load_identity(cc.dir, "");
      parse_endpoints(server, cc.servers);
      auto c = spawn_client(sys_, cc);
      EXPECT_TRUE(c);
      self_->request(*c, seconds{30}, connect_atom::value)
        .receive([](const std::string&, bool) {},
                 [](caf::error& err) { FAIL() << caf::to_string(err); });
      self_->send(*c, listen_atom::value,
                  caf::actor_cast<listener_actor>(self_));
      clients_[user] = *c;
    }
  }

  ~load() {
    for (auto& kv : clients_)
      caf::anon_send(kv.second, stop_atom::value);
  }

  void pay(const std::string& from, const std::string& to, int64_t amount,
           const std::string& id) {
    bank::order o;
    o.type = "transfer";
    o.transfer_id = id;
    o.to = to;
    o.amount_minor = amount;
    self_->send(clients_.at(from), send_atom::value,
                std::string{bank::bank_user}, bank::make_order(o));
    ++sent_;
  }

  /// Collects receipts until `want` arrived or `timeout` passed; calls
  /// `on_receipt` for each (transfer receipts only).
  template <class F>
  size_t collect(size_t want, milliseconds timeout, F on_receipt) {
    return collect_until(timeout, on_receipt, [&](size_t got) { return got >= want; });
  }

  template <class F, class Done>
  size_t collect_until(milliseconds timeout, F on_receipt, Done done) {
    size_t got = 0;
    auto deadline = steady_clock::now() + timeout;
    while (!done(got)) {
      auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0)
        break;
      bool timed_out = false;
      self_->receive(
        [&](message_atom, const inbound_message& m) {
          if (m.from == bank::bank_user) {
            auto v = boost::json::parse(m.body).as_object();
            on_receipt(v);
            ++got;
          }
          return true;
        },
        [&](const std::string&) { ++accepted_; },
        [&](status_atom, const std::string&) {},
        [&](caf::error& err) {
          if (send_errors_++ == 0)
            first_error_ = caf::to_string(err);
        },
        caf::after(left) >> [&] { timed_out = true; });
      if (timed_out)
        break;
    }
    return got;
  }

  size_t send_errors() const { return send_errors_; }
  const std::string& first_error() const { return first_error_; }

private:
  base_config cfg_;
  caf::actor_system sys_;
  caf::scoped_actor self_;
  std::map<std::string, client_actor> clients_;
  size_t sent_ = 0;
  size_t accepted_ = 0;
  size_t send_errors_ = 0;
  std::string first_error_;
};

} // namespace

TEST_F(bank_process_test, issue_pay_balance_history_round_trip) {
  auto issued = json_of(as("alice", {"--json", "issue", "alice", "100.00"}));
  EXPECT_EQ(number(issued, "balance_minor"), 10000);
  auto paid = json_of(as("alice", {"--json", "pay", "bob", "12.50"}));
  EXPECT_EQ(number(paid, "amount_minor"), 1250);
  EXPECT_EQ(number(paid, "balance_minor"), 8750);
  EXPECT_EQ(field(paid, "to"), "bob");
  EXPECT_GT(number(paid, "seq"), number(issued, "seq"));
  EXPECT_EQ(balance("bob"), 1250);
  auto hist = as("alice", {"--json", "history"});
  ASSERT_EQ(hist.exit_code, 0) << hist.err;
  EXPECT_NE(hist.out.find(field(paid, "transfer_id")), std::string::npos);
  // Refusals say why and exit non-zero; nothing moves.
  auto broke = as("bob", {"pay", "carol", "99.00"});
  EXPECT_NE(broke.exit_code, 0);
  EXPECT_NE(broke.err.find("enough funds"), std::string::npos) << broke.err;
  auto not_op = as("bob", {"issue", "bob", "5"});
  EXPECT_NE(not_op.exit_code, 0);
  // The refusal says how to become an operator and offers no retry.
  EXPECT_NE(not_op.err.find("--operator NAME=FINGERPRINT"), std::string::npos)
    << not_op.err;
  EXPECT_EQ(not_op.err.find("retry"), std::string::npos) << not_op.err;
  for (auto bad : {"0", "-1", "1.234", "abc", "99999999999999999999"}) {
    auto r = as("bob", {"pay", "carol", bad});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("amount"), std::string::npos) << r.err;
  }
  EXPECT_EQ(balance("bob"), 1250);
  EXPECT_EQ(balance("carol"), 0);
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out;
  // The bank keeps orders in its ledger and signed letters, not a chat
  // history that grows with every order; it did see the orders.
  auto kept = rows_of("client.db", "SELECT 'history', count(*) FROM history"
                                   " UNION ALL SELECT 'seen', count(*) FROM seen");
  EXPECT_EQ(kept["history"], 0);
  EXPECT_GE(kept["seen"], 5);
}

TEST_F(bank_process_test, pays_only_a_bank_whose_key_matches_the_configured_fingerprint) {
  ASSERT_EQ(as("alice", {"issue", "alice", "50"}).exit_code, 0);
  auto rows = ledger_rows().size();
  // A router can answer the lookup of 'bank' with any key: the CLI uses
  // only the one it was told.
  auto other = std::string(64, 'b');
  auto wrong = as_without_bank_fp(
    "alice", {"--bank-fingerprint=" + other, "pay", "bob", "1.00"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("not the bank fingerprint you configured"),
            std::string::npos)
    << wrong.err;
  auto wrong_json = as_without_bank_fp(
    "alice", {"--json", "--bank-fingerprint=" + other, "balance"});
  EXPECT_NE(wrong_json.exit_code, 0);
  EXPECT_NE(wrong_json.out.find("\"bank_unverified\""), std::string::npos)
    << wrong_json.out;
  // Told nothing, it refuses too, and says how to get the fingerprint.
  auto unknown = as_without_bank_fp("bob", {"balance"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("bank-fingerprint"), std::string::npos)
    << unknown.err;
  EXPECT_EQ(ledger_rows().size(), rows) << "a refused order reached the bank";
  // With the right one it pays; also from the environment, and once
  // trusted explicitly, without either.
  auto right = as("alice", {"pay", "bob", "1.00"});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  ASSERT_EQ(setenv("COURIER_BANK_FINGERPRINT", bank_fp.c_str(), 1), 0);
  auto from_env = as_without_bank_fp("alice", {"pay", "bob", "1.00"});
  unsetenv("COURIER_BANK_FINGERPRINT");
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  auto trusted = as_without_bank_fp("bob", {"trust", "bank", bank_fp});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  auto after_trust = as_without_bank_fp("bob", {"--json", "balance"});
  EXPECT_EQ(number(json_of(after_trust), "balance_minor"), 200);
  EXPECT_EQ(balance("alice"), 4800);
}

TEST_F(bank_process_test, reserved_names_take_only_their_keys) {
  // Another 'bank' or 'alice' (a squatter with its own key) cannot sign in.
  temp_dir elsewhere;
  for (auto user : {"bank", "alice"}) {
    auto made = init_identity(elsewhere.path(), user);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto r = run(cli(elsewhere.path(), router.address(), user,
                     {"--json", "recv", "--wait", "1"}));
    EXPECT_NE(r.exit_code, 0) << user;
    EXPECT_NE(r.out.find("\"name_reserved\""), std::string::npos)
      << user << ": " << r.out << r.err;
  }
  // The real ones still work (the bank answers, alice issues).
  EXPECT_EQ(as("alice", {"issue", "bob", "1"}).exit_code, 0);
  EXPECT_EQ(balance("bob"), 100);
}

TEST_F(bank_process_test, retry_with_the_same_id_debits_once) {
  ASSERT_EQ(as("alice", {"issue", "alice", "50"}).exit_code, 0);
  auto first = json_of(as("alice", {"--json", "pay", "bob", "10", "--id", "retry-1"}));
  auto again = json_of(as("alice", {"--json", "pay", "bob", "10", "--id", "retry-1"}));
  EXPECT_EQ(number(first, "seq"), number(again, "seq"));
  EXPECT_TRUE(again["replayed"].as_bool());
  EXPECT_EQ(balance("alice"), 4000);
  EXPECT_EQ(balance("bob"), 1000);
  auto changed = as("alice", {"pay", "bob", "11", "--id", "retry-1"});
  EXPECT_NE(changed.exit_code, 0);
  EXPECT_EQ(balance("alice"), 4000);
}

TEST_F(bank_process_test, concurrent_payments_conserve_money) {
  for (auto user : {"alice", "bob", "carol"})
    ASSERT_EQ(as("alice", {"issue", user, "1000.00"}).exit_code, 0);
  std::vector<std::string> users{"alice", "bob", "carol"};
  load l{home(), router.address(), users, bank_fp};
  std::mt19937 rng{42};
  const int per_user = 1000;
  for (int i = 0; i < per_user; ++i)
    for (size_t u = 0; u < users.size(); ++u) {
      auto to = users[(u + 1 + rng() % 2) % users.size()];
      l.pay(users[u], to, 1 + static_cast<int64_t>(rng() % 100),
            users[u] + "-" + std::to_string(i));
    }
  size_t ok = 0;
  auto got = l.collect(per_user * users.size(), seconds{120},
                       [&](boost::json::object& r) {
                         if (r["ok"].as_bool())
                           ++ok;
                       });
  EXPECT_EQ(got, per_user * users.size());
  EXPECT_EQ(ok, got); // nobody can run out: at most 1000 x 1.00 each
  EXPECT_EQ(l.send_errors(), 0u) << l.first_error();
  int64_t total = 0;
  for (auto& u : users)
    total += balance(u);
  EXPECT_EQ(total, 300000);
  EXPECT_EQ(ledger_rows().size(), 3u + per_user * users.size());
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out;
}

// courier-node backup copies the running bank's folder while payments are
// committed (SQLite's online backup API); the copy restores into a new
// folder that passes bank-audit. A restore refuses the running bank's
// folder and a folder that is not empty.
TEST_F(bank_process_test, a_backup_under_load_restores_to_a_clean_audit) {
  for (auto user : {"alice", "bob", "carol"})
    ASSERT_EQ(as("alice", {"issue", user, "100.00"}).exit_code, 0);
  std::vector<std::string> users{"alice", "bob", "carol"};
  load l{home(), router.address(), users, bank_fp};
  const int per_user = 100;
  for (int i = 0; i < per_user; ++i)
    for (size_t u = 0; u < users.size(); ++u)
      l.pay(users[u], users[(u + 1) % users.size()], 1,
            users[u] + "-b" + std::to_string(i));
  // While those commit.
  auto backup = run({COURIER_NODE, "backup", "--data", dir / "bank", "--to",
                     dir / "bank.backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("ledger.db"), std::string::npos) << backup.out;
  EXPECT_EQ(mode_of(dir / "bank.backup"), 0600);
  auto again = run({COURIER_NODE, "backup", "--data", dir / "bank", "--to",
                    dir / "bank.backup"});
  EXPECT_EQ(again.exit_code, 1) << "a backup replaced an existing file";
  auto got = l.collect(per_user * users.size(), seconds{60},
                       [](boost::json::object&) {});
  EXPECT_EQ(got, per_user * users.size());
  // The running bank's folder is refused, with or without --force.
  auto busy = run({COURIER_NODE, "restore", "--from", dir / "bank.backup",
                   "--data", dir / "bank", "--force"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("running"), std::string::npos) << busy.err;
  auto restored = run({COURIER_NODE, "restore", "--from", dir / "bank.backup",
                       "--data", dir / "restored"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(mode_of(dir / "restored"), 0700);
  EXPECT_EQ(mode_of(dir / "restored/ledger.db"), 0600);
  EXPECT_EQ(mode_of(dir / "restored/identity.pem"), 0600);
  auto full = run({COURIER_NODE, "restore", "--from", dir / "bank.backup",
                   "--data", dir / "restored"});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.err.find("not empty"), std::string::npos) << full.err;
  auto a = run({COURIER_NODE, "bank-audit", "--data", dir / "restored"});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("audit clean"), std::string::npos) << a.out;
  // The copy is of one moment during the load, after the issues.
  EXPECT_NE(a.out.find("issued: 300.00"), std::string::npos) << a.out;
  // The same key: the restored bank is the same bank.
  EXPECT_EQ(bank_fingerprint(dir / "restored"), bank_fp);
  // A damaged backup, or one naming a file outside the folder, puts
  // nothing in place.
  for (auto sql : {"UPDATE chunks SET data = zeroblob(length(data))"
                   " WHERE name = 'ledger.db' AND n = 0",
                   "UPDATE files SET name = '../evil' WHERE name = 'ledger.db';"
                   "UPDATE chunks SET name = '../evil' WHERE name = 'ledger.db'"}) {
    std::filesystem::remove(dir / "bad.backup");
    std::filesystem::copy_file(dir / "bank.backup", dir / "bad.backup");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "bad.backup").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    std::filesystem::remove_all(dir / "bad");
    auto r = run({COURIER_NODE, "restore", "--from", dir / "bad.backup",
                  "--data", dir / "bad"});
    EXPECT_EQ(r.exit_code, 1) << sql;
    EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad/ledger.db"));
    EXPECT_FALSE(std::filesystem::exists(dir / "evil"));
  }
}

// A client that loses its router mid-load connects again by itself and
// sends what was unanswered again: no order fails, and the ids keep every
// resent one from being applied twice.
TEST_F(bank_process_test, router_restarted_mid_load_fails_no_order) {
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(as("alice", {"issue", user, "1000.00"}).exit_code, 0);
  std::vector<std::string> users{"alice", "bob"};
  load l{home(), router.address(), users, bank_fp};
  const int per_user = 300;
  for (int i = 0; i < per_user; ++i)
    for (size_t u = 0; u < users.size(); ++u)
      l.pay(users[u], users[1 - u], 1 + i % 50, users[u] + "-" + std::to_string(i));
  std::set<std::string> receipts;
  auto record = [&](boost::json::object& r) {
    EXPECT_TRUE(r["ok"].as_bool()) << boost::json::serialize(r);
    receipts.insert(field(r, "transfer_id"));
  };
  l.collect(60, seconds{60}, record);
  // The router goes down hard with orders on the wire and comes back on
  // the same address and data.
  auto port = router.port;
  router.proc.kill_hard();
  // Down for a while: the clients' first tries find nobody listening.
  std::this_thread::sleep_for(milliseconds{1500});
  router = router_process::start(dir / "router", port,
                                 {"--reserve=bank=" + bank_fp,
                                  "--reserve=alice=" + alice_fp});
  l.collect_until(seconds{120}, record, [&](size_t) {
    return receipts.size() == 2u * per_user;
  });
  EXPECT_EQ(receipts.size(), 2u * per_user);
  EXPECT_EQ(l.send_errors(), 0u) << l.first_error();
  EXPECT_EQ(ledger_rows().size(), 2u + 2u * per_user);
  auto b = as("alice", {"--json", "balance"});
  EXPECT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_EQ(balance("alice") + balance("bob"), 200000);
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out;
}

TEST_F(bank_process_test, bank_killed_mid_load_loses_nothing_and_applies_once) {
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(as("alice", {"issue", user, "1000.00"}).exit_code, 0);
  std::vector<std::string> users{"alice", "bob"};
  load l{home(), router.address(), users, bank_fp};
  const int per_user = 400;
  std::map<std::string, std::tuple<std::string, std::string, int64_t>> orders;
  for (int i = 0; i < per_user; ++i)
    for (size_t u = 0; u < users.size(); ++u) {
      auto id = users[u] + "-" + std::to_string(i);
      auto to = users[1 - u];
      int64_t amount = 1 + i % 50;
      orders[id] = {users[u], to, amount};
      l.pay(users[u], to, amount, id);
    }
  std::map<std::string, int64_t> receipts; // transfer_id -> seq
  auto record = [&](boost::json::object& r) {
    ASSERT_TRUE(r["ok"].as_bool()) << boost::json::serialize(r);
    receipts[field(r, "transfer_id")] = number(r, "seq");
  };
  l.collect(150, seconds{60}, record);
  bank.kill_hard(); // kill -9 in the middle of the load
  // Receipts already on their way still arrive; then nothing more.
  l.collect(orders.size(), seconds{2}, record);
  auto before_restart = receipts;
  ASSERT_LT(before_restart.size(), orders.size()) << "the kill came too late";
  // Every receipt a client holds is in the ledger, with the same number.
  auto rows = ledger_rows();
  for (auto& [id, seq] : before_restart) {
    ASSERT_TRUE(rows.count(id)) << id;
    EXPECT_EQ(rows[id], seq) << id;
  }
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out;
  // Restart; the router hands the bank its unanswered orders again, and
  // the clients retry whatever they have no receipt for (same ids).
  start_bank();
  for (auto& [id, o] : orders)
    if (!receipts.count(id))
      l.pay(std::get<0>(o), std::get<1>(o), std::get<2>(o), id);
  l.collect_until(seconds{120}, record,
                  [&](size_t) { return receipts.size() == orders.size(); });
  l.collect(orders.size(), seconds{2}, record); // late duplicates, if any
  EXPECT_EQ(receipts.size(), orders.size());
  rows = ledger_rows();
  for (auto& [id, seq] : receipts)
    EXPECT_EQ(rows[id], seq) << id; // one row per id: applied exactly once
  EXPECT_EQ(rows.size(), 2u + orders.size());
  EXPECT_EQ(balance("alice") + balance("bob"), 200000);
  a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out;
}

namespace {

struct http_answer {
  int status = 0;
  std::string body;
};

// A GET on 127.0.0.1:`port` over a plain socket (HTTP/1.0: the server
// closes when done); status 0 if nothing answered within a few seconds.
http_answer http_get(uint16_t port, const std::string& path) {
  http_answer out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0
      || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0)
      ::close(fd);
    return out;
  }
  auto request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  auto deadline = steady_clock::now() + seconds{5};
  while (steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1)
      continue;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos)
    return out;
  out.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  out.body = raw.substr(head_end + 4);
  return out;
}

// The samples of a Prometheus text exposition, `name{labels}` -> value.
// Every line must be a comment or a sample with a number.
std::map<std::string, double> parse_samples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos)
      continue;
    size_t used = 0;
    double value = std::stod(line.substr(space + 1), &used);
    EXPECT_EQ(used, line.size() - space - 1) << line;
    EXPECT_TRUE(samples.emplace(line.substr(0, space), value).second) << line;
  }
  return samples;
}

// Waits until `port` answers `path` with `status`.
bool wait_for_status(uint16_t port, const std::string& path, int status,
                     http_answer& last) {
  auto deadline = steady_clock::now() + seconds{15};
  while (steady_clock::now() < deadline) {
    last = http_get(port, path);
    if (last.status == status)
      return true;
    std::this_thread::sleep_for(milliseconds{50});
  }
  return false;
}

// The series names of scraped samples: `name` of `name{labels}`.
std::set<std::string> series_names(const std::map<std::string, double>& samples) {
  std::set<std::string> names;
  for (auto& kv : samples)
    names.insert(kv.first.substr(0, kv.first.find('{')));
  return names;
}

// Every query of the Grafana dashboard in deploy/ that names a Courier
// series, with the names it uses (parsing the file is part of the check).
std::map<std::string, std::set<std::string>> dashboard_queries() {
  std::map<std::string, std::set<std::string>> out;
  auto text = slurp(std::string{COURIER_SOURCE_DIR}
                    + "/deploy/monitoring/courier-dashboard.json");
  boost::json::error_code ec;
  auto doc = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << ec.message();
  if (ec || !doc.is_object() || !doc.as_object().contains("panels"))
    return out;
  static const std::regex series{R"(courier_[a-z_]+)"};
  for (auto& panel : doc.as_object().at("panels").as_array()) {
    auto* targets = panel.as_object().if_contains("targets");
    if (!targets)
      continue;
    for (auto& t : targets->as_array()) {
      auto expr = field(t.as_object(), "expr");
      auto& names = out[expr];
      for (std::sregex_iterator it{expr.begin(), expr.end(), series}, end;
           it != end; ++it)
        names.insert(it->str());
    }
  }
  return out;
}

// Each line of `log` is a JSON object with a level, a component and a
// message; none contains `secret`.
void expect_json_lines(const std::string& log, const std::string& secret) {
  std::istringstream in{slurp(log)};
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line.find(secret), std::string::npos) << line;
    boost::json::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    ASSERT_TRUE(v.is_object()) << line;
    for (auto key : {"time", "level", "component", "message"})
      EXPECT_FALSE(field(v.as_object(), key).empty()) << key << ": " << line;
  }
  EXPECT_GT(lines, 2u) << log;
}

} // namespace

// An operator's view: a router and a bank with --metrics and JSON logs.
// The bank starts before its router: not ready until it signs in.
TEST(operator_endpoint, metrics_health_and_json_logs_of_a_router_and_a_bank) {
  temp_dir dir;
  auto home = dir / "home";
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  // A bank key made here (RSA-2048) rather than by the bank (RSA-3072,
  // seconds on a busy machine).
  ASSERT_FALSE(make_private_dir(dir / "bank"));
  auto pem = crypto::private_key_to_plain_pem(test_key("bank"));
  ASSERT_TRUE(pem);
  ASSERT_FALSE(write_file_atomic(dir / "bank/identity.pem", *pem, 0600));
  auto edge = free_port(), router_port = free_port(), bank_port = free_port();
  auto server = "127.0.0.1:" + std::to_string(edge);
  auto bank_log = dir / "bank.log";
  auto bank = process::start(
    {COURIER_NODE, "bank", "--server=" + server, "--data=" + (dir / "bank"),
     "--metrics=127.0.0.1:" + std::to_string(bank_port), "--log-format=json"},
    bank_log);
  http_answer got;
  ASSERT_TRUE(wait_for_status(bank_port, "/healthz", 200, got))
    << slurp(bank_log);
  got = http_get(bank_port, "/readyz");
  EXPECT_EQ(got.status, 503);
  EXPECT_NE(got.body.find("not signed in"), std::string::npos) << got.body;
  auto router = router_process::start(
    dir / "router", edge,
    {"--metrics=127.0.0.1:" + std::to_string(router_port),
     "--log-format=json"});
  EXPECT_EQ(http_get(router_port, "/healthz").status, 200);
  got = http_get(router_port, "/readyz");
  EXPECT_EQ(got.status, 200) << got.body;
  // The bank signs in (its backoff is short at first).
  ASSERT_TRUE(wait_for_status(bank_port, "/readyz", 200, got)) << got.body;
  auto bank_fp = bank_fingerprint(dir / "bank");
  ASSERT_FALSE(bank_fp.empty());
  // Traffic: two sign-ins that register, a message relayed and read, and
  // a session that stays signed in while the metrics are read.
  auto secret = "the plaintext no log may hold";
  ASSERT_EQ(run(cli(home, server, "bob", {"recv", "--wait", "0"})).exit_code,
            0);
  auto sent = run(cli(home, server, "alice", {"send", "bob", secret}));
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  auto read = run(cli(home, server, "bob", {"recv", "--wait", "1"}));
  ASSERT_NE(read.out.find(secret), std::string::npos) << read.out << read.err;
  raw_client carol{edge};
  ASSERT_TRUE(carol.login("carol", test_key("carol")));
  got = http_get(router_port, "/metrics");
  ASSERT_EQ(got.status, 200);
  auto router_samples = parse_samples(got.body);
  EXPECT_GE(router_samples["courier_messages_relayed_total"], 1);
  // Carol and the bank.
  EXPECT_EQ(router_samples["courier_sessions{state=\"signed_in\"}"], 2)
    << got.body;
  EXPECT_GE(router_samples["courier_handshakes_total{result=\"new_user\"}"], 4);
  EXPECT_GT(router_samples["courier_frames_total{direction=\"in\"}"], 0);
  EXPECT_EQ(router_samples.count("courier_store_commit_seconds_count"), 1u);
  auto opened = run(cli(home, server, "alice",
                        {"--bank-fingerprint=" + bank_fp, "open-account"}));
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  got = http_get(bank_port, "/metrics");
  ASSERT_EQ(got.status, 200);
  auto bank_samples = parse_samples(got.body);
  EXPECT_EQ(bank_samples["courier_bank_orders_total{result=\"ok\","
                         "type=\"open_account\"}"],
            1)
    << got.body;
  EXPECT_EQ(http_get(bank_port, "/nothing").status, 404);
  // deploy/'s dashboard asks only for series the nodes export.
  auto exported = series_names(router_samples);
  exported.merge(series_names(bank_samples));
  auto queries = dashboard_queries();
  EXPECT_GT(queries.size(), 15u);
  for (auto& [expr, names] : queries) {
    EXPECT_FALSE(names.empty()) << expr;
    for (auto& name : names)
      EXPECT_EQ(exported.count(name), 1u) << name << " in " << expr;
  }
  EXPECT_TRUE(bank.stop());
  EXPECT_TRUE(router.proc.stop());
  expect_json_lines(router.log, secret);
  expect_json_lines(bank_log, secret);
}

// -- a standby bank on a PostgreSQL ledger -------------------------------------

namespace {

/// The bank of bank_process_test with its ledger in PostgreSQL.
class bank_standby_test : public bank_process_test {
protected:
  void SetUp() override {
    auto& pg = pg_server::shared();
    ASSERT_TRUE(pg.ok()) << pg.why();
    ledger_url = pg.fresh_database();
    ASSERT_FALSE(ledger_url.empty()) << pg.why();
    bank_extra = {"--ledger=" + ledger_url};
    bank_process_test::SetUp();
  }

  // transfer_id -> seq in the PostgreSQL ledger.
  std::map<std::string, int64_t> pg_rows() {
    std::map<std::string, int64_t> rows;
    pqxx::connection c{ledger_url};
    pqxx::nontransaction tx{c};
    for (const auto& row : tx.exec("SELECT transfer_id, seq FROM transfers"))
      rows[row[0].as<std::string>()] = row[1].as<int64_t>();
    return rows;
  }

  std::string ledger_url;
};

} // namespace

// Two banks with one data folder and one ledger: the second waits, signed
// in nowhere, until the first is killed mid-load; then it takes over, every
// order gets a receipt, and each is in the ledger once.
TEST_F(bank_standby_test, standby_takes_over_mid_load_and_applies_each_order_once) {
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(as("alice", {"issue", user, "1000.00"}).exit_code, 0);
  // The same data folder (its key and the bank's device and ratchet
  // sessions, which the orders are sealed in) and the same ledger.
  auto metrics = free_port();
  auto log2 = dir / "bank2.log";
  auto standby = launch_bank(dir / "bank", log2,
                             {"--metrics=127.0.0.1:" + std::to_string(metrics)});
  ASSERT_NO_FATAL_FAILURE(wait_for_line(
    log2, "standby: another bank holds the ledger lock", standby));
  auto ready = http_get(metrics, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("standby: waiting for the ledger lock"),
            std::string::npos)
    << ready.body;
  std::vector<std::string> users{"alice", "bob"};
  load l{home(), router.address(), users, bank_fp};
  const int per_user = 150;
  std::map<std::string, std::tuple<std::string, std::string, int64_t>> orders;
  for (int i = 0; i < per_user; ++i)
    for (size_t u = 0; u < users.size(); ++u) {
      auto id = users[u] + "-" + std::to_string(i);
      auto to = users[1 - u];
      int64_t amount = 1 + i % 50;
      orders[id] = {users[u], to, amount};
      l.pay(users[u], to, amount, id);
    }
  std::map<std::string, int64_t> receipts; // transfer_id -> seq
  auto record = [&](boost::json::object& r) {
    ASSERT_TRUE(r["ok"].as_bool()) << boost::json::serialize(r);
    receipts[field(r, "transfer_id")] = number(r, "seq");
  };
  l.collect(60, seconds{60}, record);
  EXPECT_EQ(slurp(log2).find("bank signed in"), std::string::npos);
  auto killed = steady_clock::now();
  bank.kill_hard(); // kill -9 in the middle of the load
  ASSERT_NO_FATAL_FAILURE(
    wait_for_line(log2, "bank signed in", standby, seconds{10}));
  EXPECT_LT(steady_clock::now() - killed, seconds{5});
  ASSERT_LT(receipts.size(), orders.size()) << "the kill came too late";
  // The clients retry whatever they have no receipt for (same ids).
  for (auto& [id, o] : orders)
    if (!receipts.count(id))
      l.pay(std::get<0>(o), std::get<1>(o), std::get<2>(o), id);
  l.collect_until(seconds{60}, record,
                  [&](size_t) { return receipts.size() == orders.size(); });
  l.collect(orders.size(), milliseconds{500}, record); // late duplicates
  EXPECT_EQ(receipts.size(), orders.size());
  auto rows = pg_rows();
  for (auto& [id, seq] : receipts) {
    ASSERT_TRUE(rows.count(id)) << id; // every receipt is in the ledger
    EXPECT_EQ(rows[id], seq) << id;    // one row per id: applied once
  }
  EXPECT_EQ(rows.size(), 2u + orders.size());
  EXPECT_EQ(balance("alice") + balance("bob"), 200000);
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("audit clean"), std::string::npos) << a.out;
  EXPECT_EQ(http_get(metrics, "/readyz").status, 200);
  // An active bank whose lock session ends stops acting at once.
  EXPECT_EQ(pg_server::scalar(ledger_url,
                              "SELECT COUNT(pg_terminate_backend(pid))"
                              " FROM pg_locks WHERE locktype = 'advisory'"
                              " AND granted AND classid = 1668248946"
                              " AND objid = 1768256098"),
            1);
  auto deadline = steady_clock::now() + seconds{5};
  while (standby.running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(standby.running());
  EXPECT_NE(slurp(log2).find("lost the ledger lock"), std::string::npos)
    << slurp(log2);
}

// A password in --ledger is refused before any connection, and not
// repeated; a --ledger that is not PostgreSQL is refused too.
TEST(bank_ledger_option, a_password_or_a_file_in_ledger_is_refused_at_start) {
  temp_dir dir;
  auto r = run({COURIER_NODE, "bank", "--data=" + (dir / "bank"),
                "--ledger=postgresql://bank@db.example/courier?password=hunter2"},
               seconds{20});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.err + r.out).find("--ledger address holds a password"),
            std::string::npos)
    << r.err << r.out;
  EXPECT_EQ((r.err + r.out).find("hunter2"), std::string::npos);
  r = run({COURIER_NODE, "bank-audit", "--data=" + (dir / "bank"),
           "--ledger=" + (dir / "ledger.db")},
          seconds{20});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.err + r.out).find("--ledger must be a postgresql://"),
            std::string::npos)
    << r.err << r.out;
  // A ledger that cannot be reached: one sentence that says what to check;
  // libpq's words (hosts, sockets) are for the log lines only.
  r = run({COURIER_NODE, "bank-audit", "--data=" + (dir / "bank"),
           "--ledger=postgresql://bank@127.0.0.1:1/courier"},
          seconds{20});
  EXPECT_EQ(r.exit_code, 1);
  auto said = r.err.substr(r.err.rfind("courier-node: ") + 1);
  EXPECT_NE(said.find("check --ledger"), std::string::npos) << r.err;
  for (auto libpq : {"connection to server", "could not connect", "FATAL",
                     "127.0.0.1"})
    EXPECT_EQ(said.find(libpq), std::string::npos) << r.err;
}
