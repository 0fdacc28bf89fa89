// courier-node: runs a Courier node: a router (alone or in a cluster), a bank,
// or an operator command on a stopped node's data.

#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sys/stat.h>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/admin/admin_cli.hpp"
#include "actors/admin/backup.hpp"
#include "actors/admin/router_channel.hpp"
#include "actors/bank/bank.hpp"
#include "actors/bank/ledger.hpp"
#include "actors/bank/ledger_actor.hpp"
#include "actors/bank/ledger_lock.hpp"
#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/endpoint.hpp"
#include "actors/common/error.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/common/log.hpp"
#include "actors/common/private_files.hpp"
#include "actors/common/socket.hpp"
#include "actors/config/node_config.hpp"
#include "actors/node/operator_options.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/order.hpp"
#include "actors/server/cluster/membership.hpp"
#include "actors/server/cluster/migrate.hpp"
#include "actors/server/cluster/peer_certs.hpp"
#include "actors/server/cluster/peer_link.hpp"
#include "actors/server/cluster/tls_files.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/edge_listener.hpp"
#include "actors/server/handshake_worker.hpp"
#include "actors/server/router.hpp"
#include "actors/server/queue_listener.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/server/router_store.hpp"
#include "actors/server/session.hpp"
#include "actors/server/store.hpp"
#include "crypto/key.hpp"

// Under AddressSanitizer the node checks for leaks as it leaves: it leaves
// through std::_Exit, which skips the checker that runs at exit.
#if defined(__SANITIZE_ADDRESS__)
#  define COURIER_LEAK_CHECK 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define COURIER_LEAK_CHECK 1
#  endif
#endif
#ifdef COURIER_LEAK_CHECK
#  include <sanitizer/lsan_interface.h>
#endif

namespace courier {

namespace {

constexpr const char* usage =
  "usage: courier-node router [--edge=HOST:PORT] [--data=DIR] [options]\n"
  "         [--reserve NAME=FINGERPRINT]...  (names only that key may take)\n"
  "       courier-node router --name=A --edge=HOST:PORT --backbone=HOST:PORT\n"
  "         --peer=B@HOST:PORT... --tls-cert=F --tls-key=F --tls-ca=F"
  " [--data=DIR]\n"
  "         [--peer-fingerprint=B=SHA256]... [--tls-crl=F]\n"
  "       courier-node migrate --from=A,B --to=A,B,C --data=A=DIR"
  " --data=B=DIR --data=C=DIR\n"
  "       courier-node bank [--server=HOST:PORT] [--data=DIR]"
  " [--operator NAME=FINGERPRINT]...\n"
  "         [--ledger=postgresql://...]   (standby banks: same key, same"
  " --ledger)\n"
  "       courier-node bank-audit [--data=DIR] [--ledger=URL]\n"
  "       courier-node bank-fingerprint [--data=DIR]   (the bank's key)\n"
  "       courier-node admin [--data=DIR | --store=URL] COMMAND   (users,\n"
  "         queue, purge, rebind, block, unblock, audit; admin --help)\n"
  "       courier-node backup --data=DIR --to=FILE   (while the node runs)\n"
  "       courier-node restore --from=FILE --data=DIR [--force]\n"
  "       courier-node COMMAND --help   (all options and their defaults)\n"
  "--data defaults to the folders deploy/run.sh uses: $COURIER_DATA/router\n"
  "and $COURIER_DATA/bank, where $COURIER_DATA is by default\n"
  "$XDG_DATA_HOME/courier/nodes (~/.local/share/courier/nodes).\n";

/// Where a node keeps its data unless told: the folder deploy/run.sh uses,
/// `$COURIER_DATA/NODE`, by default `$XDG_DATA_HOME/courier/nodes/NODE`.
std::string default_data(const std::string& node) {
  auto env = [](const char* name) {
    auto val = std::getenv(name);
    return val && *val ? std::string{val} : std::string{};
  };
  auto base = env("COURIER_DATA");
  if (base.empty()) {
    auto xdg = env("XDG_DATA_HOME");
    if (xdg.empty() && !env("HOME").empty())
      xdg = env("HOME") + "/.local/share";
    base = (xdg.empty() ? std::string{"."} : xdg) + "/courier/nodes";
  }
  return base + "/" + node;
}

/// Whether the command line asks for help.
bool wants_help(const std::vector<std::string>& args) {
  for (auto& arg : args)
    if (arg == "--help" || arg == "-h" || arg == "-?" || arg == "--long-help")
      return true;
  return false;
}

/// The help of a command: its usage, then every option with its default
/// (CAF's own text names none, and people read --help to learn them).
std::string help_text(const std::string& usage_lines,
                      const caf::config_option_set& options) {
  auto str = [](caf::string_view v) { return std::string(v.begin(), v.end()); };
  std::string out = usage_lines + "\noptions:\n  --help"
                    + std::string(32, ' ') + "this text\n";
  for (auto& opt : options) {
    if (opt.category() != "global" || opt.long_name() == "long-help"
        || opt.long_name() == "dump-config" || opt.long_name() == "help")
      continue;
    std::string line = "  --" + str(opt.long_name());
    if (opt.type_name() != "boolean")
      line += "=<" + str(opt.type_name()) + ">";
    line.resize(std::max<size_t>(line.size() + 1, 40), ' ');
    line += str(opt.description());
    auto described = line.find("(default:") != std::string::npos;
    if (auto val = opt.get(); val && !described
                              && opt.type_name() != "boolean") {
      auto text = caf::to_string(*val);
      if (!text.empty() && text != "\"\"" && text != "[]")
        line += " (default: " + text + ")";
    }
    out += line + "\n";
  }
  return out;
}

// Four scheduler workers polling every 50 us on an idle queue cost a
// quarter of a router's handshake CPU and an eighth of the bank's CPU per
// order: a node has one worker per core that sleeps until it is woken.
void sleep_when_idle(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads",
          std::max<size_t>(1, std::thread::hardware_concurrency()));
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
}

/// Options of `courier-node router`.
class router_config : public base_config {
public:
  std::string edge = "127.0.0.1:7400";
  std::string data = default_data("router");
  /// Empty: SQLite files in `data`; postgresql://...: a shared PostgreSQL.
  std::string store;
  std::string name = "router";
  size_t max_frame = 64 * 1024;
  size_t max_write_buffer = 1024 * 1024;
  size_t max_fps = 2000;
  size_t handshake_timeout_ms = 5000;
  size_t idle_timeout_ms = 300000;
  size_t quiet_after_ms = 10000;
  size_t commit_window_us = 0;
  size_t ack_hold_ms = 50;
  size_t sender_rate = edge_limits{}.sender_rate;
  size_t sender_burst = edge_limits{}.sender_burst;
  size_t queue_max_messages = queue_limits{}.max_messages;
  size_t queue_max_mib = queue_limits{}.max_bytes / (1024 * 1024);
  size_t queue_expiry_days = 30;
  std::string backbone;
  std::vector<std::string> peers; ///< NAME@HOST:PORT, also from --peer
  /// NAME=SHA256 of a peer's certificate, also from --peer-fingerprint
  std::vector<std::string> peer_fingerprints;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string tls_crl;
  bool insecure_dev = false;
  size_t heartbeat_ms = 1000;
  size_t peer_timeout_ms = 5000;
  size_t max_connections = admission_limits{}.max_connections;
  size_t max_per_address = admission_limits{}.max_connections_per_address;
  size_t registrations_per_minute
    = admission_limits{}.registrations_per_minute;
  size_t max_names_per_key = directory_limits{}.max_names_per_key;
  size_t handshake_threads
    = std::max<size_t>(1, std::thread::hardware_concurrency());
  size_t handshake_queue = handshake_pool_limits{}.queue;
  /// NAME=FINGERPRINT: usernames only one key may register (the bank's,
  /// its operators'); also from repeated --reserve.
  std::vector<std::string> reserve;
  std::map<std::string, std::string> reserved; ///< `reserve`, read
  operator_options ops; ///< --metrics, --log-format, --log-level

