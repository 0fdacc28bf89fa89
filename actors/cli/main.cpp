// courier-cli: the command-line client (identities, chat, for scripts too).

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/cli/terminal_text.hpp"
#include "actors/client/backup.hpp"
#include "actors/client/client.hpp"
#include "actors/client/client_db.hpp"
#include "actors/client/identity.hpp"
#include "actors/client/control_letter.hpp"
#include "actors/common/error.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/order.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"

namespace courier {

namespace {

// Human output shows what peers, routers and the bank wrote through this,
// never raw; JSON output stays exact.
using cli::printable;

/// Everything the command line said.
struct cli_options {
  std::string home;
  std::string user;
  std::string servers = "127.0.0.1:7400";
  std::vector<std::string> server_fingerprints;
  std::string bank_fingerprint;
  std::string passphrase_env;
  std::string backup_passphrase_env;
  std::string file; ///< of `backup` and `restore`
  bool no_passphrase = false;
  bool json = false;
  int timeout = 15;
  int bits = 3072;
  std::string to, text, peer, fingerprint;
  std::vector<std::string> names; ///< of `online`
  int wait = 5;
  int count = 0;
  /// `recv` and `chat`: with several routers, a lost connection is taken
  /// up at another router instead of ending the command.
  bool stay_connected = false;
  std::string amount, transfer_id;
  int limit = 20;
  uint64_t before = 0;
};

/// What the process returns, for scripts; listed in --help and the README.
enum exit_status : int {
  exit_ok = 0,
  exit_other = 1,       ///< anything else: files, keys, a bug
  exit_usage = 2,       ///< the command line is wrong
  exit_unreachable = 3, ///< no router answered
  exit_router = 4,      ///< the router refused
  exit_bank = 5,        ///< the bank refused the order or did not answer
  exit_passphrase = 6,  ///< the passphrase is wrong or missing
};

constexpr const char* exit_codes_help =
  "Exit codes: 0 done, 1 other error, 2 usage error, 3 router unreachable,\n"
  "4 refused by the router, 5 refused by the bank (or no answer from it),\n"
  "6 wrong or missing passphrase.\n";

/// The exit status of an error, by what it says went wrong.
int exit_for(errc code) {
  switch (code) {
    case errc::wrong_passphrase:
    case errc::passphrase_required:
      return exit_passphrase;
    case errc::invalid_username:
    case errc::invalid_amount:
      return exit_usage;
    case errc::unreachable:
    case errc::connection_closed:
    case errc::timeout:
    case errc::busy:
    case errc::too_many_connections:
      return exit_unreachable;
    case errc::bank_unverified:
    case errc::insufficient_funds:
    case errc::unknown_account:
    case errc::conflicting_order:
      return exit_bank;
    case errc::unknown_user:
    case errc::username_taken:
    case errc::key_changed:
    case errc::rate_limited:
    case errc::not_authenticated:
    case errc::not_permitted:
    case errc::too_many_names:
    case errc::quota_exceeded:
    case errc::sending_too_fast:
    case errc::name_reserved:
    case errc::name_blocked:
    case errc::bundle_withdrawn:
    case errc::oversize:
    case errc::bad_envelope:
      return exit_router;
    default:
      return exit_other;
  }
}

/// Raised to leave with one sentence for a person and a code for scripts.
struct failure {
  errc code;
  std::string sentence;
  int status;
};

cli_options opts;

void print_json(boost::json::object obj) {
  std::cout << boost::json::serialize(obj) << std::endl;
}

[[noreturn]] void die(errc code, const std::string& sentence, int status) {
  throw failure{code, sentence, status};
}

[[noreturn]] void die(errc code, const std::string& sentence) {
  die(code, sentence, exit_for(code));
}

[[noreturn]] void die(const caf::error& err) {
  die(code_of(err), explain(err));
}

// The sentence an error carries, without the code's general description.
std::string detail_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return explain(err);
}

// UTC, ISO 8601 with milliseconds: what --json gives for every time.
std::string iso_time(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
  return std::string{buf} + frac;
}

/// Reads a passphrase from the variable `env` (`--passphrase-env` if
/// empty) or the terminal.
std::string read_passphrase(bool twice, std::string env = {},
                            const char* prompt = "passphrase: ") {
  if (env.empty())
    env = opts.passphrase_env;
  if (!env.empty()) {
    auto val = std::getenv(env.c_str());
    if (!val)
      die(errc::wrong_passphrase, "the variable " + env + " is not set");
    return val;
  }
  if (!isatty(STDIN_FILENO))
    die(errc::wrong_passphrase, "no passphrase: use --passphrase-env VAR or "
                                "run in a terminal");
  auto ask = [](const char* prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    auto quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
  };
  auto first = ask(prompt);
  if (twice && ask("again: ") != first)
    die(errc::wrong_passphrase, "the two passphrases differ");
  return first;
}

/// A name as people type it ("Dana", " bob") made the one the network
/// knows: trimmed and lower-cased once, where it enters, as the app does;
/// anything else the username rule refuses later with its sentence.
std::string normal_name(std::string name) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!name.empty() && blank(name.back()))
    name.pop_back();
  auto first = std::find_if_not(name.begin(), name.end(), blank);
  name.erase(name.begin(), first);
  for (auto& c : name)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return name;
}

void require_user() {
  if (!protocol::valid_username(opts.user))
    die(errc::invalid_username,
        opts.user.empty() ? "say who you are with --user NAME"
                          : protocol::username_rule);
}

std::string home_dir() {
  return user_dir(data_home(opts.home), opts.user);
}

// The fingerprint of the user's own key, kept beside the key so that
// showing it (to a bank operator, say) needs no passphrase.
std::string fingerprint_file() {
  return home_dir() + "/fingerprint";
}

void remember_fingerprint(const std::string& fp) {
  // Best effort: without it, `fingerprint` asks for the passphrase.
  (void) write_file_atomic(fingerprint_file(), fp + "\n", 0600);
}

