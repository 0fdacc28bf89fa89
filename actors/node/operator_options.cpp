#include "actors/node/operator_options.hpp"

#include <caf/config_option_adder.hpp>
#include <prometheus/registry.h>

#include "actors/common/log.hpp"

namespace courier {

void operator_options::add_to(caf::config_option_set& options) {
  caf::config_option_adder{options, "global"}
    .add(metrics, "metrics",
         "serve Prometheus metrics, /healthz and /readyz on HOST:PORT, e.g. "
         "127.0.0.1:9470 (default: off)")
    .add(log_format, "log-format", "log lines as text or json")
    .add(log_level, "log-level",
         "trace, debug, info, warn, error, critical or off; SIGHUP reads "
         "a new one from DATA/log-level (an empty or missing file: back to "
         "this one)");
}

std::string prepare_operator_options(const operator_options& opts,
                                     const std::string& data, node_role role,
                                     bool cluster, telemetry_slot& slot) {
  log_format format;
  if (!parse_log_format(opts.log_format, format))
    return "--log-format must be text or json, not '" + opts.log_format + "'";
  spdlog::level::level_enum level;
  if (!parse_log_level(opts.log_level, level))
    return "--log-level must be one of trace, debug, info, warn, error, "
           "critical, off, not '"
           + opts.log_level + "'";
  if (!opts.metrics.empty() && !parse_endpoint(opts.metrics))
    return "--metrics must be HOST:PORT, e.g. 127.0.0.1:9470, not '"
           + opts.metrics + "'";
  configure_logging(format, level, data + "/log-level");
  auto t = std::make_shared<telemetry>();
  if (!opts.metrics.empty()) {
    t->registry = std::make_shared<prometheus::Registry>();
    if (role == node_role::router)
      t->router = std::make_unique<router_metrics>(*t->registry);
    else
      t->bank = std::make_unique<bank_metrics>(*t->registry);
  }
  if (role == node_role::router) {
    t->ready.require(readiness::edge);
    t->ready.require(readiness::store);
    if (cluster)
      t->ready.require(readiness::backbone);
  } else {
    t->ready.require(readiness::store);
    t->ready.require(readiness::signed_in);
  }
  slot.node_telemetry = std::move(t);
  return {};
}

caf::expected<std::unique_ptr<metrics_server>>
serve_operator_endpoint(const operator_options& opts,
                        const telemetry_slot& slot) {
  if (opts.metrics.empty() || !slot.node_telemetry)
    return std::unique_ptr<metrics_server>{};
  auto server = metrics_server::start(*parse_endpoint(opts.metrics),
                                      slot.node_telemetry);
  if (server)
    logger(component::node)
      .info("serving /metrics, /healthz and /readyz on {}", opts.metrics);
  return server;
}

} // namespace courier
