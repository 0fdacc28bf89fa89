// handshake: new sessions per second and router CPU per handshake.

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

namespace {

struct round_stats {
  uint64_t ok = 0;
  double elapsed = 0;
  double router_cpu = 0;
  std::string problem;
};

// Logs in users name0..name(n-1) from `threads` threads, closing each
// connection after its welcome.
round_stats login_round(uint16_t port, pid_t router, uint64_t n,
                        uint64_t threads, const std::string& prefix,
                        uint64_t timeout_s, bool refused = false) {
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
        auto done = c.connect(port)
                    && (refused ? c.refused_hello()
                                : c.login(prefix + std::to_string(i),
                                          bench_key()));
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
  auto bare = login_round(router.port, router.proc.pid(), n, threads, "",
                          timeout, true);
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
  r.note("new_user: first login of each name (includes the directory's "
         "durable registration); returning: the same names again. Each "
         "connection: connect, client hello, server hello (X25519, RSA-OAEP "
         "wrap, Ed25519 signature), client finish (RSA-PSS), welcome, close. "
         "Client-side RSA-2048 private operations run in this process on the "
         "same cores. refused_hello: connect, a hello with no fields, the "
         "router's error, close: the part of a handshake that is not crypto "
         "nor the second round trip");
  r.print(json);
  return first.ok == n && again.ok == n && bare.ok == n ? 0 : 1;
}

} // namespace courier::bench