  router_config() {
    // Sessions and the router run on the I/O thread; the workers only see
    // the store, the directory and handshakes.
    sleep_when_idle(*this);
    opt_group{custom_options_, "global"}
      .add(edge, "edge", "edge address HOST:PORT for clients (port 0: any)")
      .add(data, "data", "folder for the router's key and databases")
      .add(store, "store",
           "PostgreSQL connection string (postgresql://USER@HOST/DB) for "
           "the directory and queues, shared by a cluster; no password in "
           "it (use PGPASSFILE); default: SQLite files in --data")
      .add(name, "name", "this router's name, unique in its cluster")
      .add(backbone, "backbone",
           "address HOST:PORT where the other routers reach this one")
      .add(peers, "peer", "another router NAME@HOST:PORT (repeatable)")
      .add(peer_fingerprints, "peer-fingerprint",
           "pin a peer's certificate: NAME=SHA256 (repeatable)")
      .add(reserve, "reserve",
           "NAME=FINGERPRINT: only that key may register NAME, e.g. the "
           "bank's and its operators' (repeatable)")
      .add(tls_cert, "tls-cert", "this router's certificate (PEM)")
      .add(tls_key, "tls-key", "its private key (PEM, unencrypted)")
      .add(tls_ca, "tls-ca", "the deployment CA certificate (PEM)")
      .add(tls_crl, "tls-crl",
           "the CA's revocation list (PEM, from deploy/make-certs.sh)")
      .add(insecure_dev, "insecure-dev",
           "allow a backbone without TLS (one-machine development only)")
      .add(heartbeat_ms, "backbone-heartbeat-ms",
           "heartbeat between routers, so a vanished peer is noticed")
      .add(peer_timeout_ms, "backbone-timeout-ms",
           "a peer silent this long is taken as down")
      .add(max_frame, "max-frame", "largest frame in bytes")
      .add(max_write_buffer, "max-write-buffer",
           "bytes queued to a slow reader before it is dropped")
      .add(max_fps, "max-frames-per-second", "per connection")
      .add(handshake_timeout_ms, "handshake-timeout-ms", "handshake deadline")
      .add(idle_timeout_ms, "idle-timeout-ms", "idle connection deadline")
      .add(quiet_after_ms, "quiet-after-ms",
           "a session quiet this long frees its cipher state")
      .add(commit_window_us, "commit-window-us",
           "how long the queue gathers messages and acks per commit")
      .add(ack_hold_ms, "ack-hold-ms",
           "how long a message already pushed to its recipient waits for "
           "the ack before it is written to disk (0: write at once)")
      .add(sender_rate, "sender-rate",
           "messages a second one user may send (0: no limit); names "
           "reserved with --reserve (the bank) are not limited")
      .add(sender_burst, "sender-burst",
           "messages one user may send at once before --sender-rate applies")
      .add(queue_max_messages, "queue-max-messages",
           "messages kept for one offline recipient (0: no limit)")
      .add(queue_max_mib, "queue-max-mib",
           "MiB kept for one offline recipient (0: no limit)")
      .add(queue_expiry_days, "queue-expiry-days",
           "messages older than this are not delivered and are deleted "
           "(0: kept for ever)")
      .add(max_connections, "max-connections",
           "edge connections at once (0: as many as descriptors allow); "
           "kept below the descriptor limit")
      .add(max_per_address, "max-connections-per-address",
           "edge connections at once from one IPv4 address or IPv6 /64 "
           "(0: no limit)")
      .add(registrations_per_minute, "registrations-per-minute",
           "new usernames one address may register per minute (0: no "
           "limit)")
      .add(max_names_per_key, "max-names-per-key",
           "usernames one identity key may hold (0: no limit)")
      .add(handshake_threads, "handshake-threads",
           "threads for the public-key work of sign-ins")
      .add(handshake_queue, "handshake-queue",
           "sign-in steps waiting for a thread; past it clients are told "
           "to retry (busy)");
    ops.add_to(custom_options_);
  }

