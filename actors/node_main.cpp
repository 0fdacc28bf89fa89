// courier-node: runs a Courier server node (a router; later a bank).

#include <csignal>
#include <filesystem>
#include <iostream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/edge_listener.hpp"
#include "actors/identity.hpp"
#include "actors/node_config.hpp"
#include "actors/router.hpp"
#include "actors/session.hpp"
#include "actors/store.hpp"
#include "crypto/key.hpp"

namespace courier {

namespace {

constexpr const char* usage =
  "usage: courier-node router [--edge=HOST:PORT] [--data=DIR] [options]\n"
  "       courier-node router --help   (all options)\n";

/// Options of `courier-node router`.
class router_config : public base_config {
public:
  std::string edge = "127.0.0.1:7400";
  std::string data = "courier-data/router";
  std::string name = "router";
  size_t max_frame = 64 * 1024;
  size_t max_write_buffer = 1024 * 1024;
  size_t max_fps = 2000;
  size_t handshake_timeout_ms = 5000;
  size_t idle_timeout_ms = 300000;

  router_config() {
    opt_group{custom_options_, "global"}
      .add(edge, "edge", "edge address HOST:PORT for clients (port 0: any)")
      .add(data, "data", "folder for the router's key and databases")
      .add(name, "name", "this router's name, shown to clients")
      .add(max_frame, "max-frame", "largest frame in bytes")
      .add(max_write_buffer, "max-write-buffer",
           "bytes queued to a slow reader before it is dropped")
      .add(max_fps, "max-frames-per-second", "per connection")
      .add(handshake_timeout_ms, "handshake-timeout-ms", "handshake deadline")
      .add(idle_timeout_ms, "idle-timeout-ms", "idle connection deadline");
  }

  edge_limits limits() const {
    edge_limits l;
    l.max_frame = max_frame;
    l.max_write_buffer = max_write_buffer;
    l.max_frames_per_second = static_cast<uint32_t>(max_fps);
    l.handshake_timeout = std::chrono::milliseconds{handshake_timeout_ms};
    l.idle_timeout = std::chrono::milliseconds{idle_timeout_ms};
    return l;
  }
};

int fail(const std::string& sentence) {
  std::cerr << "courier-node: " << sentence << "\n";
  return 1;
}

// Blocks until SIGINT or SIGTERM. Every acknowledged message is already
// committed, so there is nothing to flush on the way out.
void wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
}

int run_router(caf::actor_system& sys, router_config& cfg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg.data, ec);
  if (ec)
    return fail("cannot create " + cfg.data + ": " + ec.message());
  bool created = false;
  auto key = load_or_create_node_key(cfg.data + "/router_key.pem", created);
  if (!key)
    return fail("cannot load the router key: " + explain(key.error()));
  auto ident = std::make_shared<server_identity>();
  ident->key = *key;
  auto der = key->public_der();
  if (!der)
    return fail("cannot read the router key");
  ident->der = *der;
  ident->name = cfg.name;
  std::cout << (created ? "created router key, fingerprint: "
                        : "router fingerprint: ")
            << crypto::fingerprint_of_der(ident->der) << std::endl;
  auto dir_db = open_directory_db(cfg.data + "/directory.db");
  if (!dir_db)
    return fail(explain(dir_db.error()));
  auto queue_db = open_store_db(cfg.data + "/queue.db");
  if (!queue_db)
    return fail(explain(queue_db.error()));
  auto colon = cfg.edge.rfind(':');
  if (colon == std::string::npos)
    return fail("--edge must be HOST:PORT, not " + cfg.edge);
  auto host = cfg.edge.substr(0, colon);
  auto port = std::strtoul(cfg.edge.c_str() + colon + 1, nullptr, 10);
  if (port > 65535)
    return fail("--edge has an invalid port");
  auto limits = cfg.limits();
  auto dir = spawn_directory(sys, *dir_db);
  auto queue = spawn_store(sys, *queue_db);
  auto rt = spawn_router(sys, dir, queue, limits);
  session_context ctx{ident, rt, dir, limits};
  auto listener = sys.middleman().spawn_broker(
    edge_listener, host, static_cast<uint16_t>(port), ctx);
  caf::scoped_actor self{sys};
  int rc = 0;
  self->request(listener, std::chrono::seconds{10}, status_atom::value)
    .receive(
      [&](uint16_t bound) {
        std::cout << "courier router '" << cfg.name << "' listening on "
                  << host << ":" << bound << std::endl;
      },
      [&](caf::error& err) {
        rc = fail("cannot listen on " + cfg.edge + ": "
                  + sys.render(err));
      });
  if (rc != 0) {
    std::cout.flush();
    std::_Exit(rc);
  }
  wait_for_signal();
  spdlog::info("router stopping");
  std::cout.flush();
  std::_Exit(0);
}

} // namespace

} // namespace courier

int main(int argc, char** argv) {
  using namespace courier;
  // Signals are taken by sigwait in the main thread only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || std::string{argv[1]} == "--help" || std::string{argv[1]} == "-h") {
    std::cout << usage;
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  if (command == "router") {
    router_config cfg;
    auto args = normalize_args(argc, argv, 2);
    if (auto err = cfg.parse(args))
      return fail("bad option: " + caf::to_string(err));
    if (cfg.cli_helptext_printed)
      return 0;
    caf::actor_system sys{cfg};
    return run_router(sys, cfg);
  }
  return fail("unknown command '" + command + "'\n" + usage);
}
