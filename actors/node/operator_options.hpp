#pragma once

#include <memory>
#include <string>

#include <caf/config_option_set.hpp>
#include <caf/expected.hpp>

#include "actors/common/telemetry.hpp"
#include "actors/node/metrics_server.hpp"

namespace courier {

/// What a node reports, and how: the options every node (router, bank)
/// takes for its operator.
struct operator_options {
  std::string metrics;              ///< HOST:PORT for /metrics; empty: off
  std::string log_format = "text";  ///< text or json
  std::string log_level = "info";   ///< trace ... critical, off

  /// Adds --metrics, --log-format and --log-level to `options`.
  void add_to(caf::config_option_set& options);
};

/// Which node the options are for.
enum class node_role { router, bank };

/// Checks `opts`, sets up logging (`data`/log-level is the file SIGHUP
/// reads the level from) and makes the node's telemetry into `slot`: the
/// series of `role` when --metrics is given, and the parts of readiness
/// the role needs (`cluster`: a router with a backbone). Returns a
/// sentence if an option is wrong. Before the actor system starts.
std::string prepare_operator_options(const operator_options& opts,
                                     const std::string& data, node_role role,
                                     bool cluster, telemetry_slot& slot);

/// Serves /metrics, /healthz and /readyz if --metrics was given (null
/// otherwise); an error with a sentence if it cannot listen.
caf::expected<std::unique_ptr<metrics_server>>
serve_operator_endpoint(const operator_options& opts,
                        const telemetry_slot& slot);

} // namespace courier