  /// The text of `--help`: usage, then each option with its default.
  std::string help() const {
    return help_text(
      "usage: courier-node router [options]   (--reserve, --peer and "
      "--peer-fingerprint may repeat)",
      custom_options_);
  }

  queue_limits queue() const {
    queue_limits q;
    q.max_messages = static_cast<uint32_t>(
      std::min<size_t>(queue_max_messages, UINT32_MAX));
    q.max_bytes = static_cast<uint64_t>(queue_max_mib) * 1024 * 1024;
    q.expiry = std::chrono::hours{24 * queue_expiry_days};
    return q;
  }

  /// Admission limits, the connection cap kept below the descriptor
  /// limit: each connection holds one, and the store, the directory, the
  /// backbone and a refused connection need some (`in_use` are open now).
  admission_limits admission(size_t in_use) const {
    admission_limits a;
    auto reserve = in_use + 16 + 2 * peers.size();
    auto limit = descriptor_limit();
    auto room = limit > reserve + 1 ? limit - reserve : size_t{1};
    a.max_connections = max_connections == 0
                          ? room
                          : std::min(max_connections, room);
    a.max_connections_per_address = max_per_address;
    a.registrations_per_minute
      = static_cast<uint32_t>(std::min<size_t>(registrations_per_minute,
                                               UINT32_MAX));
    return a;
  }

  edge_limits limits() const {
    edge_limits l;
    l.max_frame = max_frame;
    l.max_write_buffer = max_write_buffer;
    l.max_frames_per_second = static_cast<uint32_t>(max_fps);
    l.handshake_timeout = std::chrono::milliseconds{handshake_timeout_ms};
    l.idle_timeout = std::chrono::milliseconds{idle_timeout_ms};
    l.quiet_after = std::chrono::milliseconds{quiet_after_ms};
    l.sender_rate = static_cast<uint32_t>(std::min<size_t>(sender_rate,
                                                           UINT32_MAX));
    l.sender_burst = static_cast<uint32_t>(std::min<size_t>(sender_burst,
                                                            UINT32_MAX));
    return l;
  }
};

/// Options of `courier-node bank`.
class bank_config : public base_config {
public:
  std::string server = "127.0.0.1:7400";
  std::string data = default_data("bank");
  /// Empty: SQLite in `data`; postgresql://...: the ledger in PostgreSQL,
  /// with standby banks waiting for its lock.
  std::string ledger;
  std::string server_fingerprint;
  size_t workers = 2;
  size_t max_handovers = 64;
  /// NAME=FINGERPRINT of who may issue money; also from repeated --operator.
  std::vector<std::string> operator_list;
  std::map<std::string, std::string> operators; ///< `operator_list`, read
  /// Router pins; also from repeated --server-fingerprint.
  std::vector<std::string> server_fingerprints;
  operator_options ops; ///< --metrics, --log-format, --log-level

  bank_config() {
    sleep_when_idle(*this);
    opt_group{custom_options_, "global"}
      .add(server, "server", "router(s) HOST:PORT[,HOST:PORT]")
      .add(data, "data", "folder for the bank's key and ledger")
      .add(ledger, "ledger",
           "postgresql://... (no password: PGPASSFILE): the ledger in "
           "PostgreSQL; banks with the same data folder and ledger wait as "
           "standbys "
           "(default: DATA/ledger.db)")
      .add(operator_list, "operator",
           "NAME=FINGERPRINT: that user, signing with that key, may issue "
           "money (repeatable)")
      .add(server_fingerprints, "server-fingerprint",
           "pin the router's key: FINGERPRINT, or HOST:PORT=FINGERPRINT "
           "once per router (repeatable)")
      .add(workers, "crypto-workers", "threads for RSA work")
      .add(max_handovers, "max-pending-orders",
           "orders in flight at once (they share ledger commits)");
    ops.add_to(custom_options_);
  }

  /// The text of `--help`: usage, then each option with its default.
  std::string help() const {
    return help_text("usage: courier-node bank [options]   (--operator and "
                     "--server-fingerprint may repeat)",
                     custom_options_);
  }
};

/// Options of `courier-node bank-audit` and `bank-fingerprint`: they read
/// the bank's data folder and nothing else.
class bank_data_config : public base_config {
public:
  std::string data = default_data("bank");
  std::string ledger; ///< as bank_config::ledger

  explicit bank_data_config(std::string usage_lines)
    : usage_lines_(std::move(usage_lines)) {
    opt_group{custom_options_, "global"}
      .add(data, "data", "the bank's data folder (its key and ledger)")
      .add(ledger, "ledger",
           "postgresql://...: the bank's ledger in PostgreSQL (default: "
           "DATA/ledger.db)");
  }

  /// The text of `--help`: usage, then each option with its default.
  std::string help() const {
    return help_text(usage_lines_, custom_options_);
  }

private:
  std::string usage_lines_;
};

/// Options of `courier-node migrate`.
class migrate_config : public base_config {
public:
  std::string from; ///< A,B
  std::string to;   ///< A,B,C

  migrate_config() {
    opt_group{custom_options_, "global"}
      .add(from, "from", "the routers the data was written for: A,B")
      .add(to, "to", "the routers it is for from now on: A,B,C");
  }

