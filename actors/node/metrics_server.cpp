#include "actors/node/metrics_server.hpp"

#include <sstream>

#include <CivetServer.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "actors/common/error.hpp"

namespace courier {

namespace {

// One whole answer: status, type, length, body.
void answer(mg_connection* conn, int status, const char* type,
            const std::string& body) {
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", type, -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  auto length = std::to_string(body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_send(conn);
  mg_write(conn, body.data(), body.size());
}

class metrics_handler final : public CivetHandler {
public:
  explicit metrics_handler(telemetry& node) : node_(node) {
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::ostringstream out;
    if (node_.registry)
      prometheus::TextSerializer{}.Serialize(out, node_.registry->Collect());
    answer(conn, 200, "text/plain; version=0.0.4; charset=utf-8", out.str());
    return true;
  }

private:
  telemetry& node_;
};

class health_handler final : public CivetHandler {
public:
  bool handleGet(CivetServer*, mg_connection* conn) override {
    answer(conn, 200, "text/plain; charset=utf-8", "ok\n");
    return true;
  }
};

class ready_handler final : public CivetHandler {
public:
  explicit ready_handler(telemetry& node) : node_(node) {
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    auto missing = node_.ready.missing();
    if (missing.empty())
      answer(conn, 200, "text/plain; charset=utf-8", "ready\n");
    else
      answer(conn, 503, "text/plain; charset=utf-8",
             "not ready: " + missing + "\n");
    return true;
  }

private:
  telemetry& node_;
};

} // namespace

struct metrics_server::handlers {
  explicit handlers(telemetry& node) : metrics(node), ready(node) {
  }
  metrics_handler metrics;
  health_handler health;
  ready_handler ready;
};

caf::expected<std::unique_ptr<metrics_server>>
metrics_server::start(const endpoint& at, std::shared_ptr<telemetry> node) {
  std::unique_ptr<metrics_server> srv{new metrics_server};
  srv->node_ = std::move(node);
  srv->handlers_ = std::make_unique<handlers>(*srv->node_);
  auto host = at.host.find(':') != std::string::npos ? "[" + at.host + "]"
                                                     : at.host;
  // Two threads answer scrapes and probes; a client that stalls a request
  // is dropped after a few seconds.
  std::vector<std::string> options{
    "listening_ports", host + ":" + std::to_string(at.port),
    "num_threads", "2",
    "request_timeout_ms", "5000"};
  try {
    srv->server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return make_error(errc::io_error, "cannot serve metrics on "
                                        + at.to_string() + ": " + e.what());
  }
  if (!srv->server_->getContext())
    return make_error(errc::io_error,
                      "cannot serve metrics on " + at.to_string());
  srv->server_->addHandler("/metrics", srv->handlers_->metrics);
  srv->server_->addHandler("/healthz", srv->handlers_->health);
  srv->server_->addHandler("/readyz", srv->handlers_->ready);
  return srv;
}

metrics_server::~metrics_server() {
  server_.reset();
}

} // namespace courier
