// courier-bench: starts what it measures (router, bank, mosquitto) as real
// processes on 127.0.0.1 with fresh temporary data, drives them through
// the real edge protocol, prints a table or one JSON object per scenario.

#include <iostream>
#include <string>

#include "tests/bench/scenarios.hpp"

namespace {

constexpr const char* usage =
  "usage: courier-bench SCENARIO [options] [--json] [--time-limit S]\n"
  "  relay --pairs K --messages M --size BYTES [--rate R] [--routers 1|2]\n"
  "        [--router-args \"--opt=value ...\"]\n"
  "        [--latency-messages N] [--window W] [--timeout S]\n"
  "        [--store STORE [--side-by-side]]   (--side-by-side: the same\n"
  "        run on SQLite first, then on STORE)\n"
  "  offline --messages M --size BYTES [--pairs K] [--routers 1|2]\n"
  "        [--store STORE] [--window W] [--router-args ...]   (recipients\n"
  "        signed out: messages/s stored, then delivered at sign-in)\n"
  "  failover --store STORE [--rounds N] [--timeout S]   (kill -9 the\n"
  "        router bob is at: time until he is signed in at the other and\n"
  "        has alice's message; two routers on one PostgreSQL store)\n"
  "  handshake --connections N [--threads T] [--router-args ...]\n"
  "  handshake-crypto [--rounds N]   (the router's public-key work, in-process)\n"
  "  e2e-crypto [--rounds N] [--size B]   (opening a message: v1 letter vs\n"
  "             ratchet, X3DH, order signatures; in-process)\n"
  "  idle --sessions N [--threads T] [--router-args ...]\n"
  "  ledger --transfers N --clients C [--orders N] [--letters v3|v1]\n"
  "         [--ledger postgresql://...]   (an empty database; the ledger\n"
  "         alone runs there instead of SQLite)\n"
  "  peer-mosquitto [relay options]\n"
  "STORE, where routers keep their state: sqlite (the default: files in\n"
  "their data folders), postgresql://... (an empty database the bench may\n"
  "use; two routers share it), or postgresql-temp (a throwaway PostgreSQL\n"
  "server the bench starts, fsync off: checks the scenario, not figures).\n"
  "Every scenario starts its own processes on 127.0.0.1 in a temporary\n"
  "folder and kills them when done; --time-limit (default 1800 s) ends the\n"
  "whole run.\n";

} // namespace

int main(int argc, char** argv) {
  using namespace courier::bench;
  if (argc < 2 || std::string{argv[1]} == "--help"
      || std::string{argv[1]} == "-h") {
    std::cout << usage;
    return argc < 2 ? 1 : 0;
  }
  std::string scenario = argv[1];
  try {
    options opts{argc, argv, 2};
    bool json = opts.flag("json");
    install_guards(static_cast<unsigned>(opts.num("time-limit", 1800)));
    int (*run)(const options&, bool) = nullptr;
    if (scenario == "relay")
      run = run_relay;
    else if (scenario == "handshake")
      run = run_handshake;
    else if (scenario == "handshake-crypto")
      run = run_handshake_crypto;
    else if (scenario == "e2e-crypto")
      run = run_e2e_crypto;
    else if (scenario == "idle")
      run = run_idle;
    else if (scenario == "ledger")
      run = run_ledger;
    else if (scenario == "peer-mosquitto")
      run = run_peer_mosquitto;
    else if (scenario == "offline")
      run = run_offline;
    else if (scenario == "failover")
      run = run_failover;
    else {
      std::cerr << "courier-bench: unknown scenario '" << scenario << "'\n"
                << usage;
      return 1;
    }
    // Check option names before anything starts.
    relay_params::from(opts);
    opts.num("connections", 0);
    opts.num("sessions", 0);
    opts.num("threads", 0);
    opts.num("transfers", 0);
    opts.num("clients", 0);
    opts.num("orders", 0);
    opts.str("letters", "");
    opts.str("ledger", "");
    opts.num("rounds", 0);
    opts.flag("side-by-side");
    if (auto bad = opts.unused(); !bad.empty()) {
      std::cerr << "courier-bench: unknown option '" << bad.front() << "'\n"
                << usage;
      return 1;
    }
    return run(opts, json);
  } catch (const std::exception& e) {
    std::cerr << "courier-bench: " << e.what() << "\n";
    return 1;
  }
}
