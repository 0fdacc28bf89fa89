// relay: K senders -> K receivers through a real router process.

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <sys/resource.h>
#include <thread>

#include "tests/bench/scenarios.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

relay_params relay_params::from(const options& opts) {
  relay_params p;
  p.pairs = std::max<uint64_t>(1, opts.num("pairs", p.pairs));
  p.messages = std::max<uint64_t>(1, opts.num("messages", p.messages));
  p.size = std::max<uint64_t>(32, opts.num("size", p.size));
  if (p.size > 60 * 1024)
    throw std::runtime_error("--size is at most 61440 (the envelope's blob cap)");
  p.rate = std::max<uint64_t>(1, opts.num("rate", p.rate));
  p.latency_messages = opts.num("latency-messages", 0);
  if (p.latency_messages == 0)
    p.latency_messages = std::min<uint64_t>(p.rate * 5, 100000);
  p.latency_messages = std::max(p.latency_messages, p.pairs);
  p.window = std::max<uint64_t>(1, opts.num("window", p.window));
  p.timeout_s = std::max<uint64_t>(5, opts.num("timeout", p.timeout_s));
  p.routers = opts.num("routers", p.routers);
  p.router_args = router_args_of(opts);
  if (p.routers < 1 || p.routers > 2)
    throw std::runtime_error("--routers is 1 or 2");
  p.store = store_of(opts);
  return p;
}

