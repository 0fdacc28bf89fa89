#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "actors/common/endpoint.hpp"
#include "actors/common/telemetry.hpp"

class CivetServer;

namespace courier {

/// A node's operator endpoint (--metrics HOST:PORT), on threads of its
/// own: `GET /metrics` (the Prometheus text format of the node's registry,
/// written by prometheus-cpp's serializer), `GET /healthz` (200 while the
/// process runs) and `GET /readyz` (200 when every required part of the
/// node's readiness is met, else 503 with what is missing). Served by
/// civetweb, the HTTP server prometheus-cpp's own exposer is built on: the
/// exposer cannot answer anything but metrics.
class metrics_server {
public:
  /// Listens on `at`; an error (with a sentence) if it cannot.
  static caf::expected<std::unique_ptr<metrics_server>>
  start(const endpoint& at, std::shared_ptr<telemetry> node);

  ~metrics_server();

  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

private:
  metrics_server() = default;

  struct handlers;
  std::shared_ptr<telemetry> node_;
  std::unique_ptr<handlers> handlers_;
  std::unique_ptr<CivetServer> server_; ///< stopped first, before the rest
};

} // namespace courier