// The remembered fingerprint of the user's own key, if any.
std::optional<std::string> remembered_fingerprint() {
  auto text = read_file(fingerprint_file());
  if (!text)
    return std::nullopt;
  auto fp = text->substr(0, text->find('\n'));
  if (!is_fingerprint(fp))
    return std::nullopt;
  return fp;
}

int cmd_init() {
  require_user();
  // Before any passphrase is asked for: it would be asked for nothing.
  if (std::filesystem::exists(home_dir() + "/identity.pem"))
    die(errc::io_error,
        opts.user + " has an identity already, in " + home_dir()
          + "; `courier-cli --user " + opts.user
          + " fingerprint` shows it (to start over, move that folder away)");
  caf::expected<crypto::key> key{crypto::key{}};
  if (opts.no_passphrase) {
    std::cerr << "warning: --no-passphrase: the identity key is stored "
                 "unencrypted; anyone who can read "
              << home_dir() << "/identity.pem can use it\n";
    key = create_plain_identity(home_dir(), opts.bits);
  } else {
    auto pass = read_passphrase(true);
    if (pass.empty())
      die(errc::passphrase_required,
          "an empty passphrase would leave the key unprotected: choose one, "
          "or pass --no-passphrase to store the key unencrypted");
    key = create_identity(home_dir(), opts.bits, pass);
    crypto::wipe(pass.data(), pass.size());
  }
  if (!key)
    die(key.error());
  auto fp = *crypto::fingerprint(*key);
  remember_fingerprint(fp);
  if (opts.json)
    print_json({{"ok", true}, {"user", opts.user}, {"fingerprint", fp},
                {"dir", home_dir()}});
  else
    std::cout << "created identity for " << opts.user << " in " << home_dir()
              << "\nfingerprint: " << fp << "\n";
  return 0;
}

/// Loads the identity; asks for a passphrase only if the key file has one.
crypto::key unlock() {
  require_user();
  if (!std::filesystem::exists(home_dir() + "/identity.pem"))
    die(errc::io_error,
        opts.user + " has no identity in " + home_dir()
          + ": make one with courier-cli"
          + (opts.home.empty() ? "" : " --home " + opts.home) + " --user "
          + opts.user + " init");
  auto locked = identity_has_passphrase(home_dir());
  if (!locked)
    die(locked.error());
  std::string pass;
  if (!*locked) {
    std::cerr << "warning: " << opts.user << "'s identity key is stored "
              << "unencrypted (made with --no-passphrase); anyone who can "
              << "read " << home_dir() << "/identity.pem can use it\n";
  } else if (opts.no_passphrase) {
    die(errc::wrong_passphrase,
        opts.user + "'s identity has a passphrase: drop --no-passphrase and "
                    "give it with --passphrase-env VAR or in a terminal");
  } else {
    pass = read_passphrase(false);
  }
  identity_notes notes;
  auto key = load_identity(home_dir(), pass, &notes);
  crypto::wipe(pass.data(), pass.size());
  if (!key) {
    if (code_of(key.error()) == errc::wrong_passphrase)
      die(errc::wrong_passphrase,
          "wrong passphrase for " + opts.user + "'s identity");
    die(key.error());
  }
  if (notes.upgraded)
    std::cerr << "note: " << opts.user << "'s identity key was re-encrypted "
              << "with a stronger key derivation\n";
  else if (notes.upgrade_error)
    std::cerr << "warning: could not re-encrypt " << opts.user
              << "'s identity key with a stronger key derivation ("
              << explain(notes.upgrade_error) << "); it still works\n";
  if (auto fp = crypto::fingerprint(*key); fp && remembered_fingerprint() != *fp)
    remember_fingerprint(*fp);
  return *key;
}

/// A connected client and the actor system around it.
struct connected_client {
  base_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  client_actor client;

  ~connected_client() {
    if (client)
      caf::anon_send(client, stop_atom::value);
  }
};

std::chrono::seconds timeout() {
  return std::chrono::seconds{opts.timeout};
}

// The routers of `--server` whose key this user has pinned.
std::set<std::string> pinned_routers(const std::vector<endpoint>& servers) {
  std::set<std::string> result;
  auto db = client_db::open(home_dir() + "/client.db");
  if (!db)
    return result; // the client opens it next, and says what is wrong
  for (auto& ep : servers)
    if (db->pinned("router", ep.to_string()))
      result.insert(ep.to_string());
  return result;
}

std::vector<endpoint> servers_of_options() {
  std::vector<endpoint> servers;
  if (!parse_endpoints(opts.servers, servers))
    die(errc::unreachable, "--server must be HOST:PORT[,HOST:PORT...]",
        exit_usage);
  return servers;
}

/// Connects and signs in; `pins` overrides `--server-fingerprint`.
void connect(connected_client& s, crypto::key identity,
             std::optional<std::map<std::string, std::string>> pins = {}) {
  client_config cc;
  cc.user = opts.user;
  cc.dir = home_dir();
  cc.identity = std::move(identity);
  cc.servers = servers_of_options();
  cc.reconnect = opts.stay_connected && cc.servers.size() > 1;
  if (pins) {
    cc.server_fingerprints = std::move(*pins);
  } else {
    auto given = parse_router_pins(opts.server_fingerprints, cc.servers);
    if (!given)
      die(code_of(given.error()), explain(given.error()), exit_usage);
    cc.server_fingerprints = std::move(*given);
  }
  if (!opts.bank_fingerprint.empty() && !is_fingerprint(opts.bank_fingerprint))
    die(errc::bank_unverified,
        "the bank fingerprint (--bank-fingerprint or "
        "COURIER_BANK_FINGERPRINT) must be 64 hex digits, as `courier-node "
        "bank-fingerprint` prints it",
        exit_usage);
  cc.bank_fingerprint = opts.bank_fingerprint;
  auto before = pinned_routers(cc.servers);
  auto explicit_pins = !cc.server_fingerprints.empty();
  auto servers = cc.servers;
  s.sys = std::make_unique<caf::actor_system>(s.cfg);
  auto spawned = spawn_client(*s.sys, cc);
  if (!spawned)
    die(spawned.error());
  s.client = *spawned;
  caf::scoped_actor self{*s.sys};
  std::string router_fp;
  self->request(s.client, timeout(), connect_atom::value)
    .receive([&](const std::string& fp, bool) { router_fp = fp; },
             [&](caf::error& err) {
               if (err == caf::sec::request_timeout)
                 die(errc::timeout, "the router did not answer in time");
               if (code_of(err) == errc::key_changed && !explicit_pins) {
                 auto addr = servers.size() == 1 ? servers.front().to_string()
                                                 : std::string{"HOST:PORT"};
                 die(errc::key_changed,
                     detail_of(err)
                       + ". If its operator did change it: courier-cli "
                         "--user " + opts.user + " --server " + addr
                       + " trust-router NEW_FINGERPRINT");
               }
               die(err);
             });
  // Trust on first use is a decision: say that it was made.
  if (!explicit_pins)
    for (auto& addr : pinned_routers(servers))
      if (before.count(addr) == 0)
        std::cerr << "note: pinned the key of the router at " << addr
                  << " on first use: " << router_fp
                  << " (compare it with the fingerprint its operator gives)\n";
}

