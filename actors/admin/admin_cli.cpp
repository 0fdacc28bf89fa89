#include "actors/admin/admin_cli.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "actors/admin/admin_ops.hpp"
#include "actors/admin/admin_socket.hpp"
#include "actors/admin/backup.hpp"
#include "actors/admin/pg_migrate.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/envelope.hpp"
#include "crypto/key.hpp"

namespace courier::admin {

namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr const char* admin_usage =
  "usage: courier-node admin [--data=DIR | --store=URL] COMMAND\n"
  "  users                      every name: key fingerprint, registered, "
  "queued\n"
  "  queue NAME                 what waits for NAME\n"
  "  purge [--older-than-days=N]  delete queued messages older than N days "
  "(30)\n"
  "  rebind NAME --key=FILE [--yes]  bind NAME to the public key in FILE "
  "(lost key)\n"
  "  block NAME | unblock NAME  NAME cannot sign in or receive while blocked\n"
  "  audit                      what operators did, oldest first\n"
  "  migrate --data=DIR --store=URL  copy a stopped router's SQLite folder "
  "into the\n"
  "                             PostgreSQL store (once; a second run changes "
  "nothing)\n"
  "  sessions                   who is signed in at the running router "
  "(--data)\n"
  "  drain [--close-after=S]    the running router refuses new connections "
  "(busy):\n"
  "                             clients move to their next router; with "
  "S, open\n"
  "                             sessions end (busy) S seconds later and "
  "move too\n"
  "  --by=WHO                   who is recorded as doing a change (default: "
  "$SUDO_USER or your login name)\n"
  "On SQLite (--data) the router must be stopped for a change; on "
  "PostgreSQL\n(--store) routers may run: they ask the store at every "
  "sign-in.\n";

/// Parsed options: `--name=value`, `--name value` and flags.
struct options {
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
  std::vector<std::string> words;
};

// Reads `args`: options in `with_value` take a value (`--x=v` or `--x v`),
// those in `flag` none; anything else starting with `--` is a usage error.
bool parse(const std::vector<std::string>& args,
           const std::set<std::string>& with_value,
           const std::set<std::string>& flag, options& out,
           std::string& problem) {
  for (size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      out.words.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq == std::string::npos ? std::string::npos
                                                      : eq - 2);
    if (flag.count(name) > 0 && eq == std::string::npos) {
      out.flags.insert(name);
    } else if (with_value.count(name) > 0) {
      if (eq != std::string::npos)
        out.values[name] = arg.substr(eq + 1);
      else if (i + 1 < args.size())
        out.values[name] = args[++i];
      else {
        problem = "--" + name + " needs a value";
        return false;
      }
    } else {
      problem = "unknown option " + arg;
      return false;
    }
  }
  return true;
}

bool wants_help(const std::vector<std::string>& args) {
  for (auto& a : args)
    if (a == "--help" || a == "-h")
      return true;
  return false;
}

int fail(const caf::error& err) {
  const auto& ctx = err.context();
  auto sentence = ctx.size() > 0 && ctx.match_element<std::string>(0)
                    ? ctx.get_as<std::string>(0)
                    : explain(err);
  // The store's errors carry no libpq text (that is logged): say what to
  // check.
  if (code_of(err) == errc::store_unavailable && ctx.empty())
    sentence = "the PostgreSQL store cannot be reached; check --store and "
               "that PostgreSQL runs, then try again";
  std::cerr << "courier-node: " << sentence << std::endl;
  return exit_failed;
}

int usage_error(const std::string& sentence) {
  std::cerr << "courier-node: " << sentence << " (--help lists the options)"
            << std::endl;
  return exit_usage;
}

// Asks before a change that cannot be taken back; `--yes` answers for
// scripts. Anything but "yes" changes nothing.
bool confirmed(const options& opts) {
  if (opts.flags.count("yes") > 0)
    return true;
  std::cout << "Type 'yes' to go on: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    std::cout << std::endl;
    std::cerr << "courier-node: no answer; give --yes to confirm without a "
                 "prompt"
              << std::endl;
    return false;
  }
  if (answer != "yes") {
    std::cerr << "courier-node: not confirmed; nothing was changed"
              << std::endl;
    return false;
  }
  return true;
}

