#pragma once

#include <array>
#include <atomic>
#include <string>

namespace courier {

/// What a node needs before it can take sign-ins (router) or orders
/// (bank). Each part is set by whoever knows it, on any thread; the HTTP
/// thread reads them for /readyz.
class readiness {
public:
  enum part : size_t {
    edge,      ///< the edge port listens
    store,     ///< the store (SQLite or PostgreSQL) answers; the ledger
    backbone,  ///< the backbone is published (cluster routers)
    signed_in, ///< the bank is signed in at a router
    ledger_lock, ///< the bank holds the PostgreSQL ledger's lock (active)
    part_count
  };

  /// Makes `p` count for readiness, not yet met.
  void require(part p) {
    required_[p] = true;
    met_[p].store(false);
  }

  /// Whether `p` is met now.
  void set(part p, bool met) {
    met_[p].store(met, std::memory_order_relaxed);
  }

  /// Empty when every required part is met; else what is missing, e.g.
  /// "the store is unreachable"; a standby bank says only that it waits
  /// for the ledger lock.
  std::string missing() const;

private:
  std::array<bool, part_count> required_{}; ///< fixed before threads start
  std::array<std::atomic<bool>, part_count> met_{};
};

} // namespace courier