// Looks `peer`'s key up (pinning it on first sight), and says so when it
// was pinned just now: trust on first use is a decision the user may check.
void look_up(connected_client& s, const std::string& peer) {
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), lookup_atom::value, peer)
    .receive(
      [&](const contact_key& k) {
        if (k.pinned_now)
          std::cerr << "note: pinned " << printable(k.user)
                    << "'s key on first use: " << k.fingerprint
                    << " (compare it with what `courier-cli --user "
                    << printable(k.user) << " fingerprint` shows "
                    << printable(k.user) << ")\n";
      },
      [](caf::error& err) { die(err); });
}

// Whether the recipient acknowledged `msg_id` already (the router's answer
// said "delivered" and the client recorded it before it answered us).
// Whether letters to `peer` go in a ratchet session (the key is cached
// after a send: no round trip).
bool forward_secret(connected_client& s, const std::string& peer) {
  bool result = false;
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), lookup_atom::value, peer)
    .receive([&](const contact_key& k) { result = k.forward_secret; },
             [](caf::error&) {});
  return result;
}

// What a person reads about a letter that is not forward secret.
std::string secrecy_note(bool forward_secret) {
  return forward_secret ? std::string{}
                        : " [not forward secret: sent as a letter v1]";
}

bool delivered(connected_client& s, const std::string& peer,
               const std::string& msg_id) {
  bool result = false;
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), history_atom::value, peer, uint32_t{20})
    .receive(
      [&](const std::vector<history_entry>& entries) {
        for (auto& e : entries)
          if (e.msg_id == msg_id)
            result = e.delivered;
      },
      [](caf::error&) {});
  return result;
}

int cmd_send(connected_client& s) {
  look_up(s, opts.to);
  caf::scoped_actor self{*s.sys};
  std::string msg_id;
  self->request(s.client, timeout(), send_atom::value, opts.to, opts.text)
    .receive([&](const std::string& id) { msg_id = id; },
             [](caf::error& err) { die(err); });
  auto state = delivered(s, opts.to, msg_id) ? "delivered" : "stored";
  bool fs = forward_secret(s, opts.to);
  if (opts.json)
    print_json({{"ok", true}, {"to", opts.to}, {"msg_id", msg_id},
                {"state", state}, {"forward_secret", fs}});
  else if (std::string{state} == "delivered")
    std::cout << "delivered to " << opts.to << " (" << msg_id << ")"
              << secrecy_note(fs) << "\n";
  else
    std::cout << "sent to " << opts.to << ": stored by the router until "
              << opts.to << " reads it (" << msg_id << ")" << secrecy_note(fs)
              << "\n";
  return 0;
}

std::string format_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

// Chat messages and payment notices; read receipts and typing letters are
// for apps.
bool shown_by_cli(const inbound_message& m) {
  if (!m.control)
    return true;
  auto c = control_of(m);
  return c && c->what == control_letter::kind::payment;
}

void print_message(const inbound_message& m) {
  if (opts.json)
    print_json({{"from", m.from}, {"to", m.to}, {"body", m.body},
                {"msg_id", m.msg_id}, {"sent_at", iso_time(m.sent_ts)},
                {"accepted_at", iso_time(m.accepted_ts)},
                {"forward_secret", m.forward_secret}});
  else if (auto c = control_of(m); c && c->what == control_letter::kind::payment)
    // Only a hint from the payer: the bank's history is what counts.
    std::cout << "[" << format_time(m.sent_ts) << "] " << printable(m.from)
              << " says they paid you "
              << bank::format_amount(c->payment.amount_minor)
              << " (transfer " << c->payment.transfer_id
              << "; `courier-cli history` shows the bank's word)" << std::endl;
  else
    // The marker comes before what the sender wrote, which cannot fake it.
    std::cout << "[" << format_time(m.sent_ts) << "] "
              << (m.forward_secret ? "" : "(not forward secret) ")
              << printable(m.from) << ": " << printable(m.body) << std::endl;
}