std::string size_text(uint64_t bytes) {
  if (bytes < 10 * 1024)
    return std::to_string(bytes) + " B";
  if (bytes < 10 * 1024 * 1024)
    return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

int cmd_users(target& t) {
  auto users = list_users(t);
  if (!users)
    return fail(users.error());
  std::cout << "name\tfingerprint\tregistered\tqueued\tstate\n";
  for (auto& r : *users)
    std::cout << r.user.name << "\t"
              << crypto::fingerprint_of_der(r.user.key) << "\t"
              << iso_time(r.user.created) << "\t" << r.queued << " ("
              << size_text(r.queued_bytes) << ")\t"
              << (r.user.blocked ? "blocked" : "active") << "\n";
  std::cout << users->size() << (users->size() == 1 ? " user" : " users")
            << std::endl;
  return 0;
}

int cmd_rebind(target& t, const std::string& name, const options& opts,
               const std::string& by) {
  auto file = opts.values.find("key");
  if (file == opts.values.end())
    return usage_error("rebind needs the user's new public key: --key=FILE "
                       "(`courier-cli --user " + name
                       + " public-key` prints it)");
  auto key = read_public_key(file->second);
  if (!key)
    return fail(key.error());
  auto old = current_key(t, name);
  if (!old)
    return fail(old.error());
  if (*old == *key) {
    std::cerr << "courier-node: '" << name
              << "' is bound to that key already; nothing was changed"
              << std::endl;
    return exit_failed;
  }
  std::cout << "Re-bind '" << name << "' to a new key.\n"
            << "  old key: " << crypto::fingerprint_of_der(*old) << "\n"
            << "  new key: " << crypto::fingerprint_of_der(*key) << "\n"
            << "Compare the new fingerprint with the user (`courier-cli "
               "--user " << name << " fingerprint`).\n"
            << "The old key's devices and prekeys are dropped; every "
               "contact will be warned that the key changed.\n";
  if (!confirmed(opts))
    return exit_failed;
  if (auto err = rebind(t, name, *key, by))
    return fail(err);
  std::cout << "'" << name << "' is bound to the new key" << std::endl;
  return 0;
}

// A router running on the folder of a block ends the name's open session
// and stops taking messages for it at once (no router there: nothing to
// tell).
int tell_running_router(const std::string& data, const std::string& name) {
  auto path = socket_path(data);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return 0;
  auto answer = ask(path, "block " + name);
  if (answer) {
    std::cout << "the running router: " << *answer << std::flush;
    return 0;
  }
  const auto& ctx = answer.error().context();
  auto sentence = ctx.size() > 0 && ctx.match_element<std::string>(0)
                    ? ctx.get_as<std::string>(0)
                    : explain(answer.error());
  if (sentence.rfind("no router is running", 0) == 0)
    return 0; // a socket left by a router that stopped
  std::cerr << "courier-node: the block is stored, but the running router "
               "did not take it ("
            << sentence << "); restart the router to end the open session "
               "of '"
            << name << "'" << std::endl;
  return exit_failed;
}

// Copies a router's SQLite folder (--data, run.sh's by default) into the
// PostgreSQL store (--store).
int cmd_migrate(options& opts, const std::string& default_data) {
  if (opts.words.size() != 1)
    return usage_error("migrate takes no name");
  if (opts.values.count("store") == 0)
    return usage_error("migrate needs --store=URL, the PostgreSQL store to "
                       "copy the router's folder (--data) into");
  auto data = opts.values.count("data") > 0 ? opts.values["data"]
                                            : default_data;
  auto by = opts.values.count("by") > 0 ? opts.values["by"] : operator_name();
  auto rep = migrate_to_postgresql(data, opts.values["store"], by);
  if (!rep)
    return fail(rep.error());
  if (!rep->done_before.empty()) {
    std::cout << data << " was migrated to this store before ("
              << rep->done_before << "); nothing was changed" << std::endl;
    return 0;
  }
  spdlog::info("admin: migrate of {} to PostgreSQL by {}: {} names, {} "
               "messages",
               data, by, rep->users, rep->messages);
  std::cout << "copied " << rep->users << " names (" << rep->users_present
            << " were there with the same key), " << rep->devices
            << " devices, " << rep->prekeys << " one-time prekeys, "
            << rep->messages << " queued messages, " << rep->blocked
            << " blocked names and " << rep->audit
            << " audit rows into the PostgreSQL store; start the routers "
               "with --store and keep this folder only for its router key"
            << std::endl;
  return 0;
}

} // namespace

