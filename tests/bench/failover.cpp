// failover: two routers on one PostgreSQL store; bob is signed in at A,
// his registry home; A is killed with SIGKILL. Measures the time until
// bob's client (configured with both routers and reconnecting by itself,
// as `courier-cli recv` and `chat` do) is signed in at B, and until a
// message alice sends through B at the moment of the kill reaches him.

#include <algorithm>
#include <optional>

#include <caf/all.hpp>

#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/endpoint.hpp"
#include "actors/config/node_config.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

namespace {

// alice's listener: takes what comes, says nothing.
listener_actor::behavior_type quiet_listener() {
  return {
    [](message_atom, const inbound_message&) { return true; },
    [](status_atom, const std::string&) {},
    [](delivered_atom, const std::string&) {},
  };
}

// What the bench's own actor heard: bob's listener and alice's sender.
struct heard {
  std::string want; ///< the body bob waits for
  std::optional<clock::time_point> got;       ///< bob had it
  std::optional<clock::time_point> connected; ///< bob signed in again
  std::optional<clock::time_point> accepted;  ///< alice's send was taken
  bool refused = false;                       ///< alice's send failed
  uint64_t refusals = 0;
  std::string last_refusal;
  bool bob_down = false;
};

struct round_times {
  double reconnect_ms = 0;
  double accepted_ms = 0;
  double deliver_ms = 0;
};

// Stops the actors it holds when it goes, also when a round throws: the
// actor system waits for every actor before it can go itself.
struct stopper {
  std::vector<client_actor> clients;
  std::vector<caf::actor> others;
  ~stopper() {
    for (auto& c : clients)
      caf::anon_send(c, stop_atom::value);
    for (auto& a : others)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

double ms_between(clock::time_point a, clock::time_point b) {
  return duration<double, std::milli>(b - a).count();
}

} // namespace

int run_failover(const options& opts, bool json) {
  auto store = store_of(opts);
  if (!is_postgresql(store))
    throw std::runtime_error("failover needs --store postgresql://... (an "
                             "empty database both routers share) or "
                             "--store postgresql-temp");
  auto rounds = std::max<uint64_t>(1, opts.num("rounds", 5));
  auto limit = seconds{std::max<uint64_t>(5, opts.num("timeout", 30))};
  test::temp_dir dir;
  bench_routers cluster;
  start_routers(cluster, dir, 2, store, router_args_of(opts));
  const std::vector<std::string> names{"A", "B"};
  auto addr = [&](size_t i) { return cluster.routers.at(i).address(); };
  // bob is homed at A, which dies; alice at B, which stays.
  auto bob = test::homed_at("bob-" + run_tag() + "-", "A", names);
  auto alice = test::homed_at("alice-" + run_tag() + "-", "B", names);
  auto home = dir / "home";
  {
    // Both keys at once: each is an RSA key generation.
    test::run_result made[2];
    const std::string users[2] = {bob, alice};
    {
      joiner both;
      for (size_t i = 0; i < 2; ++i)
        both.threads.emplace_back(
          [&, i] { made[i] = test::init_identity(home, users[i]); });
    }
    for (size_t i = 0; i < 2; ++i)
      if (made[i].exit_code != 0)
        throw std::runtime_error("cannot make " + users[i]
                                 + "'s key: " + made[i].err);
  }
  base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  stopper stop;
  auto client_for = [&](const std::string& user, const std::string& servers) {
    client_config cc;
    cc.user = user;
    cc.dir = user_dir(home, user);
    auto id = load_identity(cc.dir, "");
    if (!id)
      throw std::runtime_error("cannot load " + user + "'s key");
    cc.identity = *id;
    cc.reconnect = true;
    parse_endpoints(servers, cc.servers);
    auto client = spawn_client(sys, cc);
    if (!client)
      throw std::runtime_error("client: " + sys.render(client.error()));
    stop.clients.push_back(*client);
    self->request(*client, limit, connect_atom::value)
      .receive([](const std::string&, bool) {},
               [&](caf::error& err) {
                 throw std::runtime_error(user + " did not sign in: "
                                          + sys.render(err));
               });
    return *client;
  };
  auto alice_client = client_for(alice, addr(1));
  auto quiet = sys.spawn(quiet_listener);
  stop.others.push_back(caf::actor_cast<caf::actor>(quiet));
  self->send(alice_client, listen_atom::value, quiet);
  heard ev;
  // One message (or a timeout) at a time into `ev`.
  auto pump = [&](milliseconds wait) {
    self->receive(
      [&](message_atom, const inbound_message& m) {
        if (m.body == ev.want && !ev.got)
          ev.got = clock::now();
        return true;
      },
      [&](status_atom, const std::string& what) {
        if (what == "connected" && !ev.connected)
          ev.connected = clock::now();
      },
      [&](delivered_atom, const std::string&) {},
      [&](const std::string&) {
        if (!ev.accepted)
          ev.accepted = clock::now();
      },
      [&](caf::error& err) {
        ev.refused = true;
        ++ev.refusals;
        ev.last_refusal = sys.render(err);
      },
      [&](const caf::down_msg&) { ev.bob_down = true; },
      caf::after(wait) >> [] {});
  };
  // alice sends `body` to bob until the router takes it; bob's client has
  // it at ev.got.
  auto send_until_taken = [&](const std::string& body, clock::time_point end) {
    ev = heard{};
    ev.want = body;
    self->send(alice_client, send_atom::value, bob, body);
    while (!(ev.got && ev.accepted) && !past(end)) {
      pump(milliseconds{20});
      if (ev.refused) {
        // Refused while bob's home moves ("try again"): again, shortly.
        ev.refused = false;
        std::this_thread::sleep_for(milliseconds{50});
        self->send(alice_client, send_atom::value, bob, body);
      }
    }
    return ev.got && ev.accepted;
  };
  std::vector<round_times> times;
  uint64_t refusals = 0;
  std::string last_refusal;
  for (uint64_t round = 0; round < rounds; ++round) {
    if (round > 0) {
      // A back, and both routers see each other, before bob signs in.
      cluster.restart(dir, 0);
      if (!test::wait_for_count(cluster.routers[1].log, "peer A is up",
                                round + 1, limit)
          || !test::wait_for_text(cluster.routers[0].log, "peer B is up",
                                  limit))
        throw std::runtime_error("A and B did not connect again: "
                                 + test::slurp(cluster.routers[0].log));
    }
    // bob tries A first, as its list says, and B when A is gone.
    auto bob_client = client_for(bob, addr(0) + "," + addr(1));
    self->send(bob_client, listen_atom::value,
               caf::actor_cast<listener_actor>(self));
    auto r = std::to_string(round);
    if (!send_until_taken("before the kill " + r, clock::now() + limit))
      throw std::runtime_error("bob did not get a message before the kill: "
                               + ev.last_refusal);
    cluster.kill(0);
    auto killed = clock::now();
    if (!send_until_taken("after the kill " + r, killed + limit))
      throw std::runtime_error(
        "round " + r + ": bob did not get alice's message within "
        + std::to_string(limit.count()) + " s of the kill (signed in again: "
        + (ev.connected ? "yes" : "no") + "; alice's last refusal: "
        + (ev.last_refusal.empty() ? "none" : ev.last_refusal) + ")");
    // His "connected" may come just after the message it brought.
    auto end = clock::now() + limit;
    while (!ev.connected && !past(end))
      pump(milliseconds{20});
    if (!ev.connected)
      throw std::runtime_error("round " + r + ": bob's client never said "
                               "it was connected again");
    times.push_back({ms_between(killed, *ev.connected),
                     ms_between(killed, *ev.accepted),
                     ms_between(killed, *ev.got)});
    refusals += ev.refusals;
    if (!ev.last_refusal.empty())
      last_refusal = ev.last_refusal;
    // bob goes before A comes back: the next round signs in at A afresh.
    self->monitor(bob_client);
    self->send(bob_client, stop_atom::value);
    end = clock::now() + limit;
    while (!ev.bob_down && !past(end))
      pump(milliseconds{20});
  }

  auto column = [&](double round_times::*field) {
    std::vector<double> v;
    for (auto& t : times)
      v.push_back(t.*field);
    std::sort(v.begin(), v.end());
    return v;
  };
  result out{"failover"};
  out.add("rounds", static_cast<int64_t>(times.size()));
  auto add = [&](const std::string& key, double round_times::*field) {
    auto v = column(field);
    out.add(key + "_p50", percentile(v, 0.5), "ms");
    out.add(key + "_max", v.back(), "ms");
  };
  add("signed_in_again", &round_times::reconnect_ms);
  add("send_taken", &round_times::accepted_ms);
  add("delivered", &round_times::deliver_ms);
  out.add("refused_sends", static_cast<int64_t>(refusals));
  out.note("each round: bob signed in at A (his registry home) with both "
           "routers in his client's list, reconnecting by itself as the CLI "
           "does; kill -9 A; alice, signed in at B, sends to bob at once "
           "and again 50 ms after each refusal; times from the kill to bob "
           "signed in at B (signed_in_again), to alice's send taken by B "
           "(send_taken) and to her message opened by bob's client "
           "(delivered); then bob signs out and A is started again");
  out.note("clients are in-process client actors (RSA-2048 users, letters "
           "v3); routers run over the mutual-TLS backbone");
  out.note(store_note(store));
  if (!last_refusal.empty())
    out.note("a refused send said: " + last_refusal);
  out.print(json);
  return 0;
}

} // namespace courier::bench
