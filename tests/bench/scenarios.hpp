#pragma once

#include "tests/bench/bench_common.hpp"
#include "tests/support/cluster.hpp"

namespace courier::bench {

/// Parameters shared by the Courier relay and the mosquitto peer run.
struct relay_params {
  uint64_t pairs = 8;
  uint64_t messages = 20000;     ///< per sender, throughput run
  uint64_t size = 256;           ///< payload bytes
  uint64_t rate = 10000;         ///< msgs/s in total, latency run
  uint64_t latency_messages = 0; ///< in total; 0: rate x 5 s (max 100000)
  uint64_t window = 128;         ///< sends in flight per sender
  uint64_t timeout_s = 120;      ///< per run
  uint64_t routers = 1;          ///< 2: senders on A, receivers on B
  std::vector<std::string> router_args; ///< more router options (CAF tuning)
  std::string store; ///< "": SQLite; else a PostgreSQL address (store_of)
  static relay_params from(const options& opts);
};

/// The routers a scenario runs, killed when it goes: one, or A and B as
/// one cluster over the mutual-TLS backbone.
struct bench_routers {
  std::vector<test::router_spec> spec; ///< A and B; empty with one router
  std::vector<test::router_process> routers;
  std::vector<std::string> extra; ///< the options each was started with
  bench_routers() = default;
  bench_routers(const bench_routers&) = delete;
  bench_routers& operator=(const bench_routers&) = delete;
  ~bench_routers();
  std::vector<pid_t> pids() const;
  /// kill -9 router `i`.
  void kill(size_t i);
  /// Starts router `i` of a cluster again, on its ports and data.
  void restart(const test::temp_dir& dir, size_t i);
};

/// Starts `count` (1 or 2) routers into `out` with data under `dir` and
/// `extra` options, on SQLite or on the shared PostgreSQL `store`; with
/// two, returns once A sees B. Throws if they do not come up.
void start_routers(bench_routers& out, const test::temp_dir& dir,
                   uint64_t count, const std::string& store,
                   std::vector<std::string> extra);

/// Benchmarks sign in thousands of names with one key from a few
/// addresses: a router without limits on names per key, new names per
/// address or connections (but the descriptor limit).
std::vector<std::string> unlimited_router_args();

/// unlimited_router_args(), then the words of `--router-args "..."`: more
/// router options (CAF tuning; may set those limits again).
std::vector<std::string> router_args_of(const options& opts);

/// Each returns the process exit code; results go to stdout.
int run_relay(const options& opts, bool json);
int run_handshake(const options& opts, bool json);
int run_handshake_crypto(const options& opts, bool json);
int run_e2e_crypto(const options& opts, bool json);
int run_idle(const options& opts, bool json);
int run_ledger(const options& opts, bool json);
int run_peer_mosquitto(const options& opts, bool json);
int run_offline(const options& opts, bool json);
int run_failover(const options& opts, bool json);

/// The Courier relay scenario; `ok` says whether every message arrived.
result relay_courier(const relay_params& p, bool& ok);

} // namespace courier::bench