namespace {

double self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One run: every sender sends `count` messages to its receiver; `rate`
// 0 means as fast as the window allows, otherwise msgs/s per sender.
struct run_stats {
  uint64_t delivered = 0;
  uint64_t receipts = 0;
  uint64_t errors = 0;
  uint64_t delivered_receipts = 0;
  double elapsed = 0;
  double router_cpu = 0;
  double bench_cpu = 0;
  int64_t disk_bytes = 0;
  std::vector<double> latencies_us;
  std::string problem;
};

// CPU seconds of every router process.
double routers_cpu(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (auto pid : pids)
    sum += cpu_seconds(pid);
  return sum;
}

run_stats run_once(std::vector<std::unique_ptr<edge_conn>>& senders,
                   std::vector<std::unique_ptr<edge_conn>>& receivers,
                   const std::vector<std::string>& receiver_names,
                   const std::vector<pid_t>& router_pids, const relay_params& p,
                   uint64_t count, double rate, bool record_latency) {
  const auto k = senders.size();
  run_stats stats;
  std::atomic<uint64_t> delivered{0}, receipts{0}, errors{0},
    delivered_receipts{0};
  std::atomic<bool> go{false};
  std::mutex mtx;
  std::vector<double> lat;
  std::vector<clock::time_point> done_at(k);
  auto deadline_after = seconds{p.timeout_s};
  joiner threads;
  for (size_t i = 0; i < k; ++i) {
    threads.threads.emplace_back([&, i] {
      auto& c = *receivers[i];
      std::vector<std::string> frames;
      std::vector<double> mine;
      if (record_latency)
        mine.reserve(count);
      while (!go.load())
        std::this_thread::yield();
      auto deadline = clock::now() + deadline_after;
      uint64_t got = 0;
      while (got < count && !past(deadline)) {
        frames.clear();
        if (!c.read_some(frames, milliseconds{500})) {
          if (c.fd() < 0) {
            std::lock_guard<std::mutex> g{mtx};
            stats.problem = "receiver " + std::to_string(i) + ": " + c.error;
            break;
          }
          continue;
        }
        auto now = now_ns();
        for (auto& f : frames) {
          if (f.find("\"type\":\"deliver\"") == std::string::npos) {
            errors++;
            continue;
          }
          auto id = json_str(f, "id");
          if (record_latency) {
            auto sent = unstamp(json_str(f, "blob"));
            mine.push_back(static_cast<double>(now - sent) / 1000.0);
          }
          c.queue("{\"v\":1,\"type\":\"ack\",\"id\":\"" + std::string{id}
                  + "\"}");
          ++got;
        }
        delivered += frames.size();
        if (!c.flush())
          break;
      }
      done_at[i] = clock::now();
      if (record_latency) {
        std::lock_guard<std::mutex> g{mtx};
        lat.insert(lat.end(), mine.begin(), mine.end());
      }
    });
  }
  for (size_t i = 0; i < k; ++i) {
    threads.threads.emplace_back([&, i] {
      auto& c = *senders[i];
      auto blob = make_blob(p.size);
      std::string to = receiver_names[i];
      std::vector<std::string> frames;
      auto envelope = [&](uint64_t n) {
        if (record_latency)
          stamp(blob, now_ns());
        return "{\"v\":1,\"type\":\"send\",\"id\":\"" + std::to_string(n)
               + "\",\"to\":\"" + to + "\",\"blob\":\"" + blob + "\"}";
      };
      while (!go.load())
        std::this_thread::yield();
      auto start = clock::now();
      auto deadline = start + deadline_after;
      uint64_t sent = 0, acked = 0;
      auto take = [&] {
        for (auto& f : frames) {
          if (f.find("\"type\":\"receipt\"") != std::string::npos) {
            // A receipt with an id answers a send: "accepted", or
            // "delivered" if the recipient acked first. One without an id
            // tells of an ack after the answer.
            bool answer = f.find("\"id\":") != std::string::npos;
            bool delivered =
              f.find("\"status\":\"delivered\"") != std::string::npos;
            acked += answer ? 1 : 0;
            delivered_receipts += delivered ? 1 : 0;
            continue;
          }
          {
            errors++;
            ++acked; // answered, even if refused
            std::lock_guard<std::mutex> g{mtx};
            if (stats.problem.empty())
              stats.problem = "sender " + std::to_string(i) + ": " + f;
          }
        }
        receipts += frames.size();
        frames.clear();
      };
      if (rate == 0) {
        while (acked < count && !past(deadline)) {
          while (sent < count && sent - acked < p.window)
            c.queue(envelope(sent++));
          if (!c.flush())
            break;
          if (!c.read_some(frames, milliseconds{500}) && c.fd() < 0)
            break;
          take();
        }
      } else {
        auto gap = duration<double>(1.0 / rate);
        while ((sent < count || acked < sent) && !past(deadline)) {
          auto due = start + duration_cast<clock::duration>(gap * sent);
          if (sent < count && clock::now() >= due) {
            c.queue(envelope(sent++));
            if (!c.flush())
              break;
            continue;
          }
          auto until = sent < count ? due : clock::now() + milliseconds{100};
          if (c.wait_readable(until)) {
            if (!c.poll_some(frames))
              break;
            take();
          }
        }
      }
      if (c.fd() < 0) {
        std::lock_guard<std::mutex> g{mtx};
        if (stats.problem.empty())
          stats.problem = "sender " + std::to_string(i) + ": " + c.error;
      }
    });
  }
  auto cpu0 = routers_cpu(router_pids);
  int64_t disk0 = 0;
  for (auto pid : router_pids)
    disk0 += disk_write_bytes(pid);
  auto self0 = self_cpu_seconds();
  auto t0 = clock::now();
  go = true;
  threads.join();
  auto cpu1 = routers_cpu(router_pids);
  for (auto pid : router_pids)
    stats.disk_bytes += disk_write_bytes(pid);
  stats.disk_bytes -= disk0;
  auto t1 = *std::max_element(done_at.begin(), done_at.end());
  stats.delivered = delivered;
  stats.receipts = receipts;
  stats.errors = errors;
  stats.delivered_receipts = delivered_receipts;
  stats.elapsed = duration<double>(t1 - t0).count();
  stats.router_cpu = cpu1 - cpu0;
  stats.bench_cpu = self_cpu_seconds() - self0;
  std::sort(lat.begin(), lat.end());
  stats.latencies_us = std::move(lat);
  return stats;
}

} // namespace

std::vector<std::string> unlimited_router_args() {
  return {"--max-names-per-key=0", "--registrations-per-minute=0",
          "--max-connections-per-address=0", "--max-connections=0"};
}

std::vector<pid_t> bench_routers::pids() const {
  std::vector<pid_t> out;
  for (auto& r : routers)
    out.push_back(r.proc.pid());
  return out;
}

void bench_routers::kill(size_t i) {
  auto& r = routers.at(i);
  untrack_child(r.proc.pid());
  r.proc.kill_hard();
}

void bench_routers::restart(const test::temp_dir& dir, size_t i) {
  if (spec.empty())
    throw std::runtime_error("restart: only routers of a cluster");
  routers.at(i) = test::start_cluster_router(dir, dir / "tls", spec, i, extra);
  track_child(routers[i].proc.pid());
}

