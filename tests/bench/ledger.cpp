// ledger: durable transfers/s through the ledger actor alone (in process),
// and paid orders/s end to end through router and bank processes.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/bank/ledger.hpp"
#include "actors/bank/ledger_backend.hpp"
#include "actors/bank/ledger_actor.hpp"
#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/order.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

namespace {

struct ledger_stats {
  uint64_t ok = 0;
  uint64_t refused = 0;
  double elapsed = 0;
  std::string problem;
};

std::string user_name(uint64_t i) {
  return "u" + std::to_string(i);
}

// The ledger actor over a temp file (or `where`, an empty PostgreSQL
// database); C accounts; N transfers at once.
ledger_stats ledger_alone(uint64_t n, uint64_t c, uint64_t timeout_s,
                          const std::string& where) {
  test::temp_dir dir;
  ledger_stats st;
  base_config cfg;
  caf::actor_system sys{cfg};
  auto books = bank::open_ledger(where.empty() ? dir / "ledger.db" : where);
  if (!books)
    throw std::runtime_error("cannot open the ledger: "
                             + caf::to_string(books.error()));
  auto ledger = bank::spawn_ledger(
    sys, std::shared_ptr<bank::ledger_backend>{std::move(*books)});
  caf::scoped_actor self{sys};
  auto fail = [&](const caf::error& err) {
    throw std::runtime_error("ledger setup: " + sys.render(err));
  };
  for (uint64_t i = 0; i < c; ++i) {
    self->request(ledger, seconds{30}, account_atom::value, user_name(i),
                  "fp-" + user_name(i))
      .receive([](int64_t, bool) {}, fail);
    bank::transfer_order issue{"issue-" + user_name(i), "issue", "operator",
                               "fp-operator",        bank::issuance_account,
                               user_name(i),         static_cast<int64_t>(n)};
    self->request(ledger, seconds{30}, transfer_atom::value, issue)
      .receive([](const bank::transfer_receipt&) {}, fail);
  }
  std::vector<bank::transfer_order> orders;
  orders.reserve(n);
  for (uint64_t k = 0; k < n; ++k) {
    auto from = k % c, to = (k + 1) % c;
    orders.push_back({"t-" + std::to_string(k), "transfer", user_name(from),
                      "fp-" + user_name(from), user_name(from), user_name(to),
                      1});
  }
  auto t0 = clock::now();
  for (auto& o : orders)
    self->send(ledger, transfer_atom::value, std::move(o));
  auto deadline = t0 + seconds{timeout_s};
  while (st.ok + st.refused < n && !past(deadline)) {
    self->receive(
      [&](const bank::transfer_receipt&) { ++st.ok; },
      [&](caf::error& err) {
        ++st.refused;
        if (st.problem.empty())
          st.problem = sys.render(err);
      },
      caf::after(seconds{1}) >> [] {});
  }
  st.elapsed = duration<double>(clock::now() - t0).count();
  self->request(ledger, seconds{60}, audit_atom::value)
    .receive(
      [&](const bank::audit_report& rep) {
        if (!rep.ok() && st.problem.empty())
          st.problem = "audit: " + rep.problems.front();
      },
      [&](caf::error& err) { st.problem = "audit: " + sys.render(err); });
  caf::anon_send_exit(ledger, caf::exit_reason::user_shutdown);
  return st;
}

// Runs commands in parallel; throws naming the first that failed.
void run_all(const std::vector<std::vector<std::string>>& cmds,
             seconds timeout) {
  std::vector<test::run_result> res(cmds.size());
  std::vector<std::thread> ts;
  for (size_t i = 0; i < cmds.size(); ++i)
    ts.emplace_back([&, i] { res[i] = test::run(cmds[i], timeout); });
  for (auto& t : ts)
    t.join();
  for (size_t i = 0; i < cmds.size(); ++i)
    if (res[i].exit_code != 0)
      throw std::runtime_error(cmds[i][0] + " ... " + cmds[i].back()
                               + " failed: " + res[i].err);
}

struct e2e_stats {
  uint64_t ok = 0;
  uint64_t refused = 0;
  uint64_t send_errors = 0;
  double elapsed = 0;
  double router_cpu = 0;
  double bank_cpu = 0;
  std::string problem;
};

e2e_stats end_to_end(uint64_t n, uint64_t c, uint64_t timeout_s,
                     bool ratchet) {
  e2e_stats st;
  test::temp_dir dir;
  auto router = test::router_process::start(dir / "router", 0,
                                            unlimited_router_args());
  track_child(router.proc.pid());
  auto home = dir / "home";
  const std::string op = "op";
  std::vector<std::string> users;
  for (uint64_t i = 0; i < c; ++i)
    users.push_back(user_name(i));
  auto everyone = users;
  everyone.push_back(op);
  std::vector<std::vector<std::string>> cmds;
  for (auto& u : everyone)
    cmds.push_back(test::cli(home, router.address(), u,
                             {"init", "--bits", "2048"}));
  run_all(cmds, seconds{60});
  // The operator and the bank are bound to their keys, as run.sh does.
  auto bank_fp = test::bank_fingerprint(dir / "bank");
  auto bank_flag = "--bank-fingerprint=" + bank_fp;
  auto log = dir / "bank.log";
  auto bank = test::process::start(
    {test::node_binary(), "bank", "--server=" + router.address(),
     "--data=" + (dir / "bank"),
     "--operator=" + op + "=" + test::user_fingerprint(home, op)},
    log);
  track_child(bank.pid());
  auto deadline = clock::now() + seconds{60};
  while (test::slurp(log).find("bank signed in") == std::string::npos) {
    if (past(deadline) || !bank.running())
      throw std::runtime_error("the bank did not sign in: " + test::slurp(log));
    std::this_thread::sleep_for(milliseconds{20});
  }
  cmds.clear();
  for (auto& u : everyone)
    cmds.push_back(
      test::cli(home, router.address(), u, {bank_flag, "open-account"}));
  run_all(cmds, seconds{60});
  // Enough money that no order can be refused.
  auto amount = std::to_string(n + 10) + ".00";
  // One operator session at a time: a second login of the same name
  // would end the first.
  for (auto& u : users)
    run_all({test::cli(home, router.address(), op,
                       {bank_flag, "issue", u, amount, "--id", "issue-" + u})},
            seconds{60});
  {
    base_config cfg;
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    std::vector<client_actor> clients;
    for (auto& u : users) {
      client_config cc;
      cc.user = u;
      cc.dir = user_dir(home, u);
      auto id = load_identity(cc.dir, "");
      if (!id)
        throw std::runtime_error("cannot load " + u + "'s key");
      cc.identity = *id;
      cc.bank_fingerprint = bank_fp;
      cc.forward_secrecy = ratchet;
      parse_endpoints(router.address(), cc.servers);
      auto client = spawn_client(sys, cc);
      if (!client)
        throw std::runtime_error("client: " + sys.render(client.error()));
      self->request(*client, seconds{30}, connect_atom::value)
        .receive([](const std::string&, bool) {},
                 [&](caf::error& err) {
                   throw std::runtime_error("connect: " + sys.render(err));
                 });
      self->send(*client, listen_atom::value,
                  caf::actor_cast<listener_actor>(self));
      clients.push_back(*client);
    }
    // With letters v3, the bank's receipts go in sessions only once each
    // client's prekeys are at the router.
    for (auto& client : clients)
      for (int i = 0; ratchet && i < 200; ++i) {
        uint32_t left = 0;
        self->request(client, seconds{30}, prekeys_atom::value)
          .receive([&](uint32_t n) { left = n; }, [](caf::error&) {});
        if (left > 0)
          break;
        std::this_thread::sleep_for(milliseconds{20});
      }
    auto cpu_r0 = cpu_seconds(router.proc.pid());
    auto cpu_b0 = cpu_seconds(bank.pid());
    auto t0 = clock::now();
    for (uint64_t k = 0; k < n; ++k) {
      bank::order o;
      o.type = "transfer";
      o.transfer_id = "o-" + std::to_string(k);
      o.to = users[(k + 1) % c];
      o.amount_minor = 1;
      self->send(clients[k % c], send_atom::value,
                 std::string{bank::bank_user}, bank::make_order(o));
    }
    auto end = t0 + seconds{timeout_s};
    while (st.ok + st.refused < n && !past(end)) {
      self->receive(
        [&](message_atom, const inbound_message& m) {
          if (m.from == bank::bank_user) {
            boost::json::error_code ec;
            auto v = boost::json::parse(m.body, ec);
            bool good = !ec && v.is_object() && v.as_object().contains("ok")
                        && v.as_object().at("ok").is_bool()
                        && v.as_object().at("ok").as_bool();
            if (good)
              ++st.ok;
            else {
              ++st.refused;
              if (st.problem.empty())
                st.problem = m.body;
            }
          }
          return true;
        },
        [&](const std::string&) {}, // accepted by the router
        [&](status_atom, const std::string&) {},
        [&](caf::error& err) {
          ++st.send_errors;
          if (st.problem.empty())
            st.problem = sys.render(err);
        },
        caf::after(seconds{1}) >> [] {});
    }
    st.elapsed = duration<double>(clock::now() - t0).count();
    st.router_cpu = cpu_seconds(router.proc.pid()) - cpu_r0;
    st.bank_cpu = cpu_seconds(bank.pid()) - cpu_b0;
    for (auto& cl : clients)
      caf::anon_send(cl, stop_atom::value);
  }
  untrack_child(bank.pid());
  untrack_child(router.proc.pid());
  bank.kill_hard();
  router.proc.kill_hard();
  return st;
}

} // namespace