  /// The text of `--help`: usage, then each option with its default.
  std::string help() const {
    return help_text("usage: courier-node migrate --from=A,B --to=A,B,C "
                     "--data=A=DIR --data=B=DIR --data=C=DIR\n"
                     "  --data=NAME=DIR: each router's data folder (repeat "
                     "once per router of both sets)",
                     custom_options_);
  }
};

// Leaves at once with `rc`: CAF's shutdown would wait for every
// connection. Under ASan, LeakSanitizer checks first and a leak makes the
// exit code nonzero (and the report lands on stderr).
[[noreturn]] void leave(int rc) {
  std::cout.flush();
#ifdef COURIER_LEAK_CHECK
  __lsan_do_leak_check();
#endif
  std::_Exit(rc);
}

int fail(const std::string& sentence) {
  // With JSON logs every line is JSON, this one too.
  if (configured_log_format() == log_format::json)
    logger(component::node).critical("{}", sentence);
  else
    std::cerr << "courier-node: " << sentence << "\n";
  return 1;
}

// The sentence an error carries, without the code's general description.
std::string detail_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return explain(err);
}

// Reads repeated `NAME=FINGERPRINT` options (operators, reserved names);
// a bare NAME is refused with a sentence that says how to get the
// fingerprint.
caf::error read_named_keys(const std::vector<std::string>& values,
                           const std::string& option,
                           std::map<std::string, std::string>& out) {
  for (auto& text : values) {
    if (text.find('=') == std::string::npos)
      return make_error(errc::bad_key,
                        "--" + option + " " + text
                          + " needs the fingerprint of the key that may use "
                            "the name: --"
                          + option + " " + text + "=FINGERPRINT ("
                          + (text == bank::bank_user
                               ? std::string{"`courier-node bank-fingerprint "
                                             "--data=DIR` prints the bank's"}
                               : "`courier-cli --user " + text
                                   + " fingerprint` prints it")
                          + ")");
    auto nf = parse_named_fingerprint(text, option);
    if (!nf)
      return nf.error();
    if (!protocol::valid_username(nf->name))
      return make_error(errc::invalid_username,
                        "--" + option + ": '" + nf->name
                          + "' is not a valid username");
    if (!out.emplace(nf->name, nf->fingerprint).second)
      return make_error(errc::bad_key, "--" + option + " " + nf->name
                                         + " is given twice");
  }
  return caf::none;
}

// Router pins for a client: `FP` alone (one router) or `HOST:PORT=FP` per
// router, so failover and explicit pins go together.
caf::error set_router_pins(const std::vector<std::string>& values,
                           client_config& cc) {
  auto pins = parse_router_pins(values, cc.servers);
  if (!pins)
    return pins.error();
  cc.server_fingerprints = std::move(*pins);
  return caf::none;
}

// Ends the process if `core` stops: the sessions would wait for it for
// ever, while a supervisor (systemd) starts a stopped node again.
template <class Handle>
void exit_with(caf::actor_system& sys, const Handle& core, const char* what) {
  sys.spawn([core, what](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(core);
    self->set_down_handler([what](caf::down_msg& dm) {
      logger(component::node)
        .critical("the {} actor stopped ({}); exiting", what,
                  caf::to_string(dm.reason));
      std::_Exit(3);
    });
    return {[](stop_atom) {}};
  });
}

// Blocks until SIGINT or SIGTERM; SIGHUP reads the log level again.
void wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
    reload_log_level();
}

// --peer-fingerprint NAME=SHA256, each name once.
caf::expected<std::map<std::string, std::string>>
pins_of(const router_config& cfg) {
  std::map<std::string, std::string> pins;
  for (auto& text : cfg.peer_fingerprints) {
    auto eq = text.find('=');
    auto fp = eq == std::string::npos
                ? std::nullopt
                : cluster::parse_fingerprint(text.substr(eq + 1));
    if (!fp)
      return make_error(errc::bad_encoding,
                        "--peer-fingerprint is NAME=SHA256 (64 hex digits, "
                        "colons allowed, as deploy/make-certs.sh prints "
                        "them), not '" + text + "'");
    if (!pins.emplace(text.substr(0, eq), *fp).second)
      return make_error(errc::bad_encoding, "--peer-fingerprint gives '"
                                              + text.substr(0, eq)
                                              + "' twice");
  }
  return pins;
}

cluster_config cluster_of(const router_config& cfg) {
  cluster_config cl;
  cl.name = cfg.name;
  cl.routers.push_back(cfg.name);
  for (auto& text : cfg.peers)
    cl.routers.push_back(cluster::parse_peer(text)->name); // checked before
  return cl;
}

// Everything about the router's options that can be wrong, in one
// sentence, before the actor system starts.
std::string check_router_options(const router_config& cfg) {
  if (!parse_endpoint(cfg.edge, true))
    return "--edge must be HOST:PORT (port 0: any), not '" + cfg.edge + "'";
  if (!cfg.backbone.empty() && !parse_endpoint(cfg.backbone, true))
    return "--backbone must be HOST:PORT, not '" + cfg.backbone + "'";
  if (!cluster::valid_router_name(cfg.name))
    return "--name must be 1-32 of A-Z a-z 0-9 _ . -, not '" + cfg.name + "'";
  std::set<std::string> names{cfg.name};
  for (auto& text : cfg.peers) {
    auto peer = cluster::parse_peer(text);
    if (!peer)
      return explain(peer.error());
    if (!names.insert(peer->name).second)
      return "router name '" + peer->name + "' appears twice in the cluster";
  }
  auto pins = pins_of(cfg);
  if (!pins)
    return explain(pins.error());
  for (auto& [name, fp] : *pins)
    if (name == cfg.name || names.count(name) == 0)
      return "--peer-fingerprint names '" + name
             + "', which is not one of the --peer routers";
  if (cfg.backbone.empty())
    return cfg.peers.empty() ? ""
                             : "--peer needs --backbone (this router's own "
                               "backbone address)";
  bool any_tls = !cfg.tls_cert.empty() || !cfg.tls_key.empty()
                 || !cfg.tls_ca.empty();
  bool all_tls = !cfg.tls_cert.empty() && !cfg.tls_key.empty()
                 && !cfg.tls_ca.empty();
  if (any_tls && !all_tls)
    return "the backbone needs all three of --tls-cert, --tls-key and "
           "--tls-ca";
  if (!all_tls && (!cfg.tls_crl.empty() || !pins->empty()))
    return "--tls-crl and --peer-fingerprint need a TLS backbone "
           "(--tls-cert, --tls-key, --tls-ca)";
  if (!all_tls && !cfg.insecure_dev)
    return "refusing to start a backbone without certificates: CAF's "
           "backbone protocol trusts every peer it talks to, so it runs "
           "only over mutual TLS. Give --tls-cert, --tls-key and --tls-ca "
           "(deploy/make-certs.sh makes them), or --insecure-dev for a "
           "development cluster on one machine";
  if (all_tls)
    if (auto err = cluster::check_tls_files(cfg.tls_cert, cfg.tls_key,
                                            cfg.tls_ca, cfg.name, cfg.tls_crl))
      return explain(err);
  return "";
}

