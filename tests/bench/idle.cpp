// idle: N idle authenticated sessions; router RSS per session.

#include <algorithm>
#include <atomic>
#include <mutex>
#include <poll.h>
#include <thread>

#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

int run_idle(const options& opts, bool json) {
  auto n = std::max<uint64_t>(1, opts.num("sessions", 10000));
  auto threads = std::max<uint64_t>(1, opts.num("threads", 4));
  auto timeout = std::max<uint64_t>(5, opts.num("timeout", 1200));
  // Router and bench each hold one descriptor per session.
  auto limit = raise_nofile(n + 4096);
  if (limit < n + 256)
    throw std::runtime_error("RLIMIT_NOFILE is " + std::to_string(limit)
                             + ", too low for " + std::to_string(n)
                             + " sessions");
  test::temp_dir dir;
  auto args = router_args_of(opts);
  args.push_back("--idle-timeout-ms=3600000");
  auto router = test::router_process::start(dir / "router", 0, args);
  auto pid = router.proc.pid();
  track_child(pid);
  bench_key();
  // Warm up the router's lazy allocations with one session.
  {
    edge_conn warm;
    if (!warm.connect(router.port) || !warm.login("warmup", bench_key()))
      throw std::runtime_error("warm-up login failed: " + warm.error);
  }
  std::this_thread::sleep_for(milliseconds{300});
  auto rss0 = rss_kib(pid);
  std::vector<std::unique_ptr<edge_conn>> conns(n);
  std::atomic<uint64_t> next{0}, ok{0};
  std::mutex mtx;
  std::string problem;
  auto deadline = clock::now() + seconds{timeout};
  auto t0 = clock::now();
  std::vector<std::thread> pool;
  for (uint64_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (;;) {
        auto i = next++;
        if (i >= n || past(deadline))
          return;
        // 20000 connections per source address keeps clear of the
        // ephemeral port range.
        auto src = "127.0." + std::to_string(1 + i / 20000 / 250) + "."
                   + std::to_string(1 + (i / 20000) % 250);
        auto c = std::make_unique<edge_conn>();
        if (c->connect(router.port, src)
            && c->login("i" + std::to_string(i), bench_key())) {
          ++ok;
          conns[i] = std::move(c);
        } else {
          std::lock_guard<std::mutex> g{mtx};
          if (problem.empty())
            problem = c->error;
        }
      }
    });
  for (auto& t : pool)
    t.join();
  auto login_s = duration<double>(clock::now() - t0).count();
  std::this_thread::sleep_for(seconds{1});
  auto rss1 = rss_kib(pid);
  // Still connected: nothing to read, no hang-up.
  uint64_t alive = 0;
  std::vector<pollfd> fds;
  for (auto& c : conns)
    if (c && c->fd() >= 0)
      fds.push_back({c->fd(), POLLIN, 0});
  ::poll(fds.data(), fds.size(), 0);
  for (auto& f : fds)
    if (f.revents == 0)
      ++alive;
  conns.clear();
  untrack_child(pid);
  router.proc.kill_hard();
  result r{"idle"};
  r.add("sessions", static_cast<int64_t>(n));
  r.add("logged_in", static_cast<int64_t>(ok.load()));
  r.add("alive_at_end", static_cast<int64_t>(alive));
  r.add("login_time", login_s, "s");
  r.add("router_rss_before", static_cast<int64_t>(rss0), "KiB");
  r.add("router_rss_after", static_cast<int64_t>(rss1), "KiB");
  r.add("rss_per_session",
        static_cast<double>(rss1 - rss0) * 1024.0
          / static_cast<double>(std::max<uint64_t>(1, ok)),
        "B");
  r.add("nofile_limit", static_cast<int64_t>(limit));
  r.note("router run with --idle-timeout-ms=3600000 so sessions stay while "
         "they are opened; logins are paced by " + std::to_string(threads)
         + " client threads, one handshake each at a time");
  if (!problem.empty())
    r.note(problem);
  r.print(json);
  return ok == n && alive == n ? 0 : 1;
}

} // namespace courier::bench