bench_routers::~bench_routers() {
  for (auto& r : routers)
    if (r.proc.pid() > 0) {
      untrack_child(r.proc.pid());
      r.proc.kill_hard();
    }
}

void start_routers(bench_routers& out, const test::temp_dir& dir,
                   uint64_t count, const std::string& store,
                   std::vector<std::string> extra) {
  if (!store.empty())
    extra.push_back("--store=" + store);
  out.extra = extra;
  if (count == 1) {
    out.routers.push_back(test::router_process::start(dir / "router", 0, extra));
    track_child(out.routers[0].proc.pid());
    return;
  }
  // Two routers as one cluster over the mutual-TLS backbone, on fixed
  // ports so that one can be started again.
  test::make_certs(dir / "tls", {"A", "B"});
  for (auto name : {"A", "B"})
    out.spec.push_back(
      {name, "127.0.0.1", test::free_port(), test::free_port(), {}});
  for (size_t i = 0; i < 2; ++i) {
    out.routers.push_back(
      test::start_cluster_router(dir, dir / "tls", out.spec, i, extra));
    track_child(out.routers.back().proc.pid());
  }
  if (!test::wait_for_text(out.routers[0].log, "peer B is up"))
    throw std::runtime_error("the routers did not connect: "
                             + test::slurp(out.routers[0].log));
}

std::vector<std::string> router_args_of(const options& opts) {
  auto out = unlimited_router_args();
  std::istringstream args{opts.str("router-args", "")};
  for (std::string arg; args >> arg;)
    out.push_back(arg);
  return out;
}