// Publishes the router on the backbone and links to every peer.
int start_backbone(caf::actor_system& sys, router_config& cfg,
                   const router_actor& rt) {
  if (cfg.backbone.empty())
    return 0;
  auto at = *parse_endpoint(cfg.backbone, true); // checked before
  bool tls = !cfg.tls_cert.empty();
  if (tls) {
    cluster::backbone_trust trust;
    for (auto& text : cfg.peers)
      trust.peers.insert(cluster::parse_peer(text)->name);
    trust.pins = *pins_of(cfg); // checked before
    trust.crl = cfg.tls_crl;
    if (auto err = cluster::install_backbone_trust(std::move(trust)))
      return fail(explain(err));
  }
  auto bound = tls ? caf::openssl::publish(rt, at.port, at.host.c_str(), true)
                   : caf::io::publish(rt, at.port, at.host.c_str(), true);
  if (!bound)
    return fail("cannot listen on the backbone " + cfg.backbone + ": "
                + sys.render(bound.error()));
  logger(component::node)
    .info("backbone of router '{}' on {}:{}{}", cfg.name, at.host, *bound,
          tls ? " (mutual TLS)" : " (INSECURE: no TLS)");
  auto mm = tls ? sys.openssl_manager().actor_handle()
                : sys.middleman().actor_handle();
  for (auto& text : cfg.peers) {
    auto peer = *cluster::parse_peer(text);
    if (cluster::dials(cfg.name, peer.name))
      cluster::spawn_peer_link(sys, cfg.name, std::move(peer), mm, rt);
  }
  return 0;
}

int run_router(caf::actor_system& sys, router_config& cfg) {
  if (auto err = make_private_dir(cfg.data))
    return fail("cannot create " + cfg.data + ": " + explain(err));
  // Held until the process ends: one router per folder, and no migration
  // while it runs.
  if (auto lock = cluster::lock_data_dir(cfg.data); !lock)
    return fail(explain(lock.error()));
  auto cluster = cluster_of(cfg);
  // On a shared store homes are only where live users are served, so
  // routers may come and go: nothing in the folder depends on the set.
  if (cfg.store.empty())
    if (auto err = cluster::check_membership(cfg.data, cluster.name,
                                             cluster.routers))
      return fail(explain(err));
  // Checked and migrated before anything else is made.
  // /healthz answers from here on; /readyz once the edge listens.
  auto endpoint = serve_operator_endpoint(cfg.ops, cfg);
  if (!endpoint)
    return fail(detail_of(endpoint.error()));
  auto stores = open_router_store(cfg.store, cfg.data);
  if (!stores)
    return fail(explain(stores.error()));
  report_ready(sys, readiness::store, true);
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
  logger(component::node)
    .info("{}{}", created ? "created router key, fingerprint: "
                          : "router fingerprint: ",
          crypto::fingerprint_of_der(ident->der));
  auto edge = *parse_endpoint(cfg.edge, true); // checked before
  auto limits = cfg.limits();
  directory_limits dir_limits;
  dir_limits.max_names_per_key
    = static_cast<uint32_t>(std::min<size_t>(cfg.max_names_per_key, UINT32_MAX));
  // On a shared store the directory counts new names per address for the
  // whole cluster; the edge listener's buckets count this router's.
  dir_limits.registrations_per_minute = static_cast<uint32_t>(
    std::min<size_t>(cfg.registrations_per_minute, UINT32_MAX));
  for (auto& [user, fp] : cfg.reserved)
    logger(component::node)
      .info("reserved name '{}' for the key {}", user, fp);
  auto dir = spawn_directory(sys, stores->directory, dir_limits, cfg.reserved);
  // Before the store owns it.
  auto first_seq = next_free_seq(*stores->queue);
  auto queue = spawn_store(sys, stores->queue,
                           std::chrono::microseconds{cfg.commit_window_us},
                           cfg.queue());
  // With TLS every peer's name is checked against its certificate.
  if (!cfg.tls_cert.empty() && !cfg.backbone.empty())
    cluster.identity = cluster::spawn_tls_peer_identity(sys);
  std::set<std::string> unmetered;
  for (auto& kv : cfg.reserved)
    unmetered.insert(kv.first);
  cluster.shared_store = stores->queue->shared();
  auto rt = spawn_router(sys, dir, queue, limits, first_seq, cluster,
                         std::chrono::milliseconds{cfg.ack_hold_ms},
                         std::move(unmetered));
  exit_with(sys, rt, "router");
  exit_with(sys, queue, "queue");
  // Writes by the other routers reach this router's live users at once.
  if (cluster.shared_store)
    spawn_queue_listener(sys, cfg.store, rt);
  if (auto rc = start_backbone(sys, cfg, rt); rc != 0) {
    leave(rc);
  }
  report_ready(sys, readiness::backbone, true);
  // Directory requests go through the router, which knows the home; a
  // router alone is every user's home, so its sign-ins go straight to its
  // directory. Handshake threads (one per core by default) keep the I/O
  // thread and the scheduler free of RSA work.
  auto sign_ins = cluster.routers.size() <= 1 ? dir : directory_actor{rt};
  handshake_pool_limits pool_limits;
  pool_limits.threads = std::max<size_t>(1, cfg.handshake_threads);
  pool_limits.queue = cfg.handshake_queue;
  auto handshakes = spawn_handshake_pool(sys, pool_limits, ident, sign_ins);
  session_context ctx{ident, rt, directory_actor{rt}, handshakes, limits};
  auto admission = cfg.admission(open_descriptors());
  if (cfg.max_connections == 0 || admission.max_connections < cfg.max_connections)
    logger(component::node)
      .info("accepting at most {} edge connections (descriptor limit "
                 "{})",
                 admission.max_connections, descriptor_limit());
  auto listener = sys.middleman().spawn_broker(
    edge_listener, edge.host, edge.port, ctx, admission);
  caf::scoped_actor self{sys};
  int rc = 0;
  self->request(listener, std::chrono::seconds{10}, status_atom::value)
    .receive(
      [&](uint16_t bound) {
        // Scripts read the address from this line.
        logger(component::node)
          .info("courier router '{}' listening on {}:{}", cfg.name,
                edge.host, bound);
        report_ready(sys, readiness::edge, true);
      },
      [&](caf::error& err) {
        rc = fail("cannot listen on " + cfg.edge + ": "
                  + sys.render(err));
      });
  if (rc != 0) {
    leave(rc);
  }
  // `courier-node admin sessions | drain` talk to it; a router runs on
  // without it.
  if (auto err = admin::start_router_channel(sys, cfg.data, rt, listener))
    spdlog::warn("no admin socket: {}", detail_of(err));
  wait_for_signal();
  logger(component::node).info("router stopping");
  // Messages held in memory for their recipients' acks go to disk; every
  // message a sender was told about is there already. The router's puts
  // reach the store before the stop, which writes everything pending.
  size_t held = 0;
  self->request(rt, std::chrono::seconds{10}, flush_atom::value)
    .receive([&](size_t n) { held = n; },
             [&](caf::error& err) {
               logger(component::node)
                 .error("could not collect held messages: {}",
                             sys.render(err));
             });
  self->request(queue, std::chrono::seconds{10}, stop_atom::value)
    .receive([&](size_t) {
               logger(component::node).info("wrote {} held messages", held);
             },
             [&](caf::error& err) {
               logger(component::node)
                 .error("could not write held messages: {}",
                             sys.render(err));
             });
  leave(0);
}