int run_admin(std::vector<std::string> args, const std::string& default_data) {
  if (wants_help(args) || args.empty()) {
    std::cout << admin_usage;
    return args.empty() ? exit_usage : 0;
  }
  options opts;
  std::string problem;
  if (!parse(args,
             {"data", "store", "key", "by", "older-than-days", "close-after"},
             {"yes"}, opts, problem))
    return usage_error(problem);
  if (!opts.words.empty() && opts.words[0] == "migrate")
    return cmd_migrate(opts, default_data);
  if (opts.values.count("data") > 0 && opts.values.count("store") > 0)
    return usage_error("give --data (SQLite) or --store (PostgreSQL), not "
                       "both");
  if (opts.words.empty())
    return usage_error("no command given");
  auto cmd = opts.words[0];
  static const std::map<std::string, size_t> words_of{
    {"users", 1}, {"queue", 2},   {"purge", 1},  {"rebind", 2},
    {"block", 2}, {"unblock", 2}, {"audit", 1}, {"sessions", 1},
    {"drain", 1}};
  auto known = words_of.find(cmd);
  if (known == words_of.end())
    return usage_error("unknown admin command '" + cmd + "'");
  if (opts.words.size() != known->second)
    return usage_error(known->second == 2 ? cmd + " takes one username"
                                          : cmd + " takes no name");
  if (cmd == "sessions" || cmd == "drain") {
    // A running router answers on its admin socket.
    if (opts.values.count("store") > 0)
      return usage_error(cmd + " asks one running router: give its --data "
                               "folder");
    auto data = opts.values.count("data") > 0 ? opts.values["data"]
                                              : default_data;
    auto line = cmd;
    if (auto it = opts.values.find("close-after"); it != opts.values.end()) {
      char* end = nullptr;
      auto s = std::strtoll(it->second.c_str(), &end, 10);
      if (cmd != "drain" || it->second.empty() || *end != '\0' || s < 0
          || s > 86400)
        return usage_error("--close-after takes 0-86400 seconds, with drain");
      line += " " + std::to_string(s);
    }
    auto answer = ask(socket_path(data), line);
    if (!answer)
      return fail(answer.error());
    std::cout << *answer << std::flush;
    return 0;
  }
  std::string name = opts.words.size() > 1 ? opts.words[1] : "";
  if (!name.empty() && !protocol::valid_username(name))
    return usage_error("'" + name + "' is not a valid username");
  auto by = opts.values.count("by") > 0 ? opts.values["by"] : operator_name();
  // A re-bind and a purge need the router stopped (its directory caches
  // the keys, its store the queue sizes); a block is read at every sign-in.
  bool write = cmd == "rebind" || cmd == "purge";
  auto data = opts.values.count("data") > 0 ? opts.values["data"]
                                            : default_data;
  auto store = opts.values.count("store") > 0 ? opts.values["store"] : "";
  auto t = target::open(data, store, write);
  if (!t)
    return fail(t.error());
  if (cmd == "users")
    return cmd_users(**t);
  if (cmd == "queue") {
    auto q = queue_of(**t, name);
    if (!q)
      return fail(q.error());
    std::cout << name << ": " << q->first << " queued ("
              << size_text(q->second) << ")" << std::endl;
    return 0;
  }
  if (cmd == "purge") {
    int64_t days = 30;
    if (auto it = opts.values.find("older-than-days"); it != opts.values.end()) {
      char* end = nullptr;
      days = std::strtoll(it->second.c_str(), &end, 10);
      // 0 would delete every queued message: never what a purge means.
      if (it->second.empty() || *end != '\0' || days < 1 || days > 36500)
        return usage_error("--older-than-days takes 1-36500");
    }
    auto n = purge_expired(**t, std::chrono::hours{24 * days}, by);
    if (!n)
      return fail(n.error());
    std::cout << "deleted " << *n << " messages older than " << days
              << " days" << std::endl;
    return 0;
  }
  if (cmd == "rebind")
    return cmd_rebind(**t, name, opts, by);
  if (cmd == "block" || cmd == "unblock") {
    if (auto err = set_blocked(**t, name, cmd == "block", by))
      return fail(err);
    std::cout << "'" << name << "' is "
              << (cmd == "block" ? "blocked: it cannot sign in, and senders "
                                   "to it are refused"
                                 : "unblocked")
              << std::endl;
    if (cmd == "block" && store.empty())
      return tell_running_router(data, name);
    return 0;
  }
  // audit
  size_t actions = 0;
  auto err = (*t)->admin->each_audit([&](const audit_entry& e) {
    ++actions;
    std::cout << iso_time(e.at) << "\t" << e.by << "\t" << e.action << "\t"
              << e.name << "\t" << e.detail << "\n";
  });
  if (err)
    return fail(err);
  if (actions == 0)
    std::cout << "no admin actions recorded yet\n";
  std::cout << std::flush;
  return 0;
}

