#include "actors/common/telemetry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace courier {

telemetry_slot::~telemetry_slot() = default;

telemetry* telemetry_of(const caf::actor_system& sys) {
  auto slot = dynamic_cast<const telemetry_slot*>(&sys.config());
  return slot ? slot->node_telemetry.get() : nullptr;
}

router_metrics* router_metrics_of(const caf::actor_system& sys) {
  auto t = telemetry_of(sys);
  return t ? t->router.get() : nullptr;
}

bank_metrics* bank_metrics_of(const caf::actor_system& sys) {
  auto t = telemetry_of(sys);
  return t ? t->bank.get() : nullptr;
}

void report_ready(const caf::actor_system& sys, readiness::part part,
                  bool met) {
  if (auto t = telemetry_of(sys))
    t->ready.set(part, met);
}

std::string readiness::missing() const {
  static constexpr const char* what[part_count] = {
    "the edge port is not listening", "the store is unreachable",
    "the backbone is not published", "not signed in at a router",
    "standby: waiting for the ledger lock"};
  // What else a standby lacks follows from this.
  if (required_[ledger_lock] && !met_[ledger_lock].load(std::memory_order_relaxed))
    return what[ledger_lock];
  std::string out;
  for (size_t i = 0; i < part_count; ++i)
    if (required_[i] && !met_[i].load(std::memory_order_relaxed))
      out += (out.empty() ? "" : "; ") + std::string{what[i]};
  return out;
}

} // namespace courier