// What the person who started the bank (or its audit) is told about a
// ledger that could not be opened: PostgreSQL's own words are in the log.
std::string ledger_problem(const caf::error& err) {
  if (code_of(err) == errc::ledger_unavailable)
    return "the ledger's PostgreSQL cannot be reached; check --ledger and "
           "that PostgreSQL runs, then try again";
  return explain(err);
}

// The ledger at `where` (--ledger), or DATA/ledger.db without it.
caf::expected<std::shared_ptr<bank::ledger_backend>>
open_books(const std::string& dir, const std::string& where) {
  if (auto err = make_private_dir(dir))
    return err;
  auto books = bank::open_ledger(where.empty() ? dir + "/ledger.db" : where);
  if (!books)
    return books.error();
  return std::shared_ptr<bank::ledger_backend>{std::move(*books)};
}

// Waits in 0.5 s steps until `sigs` arrives (true) or `step` says stop
// waiting (false). Signals are only taken in the main thread.
template <class F>
bool signalled_before(F step) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  for (;;) {
    if (!step())
      return false;
    timespec half{0, 500'000'000};
    auto sig = sigtimedwait(&set, nullptr, &half);
    if (sig == SIGHUP)
      reload_log_level();
    else if (sig > 0)
      return true;
  }
}

// A standby waits here until it holds the ledger lock; true once it does,
// false when told to stop first.
bool take_ledger_lock(bank::ledger_lock& lock) {
  bool said = false;
  errc last_problem = errc::none;
  return !signalled_before([&] {
    auto got = lock.try_take();
    if (got && *got)
      return false;
    // The lock logs what libpq said; this says what the bank does.
    if (!got && code_of(got.error()) != last_problem) {
      last_problem = code_of(got.error());
      logger(component::node)
        .warn("standby: cannot take the ledger lock ({}); trying again "
              "every 0.5 s",
              to_string(last_problem));
    } else if (got) {
      last_problem = errc::none;
    }
    if (got && !said) {
      said = true;
      logger(component::node)
        .info("standby: another bank holds the ledger lock; waiting for it "
              "(polling every 0.5 s), signed in nowhere meanwhile");
    }
    return true;
  });
}

// Loads the bank's key from its data folder, or makes it there
// (`created` says which). The error is a sentence.
caf::expected<crypto::key> bank_key(const std::string& data, bool& created) {
  created = false;
  if (auto err = make_private_dir(data))
    return make_error(errc::io_error, "cannot create " + data + ": "
                                        + explain(err));
  auto key = load_identity(data, "");
  if (key)
    return key;
  if (std::filesystem::exists(data + "/identity.pem"))
    return make_error(errc::bad_key, "cannot load the bank key: "
                                       + explain(key.error()));
  key = create_plain_identity(data, 3072);
  if (!key)
    return make_error(errc::bad_key, "cannot create the bank key: "
                                       + explain(key.error()));
  created = true;
  return key;
}