int run_ledger(const options& opts, bool json) {
  auto n = std::max<uint64_t>(1, opts.num("transfers", 20000));
  auto c = std::max<uint64_t>(2, opts.num("clients", 8));
  auto orders = opts.num("orders", std::min<uint64_t>(n, 2000));
  auto timeout = std::max<uint64_t>(5, opts.num("timeout", 300));
  // Letters v3 (ratchet sessions, the default) or v1 (the RSA path).
  auto letters = opts.str("letters", "v3");
  if (letters != "v3" && letters != "v1")
    throw std::runtime_error("--letters takes v1 or v3");
  // An empty PostgreSQL database (postgresql://...) instead of SQLite.
  auto where = opts.str("ledger", "");
  auto alone = ledger_alone(n, c, timeout, where);
  result r{"ledger"};
  r.add("transfers", static_cast<int64_t>(n));
  r.add("accounts", static_cast<int64_t>(c));
  r.add("ledger_ok", static_cast<int64_t>(alone.ok));
  r.add("ledger_elapsed", alone.elapsed, "s");
  r.add("ledger_transfers_per_s", static_cast<double>(alone.ok) / alone.elapsed);
  bool good = alone.ok == n && alone.problem.empty();
  if (!alone.problem.empty())
    r.note("ledger: " + alone.problem);
  if (orders > 0) {
    auto e2e = end_to_end(orders, c, timeout, letters == "v3");
    r.add("e2e_letters", letters);
    r.add("e2e_orders", static_cast<int64_t>(orders));
    r.add("e2e_paid", static_cast<int64_t>(e2e.ok));
    r.add("e2e_elapsed", e2e.elapsed, "s");
    r.add("e2e_orders_per_s", static_cast<double>(e2e.ok) / e2e.elapsed);
    double k = static_cast<double>(std::max<uint64_t>(1, e2e.ok));
    r.add("e2e_router_cpu_per_order", e2e.router_cpu / k * 1e6, "us");
    r.add("e2e_bank_cpu_per_order", e2e.bank_cpu / k * 1e6, "us");
    if (!e2e.problem.empty())
      r.note("end to end: " + e2e.problem);
    good = good && e2e.ok == orders;
    r.note("end to end: " + std::to_string(c) + " in-process client actors "
           "(RSA-2048 users) send sealed, signed transfer orders to the bank "
           "process (RSA-3072) through the router process; counted when the "
           "bank's signed receipt is verified and opened; the clients' RSA "
           "work shares the cores with router and bank");
  }
  r.note(where.empty() ? "ledger alone: every transfer is committed (SQLite "
                         "WAL, synchronous=FULL, group commit) before it is "
                         "answered"
                       : "ledger alone: every transfer is committed "
                         "(PostgreSQL, synchronous_commit=on, one transaction "
                         "per batch) before it is answered");
  r.print(json);
  return good ? 0 : 1;
}

} // namespace courier::bench