int cmd_recv(connected_client& s) {
  caf::scoped_actor self{*s.sys};
  // The blocking receive below handles what a listener hears.
  self->send(s.client, listen_atom::value,
             caf::actor_cast<listener_actor>(self));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{opts.wait};
  int received = 0;
  bool done = false;
  while (!done && (opts.count == 0 || received < opts.count)) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      break;
    self->receive(
      [&](message_atom, const inbound_message& m) {
        // Read receipts and typing indicators are for apps: taken (so the
        // router drops them), never printed or counted.
        if (!shown_by_cli(m))
          return true;
        print_message(m);
        ++received;
        return true;
      },
      [&](status_atom, const std::string& text) {
        std::cerr << "courier-cli: " << printable(text) << "\n";
        // What was not acknowledged comes again at the next recv.
        if (text == "disconnected")
          die(errc::connection_closed,
              "the router closed the connection; nothing is lost, and "
              "running recv again is safe");
      },
      caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left))
        >> [&] { done = true; });
  }
  // Let the last acknowledgement leave before the connection closes.
  caf::scoped_actor ping{*s.sys};
  ping->request(s.client, timeout(), online_atom::value,
                std::vector<std::string>{})
    .receive([](const std::vector<std::string>&) {}, [](caf::error&) {});
  if (received == 0)
    std::cerr << "courier-cli: no new messages\n";
  if (opts.count > 0 && received < opts.count)
    die(errc::timeout, "received " + std::to_string(received) + " of "
                         + std::to_string(opts.count) + " messages",
        exit_other);
  return 0;
}

// The user's contacts (pinned keys and history peers), for presence.
std::vector<std::string> contact_names(connected_client& s) {
  std::vector<std::string> names;
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), contacts_atom::value)
    .receive(
      [&](const std::vector<contact_key>& contacts) {
        for (auto& c : contacts)
          if (c.user != opts.user)
            names.push_back(c.user);
      },
      [](caf::error& err) { die(err); });
  return names;
}

// Which of `names` are online; any count, asked in bounded batches.
std::vector<std::string> online_of(connected_client& s,
                                   std::vector<std::string> names) {
  std::vector<std::string> result;
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), online_atom::value, std::move(names))
    .receive([&](std::vector<std::string>& on) { result = std::move(on); },
             [](caf::error& err) { die(err); });
  return result;
}

int cmd_online(connected_client& s) {
  auto names = opts.names.empty() ? contact_names(s) : opts.names;
  auto on = online_of(s, std::move(names));
  if (opts.json) {
    print_json({{"ok", true},
                {"online", boost::json::array(on.begin(), on.end())}});
    return 0;
  }
  for (auto& n : on)
    std::cout << printable(n) << "\n";
  return 0;
}

void print_contact(const contact_key& k, const char* note) {
  if (opts.json)
    print_json({{"ok", true}, {"user", k.user}, {"fingerprint", k.fingerprint},
                {"pinned_now", k.pinned_now}});
  else
    std::cout << printable(k.user) << ": " << printable(k.fingerprint) << note
              << "\n";
}

int cmd_fingerprint(connected_client* s, const crypto::key& identity) {
  if (opts.peer.empty() || opts.peer == opts.user) {
    contact_key k{opts.user, *crypto::fingerprint(identity), false};
    print_contact(k, "");
    return 0;
  }
  caf::scoped_actor self{*s->sys};
  self->request(s->client, timeout(), lookup_atom::value, opts.peer)
    .receive(
      [&](const contact_key& k) {
        print_contact(k, k.pinned_now ? " (pinned now, first seen)" : " (pinned)");
      },
      [](caf::error& err) { die(err); });
  return 0;
}

// The public half of the identity as a PEM PUBLIC KEY block: what an
// operator needs to re-bind the name to a new key (`courier-node admin
// rebind NAME --key FILE`).
int cmd_public_key(const crypto::key& identity) {
  auto der = identity.public_der();
  if (!der)
    die(der.error());
  auto b64 = crypto::to_base64(*der);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64)
    pem += b64.substr(i, 64) + "\n";
  pem += "-----END PUBLIC KEY-----\n";
  if (opts.json)
    print_json({{"ok", true}, {"user", opts.user}, {"public_key", pem}});
  else
    std::cout << pem << std::flush;
  return 0;
}

// The backup's own passphrase: `--backup-passphrase-env`, else that of
// `--passphrase-env`, else asked.
std::string read_backup_passphrase(bool twice) {
  return read_passphrase(twice, opts.backup_passphrase_env,
                         "backup passphrase: ");
}

int cmd_backup(const crypto::key& identity) {
  auto pass = read_backup_passphrase(true);
  auto err = write_backup(opts.file, {opts.user, identity}, pass);
  crypto::wipe(pass.data(), pass.size());
  if (err) {
    if (code_of(err) == errc::passphrase_required)
      die(errc::passphrase_required,
          "a backup needs a passphrase: nothing was written");
    die(err);
  }
  auto fp = *crypto::fingerprint(identity);
  if (opts.json)
    print_json({{"ok", true}, {"user", opts.user}, {"file", opts.file},
                {"fingerprint", fp}});
  else
    std::cout << "wrote a backup of " << opts.user << "'s identity to "
              << opts.file << "\nkeep the file and its passphrase apart: "
              << "whoever has both can sign in as " << opts.user << "\n";
  return 0;
}

// Brings a user back from a backup on a machine without their identity.
// Nothing is written unless everything checks out.
int cmd_restore() {
  auto pass = read_backup_passphrase(false);
  auto got = read_backup(opts.file, pass);
  crypto::wipe(pass.data(), pass.size());
  if (!got) {
    auto code = code_of(got.error());
    if (code == errc::wrong_passphrase)
      die(code, "the passphrase does not open " + opts.file
                  + "; nothing was written");
    die(code, explain(got.error()) + "; nothing was written");
  }
  if (!protocol::valid_username(got->user))
    die(errc::backup_damaged, "the backup names no valid user; nothing was"
                              " written");
  if (!opts.user.empty() && opts.user != got->user)
    die(errc::invalid_username, opts.file + " is " + got->user
                                  + "'s backup, not " + opts.user
                                  + "'s; nothing was written",
        exit_usage);
  opts.user = got->user;
  if (std::filesystem::exists(home_dir() + "/identity.pem"))
    die(errc::io_error, opts.user + " has an identity already, in "
                          + home_dir() + "; nothing was written (to restore,"
                          " move that folder away first)");
  caf::error err;
  if (opts.no_passphrase) {
    err = store_identity(home_dir(), got->identity, "", true);
  } else {
    auto key_pass = read_passphrase(true, {}, "new passphrase for the key: ");
    if (key_pass.empty())
      die(errc::passphrase_required,
          "an empty passphrase would leave the key unprotected: choose one; "
          "nothing was written");
    err = store_identity(home_dir(), got->identity, key_pass, false);
    crypto::wipe(key_pass.data(), key_pass.size());
  }
  if (err)
    die(err);
  auto fp = *crypto::fingerprint(got->identity);
  remember_fingerprint(fp);
  if (opts.json)
    print_json({{"ok", true}, {"user", opts.user}, {"fingerprint", fp},
                {"dir", home_dir()}});
  else
    std::cout << "restored " << opts.user << "'s identity in " << home_dir()
              << "\nfingerprint: " << fp
              << "\nthis is a new device: contacts start new conversations "
                 "with it; until you write to them, what they send on an "
                 "old one is lost\n";
  return 0;
}

