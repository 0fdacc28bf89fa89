#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/common/bank_metrics.hpp"
#include "actors/common/readiness.hpp"
#include "actors/common/router_metrics.hpp"

namespace prometheus {
class Registry;
} // namespace prometheus

namespace courier {

/// What a node's actors report to: its metrics (absent when the node
/// serves none, so that counting costs nothing then) and its readiness.
struct telemetry {
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<router_metrics> router; ///< a router node's series
  std::unique_ptr<bank_metrics> bank;     ///< a bank node's series
  courier::readiness ready;
};

/// Carried by the configuration of a node's actor system (base_config
/// derives from it): actors reach their node's telemetry from their
/// system, so it needs no parameter in every spawn function. Set before
/// the actor system starts; a system without it (tests, the CLI, the app)
/// reports nothing.
class telemetry_slot {
public:
  virtual ~telemetry_slot();
  std::shared_ptr<courier::telemetry> node_telemetry;
};

/// The telemetry of `sys`, or null.
telemetry* telemetry_of(const caf::actor_system& sys);

/// The router series of `sys`, or null when it serves no metrics.
router_metrics* router_metrics_of(const caf::actor_system& sys);

/// The bank series of `sys`, or null when it serves no metrics.
bank_metrics* bank_metrics_of(const caf::actor_system& sys);

/// Marks `part` of `sys`'s readiness met or not (nothing without telemetry).
void report_ready(const caf::actor_system& sys, readiness::part part,
                  bool met);

} // namespace courier