int run_bank(caf::actor_system& sys, bank_config& cfg) {
  auto endpoint = serve_operator_endpoint(cfg.ops, cfg);
  if (!endpoint)
    return fail(detail_of(endpoint.error()));
  // On PostgreSQL, of several banks with this key one is active: the one
  // holding the lock. Nothing is opened or signed in before.
  std::unique_ptr<bank::ledger_lock> lock;
  if (is_postgresql_address(cfg.ledger)) {
    if (auto err = check_postgresql_address(cfg.ledger, "--ledger"))
      return fail(detail_of(err));
    lock = std::make_unique<bank::ledger_lock>(cfg.ledger);
    if (!take_ledger_lock(*lock))
      leave(0);
    report_ready(sys, readiness::ledger_lock, true);
    logger(component::node)
      .info("holding the ledger lock: this bank is the active one");
  }
  auto books = open_books(cfg.data, cfg.ledger);
  if (!books)
    return fail(ledger_problem(books.error()));
  report_ready(sys, readiness::store, true);
  // Held (shared) while the bank runs: a restore into this folder refuses.
  if (auto lock = admin::share_data_dir(cfg.data); !lock)
    return fail(detail_of(lock.error()));
  bool created = false;
  auto key = bank_key(cfg.data, created);
  if (!key)
    return fail(detail_of(key.error()));
  logger(component::node)
    .info("{}{}", created ? "created bank key, fingerprint: "
                          : "bank fingerprint: ",
          *crypto::fingerprint(*key));
  client_config cc;
  cc.user = bank::bank_user;
  cc.dir = cfg.data;
  cc.identity = *key;
  if (!parse_endpoints(cfg.server, cc.servers))
    return fail("--server must be HOST:PORT[,HOST:PORT...]");
  if (auto err = set_router_pins(cfg.server_fingerprints, cc))
    return fail(detail_of(err));
  cc.crypto_workers = cfg.workers;
  cc.max_handovers = cfg.max_handovers;
  cc.keep_history = false;
  auto client = spawn_client(sys, cc);
  if (!client)
    return fail(explain(client.error()));
  auto ledger = bank::spawn_ledger(sys, *books);
  auto handler = bank::spawn_bank(sys, *client, ledger, cfg.operators);
  caf::anon_send(*client, listen_atom::value, listener_actor{handler});
  caf::anon_send(handler, connect_atom::value);
  std::string ops;
  for (auto& [op, fp] : cfg.operators)
    ops += (ops.empty() ? "" : ", ") + op + " (key " + fp + ")";
  logger(component::node)
    .info("courier bank serving as 'bank' via {}{}", cfg.server,
          ops.empty() ? "; no operators: nobody may issue money"
                      : "; operators: " + ops);
  if (!lock) {
    wait_for_signal();
    leave(0);
  }
  // A bank whose lock session is gone may have a successor already: it
  // stops at once rather than write beside it.
  caf::error lost;
  if (signalled_before([&] { return !(lost = lock->check()); }))
    leave(0);
  logger(component::node)
    .critical("lost the ledger lock ({}); stopping so that only one bank "
              "acts (a standby takes over)",
              detail_of(lost));
  leave(1);
}

// Prints the bank's fingerprint from its data folder, for clients to
// configure (`--bank-fingerprint`): they must not learn it from a router.
// A folder without a key gets one (as the bank's first start would), so
// the router can reserve the name `bank` before the bank first runs.
int run_bank_fingerprint(bank_data_config& cfg) {
  bool created = false;
  auto key = bank_key(cfg.data, created);
  if (!key)
    return fail(detail_of(key.error()));
  if (created)
    std::cerr << "created the bank's key in " << cfg.data << std::endl;
  std::cout << *crypto::fingerprint(*key) << std::endl;
  return 0;
}

int run_audit(bank_data_config& cfg) {
  if (cfg.ledger.empty() && !std::filesystem::exists(cfg.data + "/ledger.db"))
    return fail("no ledger in " + cfg.data);
  auto books = bank::open_ledger(cfg.ledger.empty() ? cfg.data + "/ledger.db"
                                                    : cfg.ledger);
  if (!books)
    return fail(ledger_problem(books.error()));
  auto rep = (*books)->audit();
  if (!rep)
    return fail(ledger_problem(rep.error()));
  std::cout << "accounts: " << rep->accounts << ", transfers: " << rep->transfers
            << ", issued: " << bank::format_amount(rep->total_issued)
            << ", balances: " << bank::format_amount(rep->total_balances) << "\n";
  for (auto& p : rep->problems)
    std::cout << "PROBLEM: " << p << "\n";
  std::cout << (rep->ok() ? "audit clean" : "audit FAILED") << std::endl;
  return rep->ok() ? 0 : 1;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos)
      comma = text.size();
    if (comma > start)
      out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

int run_migrate(migrate_config& cfg, const std::vector<std::string>& data) {
  cluster::migration m;
  m.from = split_names(cfg.from);
  m.to = split_names(cfg.to);
  if (m.from.empty() || m.to.empty())
    return fail("give the old and the new routers: --from A,B --to A,B,C");
  for (auto& text : data) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
      return fail("--data is NAME=DIR, not '" + text + "'");
    if (!m.folders.emplace(text.substr(0, eq), text.substr(eq + 1)).second)
      return fail("--data gives router '" + text.substr(0, eq) + "' twice");
  }
  auto report = cluster::migrate(m);
  if (!report)
    return fail(explain(report.error()));
  std::cout << "migrated from " << cluster::listed(cluster::normalized(m.from))
            << " to " << cluster::listed(cluster::normalized(m.to)) << ": "
            << report->users << " users and " << report->messages
            << " queued messages moved; start every router with the new set"
            << std::endl;
  return 0;
}

} // namespace

} // namespace courier

