// courier-cli and deploy/run.sh as people and scripts use them: whole
// processes on 127.0.0.1, checked by exit code, words and JSON shape.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "actors/common/fingerprint.hpp"
#include "actors/protocol/envelope.hpp"
#include "tests/support/harness.hpp"

using namespace courier::test;
using namespace std::chrono;

namespace {

// The exit codes courier-cli documents.
constexpr int exit_usage = 2;
constexpr int exit_unreachable = 3;
constexpr int exit_router = 4;
constexpr int exit_bank = 5;
constexpr int exit_passphrase = 6;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `text` as exactly one JSON object (and nothing else); empty if not.
boost::json::object only_object(const std::string& text) {
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return {};
  return v.as_object();
}

std::string str(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_string()
           ? std::string{it->value().get_string()}
           : std::string{};
}

int64_t num(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_int64() ? it->value().get_int64()
                                                   : -1;
}

// The keys of `obj` with the kind of each value: compared as a whole with
// the shape README.md documents for a command.
std::map<std::string, std::string> shape_of(const boost::json::object& obj) {
  std::map<std::string, std::string> out;
  for (auto& [key, value] : obj) {
    auto& kind = out[std::string{key}];
    if (value.is_string())
      kind = "string";
    else if (value.is_bool())
      kind = "bool";
    else if (value.is_int64() || value.is_uint64())
      kind = "int";
    else if (value.is_array())
      kind = "array";
    else if (value.is_object())
      kind = "object";
    else
      kind = "other";
  }
  return out;
}

using shape = std::map<std::string, std::string>;

bool is_true(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_bool() && it->value().get_bool();
}

bool iso_8601(const std::string& text) {
  static const std::regex form{
    R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"};
  return std::regex_match(text, form);
}

class cli_test : public ::testing::Test {
protected:
  void SetUp() override {
    router = router_process::start(dir / "router");
    for (auto user : {"alice", "bob"}) {
      auto r = init_identity(home(), user);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  std::string home() { return dir / "home"; }

  /// Waits until `user` is signed in at the router on `data` (courier-node
  /// admin sessions); false after a few seconds.
  bool signed_in(const std::string& data, const std::string& user) {
    auto deadline = steady_clock::now() + seconds{10};
    while (steady_clock::now() < deadline) {
      auto r = run({COURIER_NODE, "admin", "--data", data, "sessions"});
      if (has("\n" + r.out, "\n" + user + "\n"))
        return true;
      std::this_thread::sleep_for(milliseconds{50});
    }
    return false;
  }

  run_result as(const std::string& user, std::vector<std::string> args,
                const std::string& input = "") {
    return run(cli(home(), router.address(), user, std::move(args)),
               seconds{30}, input);
  }

  temp_dir dir;
  router_process router;
};

} // namespace

// Defect 6: a mistyped command must not reach the peer.
TEST_F(cli_test, chat_help_and_unknown_commands_print_the_commands_and_send_nothing) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto r = as("alice", {"chat", "bob"}, "/help\n/foo bar\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "unknown command /foo bar; nothing was sent")) << r.err;
  EXPECT_TRUE(has(r.err, "/online")) << r.err;
  auto got = as("bob", {"--json", "recv", "--wait", "2"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "") << "the peer received a command: " << got.out;
  // '//' sends a line that starts with a slash, on purpose.
  r = as("alice", {"chat", "bob"}, "//shrug\n/quit\n");
  got = as("bob", {"--json", "recv", "--wait", "5", "--count", "1"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(str(only_object(got.out), "body"), "/shrug") << got.out;
}

// Issue 16: a capital letter is the same name, for the user, a recipient,
// a contact and a chat peer, as in the app.
TEST_F(cli_test, capital_letters_in_names_are_lower_cased) {
  auto r = init_identity(home(), "Carol");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "fingerprint"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "carol: ")) << r.out;
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  r = as("CAROL", {"--json", "send", " Bob", "from carol"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(str(only_object(r.out), "to"), "bob") << r.out;
  r = as("Alice", {"chat", "BOB"}, "one\n@Bob two\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "Writing to bob (the default peer)")) << r.err;
  EXPECT_FALSE(has(r.err, "not sent")) << r.err;
  r = as("bob", {"--json", "recv", "--wait", "10", "--count", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"from carol\"")) << r.out;
  EXPECT_TRUE(has(r.out, "\"two\"")) << r.out;
  r = as("alice", {"fingerprint", "Bob"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "bob: ")) << r.out;
}

// Feedback in chat: who the default peer is, and what became of a line:
// sent (stored by the router) while bob is away, delivered once he is
// there and acknowledged it, even when /quit follows at once.
TEST_F(cli_test, chat_names_the_default_peer_and_shows_sent_states) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto r = as("alice", {"chat", "bob"}, "hello\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "Writing to bob (the default peer)")) << r.err;
  EXPECT_TRUE(has(r.err, "* sent to bob")) << r.err;
  EXPECT_FALSE(has(r.err, "delivered")) << "bob is offline: " << r.err;
  r = as("alice", {"chat"}, "/quit\n");
  EXPECT_TRUE(has(r.err, "No default peer")) << r.err;
  // bob listens, and the router answers a send once he acknowledged it.
  auto port = router.port;
  router.proc.stop();
  router = router_process::start(dir / "router", port, {"--ack-hold-ms=10000"});
  auto log = dir / "bob-recv.log";
  auto bob = process::start(cli(home(), router.address(), "bob",
                                {"recv", "--wait", "20", "--count", "2"}),
                            log);
  ASSERT_TRUE(signed_in(dir / "router", "bob")) << slurp(log);
  r = as("alice", {"chat", "bob"}, "again\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto sent = r.err.find("* sent to bob");
  auto delivered = r.err.find("* delivered to bob");
  EXPECT_NE(sent, std::string::npos) << r.err;
  EXPECT_NE(delivered, std::string::npos) << r.err;
  EXPECT_LT(sent, delivered) << r.err;
  EXPECT_TRUE(wait_for_text(log, "alice: again", seconds{5})) << slurp(log);
  bob.stop();
}

// Defect 10: a router's new key is named as the router's, and the CLI
// user is told how to accept it; trust-router pins it only once the router
// proved it holds the key given.
TEST_F(cli_test, a_changed_router_key_is_named_and_trust_router_pins_the_new_one) {
  ASSERT_EQ(as("alice", {"online"}).exit_code, 0);
  auto old_fp = router.fingerprint;
  auto port = router.port;
  router.proc.kill_hard();
  router = router_process::start(dir / "new-router", port);
  auto r = as("alice", {"online"});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  EXPECT_TRUE(has(r.err, "the router's key")) << r.err;
  EXPECT_FALSE(has(r.err, "user's key")) << r.err;
  EXPECT_TRUE(has(r.err, "trust-router")) << r.err;
  // A fingerprint the router does not hold changes nothing.
  r = as("alice", {"trust-router", std::string(64, 'a')});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  EXPECT_TRUE(has(r.err, "nothing was changed")) << r.err;
  EXPECT_EQ(as("alice", {"online"}).exit_code, exit_router);
  r = as("alice", {"trust-router", "not-a-fingerprint"});
  EXPECT_EQ(r.exit_code, exit_usage) << r.err;
  // The right one: old and new are shown, and the new one is pinned.
  r = as("alice", {"trust-router", router.fingerprint});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "old key: " + old_fp)) << r.out;
  EXPECT_TRUE(has(r.out, "new key: " + router.fingerprint)) << r.out;
  r = as("alice", {"online"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(cli_test, help_of_a_command_lists_the_global_options_and_exit_codes) {
  for (auto command : {"send", "recv", "pay", "trust-router"}) {
    auto r = run({COURIER_CLI, command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    for (auto option : {"--server", "--user", "--home", "--json", "--timeout",
                        "--passphrase-env", "--bank-fingerprint"})
      EXPECT_TRUE(has(r.out, option)) << command << " lacks " << option;
    EXPECT_TRUE(has(r.out, "2 usage error")) << r.out;
    EXPECT_TRUE(has(r.out, "6 wrong or missing passphrase")) << r.out;
  }
}

TEST_F(cli_test, node_help_shows_each_commands_own_options_and_defaults) {
  auto bank = run({COURIER_NODE, "bank", "--help"});
  EXPECT_EQ(bank.exit_code, 0);
  EXPECT_TRUE(has(bank.out, "--operator")) << bank.out;
  auto audit = run({COURIER_NODE, "bank-audit", "--help"});
  EXPECT_EQ(audit.exit_code, 0);
  EXPECT_TRUE(has(audit.out, "bank-audit")) << audit.out;
  EXPECT_TRUE(has(audit.out, "--data")) << audit.out;
  EXPECT_FALSE(has(audit.out, "--operator")) << audit.out;
  EXPECT_FALSE(has(audit.out, "--server")) << audit.out;
  // The router's defaults, the data folder too: run.sh's folder.
  auto router_help = run({"/usr/bin/env", "-u", "COURIER_DATA", "-u",
                          "XDG_DATA_HOME", "HOME=/home/someone", COURIER_NODE,
                          "router", "--help"});
  EXPECT_EQ(router_help.exit_code, 0);
  EXPECT_TRUE(has(router_help.out,
                  "(default: \"/home/someone/.local/share/courier/nodes/"
                  "router\")"))
    << router_help.out;
  EXPECT_TRUE(has(router_help.out, "(default: \"127.0.0.1:7400\")"));
  EXPECT_TRUE(has(router_help.out, "(default: 50)")); // --ack-hold-ms
}

TEST_F(cli_test, each_kind_of_failure_has_its_own_exit_code) {
  // Usage: unknown options and out-of-range values.
  EXPECT_EQ(as("alice", {"--no-such-option", "online"}).exit_code, exit_usage);
  EXPECT_EQ(as("alice", {"--timeout", "0", "online"}).exit_code, exit_usage);
  EXPECT_EQ(as("alice", {"recv", "--wait", "-1"}).exit_code, exit_usage);
  EXPECT_EQ(as("alice", {"pay", "bob", "1", "--id", "no spaces"}).exit_code,
            exit_usage);
  EXPECT_EQ(as("alice", {"pay", "bob", "1", "--id", std::string(65, 'a')})
              .exit_code,
            exit_usage);
  EXPECT_EQ(as("alice", {"pay", "bob", "1.234"}).exit_code, exit_usage);
  EXPECT_EQ(as("alice", {"history", "--limit", "0"}).exit_code, exit_usage);
  // Unreachable router.
  auto r = run(cli(home(), "127.0.0.1:1", "alice", {"online"}));
  EXPECT_EQ(r.exit_code, exit_unreachable) << r.err;
  // Refused by the router.
  r = as("alice", {"send", "nobody", "hello?"});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  // The bank: no fingerprint configured, so no order goes out.
  r = run({"/usr/bin/env", "-u", "COURIER_BANK_FINGERPRINT", COURIER_CLI,
           "--home", home(), "--server", router.address(), "--user", "alice",
           "balance"});
  EXPECT_EQ(r.exit_code, exit_bank) << r.err;
  EXPECT_TRUE(has(r.err, "bank")) << r.err;
  // Wrong passphrase.
  setenv("COURIER_CLI_TEST_PASS", "right horse battery", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--passphrase-env",
           "COURIER_CLI_TEST_PASS", "init", "--bits", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  setenv("COURIER_CLI_TEST_PASS", "wrong horse", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--server",
           router.address(), "--passphrase-env", "COURIER_CLI_TEST_PASS",
           "online"});
  EXPECT_EQ(r.exit_code, exit_passphrase) << r.err;
}

TEST_F(cli_test, json_errors_are_one_object_on_stdout) {
  auto r = as("alice", {"--json", "send", "nobody", "hello?"});
  EXPECT_EQ(r.exit_code, exit_router);
  auto obj = only_object(r.out);
  EXPECT_EQ(str(obj, "error"), "unknown_user") << r.out;
  EXPECT_EQ(num(obj, "exit"), exit_router) << r.out;
  EXPECT_FALSE(str(obj, "message").empty()) << r.out;
  EXPECT_FALSE(has(r.err, "courier-cli:")) << r.err;
  // Usage errors too.
  r = as("alice", {"--json", "recv", "--wait", "-1"});
  EXPECT_EQ(r.exit_code, exit_usage);
  EXPECT_EQ(str(only_object(r.out), "error"), "usage") << r.out;
  EXPECT_EQ(r.err, "");
}

// README's --json table: init, public-key and trust, each one object on
// stdout with the documented keys and kinds.
TEST_F(cli_test, json_init_public_key_and_trust_have_the_documented_shapes) {
  auto r = run({COURIER_CLI, "--home", home(), "--user", "Carol", "--json",
                "--no-passphrase", "init", "--bits", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto made = only_object(r.out);
  EXPECT_EQ(shape_of(made), (shape{{"ok", "bool"},
                                   {"user", "string"},
                                   {"fingerprint", "string"},
                                   {"dir", "string"}}))
    << r.out;
  EXPECT_TRUE(is_true(made, "ok")) << r.out;
  EXPECT_EQ(str(made, "user"), "carol") << r.out;
  EXPECT_EQ(str(made, "fingerprint"), user_fingerprint(home(), "carol"));
  EXPECT_EQ(str(made, "dir"), home() + "/carol") << r.out;
  EXPECT_TRUE(std::filesystem::is_directory(str(made, "dir"))) << r.out;
  // A second init fails as one object too.
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--json",
           "init"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(num(only_object(r.out), "exit"), 1) << r.out;
  // public-key: the PEM that the plain command prints, in a string.
  auto pem = run({COURIER_CLI, "--home", home(), "--user", "carol",
                  "public-key"});
  ASSERT_EQ(pem.exit_code, 0) << pem.err;
  ASSERT_TRUE(has(pem.out, "-----BEGIN PUBLIC KEY-----\n")) << pem.out;
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--json",
           "public-key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto pub = only_object(r.out);
  EXPECT_EQ(shape_of(pub), (shape{{"ok", "bool"},
                                  {"user", "string"},
                                  {"public_key", "string"}}))
    << r.out;
  EXPECT_TRUE(is_true(pub, "ok")) << r.out;
  EXPECT_EQ(str(pub, "user"), "carol");
  EXPECT_EQ(str(pub, "public_key"), pem.out);
  // trust: bob's key as the router has it, given by its fingerprint.
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto bob_fp = user_fingerprint(home(), "bob");
  ASSERT_FALSE(bob_fp.empty());
  r = as("alice", {"--json", "trust", "bob",
                   courier::normalize_fingerprint(bob_fp)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto trusted = only_object(r.out);
  EXPECT_EQ(shape_of(trusted), (shape{{"ok", "bool"},
                                      {"user", "string"},
                                      {"fingerprint", "string"},
                                      {"pinned_now", "bool"}}))
    << r.out;
  EXPECT_TRUE(is_true(trusted, "ok")) << r.out;
  EXPECT_EQ(str(trusted, "user"), "bob");
  EXPECT_EQ(str(trusted, "fingerprint"), bob_fp) << r.out;
  // Whether this call pinned it depends on what alice had: trusting the
  // same key again pins nothing new.
  bool first = is_true(trusted, "pinned_now");
  r = as("alice", {"--json", "trust", "bob",
                   courier::normalize_fingerprint(bob_fp)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto again = only_object(r.out);
  EXPECT_FALSE(is_true(again, "pinned_now")) << r.out << " (first: " << first
                                              << ")";
  // A fingerprint the router does not have for bob: the error object.
  r = as("alice", {"--json", "trust", "bob", std::string(64, 'a')});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  auto refused = only_object(r.out);
  EXPECT_EQ(shape_of(refused), (shape{{"ok", "bool"},
                                      {"error", "string"},
                                      {"exit", "int"},
                                      {"message", "string"}}))
    << r.out;
  EXPECT_EQ(str(refused, "error"), "key_changed") << r.out;
  EXPECT_FALSE(has(r.err, "courier-cli:")) << r.err;
}

// README's --json table: trust-router (a router that came back with a new
// key) and open-account (at a bank behind it).
TEST_F(cli_test, json_trust_router_and_open_account_have_the_documented_shapes) {
  ASSERT_EQ(as("alice", {"online"}).exit_code, 0);
  auto old_fp = router.fingerprint;
  auto key = run({COURIER_NODE, "bank-fingerprint", "--data=" + (dir / "bank")});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  auto bank_fp = key.out.substr(0, key.out.find('\n'));
  auto port = router.port;
  router.proc.stop();
  router = router_process::start(dir / "new-router", port,
                                 {"--reserve=bank=" + bank_fp});
  ASSERT_NE(router.fingerprint, old_fp);
  auto bank_log = dir / "bank.log";
  auto bank = process::start({COURIER_NODE, "bank",
                              "--server=" + router.address(),
                              "--data=" + (dir / "bank")},
                             bank_log);
  ASSERT_TRUE(wait_for_text(bank_log, "bank signed in", seconds{10}))
    << slurp(bank_log);
  auto r = as("alice", {"--json", "trust-router",
                        courier::normalize_fingerprint(router.fingerprint)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto pinned = only_object(r.out);
  EXPECT_EQ(shape_of(pinned), (shape{{"ok", "bool"},
                                     {"router", "string"},
                                     {"old_fingerprint", "string"},
                                     {"fingerprint", "string"}}))
    << r.out;
  EXPECT_TRUE(is_true(pinned, "ok")) << r.out;
  EXPECT_EQ(str(pinned, "router"), router.address());
  EXPECT_EQ(str(pinned, "old_fingerprint"), old_fp) << r.out;
  EXPECT_EQ(str(pinned, "fingerprint"), router.fingerprint) << r.out;
  // open-account: created once, then the same account again.
  auto open = [&] {
    return as("alice", {"--json", "--bank-fingerprint", bank_fp,
                        "open-account"});
  };
  for (bool first : {true, false}) {
    r = open();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto opened = only_object(r.out);
    EXPECT_EQ(shape_of(opened), (shape{{"ok", "bool"},
                                       {"user", "string"},
                                       {"created", "bool"},
                                       {"balance_minor", "int"},
                                       {"balance", "string"}}))
      << r.out;
    EXPECT_TRUE(is_true(opened, "ok")) << r.out;
    EXPECT_EQ(str(opened, "user"), "alice");
    EXPECT_EQ(is_true(opened, "created"), first) << r.out;
    EXPECT_EQ(num(opened, "balance_minor"), 0) << r.out;
    EXPECT_EQ(str(opened, "balance"), "0.00") << r.out;
  }
  bank.stop();
}

TEST_F(cli_test, json_send_says_stored_or_delivered_and_recv_gives_iso_times) {
  // bob is offline: the router stores the message.
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto r = as("alice", {"--json", "send", "bob", "one"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sent = only_object(r.out);
  EXPECT_EQ(str(sent, "state"), "stored") << r.out;
  EXPECT_EQ(str(sent, "to"), "bob");
  EXPECT_FALSE(str(sent, "msg_id").empty());
  r = as("bob", {"--json", "recv", "--wait", "5", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = only_object(r.out);
  EXPECT_EQ(str(got, "body"), "one");
  EXPECT_TRUE(iso_8601(str(got, "sent_at"))) << r.out;
  EXPECT_TRUE(iso_8601(str(got, "accepted_at"))) << r.out;
  // bob is listening, and the router waits for his ack before it answers.
  auto port = router.port;
  router.proc.stop();
  router = router_process::start(dir / "router", port, {"--ack-hold-ms=10000"});
  auto log = dir / "bob-recv.log";
  auto bob = process::start(cli(home(), router.address(), "bob",
                                {"--json", "recv", "--wait", "20", "--count",
                                 "1"}),
                            log);
  auto deadline = steady_clock::now() + seconds{15};
  while (!has(as("alice", {"online", "bob"}).out, "bob")) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(log);
    std::this_thread::sleep_for(milliseconds{50});
  }
  r = as("alice", {"--json", "send", "bob", "two"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(str(only_object(r.out), "state"), "delivered") << r.out;
  bob.stop();
}

TEST_F(cli_test, people_are_told_what_happened) {
  // Trust on first use is said once, for the router and for a contact.
  auto r = as("alice", {"online"});
  EXPECT_TRUE(has(r.err, "pinned the key of the router")) << r.err;
  r = as("alice", {"online"});
  EXPECT_FALSE(has(r.err, "pinned")) << r.err;
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  r = as("alice", {"send", "bob", "hi"});
  EXPECT_TRUE(has(r.err, "pinned bob's key on first use")) << r.err;
  r = as("alice", {"send", "bob", "hi again"});
  EXPECT_FALSE(has(r.err, "pinned")) << r.err;
  // Nothing new is said on stderr; stdout stays empty for scripts.
  ASSERT_EQ(as("bob", {"recv", "--wait", "5", "--count", "2"}).exit_code, 0);
  r = as("bob", {"recv", "--wait", "0"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(has(r.err, "no new messages")) << r.err;
  // Your own fingerprint needs no passphrase, and a second init stops
  // before it asks for one.
  setenv("COURIER_CLI_TEST_PASS", "right horse battery", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "dave", "--passphrase-env",
           "COURIER_CLI_TEST_PASS", "init", "--bits", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({COURIER_CLI, "--home", home(), "--user", "dave", "fingerprint"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "dave: ")) << r.out;
  r = run({COURIER_CLI, "--home", home(), "--user", "dave", "init"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "has an identity already")) << r.err;
  EXPECT_FALSE(has(r.err, "passphrase")) << r.err;
}

// A router that ends an idle session says `timeout` (its deadline, not
// the command's): the person is told that the router closed the
// connection and that trying again is safe, not that something took too
// long.
TEST_F(cli_test, a_session_the_router_cuts_is_called_closed_and_safe_to_retry) {
  // The first idle check comes at the handshake deadline.
  auto idle = router_process::start(
    dir / "idle", 0, {"--idle-timeout-ms=500", "--handshake-timeout-ms=2000"});
  auto r = run(cli(home(), idle.address(), "bob",
                   {"--json", "recv", "--wait", "20"}),
               seconds{30});
  EXPECT_EQ(r.exit_code, exit_unreachable) << r.err;
  auto said = only_object(r.out);
  EXPECT_EQ(str(said, "error"), "connection_closed") << r.out;
  EXPECT_TRUE(has(str(said, "message"), "closed the connection")) << r.out;
  EXPECT_TRUE(has(str(said, "message"), "safe")) << r.out;
  // What the client heard from the router on the way, too.
  EXPECT_TRUE(has(r.err, "router closed the connection")) << r.err;
  EXPECT_TRUE(has(r.err, "trying again is safe")) << r.err;
  EXPECT_FALSE(has(r.err + r.out, "too long")) << r.err;
  EXPECT_TRUE(has(slurp(idle.log), "reason=idle_timeout")) << slurp(idle.log);
}

// -- deploy/run.sh ----------------------------------------------------------

// courier-node admin on a router's folder: a blocked name cannot sign in,
// its open session ends with the reason, and senders to it are refused,
// all at once on the running router.
TEST_F(cli_test, admin_block_refuses_sign_in_and_senders_to_the_name) {
  ASSERT_EQ(as("alice", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "before"}).exit_code, 0);
  auto bob_log = dir / "bob-recv.log";
  auto bob = process::start(
    cli(home(), router.address(), "bob", {"recv", "--wait", "20"}), bob_log);
  ASSERT_TRUE(signed_in(dir / "router", "bob")) << slurp(bob_log);
  // A sender the router checks alone (the CLI also asks for bob's key).
  courier::test::raw_client dana{router.port};
  ASSERT_TRUE(dana.login("dana", test_key("dana")));
  auto admin = [&](std::vector<std::string> args,
                   const std::string& input = "") {
    args.insert(args.begin(), {COURIER_NODE, "admin", "--data",
                               dir / "router"});
    return run(args, seconds{30}, input);
  };
  auto r = admin({"block", "bob", "--by", "ops"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "1 session(s) of 'bob' closed")) << r.out;
  EXPECT_TRUE(wait_for_text(bob_log, "blocked by this service's operator",
                            seconds{5}))
    << slurp(bob_log);
  auto stopped = steady_clock::now() + seconds{5};
  while (bob.running() && steady_clock::now() < stopped)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(bob.running()) << slurp(bob_log);
  dana.send_sealed(courier::protocol::make_envelope(
    "send", "s1", {{"to", "bob"}, {"blob", "for bob"}}));
  auto answer = dana.read_sealed();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(has(*answer, "name_blocked")) << *answer;
  r = as("alice", {"send", "bob", "still there?"});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  EXPECT_TRUE(has(r.err, "blocked")) << r.err;
  r = as("bob", {"recv", "--wait", "0"});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  EXPECT_TRUE(has(r.err, "blocked")) << r.err;
  // A re-bind needs the router stopped.
  r = admin({"rebind", "alice", "--key", dir / "none.pem", "--yes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "stop it first") || has(r.err, "cannot read")) << r.err;
  r = admin({"users"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex{R"(\nbob\t[0-9a-f ]{79}\t[0-9T:-]+Z\t0 \(0 B\)\tblocked\n)"}))
    << r.out;
  ASSERT_EQ(admin({"unblock", "bob"}).exit_code, 0);
  EXPECT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  r = admin({"audit"});
  EXPECT_TRUE(has(r.out, "\tops\tblock\tbob")) << r.out;
  EXPECT_TRUE(has(r.out, "\tunblock\tbob")) << r.out;
}

// The running router's admin socket: who is signed in, and a drain that
// refuses new connections with `busy` (clients move to their next router)
// while open sessions run on.
TEST_F(cli_test, admin_lists_sessions_and_drains_a_running_router) {
  auto admin = [&](const std::string& cmd, const std::string& data) {
    return run({COURIER_NODE, "admin", "--data", data, cmd});
  };
  EXPECT_EQ(mode_of(dir / "router/admin.sock"), 0600);
  raw_client dana{router.port};
  ASSERT_TRUE(dana.login("dana", test_key("dana")));
  auto r = admin("sessions", dir / "router");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "dana\n");
  r = admin("drain", dir / "router");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "draining")) << r.out;
  raw_client late{router.port};
  auto refusal = late.read_frame(seconds{2});
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(has(*refusal, "busy")) << *refusal;
  EXPECT_EQ(admin("sessions", dir / "router").out, "dana\n");
  r = admin("sessions", dir / "nothing-here");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "no router is running")) << r.err;
}

// A drain with --close-after ends the open sessions with `busy`: a client
// given two routers connects again, is refused by the draining one and
// goes on at the other, where it still receives.
TEST_F(cli_test, admin_drain_moves_open_sessions_to_the_next_router) {
  auto other = router_process::start(dir / "router-b");
  auto both = router.address() + "," + other.address();
  auto bob_log = dir / "bob-recv.log";
  auto bob = process::start(
    cli(home(), both, "bob", {"recv", "--count", "1", "--wait", "20"}),
    bob_log);
  ASSERT_TRUE(signed_in(dir / "router", "bob")) << slurp(bob_log);
  auto r = run({COURIER_NODE, "admin", "--data", dir / "router", "drain",
                "--close-after", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "closed (busy) in 0 s")) << r.out;
  ASSERT_TRUE(signed_in(dir / "router-b", "bob")) << slurp(bob_log);
  EXPECT_EQ(run({COURIER_NODE, "admin", "--data", dir / "router",
                 "sessions"}).out,
            "");
  r = run(cli(home(), other.address(), "alice", {"send", "bob", "moved"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto done = steady_clock::now() + seconds{10};
  while (bob.running() && steady_clock::now() < done)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(bob.running());
  EXPECT_TRUE(has(slurp(bob_log), "alice: moved")) << slurp(bob_log);
  EXPECT_TRUE(has(slurp(bob_log), "reconnecting")) << slurp(bob_log);
  r = run({COURIER_NODE, "admin", "--data", dir / "router", "drain",
           "--close-after", "x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// The lost-key path: alice makes a new key, the operator re-binds her name
// to it on the stopped router, she signs in with it, and bob, who pinned
// her old key, is told that her key changed.
TEST_F(cli_test, admin_rebind_lets_the_new_key_sign_in_and_contacts_see_the_change) {
  ASSERT_EQ(as("alice", {"recv", "--wait", "0"}).exit_code, 0);
  auto pinned = as("bob", {"fingerprint", "alice"});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  ASSERT_TRUE(router.proc.stop());
  std::filesystem::rename(home() + "/alice", dir / "alice-lost");
  ASSERT_EQ(init_identity(home(), "alice").exit_code, 0);
  auto pem = run({COURIER_CLI, "--home", home(), "--user", "alice",
                  "public-key"});
  ASSERT_EQ(pem.exit_code, 0) << pem.err;
  {
    std::ofstream out{dir / "alice.pub"};
    out << pem.out;
  }
  auto new_fp = user_fingerprint(home(), "alice");
  std::vector<std::string> rebind{COURIER_NODE, "admin", "--data",
                                  dir / "router", "rebind", "alice", "--key",
                                  dir / "alice.pub"};
  auto r = run(rebind, seconds{30}, "no\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.out, new_fp)) << r.out;
  EXPECT_TRUE(has(r.err, "nothing was changed")) << r.err;
  r = run(rebind, seconds{30}, "yes\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "old key: ")) << r.out;
  router = router_process::start(dir / "router");
  r = as("alice", {"recv", "--wait", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = as("bob", {"send", "alice", "is this you?"});
  EXPECT_EQ(r.exit_code, exit_router) << r.err;
  EXPECT_TRUE(has(r.err, "changed")) << r.err;
  r = run({COURIER_NODE, "admin", "--data", dir / "router", "audit"});
  EXPECT_TRUE(has(r.out, "\trebind\talice\told key ")) << r.out;
}

// Issue 16: an identity backup brings the user back on a wiped machine
// with the same key (contacts' pins still match) and a new device; a
// wrong passphrase or an altered file writes nothing.
TEST_F(cli_test, backup_and_restore_bring_the_user_back) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "before"}).exit_code, 0);
  ASSERT_EQ(as("bob", {"recv", "--wait", "5", "--count", "1"}).exit_code, 0);
  auto fp = user_fingerprint(home(), "alice");
  ASSERT_FALSE(fp.empty());
  auto file = dir / "alice.backup";
  setenv("COURIER_BACKUP_TEST_PASS", "staple battery", 1);
  auto r = as("alice", {"--backup-passphrase-env", "COURIER_BACKUP_TEST_PASS",
                        "backup", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::filesystem::status(file).permissions()
              & std::filesystem::perms::all,
            std::filesystem::perms::owner_read
              | std::filesystem::perms::owner_write);
  // The machine is wiped.
  std::filesystem::remove_all(home() + "/alice");
  auto restore = [&](const std::string& from) {
    return run({COURIER_CLI, "--home", home(), "--backup-passphrase-env",
                "COURIER_BACKUP_TEST_PASS", "--no-passphrase", "restore",
                from});
  };
  setenv("COURIER_BACKUP_TEST_PASS", "staple batery", 1);
  r = restore(file);
  EXPECT_EQ(r.exit_code, exit_passphrase) << r.err;
  EXPECT_TRUE(has(r.err, "nothing was written")) << r.err;
  setenv("COURIER_BACKUP_TEST_PASS", "staple battery", 1);
  auto bytes = slurp(file);
  bytes[bytes.size() - 20] ^= 0x01;
  {
    std::ofstream out{dir / "altered.backup", std::ios::binary};
    out << bytes;
  }
  r = restore(dir / "altered.backup");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "altered")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(home() + "/alice"))
    << "a failed restore wrote something";
  r = restore(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "restored alice's identity")) << r.out;
  EXPECT_EQ(user_fingerprint(home(), "alice"), fp);
  // Signs in under the same name; bob's pin sees the same key.
  r = as("alice", {"send", "bob", "I am back"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = as("bob", {"--json", "recv", "--wait", "5", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(str(only_object(r.out), "body"), "I am back") << r.out;
  ASSERT_EQ(as("bob", {"send", "alice", "welcome back"}).exit_code, 0);
  r = as("alice", {"--json", "recv", "--wait", "5", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(str(only_object(r.out), "body"), "welcome back") << r.out;
  // A second restore over the identity is refused.
  r = restore(file);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "has an identity already")) << r.err;
}

namespace {

/// deploy/run.sh on a free port with a fresh HOME and no display, on the
/// binaries of this build (COURIER_SKIP_BUILD, COURIER_BIN).
class run_sh_test : public ::testing::Test {
protected:
  std::string home() { return dir / "home"; }
  std::string bin() {
    std::string cli = COURIER_CLI;
    return cli.substr(0, cli.rfind('/'));
  }

  // A command with the environment a new user's shell would have.
  std::vector<std::string> env(std::vector<std::string> argv) {
    std::vector<std::string> out{"/usr/bin/env",
                                 "-u", "DISPLAY",
                                 "-u", "WAYLAND_DISPLAY",
                                 "-u", "XDG_DATA_HOME",
                                 "-u", "COURIER_DATA",
                                 "-u", "COURIER_BANK_FINGERPRINT",
                                 "HOME=" + home(),
                                 "COURIER_SKIP_BUILD=1",
                                 "COURIER_BIN=" + bin(),
                                 "COURIER_PORT=" + std::to_string(port)};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  run_result cli_run(std::vector<std::string> args,
                     std::vector<std::string> vars = {}) {
    std::vector<std::string> argv = vars;
    argv.insert(argv.end(), {COURIER_CLI, "--server",
                             "127.0.0.1:" + std::to_string(port)});
    argv.insert(argv.end(), args.begin(), args.end());
    return run(env(argv), seconds{60});
  }

  temp_dir dir;
  uint16_t port = free_port();
  std::string run_sh = std::string{COURIER_SOURCE_DIR} + "/deploy/run.sh";
};

} // namespace

// Defects 8 and 9: the README's paying steps under
// `COURIER_OPERATOR=alice ./deploy/run.sh`, and a banner that comes once
// the router listens, with its fingerprint.
TEST_F(run_sh_test, the_readme_paying_steps_work_as_written) {
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(cli_run({"--user", user, "--no-passphrase", "init", "--bits",
                       "2048"})
                .exit_code,
              0);
  auto log = dir / "run.log";
  auto script = process::start(env({"COURIER_OPERATOR=alice", "bash", run_sh}),
                               log);
  ASSERT_TRUE(wait_for_text(log, "Press Ctrl-C to stop.", seconds{60}))
    << slurp(log);
  auto banner = slurp(log);
  EXPECT_TRUE(has(banner, "router on 127.0.0.1:" + std::to_string(port)));
  EXPECT_TRUE(has(banner, "The bank's operator, who may issue money: alice"))
    << banner;
  EXPECT_TRUE(has(banner, "No display")) << banner;
  // The router's fingerprint, as its own log says it.
  auto router_log = slurp(home() + "/.local/share/courier/nodes/router.log");
  auto at = router_log.find("fingerprint: ");
  ASSERT_NE(at, std::string::npos) << router_log;
  auto router_fp = router_log.substr(at + 13, router_log.find('\n', at) - at - 13);
  EXPECT_TRUE(has(banner, "The router's fingerprint: " + router_fp)) << banner;
  auto quote = banner.find("COURIER_BANK_FINGERPRINT='");
  ASSERT_NE(quote, std::string::npos) << banner;
  quote += 26;
  auto bank_fp = banner.substr(quote, banner.find('\'', quote) - quote);
  std::vector<std::string> with_bank{"COURIER_BANK_FINGERPRINT=" + bank_fp};
  // The steps, in the README's order.
  for (auto user : {"alice", "bob"}) {
    auto r = cli_run({"--user", user, "open-account"}, with_bank);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto r = cli_run({"--user", "alice", "issue", "alice", "100.00"}, with_bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli_run({"--user", "alice", "--json", "pay", "bob", "12.50"}, with_bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto paid = only_object(r.out);
  EXPECT_EQ(num(paid, "amount_minor"), 1250) << r.out;
  EXPECT_EQ(str(paid, "amount"), "12.50") << r.out;
  EXPECT_EQ(num(paid, "balance_minor"), 8750) << r.out;
  EXPECT_EQ(str(paid, "balance"), "87.50") << r.out;
  EXPECT_TRUE(iso_8601(str(paid, "at"))) << r.out;
  EXPECT_EQ(paid.count("re"), 0u) << "a raw receipt: " << r.out;
  r = cli_run({"--user", "alice", "pay", "bob", "12.50", "--id",
               str(paid, "transfer_id")},
              with_bank);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = cli_run({"--user", "bob", "--json", "balance"}, with_bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto balance = only_object(r.out);
  EXPECT_EQ(num(balance, "balance_minor"), 1250) << r.out;
  EXPECT_EQ(str(balance, "balance"), "12.50") << r.out;
  r = cli_run({"--user", "alice", "history", "--limit", "10"}, with_bank);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run(env({COURIER_NODE, "bank-audit", "--data",
               home() + "/.local/share/courier/nodes/bank"}));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Someone else's issue: refused by the bank, with how to become an
  // operator, and no transfer id to "retry safely".
  r = cli_run({"--user", "bob", "issue", "bob", "5.00"}, with_bank);
  EXPECT_EQ(r.exit_code, exit_bank) << r.err;
  EXPECT_TRUE(has(r.err, "COURIER_OPERATOR=bob ./deploy/run.sh")) << r.err;
  EXPECT_FALSE(has(r.err, "retry")) << r.err;
  EXPECT_TRUE(script.stop(seconds{10}));
}

TEST_F(run_sh_test, a_busy_port_fails_at_once) {
  // Something listens on the port already: a router of another run.
  auto other = router_process::start(dir / "other", port);
  auto start = steady_clock::now();
  auto r = run(env({"bash", run_sh}), seconds{30});
  EXPECT_LT(steady_clock::now() - start, seconds{10});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "port " + std::to_string(port) + " in use")) << r.err;
  EXPECT_FALSE(has(r.out + r.err, "Courier is running")) << r.out;
}