int cmd_trust(connected_client& s) {
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), trust_atom::value, opts.peer,
                opts.fingerprint)
    .receive([&](const contact_key& k) { print_contact(k, " (trusted)"); },
             [](caf::error& err) { die(err); });
  return 0;
}

// Pins a router's new key: only the one its operator gave, and only once
// the router proved it holds it (the handshake checks the explicit pin).
int cmd_trust_router(const crypto::key& identity) {
  auto servers = servers_of_options();
  if (servers.size() != 1)
    die(errc::bad_encoding,
        "trust-router takes one router: --server HOST:PORT", exit_usage);
  auto addr = servers.front().to_string();
  if (!is_fingerprint(opts.fingerprint))
    die(errc::bad_encoding,
        "the new fingerprint must be 64 hex digits, as the router prints it "
        "at start (router fingerprint: ...)",
        exit_usage);
  // Shown as fingerprints are printed: groups of four hex digits.
  std::string fp;
  for (auto c : normalize_fingerprint(opts.fingerprint))
    fp += (fp.size() % 5 == 4 ? " " : "") + std::string(1, c);
  std::string old;
  if (auto db = client_db::open(home_dir() + "/client.db"))
    if (auto pin = db->pinned("router", addr))
      old = crypto::fingerprint_of_der(*pin);
  if (!opts.json) {
    std::cout << "the router at " << addr << "\n  old key: "
              << (old.empty() ? std::string{"(none pinned)"} : old)
              << "\n  new key: " << fp << "\n";
  }
  connected_client s;
  try {
    connect(s, identity, std::map<std::string, std::string>{{addr, fp}});
  } catch (const failure& f) {
    if (f.code != errc::key_changed)
      throw;
    die(errc::key_changed,
        "the router at " + addr + " does not hold the key " + fp
          + "; nothing was changed (check the fingerprint with its operator)");
  }
  if (opts.json)
    print_json({{"ok", true}, {"router", addr}, {"old_fingerprint", old},
                {"fingerprint", fp}});
  else
    std::cout << "pinned the new key: the router proved it holds it\n";
  return 0;
}

/// What the chat printer knows of the messages this user sent.
struct chat_printer_state {
  std::map<std::string, std::string> sent; ///< msg_id -> recipient
  std::set<std::string> early; ///< delivered before we knew them (bounded)
};

// Prints incoming messages and the states of what we sent while the main
// thread reads the keyboard. `send_atom` (msg_id, to) names a message the
// router took; its delivery notice may come before or after that.
caf::behavior chat_printer(caf::stateful_actor<chat_printer_state>* self) {
  return {
    [](message_atom, const inbound_message& m) {
      if (shown_by_cli(m))
        print_message(m);
      return true;
    },
    [](status_atom, const std::string& text) {
      std::cerr << "* " << printable(text) << std::endl;
    },
    [=](send_atom, const std::string& msg_id, const std::string& to) {
      std::cerr << "* sent to " << printable(to) << std::endl;
      auto& st = self->state;
      if (st.early.erase(msg_id) > 0)
        std::cerr << "* delivered to " << printable(to) << std::endl;
      else if (st.sent.size() < 100000)
        st.sent.emplace(msg_id, to);
    },
    [=](delivered_atom, const std::string& msg_id) {
      auto& st = self->state;
      auto it = st.sent.find(msg_id);
      if (it == st.sent.end()) {
        if (st.early.size() > 1000)
          st.early.clear();
        st.early.insert(msg_id);
        return;
      }
      std::cerr << "* delivered to " << printable(it->second) << std::endl;
      st.sent.erase(it);
    },
    // Answered once everything queued before it is printed.
    [](flush_atom) { return true; },
  };
}

constexpr const char* chat_commands =
  "* commands: /help (this), /online (which contacts are connected), /quit;\n"
  "  '@user message' writes to someone else; '//text' sends '/text'\n";

int cmd_chat(connected_client& s) {
  auto printer = s.sys->spawn(chat_printer);
  caf::anon_send(s.client, listen_atom::value,
                 caf::actor_cast<listener_actor>(printer));
  std::cerr << "signed in as " << opts.user << ". ";
  if (opts.peer.empty())
    std::cerr << "No default peer: write '@user message'.\n";
  else
    std::cerr << "Writing to " << printable(opts.peer)
              << " (the default peer): type a line to send it.\n";
  std::cerr << chat_commands << std::flush;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty())
      continue;
    if (line == "/quit")
      break;
    caf::scoped_actor self{*s.sys};
    if (line == "/online") {
      try {
        std::string all;
        for (auto& n : online_of(s, contact_names(s)))
          all += (all.empty() ? "" : ", ") + n;
        std::cerr << "* online: " << printable(all) << std::endl;
      } catch (const failure& f) {
        std::cerr << "* " << printable(f.sentence) << std::endl;
      }
      continue;
    }
    // A mistyped command must not reach the peer: '//' escapes a slash.
    if (line[0] == '/' && line.compare(0, 2, "//") != 0) {
      if (line != "/help")
        std::cerr << "* unknown command " << printable(line)
                  << "; nothing was sent\n";
      std::cerr << chat_commands << std::flush;
      continue;
    }
    auto to = opts.peer;
    auto body = line[0] == '/' ? line.substr(1) : line;
    if (line[0] == '@') {
      auto space = line.find(' ');
      to = normal_name(line.substr(1, space == std::string::npos
                                          ? std::string::npos
                                          : space - 1));
      body = space == std::string::npos ? "" : line.substr(space + 1);
    }
    if (to.empty() || body.empty()) {
      std::cerr << "* say who it is for: @user message" << std::endl;
      continue;
    }
    self->request(s.client, timeout(), send_atom::value, to, body)
      .receive(
        [&](const std::string& msg_id) {
          caf::anon_send(printer, send_atom::value, msg_id, to);
        },
        [&](caf::error& err) {
          std::cerr << "* not sent to " << printable(to) << ": "
                    << printable(explain(err)) << std::endl;
        });
  }
  // The client may have told the printer of a delivery just before /quit
  // (the router's answer said "delivered"): a round trip through the
  // client queues its notices ahead of the flush, so they are printed.
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), contacts_atom::value)
    .receive([](const std::vector<contact_key>&) {}, [](caf::error&) {});
  self->request(printer, timeout(), flush_atom::value)
    .receive([](bool) {}, [](caf::error&) {});
  caf::anon_send_exit(printer, caf::exit_reason::user_shutdown);
  return 0;
}