int main(int argc, char** argv) {
  using namespace courier;
  // Keys, the directory, the queue and the ledger are the owner's alone,
  // also when no service manager sets a umask; the library makes its own
  // files 0600 too, this covers the rest (logs, TLS, SQLite's temp files).
  ::umask(077);
  // Signals are taken by sigwait in the main thread only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // The default logger exists before any thread does: made by whichever
  // actor logs first, its making would race with the main thread's lines.
  spdlog::default_logger();
  if (argc < 2 || std::string{argv[1]} == "--help" || std::string{argv[1]} == "-h") {
    std::cout << usage;
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  if (command == "router") {
    router_config cfg;
    auto args = normalize_args(argc, argv, 2);
    if (wants_help(args)) {
      std::cout << cfg.help();
      return 0;
    }
    auto peers = take_repeated(args, "peer");
    auto pins = take_repeated(args, "peer-fingerprint");
    auto reserve = take_repeated(args, "reserve");
    if (auto err = cfg.parse(args))
      return fail("bad option: " + caf::to_string(err));
    if (cfg.cli_helptext_printed)
      return 0;
    cfg.peers.insert(cfg.peers.end(), peers.begin(), peers.end());
    cfg.peer_fingerprints.insert(cfg.peer_fingerprints.end(), pins.begin(),
                                 pins.end());
    cfg.reserve.insert(cfg.reserve.end(), reserve.begin(), reserve.end());
    if (auto err = read_named_keys(cfg.reserve, "reserve", cfg.reserved))
      return fail(detail_of(err));
    if (auto problem = check_router_options(cfg); !problem.empty())
      return fail(problem);
    if (auto problem = prepare_operator_options(cfg.ops, cfg.data,
                                                node_role::router,
                                                !cfg.backbone.empty(), cfg);
        !problem.empty())
      return fail(problem);
    if (!cfg.backbone.empty()) {
      // Without heartbeats a peer whose machine vanished is noticed only
      // when TCP gives up, which can take many minutes.
      using ms = std::chrono::milliseconds;
      cfg.set("middleman.heartbeat-interval",
              caf::timespan{ms{cfg.heartbeat_ms}});
      cfg.set("middleman.connection-timeout",
              caf::timespan{ms{cfg.peer_timeout_ms}});
    }
    if (!cfg.tls_cert.empty()) {
      cfg.openssl_certificate = cfg.tls_cert;
      cfg.openssl_key = cfg.tls_key;
      cfg.openssl_cafile = cfg.tls_ca;
      cfg.load<caf::openssl::manager>();
    }
    caf::actor_system sys{cfg};
    return run_router(sys, cfg);
  }
  if (command == "bank-audit" || command == "bank-fingerprint") {
    bank_data_config cfg{
      command == "bank-audit"
        ? "usage: courier-node bank-audit [--data=DIR]\n"
          "Checks a bank's ledger: every transfer balanced, the balances add "
          "up to\nwhat was issued. Exit 0 when clean."
        : "usage: courier-node bank-fingerprint [--data=DIR]\n"
          "Prints the bank's key fingerprint, for clients and routers "
          "(makes the key\nif the bank never ran)."};
    auto args = normalize_args(argc, argv, 2);
    if (wants_help(args)) {
      std::cout << cfg.help();
      return 0;
    }
    if (auto err = cfg.parse(args))
      return fail("bad option: " + caf::to_string(err));
    if (!cfg.ledger.empty() && !is_postgresql_address(cfg.ledger))
      return fail("--ledger must be a postgresql:// address (without it the "
                  "ledger is DATA/ledger.db)");
    if (command == "bank-audit")
      return run_audit(cfg);
    return run_bank_fingerprint(cfg);
  }
  if (command == "bank") {
    bank_config cfg;
    auto args = normalize_args(argc, argv, 2);
    if (wants_help(args)) {
      std::cout << cfg.help();
      return 0;
    }
    auto operators = take_repeated(args, "operator");
    auto pins = take_repeated(args, "server-fingerprint");
    if (auto err = cfg.parse(args))
      return fail("bad option: " + caf::to_string(err));
    if (cfg.cli_helptext_printed)
      return 0;
    cfg.operator_list.insert(cfg.operator_list.end(), operators.begin(),
                             operators.end());
    cfg.server_fingerprints.insert(cfg.server_fingerprints.end(),
                                   pins.begin(), pins.end());
    if (auto err = read_named_keys(cfg.operator_list, "operator",
                                   cfg.operators))
      return fail(detail_of(err));
    if (!cfg.ledger.empty() && !is_postgresql_address(cfg.ledger))
      return fail("--ledger must be a postgresql:// address (without it the "
                  "ledger is DATA/ledger.db)");
    if (auto problem = prepare_operator_options(cfg.ops, cfg.data,
                                                node_role::bank, false, cfg);
        !problem.empty())
      return fail(problem);
    // A standby is not ready until it holds the ledger lock.
    if (!cfg.ledger.empty() && cfg.node_telemetry)
      cfg.node_telemetry->ready.require(readiness::ledger_lock);
    caf::actor_system sys{cfg};
    return run_bank(sys, cfg);
  }
  if (command == "migrate") {
    migrate_config cfg;
    auto args = normalize_args(argc, argv, 2);
    if (wants_help(args)) {
      std::cout << cfg.help();
      return 0;
    }
    auto data = take_repeated(args, "data");
    if (auto err = cfg.parse(args))
      return fail("bad option: " + caf::to_string(err));
    if (cfg.cli_helptext_printed)
      return 0;
    return run_migrate(cfg, data);
  }
  if (command == "admin" || command == "backup" || command == "restore") {
    std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "admin")
      return admin::run_admin(std::move(args), default_data("router"));
    return command == "backup" ? admin::run_backup(std::move(args))
                               : admin::run_restore(std::move(args));
  }
  return fail("unknown command '" + command + "'\n" + usage);
}