int run_backup(std::vector<std::string> args) {
  if (wants_help(args)) {
    std::cout << "usage: courier-node backup --data=DIR --to=FILE\n"
                 "Copies a router's or the bank's data folder into FILE "
                 "while the node runs\n(SQLite's online backup API); FILE "
                 "holds the node's keys: keep it private.\n";
    return 0;
  }
  options opts;
  std::string problem;
  if (!parse(args, {"data", "to"}, {}, opts, problem))
    return usage_error(problem);
  if (!opts.words.empty())
    return usage_error("unexpected '" + opts.words[0] + "'");
  if (opts.values.count("data") == 0 || opts.values.count("to") == 0)
    return usage_error("backup needs --data=DIR and --to=FILE");
  auto files = backup(opts.values["data"], opts.values["to"]);
  if (!files)
    return fail(files.error());
  uint64_t total = 0;
  for (auto& f : *files)
    total += f.size;
  spdlog::info("admin: backup of {} to {} by {}: {} files, {}",
               opts.values["data"], opts.values["to"], operator_name(),
               files->size(), size_text(total));
  for (auto& f : *files)
    std::cout << "  " << f.name << " (" << size_text(f.size)
              << (f.database ? ", database snapshot)" : ")") << "\n";
  std::cout << "backed up " << files->size() << " files of "
            << opts.values["data"] << " to " << opts.values["to"]
            << std::endl;
  return 0;
}

int run_restore(std::vector<std::string> args) {
  if (wants_help(args)) {
    std::cout << "usage: courier-node restore --from=FILE --data=DIR "
                 "[--force]\n"
                 "Puts a backup back into DIR (new or empty; --force "
                 "replaces the files of a\nstopped node's folder).\n";
    return 0;
  }
  options opts;
  std::string problem;
  if (!parse(args, {"data", "from"}, {"force"}, opts, problem))
    return usage_error(problem);
  if (!opts.words.empty())
    return usage_error("unexpected '" + opts.words[0] + "'");
  if (opts.values.count("data") == 0 || opts.values.count("from") == 0)
    return usage_error("restore needs --from=FILE and --data=DIR");
  auto files = restore(opts.values["from"], opts.values["data"],
                       opts.flags.count("force") > 0);
  if (!files)
    return fail(files.error());
  spdlog::info("admin: restore of {} into {} by {}: {} files",
               opts.values["from"], opts.values["data"], operator_name(),
               files->size());
  std::cout << "restored " << files->size() << " files into "
            << opts.values["data"] << std::endl;
  return 0;
}

} // namespace courier::admin