// -- bank ------------------------------------------------------------------------

// Sends an order to the bank and waits for the signed receipt that answers
// it (its letter signature was checked against the bank's pinned key).
bank::receipt bank_call(connected_client& s, const bank::order& o) {
  caf::scoped_actor self{*s.sys};
  // The blocking receive below handles what a listener hears.
  self->send(s.client, listen_atom::value,
             caf::actor_cast<listener_actor>(self));
  std::string msg_id;
  self->request(s.client, timeout(), send_atom::value,
                std::string{bank::bank_user}, bank::make_order(o))
    .receive([&](const std::string& id) { msg_id = id; },
             [](caf::error& err) {
               auto code = code_of(err);
               if (code == errc::unknown_user)
                 die(code,
                     "there is no bank at this router: the bank has never "
                     "signed in to it",
                     exit_bank);
               // The order did not leave: a matter of the bank unless
               // the router is gone.
               die(code, explain(err),
                   exit_for(code) == exit_unreachable ? exit_unreachable
                                                      : exit_bank);
             });
  auto deadline = std::chrono::steady_clock::now() + timeout();
  std::optional<bank::receipt> receipt;
  while (!receipt) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      die(errc::timeout,
          o.transfer_id.empty()
            ? std::string{"the bank did not answer in time"}
            : "the bank did not answer in time; retrying with --id "
                + o.transfer_id + " is safe",
          exit_bank);
    self->receive(
      [&](message_atom, const inbound_message& m) {
        if (m.from != bank::bank_user)
          return false; // not ours: leave it for `recv`
        if (auto r = bank::parse_receipt(m.body); r && r->re == msg_id)
          receipt = std::move(*r);
        return true; // stale receipts of earlier runs are consumed too
      },
      [&](status_atom, const std::string& text) {
        if (text == "disconnected")
          die(errc::connection_closed,
              o.transfer_id.empty()
                ? std::string{"the router closed the connection before the "
                              "bank answered"}
                : "the router closed the connection before the bank "
                  "answered; retrying with --id "
                    + o.transfer_id + " is safe");
      },
      caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left))
        >> [] {});
  }
  if (!receipt->ok) {
    auto sentence = "the bank refused: " + receipt->message;
    if (o.type == "issue" && receipt->code == errc::not_permitted)
      sentence += ". To become an operator with deploy/run.sh, make your "
                  "identity (courier-cli --user " + opts.user
                  + " init), then start run.sh again as COURIER_OPERATOR="
                  + opts.user + " ./deploy/run.sh";
    die(receipt->code, sentence, exit_bank);
  }
  return std::move(*receipt);
}

// An amount for --json: minor units, and as a person reads it.
void put_amount(boost::json::object& obj, const char* name, int64_t minor) {
  obj[std::string{name} + "_minor"] = minor;
  obj[name] = bank::format_amount(minor);
}

// A committed transfer for --json (history entries and pay/issue).
boost::json::object transfer_json(const bank::transfer_receipt& t) {
  boost::json::object obj{{"transfer_id", t.transfer_id}, {"kind", t.kind},
                          {"from", t.from}, {"to", t.to}, {"seq", t.seq},
                          {"at", iso_time(t.ts)}};
  put_amount(obj, "amount", t.amount_minor);
  put_amount(obj, "balance", t.balance_minor);
  return obj;
}

int cmd_open_account(connected_client& s) {
  bank::order o;
  o.type = "open_account";
  auto r = bank_call(s, o);
  if (opts.json) {
    boost::json::object obj{{"ok", true}, {"user", r.user},
                            {"created", r.created}};
    put_amount(obj, "balance", r.balance_minor);
    print_json(std::move(obj));
  } else {
    std::cout << (r.created ? "opened account " : "account ")
              << printable(r.user) << "; balance "
              << bank::format_amount(r.balance_minor) << "\n";
  }
  return 0;
}

int cmd_balance(connected_client& s) {
  bank::order o;
  o.type = "balance";
  auto r = bank_call(s, o);
  if (opts.json) {
    boost::json::object obj{{"ok", true}, {"user", r.user}};
    put_amount(obj, "balance", r.balance_minor);
    print_json(std::move(obj));
  } else {
    std::cout << bank::format_amount(r.balance_minor) << "\n";
  }
  return 0;
}

// The bank tells only the payer: the payee's app hears of the money from
// this notice (and then asks the bank). Not being able to tell is no
// failure of the payment.
void tell_payee(connected_client& s, const bank::transfer_receipt& t) {
  if (t.to == opts.user || t.to == bank::bank_user)
    return;
  caf::scoped_actor self{*s.sys};
  self->request(s.client, timeout(), paid_atom::value, t.to, t.transfer_id,
                t.amount_minor)
    .receive([](const std::string&) {},
             [&](caf::error& err) {
               if (!opts.json)
                 std::cerr << "note: " << printable(t.to)
                           << " was not told of the payment: "
                           << printable(explain(err)) << "\n";
             });
}

