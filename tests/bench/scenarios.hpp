#pragma once

#include "tests/bench/bench_common.hpp"

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
  static relay_params from(const options& opts);
};

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

/// The Courier relay scenario; `ok` says whether every message arrived.
result relay_courier(const relay_params& p, bool& ok);

} // namespace courier::bench