result relay_courier(const relay_params& p, bool& ok) {
  ok = false;
  test::temp_dir dir;
  const std::string fps = "10000000";
  std::vector<std::string> extra{"--max-frames-per-second=" + fps,
                                 "--idle-timeout-ms=3600000",
                                 "--sender-rate=0"};
  extra.insert(extra.end(), p.router_args.begin(), p.router_args.end());
  bench_routers cluster;
  start_routers(cluster, dir, p.routers, p.store, extra);
  auto pids = cluster.pids();
  // With two routers every sender is homed at and connected to A, every
  // receiver homed at and connected to B: each message crosses the
  // backbone (send and its receipt, the ack and the delivered notice).
  const std::vector<std::string> names{"A", "B"};
  auto name_for = [&](const std::string& prefix, uint64_t i, size_t router) {
    auto base = prefix + std::to_string(i) + "-" + run_tag() + "-";
    return p.routers == 2 ? test::homed_at(base, names[router], names) : base;
  };
  auto sender_port = cluster.routers.front().port;
  auto receiver_port = cluster.routers.back().port;
  auto& key = bench_key();
  std::vector<std::unique_ptr<edge_conn>> senders, receivers;
  std::vector<std::string> receiver_names;
  // Receivers first: unknown recipients are refused.
  for (uint64_t i = 0; i < p.pairs; ++i) {
    receivers.push_back(std::make_unique<edge_conn>());
    receiver_names.push_back(name_for("r", i, 1));
    auto& c = *receivers.back();
    if (!c.connect(receiver_port) || !c.login(receiver_names.back(), key))
      throw std::runtime_error("receiver login failed: " + c.error);
  }
  for (uint64_t i = 0; i < p.pairs; ++i) {
    senders.push_back(std::make_unique<edge_conn>());
    auto& c = *senders.back();
    if (!c.connect(sender_port) || !c.login(name_for("s", i, 0), key))
      throw std::runtime_error("sender login failed: " + c.error);
  }
  auto tp = run_once(senders, receivers, receiver_names, pids, p, p.messages,
                     0, false);
  uint64_t per_sender = std::max<uint64_t>(1, p.latency_messages / p.pairs);
  auto lat = run_once(senders, receivers, receiver_names, pids, p, per_sender,
                      static_cast<double>(p.rate) / static_cast<double>(p.pairs),
                      true);
  result r{"relay"};
  r.add("routers", static_cast<int64_t>(p.routers));
  r.add("store", std::string{p.store.empty() ? "sqlite" : "postgresql"});
  r.add("pairs", static_cast<int64_t>(p.pairs));
  r.add("messages_per_sender", static_cast<int64_t>(p.messages));
  r.add("size", static_cast<int64_t>(p.size), "B");
  r.add("delivered", static_cast<int64_t>(tp.delivered));
  r.add("elapsed", tp.elapsed, "s");
  double n = static_cast<double>(std::max<uint64_t>(1, tp.delivered));
  r.add("throughput", n / tp.elapsed, "msgs_per_s");
  r.add("goodput", n * static_cast<double>(p.size) / tp.elapsed / 1e6,
        "MB_per_s");
  r.add("router_cpu", tp.router_cpu, "s");
  r.add("router_cpu_per_msg", tp.router_cpu / n * 1e6, "us");
  r.add("router_cores_busy", tp.router_cpu / tp.elapsed);
  r.add("bench_cpu", tp.bench_cpu, "s");
  r.add("latency_rate", static_cast<int64_t>(p.rate), "msgs_per_s");
  r.add("latency_delivered", static_cast<int64_t>(lat.delivered));
  r.add("latency_p50", percentile(lat.latencies_us, 0.50), "us");
  r.add("latency_p99", percentile(lat.latencies_us, 0.99), "us");
  r.add("latency_p999", percentile(lat.latencies_us, 0.999), "us");
  r.add("latency_max",
        lat.latencies_us.empty() ? 0.0 : lat.latencies_us.back(), "us");
  r.add("router_disk_bytes_per_msg",
        static_cast<double>(tp.disk_bytes) / n, "B");
  r.add("latency_router_disk_bytes_per_msg",
        static_cast<double>(lat.disk_bytes)
          / std::max(1.0, static_cast<double>(lat.delivered)),
        "B");
  r.add("latency_router_cpu_per_msg",
        lat.router_cpu / std::max(1.0, static_cast<double>(lat.delivered)) * 1e6,
        "us");
  r.add("delivery_receipts_to_senders",
        static_cast<int64_t>(tp.delivered_receipts + lat.delivered_receipts));
  r.add("errors", static_cast<int64_t>(tp.errors + lat.errors));
  r.note("payloads are pre-built opaque blobs of --size bytes made before the "
         "clock starts (no end-to-end RSA sealing, the router cannot tell); "
         "the session handshake and per-frame AES-256-GCM are done for real");
  r.note("a sender's answer comes once its message is committed to the "
         "store or acked by its recipient "
         "(\"delivered\"); receivers ack every delivery, and the router "
         "holds a pushed message up to --ack-hold-ms for that ack before "
         "writing it");
  r.note("router run with --max-frames-per-second=" + fps
         + " since one bench connection carries a whole stream; the load "
           "generator shares the machine's cores with the router");
  r.note(store_note(p.store));
  if (p.routers == 2)
    r.note("two routers over the mutual-TLS backbone: senders homed at and "
           "connected to A, receivers homed at and connected to B; router CPU "
           "is the sum of both processes");
  if (!tp.problem.empty())
    r.note("throughput run: " + tp.problem);
  if (!lat.problem.empty())
    r.note("latency run: " + lat.problem);
  ok = tp.delivered == p.pairs * p.messages
       && lat.delivered == p.pairs * per_sender && tp.errors + lat.errors == 0;
  if (!ok)
    r.note("NOT every message arrived: " + std::to_string(tp.delivered) + "/"
           + std::to_string(p.pairs * p.messages) + " and "
           + std::to_string(lat.delivered) + "/"
           + std::to_string(p.pairs * per_sender));
  senders.clear();
  receivers.clear();
  return r;
}

int run_relay(const options& opts, bool json) {
  auto p = relay_params::from(opts);
  // The live path should not touch the store: --side-by-side runs the same
  // load on SQLite first, then on the --store, and prints both.
  bool both = opts.flag("side-by-side");
  if (both && p.store.empty())
    throw std::runtime_error("--side-by-side needs --store postgresql://...");
  bool ok = true;
  std::optional<double> base_tp, base_p50;
  if (both) {
    auto sqlite = p;
    sqlite.store.clear();
    auto r = relay_courier(sqlite, ok);
    r.print(json);
    base_tp = r.get("throughput");
    base_p50 = r.get("latency_p50");
  }
  bool good = false;
  auto r = relay_courier(p, good);
  if (base_tp && *base_tp > 0)
    r.add("throughput_vs_sqlite", *r.get("throughput") / *base_tp);
  if (base_p50 && *base_p50 > 0)
    r.add("latency_p50_vs_sqlite", *r.get("latency_p50") / *base_p50);
  r.print(json);
  return ok && good ? 0 : 1;
}

} // namespace courier::bench