int cmd_transfer(connected_client& s, const std::string& type) {
  bank::order o;
  o.type = type;
  o.to = opts.to;
  o.transfer_id = opts.transfer_id.empty() ? crypto::random_uuid()
                                           : opts.transfer_id;
  // A payment's id comes first, so that a lost answer can be retried; an
  // issue refused to a non-operator should not suggest retrying.
  if (type != "issue" && !opts.json)
    std::cerr << "transfer id: " << o.transfer_id
              << " (to retry safely: --id " << o.transfer_id << ")\n";
  auto amount = bank::parse_amount(opts.amount);
  if (!amount)
    die(amount.error());
  o.amount_minor = *amount;
  auto r = bank_call(s, o);
  auto& t = r.transfer;
  tell_payee(s, t);
  if (opts.json) {
    auto obj = transfer_json(t);
    obj["ok"] = true;
    obj["replayed"] = t.replayed;
    print_json(std::move(obj));
    return 0;
  }
  std::cout << (type == "issue" ? "issued " : "paid ")
            << bank::format_amount(t.amount_minor) << " to " << printable(t.to)
            << " (transfer " << printable(t.transfer_id) << ", ledger #"
            << t.seq
            << (t.replayed ? ", already done before" : "") << "); "
            << (type == "issue" ? printable(t.to) + "'s" : "your")
            << " balance: " << bank::format_amount(t.balance_minor) << "\n";
  return 0;
}

int cmd_history(connected_client& s) {
  bank::order o;
  o.type = "history";
  o.limit = static_cast<uint32_t>(opts.limit);
  o.before = opts.before;
  auto r = bank_call(s, o);
  if (opts.json) {
    boost::json::array entries;
    for (auto& e : r.entries)
      entries.push_back(transfer_json(e));
    print_json({{"ok", true}, {"user", r.user}, {"entries", std::move(entries)}});
    return 0;
  }
  if (r.entries.empty())
    std::cerr << "courier-cli: no transfers yet\n";
  for (auto& e : r.entries) {
    bool out = e.from == opts.user;
    std::cout << "#" << e.seq << " " << format_time(e.ts) << " "
              << (out ? "-" : "+") << bank::format_amount(e.amount_minor)
              << (out ? " to " + printable(e.to)
                      : " from " + (e.kind == "issue" ? std::string{"issuance"}
                                                      : printable(e.from)))
              << "  balance " << bank::format_amount(e.balance_minor) << "\n";
  }
  return 0;
}

} // namespace

} // namespace courier

