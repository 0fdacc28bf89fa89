// handshake: new sessions per second and router CPU per handshake.

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "actors/protocol/handshake.hpp"
#include "crypto/bytes.hpp"
#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/hostile_keys.hpp"

namespace courier::bench {

using namespace std::chrono;

namespace {

struct round_stats {
  uint64_t ok = 0;
  double elapsed = 0;
  double router_cpu = 0;
  std::string problem;
};

/// What one connection of a round does once connected; true if it worked.
using attempt_fn = std::function<bool(edge_conn&, uint64_t i)>;

// Runs `attempt` on n connections from `threads` threads, closing each
// connection after it.
round_stats run_round(uint16_t port, pid_t router, uint64_t n,
                      uint64_t threads, uint64_t timeout_s,
                      const attempt_fn& attempt) {
  round_stats st;
  std::atomic<uint64_t> next{0}, ok{0};
  std::mutex mtx;
  auto deadline = clock::now() + seconds{timeout_s};
  auto cpu0 = cpu_seconds(router);
  auto t0 = clock::now();
  std::vector<std::thread> pool;
  for (uint64_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (;;) {
        auto i = next++;
        if (i >= n || past(deadline))
          return;
        edge_conn c;
        auto done = c.connect(port) && attempt(c, i);
        if (done) {
          ++ok;
        } else {
          std::lock_guard<std::mutex> g{mtx};
          if (st.problem.empty())
            st.problem = c.error;
        }
      }
    });
  for (auto& t : pool)
    t.join();
  st.elapsed = duration<double>(clock::now() - t0).count();
  // Let the router finish tearing down the last sessions.
  std::this_thread::sleep_for(milliseconds{200});
  st.router_cpu = cpu_seconds(router) - cpu0;
  st.ok = ok;
  return st;
}

// Logs in users prefix0..prefix(n-1).
round_stats login_round(uint16_t port, pid_t router, uint64_t n,
                        uint64_t threads, const std::string& prefix,
                        uint64_t timeout_s) {
  return run_round(port, router, n, threads, timeout_s,
                   [&](edge_conn& c, uint64_t i) {
                     return c.login(prefix + std::to_string(i), bench_key());
                   });
}

// A client hello whose RSA identity has a public exponent almost as long as
// its modulus: an attacker makes it without any private key, and every
// OAEP wrap or PSS check with it is a full-length exponentiation unless it
// is refused.
std::string hostile_hello() {
  auto hostile = test::with_exponent(bench_key(),
                                     test::huge_exponent(bench_key().bits()));
  auto der = hostile.public_der();
  auto start = protocol::start_handshake("mallory", bench_key());
  if (!der || !start)
    return {};
  auto obj = boost::json::parse(start->hello.text).as_object();
  obj["identity"] = crypto::to_base64(*der);
  return boost::json::serialize(obj);
}

// Signs `user` in again and again until `stop`; the slowest sign-in.
double slowest_sign_in(uint16_t port, const std::string& user,
                       const std::atomic<bool>& stop, uint64_t& count) {
  double worst = 0;
  while (!stop) {
    edge_conn c;
    auto t0 = clock::now();
    if (c.connect(port) && c.login(user, bench_key()))
      ++count;
    worst = std::max(worst, duration<double>(clock::now() - t0).count());
  }
  return worst;
}

} // namespace

int run_handshake(const options& opts, bool json) {
  auto n = std::max<uint64_t>(1, opts.num("connections", 1000));
  auto threads = std::max<uint64_t>(1, opts.num("threads", 4));
  auto timeout = std::max<uint64_t>(5, opts.num("timeout", 300));
  test::temp_dir dir;
  auto router = test::router_process::start(dir / "router", 0,
                                            router_args_of(opts));
  track_child(router.proc.pid());
  bench_key();
  auto first = login_round(router.port, router.proc.pid(), n, threads, "h",
                           timeout);
  auto again = login_round(router.port, router.proc.pid(), n, threads, "h",
                           timeout);
  // What a connection costs the router without the handshake's crypto:
  // accept, one frame each way, close.
  auto bare = run_round(router.port, router.proc.pid(), n, threads, timeout,
                        [](edge_conn& c, uint64_t) {
                          return c.refused_hello();
                        });
  // The same number of hostile hellos: what they cost the router; then
  // once more while one user signs in again and again: how long it waits.
  auto hello = hostile_hello();
  auto hostile_attempt = [&](edge_conn& c, uint64_t) {
    return c.answered_hello(hello);
  };
  auto hostile = run_round(router.port, router.proc.pid(), n, threads,
                           timeout, hostile_attempt);
  std::atomic<bool> stop{false};
  uint64_t probes = 0;
  double worst_probe = 0;
  std::thread prober{[&] {
    worst_probe = slowest_sign_in(router.port, "h0", stop, probes);
  }};
  run_round(router.port, router.proc.pid(), n, threads, timeout,
            hostile_attempt);
  stop = true;
  prober.join();
  untrack_child(router.proc.pid());
  router.proc.kill_hard();
  result r{"handshake"};
  r.add("connections", static_cast<int64_t>(n));
  r.add("client_threads", static_cast<int64_t>(threads));
  auto report = [&](const std::string& tag, const round_stats& s) {
    double k = static_cast<double>(std::max<uint64_t>(1, s.ok));
    r.add(tag + "_ok", static_cast<int64_t>(s.ok));
    r.add(tag + "_sessions_per_s", static_cast<double>(s.ok) / s.elapsed);
    r.add(tag + "_router_cpu_per_handshake", s.router_cpu / k * 1e6, "us");
    if (!s.problem.empty())
      r.note(tag + ": " + s.problem);
  };
  report("new_user", first);
  report("returning", again);
  r.add("refused_hello_router_cpu_per_connection",
        bare.router_cpu / static_cast<double>(std::max<uint64_t>(1, bare.ok))
          * 1e6,
        "us");
  if (!bare.problem.empty())
    r.note("refused_hello: " + bare.problem);
  r.add("hostile_hello_router_cpu_per_connection",
        hostile.router_cpu
          / static_cast<double>(std::max<uint64_t>(1, hostile.ok)) * 1e6,
        "us");
  r.add("sign_ins_during_hostile_flood", static_cast<int64_t>(probes));
  r.add("slowest_sign_in_during_hostile_flood", worst_probe * 1e3, "ms");
  if (!hostile.problem.empty())
    r.note("hostile_hello: " + hostile.problem);
  r.note("new_user: first login of each name (includes the directory's "
         "durable registration); returning: the same names again. Each "
         "connection: connect, client hello, server hello (X25519, RSA-OAEP "
         "wrap, Ed25519 signature), client finish (RSA-PSS), welcome, close. "
         "Client-side RSA-2048 private operations run in this process on the "
         "same cores. refused_hello: connect, a hello with no fields, the "
         "router's error, close: the part of a handshake that is not crypto "
         "nor the second round trip; hostile_hello: a hello whose RSA key has a "
         "public exponent almost as long as its modulus, answered by the "
         "router, while another "
         "client signs in as h0 again and again");
  r.print(json);
  return first.ok == n && again.ok == n && bare.ok == n && hostile.ok == n
             ? 0
             : 1;
}

} // namespace courier::bench