int main(int argc, char** argv) {
  using namespace courier;
  // The identity and the history in clear are the user's alone, whatever
  // umask the shell left.
  ::umask(077);
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"courier-cli: end-to-end encrypted messages through a Courier "
               "router"};
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(exit_codes_help);
  app.add_option("--home", opts.home, "data folder (default: XDG data home)");
  app.add_option("--user", opts.user, "your username");
  app.add_option("--server", opts.servers, "router(s): HOST:PORT[,HOST:PORT]")
    ->capture_default_str();
  app
    .add_option("--server-fingerprint", opts.server_fingerprints,
                "pin a router's key explicitly: FINGERPRINT (one router) or "
                "HOST:PORT=FINGERPRINT (repeat, one per router)")
    ->allow_extra_args(false);
  app
    .add_option("--bank-fingerprint", opts.bank_fingerprint,
                "the bank's key fingerprint (from its operator; `courier-node"
                " bank-fingerprint` prints it; also $COURIER_BANK_FINGERPRINT); "
                "orders go only to that key")
    ->envname("COURIER_BANK_FINGERPRINT");
  app.add_option("--passphrase-env", opts.passphrase_env,
                 "read the passphrase from this environment variable");
  app.add_option("--backup-passphrase-env", opts.backup_passphrase_env,
                 "backup, restore: read the backup's passphrase from this "
                 "environment variable (default: as --passphrase-env)");
  app.add_flag("--no-passphrase", opts.no_passphrase,
               "init, restore: store the key unencrypted (tests only; warns)");
  app.add_flag("--json", opts.json,
               "print JSON: one object per command (recv: per message)");
  app.add_option("--timeout", opts.timeout, "seconds to wait for the router")
    ->check(CLI::Range(1, 3600))
    ->capture_default_str();
  // Subcommand help lists these too: people type `courier-cli send --help`.
  std::string globals = "Options every command takes (before or after it):\n";
  for (const auto* opt : app.get_options()) {
    if (opt->get_name() == "--help")
      continue;
    auto name = opt->get_name() + (opt->get_items_expected_max() == 0 ? "" : " VALUE");
    globals += "  " + name + std::string(name.size() < 28 ? 28 - name.size() : 1, ' ')
               + opt->get_description();
    if (!opt->get_default_str().empty())
      globals += " (default: " + opt->get_default_str() + ")";
    globals += "\n";
  }
  auto init = app.add_subcommand("init", "create your identity key");
  init->add_option("--bits", opts.bits, "RSA key size: 2048, 3072 or 4096")
    ->check(CLI::IsMember({2048, 3072, 4096}))
    ->capture_default_str();
  auto send = app.add_subcommand("send", "send one message");
  send->add_option("to", opts.to, "recipient")->required();
  send->add_option("text", opts.text, "message text")->required();
  auto recv = app.add_subcommand("recv", "print received messages");
  recv->add_option("--wait", opts.wait, "seconds to wait (0-86400)")
    ->check(CLI::Range(0, 86400))
    ->capture_default_str();
  recv->add_option("--count", opts.count, "stop after N messages (0: no limit)")
    ->check(CLI::Range(0, 1000000));
  auto online = app.add_subcommand(
    "online", "which of these users (default: your contacts) are connected");
  online->add_option("names", opts.names, "users to ask about");
  auto chat = app.add_subcommand("chat", "interactive chat");
  chat->add_option("peer", opts.peer, "default recipient");
  auto fp = app.add_subcommand("fingerprint", "show a key fingerprint");
  fp->add_option("user", opts.peer, "whose (default: yours)");
  auto public_key = app.add_subcommand(
    "public-key", "print your public key (PEM), for an operator who re-binds "
                  "your name after you lost your old key");
  auto trust = app.add_subcommand("trust", "accept a contact's (new) key");
  trust->add_option("user", opts.peer, "contact")->required();
  trust->add_option("fingerprint", opts.fingerprint, "their fingerprint")
    ->required();
  auto trust_router = app.add_subcommand(
    "trust-router", "accept a router's new key (the one of --server), after "
                    "comparing it with its operator's");
  trust_router
    ->add_option("fingerprint", opts.fingerprint,
                 "the router's new fingerprint, from its operator")
    ->required();
  auto open_account = app.add_subcommand("open-account",
                                         "open your account at the bank");
  auto balance = app.add_subcommand("balance", "your balance");
  // A transfer id: what the bank takes (1-64 characters), printable.
  CLI::Validator transfer_id{
    [](std::string& id) -> std::string {
      auto ok = !id.empty() && id.size() <= 64;
      for (char c : id)
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-'
                    || c == '_' || c == '.');
      return ok ? "" : "a transfer id is 1-64 letters, digits, '-', '_' or '.'";
    },
    "ID"};
  auto pay = app.add_subcommand("pay", "pay someone (amount like 12.50)");
  pay->add_option("to", opts.to, "recipient")->required();
  pay->add_option("amount", opts.amount, "amount, at most two decimals")
    ->required();
  pay->add_option("--id", opts.transfer_id,
                  "transfer id (default: a new UUID; reuse it to retry "
                  "safely)")
    ->check(transfer_id);
  auto issue = app.add_subcommand("issue", "operators: issue new money");
  issue->add_option("to", opts.to, "recipient")->required();
  issue->add_option("amount", opts.amount, "amount")->required();
  issue->add_option("--id", opts.transfer_id, "transfer id (reuse to retry)")
    ->check(transfer_id);
  auto history = app.add_subcommand("history", "your transfers, newest first");
  history->add_option("--limit", opts.limit, "how many (1-100)")
    ->check(CLI::Range(1, 100))
    ->capture_default_str();
  history->add_option("--before", opts.before,
                      "only entries before this ledger number");
  auto backup = app.add_subcommand(
    "backup", "write your identity key to one file under a passphrase, "
              "to restore it on another machine");
  backup->add_option("file", opts.file, "the backup file to write (0600)")
    ->required();
  auto restore = app.add_subcommand(
    "restore", "bring your identity back from a backup file (--user is "
               "optional: the backup names you)");
  restore->add_option("file", opts.file, "the backup file")->required();
  for (auto* sub : app.get_subcommands({}))
    sub->footer(globals + exit_codes_help);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) // --help
      return app.exit(e);
    // The parse may have stopped before it reached --json.
    for (int i = 1; i < argc; ++i)
      opts.json = opts.json || std::string{argv[i]} == "--json";
    if (opts.json) {
      print_json({{"ok", false}, {"error", "usage"}, {"exit", int{exit_usage}},
                  {"message", e.what()}});
      return exit_usage;
    }
    app.exit(e);
    return exit_usage;
  }
  // Names are lower case on the network; "Dana" on a command line is dana.
  opts.user = normal_name(opts.user);
  opts.to = normal_name(opts.to);
  opts.peer = normal_name(opts.peer);
  for (auto& name : opts.names)
    name = normal_name(name);
  try {
    if (init->parsed())
      return cmd_init();
    if (restore->parsed())
      return cmd_restore();
    // Before any passphrase is asked for.
    if (backup->parsed() && std::filesystem::exists(opts.file))
      die(errc::io_error,
          opts.file + " exists already; choose another file name");
    if (pay->parsed() || issue->parsed()) {
      // Refuse a bad amount before anything is unlocked or sent.
      auto amount = bank::parse_amount(opts.amount);
      if (!amount)
        die(amount.error());
    }
    if (fp->parsed() && (opts.peer.empty() || opts.peer == opts.user)) {
      require_user();
      if (auto known = remembered_fingerprint()) {
        print_contact(contact_key{opts.user, *known, false}, "");
        return 0;
      }
    }
    auto identity = unlock();
    if (fp->parsed() && (opts.peer.empty() || opts.peer == opts.user))
      return cmd_fingerprint(nullptr, identity);
    if (trust_router->parsed())
      return cmd_trust_router(identity);
    if (public_key->parsed())
      return cmd_public_key(identity);
    if (backup->parsed())
      return cmd_backup(identity);
    opts.stay_connected = recv->parsed() || chat->parsed();
    connected_client s;
    connect(s, identity);
    if (send->parsed())
      return cmd_send(s);
    if (recv->parsed())
      return cmd_recv(s);
    if (online->parsed())
      return cmd_online(s);
    if (chat->parsed())
      return cmd_chat(s);
    if (fp->parsed())
      return cmd_fingerprint(&s, identity);
    if (trust->parsed())
      return cmd_trust(s);
    if (open_account->parsed())
      return cmd_open_account(s);
    if (balance->parsed())
      return cmd_balance(s);
    if (pay->parsed())
      return cmd_transfer(s, "transfer");
    if (issue->parsed())
      return cmd_transfer(s, "issue");
    if (history->parsed())
      return cmd_history(s);
  } catch (const failure& f) {
    // With --json the error is one object on stdout, and nothing else.
    if (opts.json)
      print_json({{"ok", false}, {"error", to_string(f.code)},
                  {"exit", f.status}, {"message", f.sentence}});
    else // the sentence may quote a router or the bank
      std::cerr << "courier-cli: " << printable(f.sentence) << "\n";
    return f.status;
  }
  return 0;
}
