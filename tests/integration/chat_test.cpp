// Whole processes: a router and courier-cli users on 127.0.0.1.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <sqlite3.h>
#include <sys/stat.h>
#include <thread>

#include <caf/all.hpp>

#include "actors/client/client.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "tests/support/harness.hpp"

using namespace courier::test;
using namespace std::chrono;

namespace {

// A JSON string field as std::string ("" when absent or not a string).
std::string field(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string())
    return "";
  return std::string{it->value().get_string()};
}

// Every file under `root` is 0600 and every folder 0700, `root` too.
void expect_private_tree(const std::string& root) {
  namespace fs = std::filesystem;
  EXPECT_EQ(mode_of(root), 0700) << root;
  for (auto& entry : fs::recursive_directory_iterator(root)) {
    auto path = entry.path().string();
    EXPECT_EQ(mode_of(path), entry.is_directory() ? 0700 : 0600) << path;
  }
}

class chat_test : public ::testing::Test {
protected:
  void SetUp() override {
    // The umask a shell usually leaves: the programs must not rely on a
    // stricter one.
    old_umask_ = ::umask(022);
    router = router_process::start(dir / "router");
    for (auto user : {"alice", "bob"})
      init(user);
  }

  void init(const std::string& user) {
    auto r = init_identity(home(), user);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override { ::umask(old_umask_); }

  std::string home() { return dir / "home"; }

  run_result as(const std::string& user, std::vector<std::string> args) {
    return run(cli(home(), router.address(), user, std::move(args)));
  }

  // Messages `user` receives within `wait` seconds, as JSON objects.
  std::vector<boost::json::object> recv(const std::string& user, int count,
                                        int wait = 10) {
    auto r = as(user, {"--json", "recv", "--wait", std::to_string(wait),
                       "--count", std::to_string(count)});
    std::vector<boost::json::object> out;
    std::istringstream lines{r.out};
    std::string line;
    while (std::getline(lines, line))
      if (!line.empty())
        out.push_back(boost::json::parse(line).as_object());
    return out;
  }

  temp_dir dir;
  router_process router;

private:
  mode_t old_umask_ = 0;
};

} // namespace

TEST_F(chat_test, two_users_exchange_messages_both_ways) {
  // bob must have signed in once to exist.
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto sent = as("alice", {"--json", "send", "bob", "hi bob"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  auto sent_json = boost::json::parse(sent.out).as_object();
  EXPECT_TRUE(sent_json["ok"].as_bool());
  auto got = recv("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(field(got[0], "from"), "alice");
  EXPECT_EQ(field(got[0], "body"), "hi bob");
  EXPECT_EQ(field(got[0], "msg_id"), field(sent_json, "msg_id"));
  ASSERT_EQ(as("bob", {"send", "alice", "hello alice"}).exit_code, 0);
  auto back = recv("alice", 1);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(field(back[0], "from"), "bob");
  EXPECT_EQ(field(back[0], "body"), "hello alice");
  // Acknowledged messages are not delivered twice.
  EXPECT_TRUE(recv("bob", 0, 1).empty());
}

TEST_F(chat_test, offline_messages_arrive_in_order_when_the_recipient_connects) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(as("alice", {"send", "bob", "msg " + std::to_string(i)}).exit_code,
              0);
  auto got = recv("bob", 5);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(field(got[i], "body"), "msg " + std::to_string(i));
}

TEST_F(chat_test, accepted_message_survives_a_router_kill) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "keep me"}).exit_code, 0);
  auto port = router.port;
  router.proc.kill_hard(); // kill -9 right after the acceptance
  router = router_process::start(dir / "router", port);
  auto got = recv("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(field(got[0], "body"), "keep me");
}

TEST_F(chat_test, router_database_never_holds_plaintext) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  std::string secret = "the-password-is-swordfish-7391";
  ASSERT_EQ(as("alice", {"send", "bob", secret}).exit_code, 0);
  // The message is queued (bob is offline): look at every router file.
  std::string all;
  for (auto& entry : std::filesystem::directory_iterator(router.data))
    all += slurp(entry.path().string());
  EXPECT_NE(all.find("alice"), std::string::npos) << "expected the queue row";
  EXPECT_EQ(all.find(secret), std::string::npos);
  EXPECT_EQ(all.find("swordfish"), std::string::npos);
  auto got = recv("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(field(got[0], "body"), secret);
}

// client.db holds the history in clear: what the CLI and the router write
// is their owner's alone, even under a umask of 022.
TEST_F(chat_test, every_file_written_is_private_under_a_permissive_umask) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "private"}).exit_code, 0);
  ASSERT_EQ(recv("bob", 1).size(), 1u);
  // The router is still running: its -wal and -shm files are there.
  for (auto file : {"/router_key.pem", "/directory.db", "/directory.db-wal",
                    "/directory.db-shm", "/queue.db"})
    EXPECT_EQ(mode_of(router.data + file), 0600) << file;
  expect_private_tree(router.data);
  for (auto user : {"/alice", "/bob"}) {
    EXPECT_EQ(mode_of(home() + user + "/identity.pem"), 0600) << user;
    EXPECT_EQ(mode_of(home() + user + "/client.db"), 0600) << user;
  }
  expect_private_tree(home());
}

// A sender controls the body: it must not draw a line of its own, such as
// a fake notice from the bank, on the recipient's terminal.
TEST_F(chat_test, human_output_shows_control_characters_as_escapes) {
  std::string body = "hi\n\x1b[2Kbank: you received 5000.00";
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", body}).exit_code, 0);
  auto r = as("bob", {"recv", "--wait", "10", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line = std::string{"alice: hi\\n\\x1b[2Kbank: you received 5000.00\n"};
  ASSERT_GE(r.out.size(), line.size()) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - line.size()), line) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  // JSON output is for programs: the exact text.
  ASSERT_EQ(as("alice", {"send", "bob", body}).exit_code, 0);
  auto got = recv("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(field(got[0], "body"), body);
}

TEST_F(chat_test, unknown_recipient_is_a_clear_error) {
  auto r = as("alice", {"send", "nobody", "hello?"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("No user with that name"), std::string::npos) << r.err;
}

TEST_F(chat_test, unreachable_router_is_a_clear_error) {
  auto r = run(cli(home(), "127.0.0.1:1", "alice", {"send", "bob", "x"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
}

TEST_F(chat_test, wrong_passphrase_is_refused) {
  auto r = run({COURIER_CLI, "--home", home(), "--user", "carol",
                "--passphrase-env", "CARE", "init", "--bits", "2048"});
  // CARE is unset: init must refuse rather than use an empty passphrase.
  EXPECT_NE(r.exit_code, 0);
  setenv("COURIER_TEST_PASS", "right horse battery", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--passphrase-env",
           "COURIER_TEST_PASS", "init", "--bits", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  setenv("COURIER_TEST_PASS", "wrong horse", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "carol", "--server",
           router.address(), "--passphrase-env", "COURIER_TEST_PASS", "online"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err;
}

TEST_F(chat_test, an_empty_passphrase_is_refused_without_no_passphrase) {
  setenv("COURIER_EMPTY_PASS", "", 1);
  auto r = run({COURIER_CLI, "--home", home(), "--user", "dave",
                "--passphrase-env", "COURIER_EMPTY_PASS", "init", "--bits",
                "2048"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--no-passphrase"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(home() + "/dave/identity.pem"));
}

TEST_F(chat_test, a_no_passphrase_identity_is_not_asked_for_one_again) {
  // alice was made with --no-passphrase. Without the flag, and with no
  // terminal to ask on, she still signs in: the CLI sees her key file is
  // unencrypted, and says so.
  auto r = run({COURIER_CLI, "--home", home(), "--user", "alice", "--server",
                router.address(), "online"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: alice's identity key is stored unencrypted"),
            std::string::npos)
    << r.err;
  // An identity with a passphrase still needs it, flag or no flag.
  setenv("COURIER_TEST_PASS", "right horse battery", 1);
  r = run({COURIER_CLI, "--home", home(), "--user", "erin", "--passphrase-env",
           "COURIER_TEST_PASS", "init", "--bits", "2048"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({COURIER_CLI, "--home", home(), "--user", "erin", "--server",
           router.address(), "online"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no passphrase"), std::string::npos) << r.err;
  r = run(cli(home(), router.address(), "erin", {"online"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("has a passphrase"), std::string::npos) << r.err;
  r = run({COURIER_CLI, "--home", home(), "--user", "erin", "--server",
           router.address(), "--passphrase-env", "COURIER_TEST_PASS",
           "online"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("unencrypted"), std::string::npos) << r.err;
}

TEST_F(chat_test, changed_router_key_is_refused) {
  ASSERT_EQ(as("alice", {"online"}).exit_code, 0); // pins the router key
  auto port = router.port;
  router.proc.kill_hard();
  router = router_process::start(dir / "impostor", port);
  auto r = as("alice", {"online"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("different key"), std::string::npos) << r.err;
  // An explicit, matching fingerprint is accepted.
  r = run(cli(home(), router.address(), "alice",
              {"--server-fingerprint", router.fingerprint, "online"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(chat_test, changed_contact_key_blocks_sending_until_trusted) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "first"}).exit_code, 0); // pins bob
  ASSERT_EQ(recv("bob", 1).size(), 1u);
  // The directory forgets bob and a new bob appears with another key.
  auto port = router.port;
  router.proc.kill_hard();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((router.data + "/directory.db").c_str(), &db), SQLITE_OK);
  // With the name go its device and prekeys, as `admin rebind` does: a
  // bundle of the old bob, certified by his old key, would otherwise wait
  // there until the new bob publishes his (a race under load).
  ASSERT_EQ(sqlite3_exec(db,
                         "DELETE FROM users WHERE name = 'bob';"
                         "DELETE FROM devices WHERE user = 'bob';"
                         "DELETE FROM one_time_prekeys WHERE user = 'bob'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  router = router_process::start(dir / "router", port);
  std::filesystem::remove_all(home() + "/bob");
  init("bob");
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto r = as("alice", {"send", "bob", "second"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("key changed"), std::string::npos) << r.err;
  auto fp = as("bob", {"--json", "fingerprint"});
  ASSERT_EQ(fp.exit_code, 0);
  auto bob_fp = std::string{boost::json::parse(fp.out).at("fingerprint").as_string()};
  // A wrong fingerprint is not accepted; the right one is.
  EXPECT_NE(as("alice", {"trust", "bob", "0000 1111"}).exit_code, 0);
  r = as("alice", {"trust", "bob", bob_fp});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(as("alice", {"send", "bob", "second"}).exit_code, 0);
  auto got = recv("bob", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(field(got[0], "body"), "second");
}

TEST_F(chat_test, online_lists_connected_users_and_help_works) {
  // Presence for the names given: alice is connected while she asks.
  auto r = as("alice", {"--json", "online", "bob", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto names = boost::json::parse(r.out).at("online").as_array();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].as_string(), "alice");
  // Without names, the contacts: alice has none yet, and nobody else's
  // presence is told.
  r = as("alice", {"--json", "online"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(boost::json::parse(r.out).at("online").as_array().empty())
    << r.out;
  // More names than one request carries are asked in several.
  std::vector<std::string> args{"--json", "online"};
  for (int i = 0; i < 100; ++i)
    args.push_back("nobody" + std::to_string(i));
  args.push_back("alice");
  r = as("alice", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(boost::json::serialize(boost::json::parse(r.out).at("online")),
            R"(["alice"])");
  auto help = run({COURIER_CLI, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("send"), std::string::npos);
}

TEST_F(chat_test, online_without_names_asks_about_the_contacts) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "hi"}).exit_code, 0); // a contact now
  auto bob = process::start(
    cli(home(), router.address(), "bob", {"recv", "--wait", "30"}),
    dir / "bob-recv.log");
  std::string listed;
  auto deadline = steady_clock::now() + seconds{20};
  while (listed != R"(["bob"])" && steady_clock::now() < deadline) {
    auto r = as("alice", {"--json", "online"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    listed = boost::json::serialize(boost::json::parse(r.out).at("online"));
  }
  EXPECT_EQ(listed, R"(["bob"])");
  bob.kill_hard();
}

TEST_F(chat_test, full_queue_and_spent_budget_are_said_in_words) {
  router.proc.kill_hard();
  router = router_process::start(dir / "limited", 0,
                                 {"--queue-max-messages=2",
                                  "--sender-burst=3", "--sender-rate=1"});
  init("carol");
  for (auto user : {"bob", "carol"})
    ASSERT_EQ(as(user, {"recv", "--wait", "0"}).exit_code, 0);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(as("alice", {"send", "bob", "m" + std::to_string(i)}).exit_code,
              0);
  // Bob's queue is full: the third is refused, with what to do.
  auto r = as("alice", {"send", "bob", "one too many"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("after they have read some"), std::string::npos)
    << r.err;
  // A burst past her budget (3, then 1 a second) is refused with what to
  // do. Sent from one client at once: a CLI per message starts slowly
  // enough under sanitizers for the budget to refill in between.
  courier::base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  courier::client_config cc;
  cc.user = "alice";
  cc.dir = courier::user_dir(home(), "alice");
  cc.identity = *courier::load_identity(cc.dir, "");
  cc.servers = {{"127.0.0.1", router.port}};
  auto alice = courier::spawn_client(sys, cc);
  ASSERT_TRUE(alice);
  self->request(*alice, seconds{10}, courier::connect_atom::value)
    .receive([](const std::string&, bool) {},
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  for (int i = 0; i < 6; ++i)
    self->send(*alice, courier::send_atom::value, std::string{"carol"},
               "hi carol " + std::to_string(i));
  std::string refusal;
  for (int i = 0; i < 6; ++i)
    self->receive([](const std::string&) {},
                  [&](caf::error& err) {
                    if (courier::code_of(err) == courier::errc::sending_too_fast)
                      refusal = courier::explain(err);
                  },
                  caf::after(seconds{10}) >> [] {});
  EXPECT_NE(refusal.find("wait a few seconds"), std::string::npos) << refusal;
  caf::anon_send(*alice, courier::stop_atom::value);
}

TEST_F(chat_test, chat_mode_sends_lines_and_shows_incoming) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"online"}).exit_code, 0);
  ASSERT_EQ(as("bob", {"send", "alice", "waiting for you"}).exit_code, 0);
  auto r = run(cli(home(), router.address(), "alice", {"chat", "bob"}),
               seconds{30}, "hello from chat\n@bob second line\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bob: waiting for you"), std::string::npos) << r.out;
  auto got = recv("bob", 2);
  ASSERT_EQ(got.size(), 2u) << r.err;
  EXPECT_EQ(field(got[0], "body"), "hello from chat");
  EXPECT_EQ(field(got[1], "body"), "second line");
}

TEST_F(chat_test, client_connects_again_after_the_router_was_unreachable) {
  auto port = router.port;
  router.proc.kill_hard();
  courier::base_config cfg;
  caf::actor_system sys{cfg};
  courier::client_config cc;
  cc.user = "alice";
  cc.dir = courier::user_dir(home(), "alice");
  cc.identity = *courier::load_identity(cc.dir, "");
  cc.servers = {{"127.0.0.1", port}};
  cc.connect_timeout = milliseconds{500};
  auto client = courier::spawn_client(sys, cc);
  ASSERT_TRUE(client);
  caf::scoped_actor self{sys};
  bool first_failed = false;
  self->request(*client, seconds{10}, courier::connect_atom::value)
    .receive([](const std::string&, bool) {},
             [&](caf::error&) { first_failed = true; });
  EXPECT_TRUE(first_failed);
  router = router_process::start(dir / "router", port);
  bool second_ok = false;
  self->request(*client, seconds{10}, courier::connect_atom::value)
    .receive([&](const std::string&, bool) { second_ok = true; },
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  EXPECT_TRUE(second_ok);
  caf::anon_send(*client, courier::stop_atom::value);
}

TEST_F(chat_test, a_burst_of_sends_to_a_slow_router_keeps_the_connection) {
  using namespace courier;
  // This router reads 200 frames a second; alice's app sends 2,500 letters
  // of ~5 KB at once, far more than the socket buffers hold. Her client
  // must wait for room, not fill its write buffer until its connection
  // cuts itself and fails every pending send.
  temp_dir own;
  auto slow = router_process::start(own / "router", 0,
                                    {"--max-frames-per-second=200"});
  ASSERT_EQ(run(cli(home(), slow.address(), "bob", {"recv", "--wait", "0"}))
              .exit_code,
            0);
  base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  client_config cc;
  cc.user = "alice";
  cc.dir = user_dir(home(), "alice");
  cc.identity = *load_identity(cc.dir, "");
  cc.servers = {{"127.0.0.1", slow.port}};
  auto alice = spawn_client(sys, cc);
  ASSERT_TRUE(alice);
  self->request(*alice, seconds{10}, connect_atom::value)
    .receive([](const std::string&, bool) {},
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  // One send first, so bob's key is pinned and the burst is all letters.
  self->request(*alice, seconds{10}, send_atom::value, std::string{"bob"},
                std::string{"first"})
    .receive([](const std::string&) {},
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  const int burst = 2500;
  std::string body(3000, 'x');
  for (int i = 0; i < burst; ++i)
    self->send(*alice, send_atom::value, std::string{"bob"}, body);
  int accepted = 0;
  int failed = 0;
  std::string first_error;
  auto deadline = steady_clock::now() + seconds{6};
  while (steady_clock::now() < deadline && accepted + failed < burst)
    self->receive(
      [&](const std::string&) { ++accepted; },
      [&](caf::error& err) {
        if (failed++ == 0)
          first_error = caf::to_string(err);
      },
      caf::after(milliseconds{200}) >> [] {});
  EXPECT_EQ(failed, 0) << first_error;
  EXPECT_GT(accepted, 0);
  caf::anon_send(*alice, stop_atom::value);
}

TEST_F(chat_test, a_message_acked_before_its_answer_is_marked_delivered) {
  using namespace courier;
  // This router holds a message until its recipient acks, however long
  // that takes: alice's answer can only come with bob's ack.
  temp_dir own;
  auto holding =
    router_process::start(own / "router", 0, {"--ack-hold-ms=600000"});
  base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto connect = [&](const std::string& user, const listener_actor& listener) {
    client_config cc;
    cc.user = user;
    cc.dir = user_dir(home(), user);
    cc.identity = *load_identity(cc.dir, "");
    cc.servers = {{"127.0.0.1", holding.port}};
    auto c = spawn_client(sys, cc);
    EXPECT_TRUE(c);
    self->request(*c, seconds{10}, connect_atom::value)
      .receive([](const std::string&, bool) {},
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    self->send(*c, listen_atom::value, listener);
    return *c;
  };
  // Bob's app takes every message at once, so his client acks it.
  auto bob_app = sys.spawn([]() -> listener_actor::behavior_type {
    return {
      [](message_atom, const inbound_message&) { return true; },
      [](status_atom, const std::string&) {},
      [](delivered_atom, const std::string&) {},
    };
  });
  auto bob = connect("bob", bob_app);
  auto alice = connect("alice", caf::actor_cast<listener_actor>(self));
  std::string msg_id;
  self
    ->request(alice, seconds{30}, send_atom::value, std::string{"bob"},
              std::string{"are you there?"})
    .receive([&](std::string& id) { msg_id = id; },
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  ASSERT_FALSE(msg_id.empty());
  std::string told;
  self->receive([&](delivered_atom, const std::string& id) { told = id; },
                caf::after(seconds{10}) >> [] {});
  EXPECT_EQ(told, msg_id) << "alice's app was not told of the delivery";
  bool delivered = false;
  self
    ->request(alice, seconds{10}, history_atom::value, std::string{"bob"},
              uint32_t{10})
    .receive(
      [&](std::vector<history_entry>& rows) {
        for (auto& row : rows)
          if (row.msg_id == msg_id)
            delivered = row.delivered;
      },
      [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  EXPECT_TRUE(delivered) << "alice's history does not say delivered";
  for (auto& c : {alice, bob})
    caf::anon_send(c, stop_atom::value);
  caf::anon_send_exit(bob_app, caf::exit_reason::user_shutdown);
}

TEST_F(chat_test, a_message_in_the_apps_hands_is_not_handed_over_again) {
  using namespace courier;
  // bob's app holds alice's message without answering (the bank does this
  // while it works on an order). The router restarts, bob's client connects
  // again and the router delivers the unacked message a second time: the
  // client must not hand it to the app while the first copy is in hand.
  auto port = router.port;
  ASSERT_EQ(as("bob", {"recv", "--wait", "0"}).exit_code, 0);
  base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  client_config cc;
  cc.user = "bob";
  cc.dir = user_dir(home(), "bob");
  cc.identity = *load_identity(cc.dir, "");
  cc.servers = {{"127.0.0.1", port}};
  cc.max_handovers = 64; // as the bank's
  auto bob = spawn_client(sys, cc);
  ASSERT_TRUE(bob);
  auto connect = [&] {
    bool ok = false;
    self->request(*bob, seconds{10}, connect_atom::value)
      .receive([&](const std::string&, bool) { ok = true; },
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    return ok;
  };
  ASSERT_TRUE(connect());
  self->send(*bob, listen_atom::value, caf::actor_cast<listener_actor>(self));
  ASSERT_EQ(as("alice", {"send", "bob", "pay me once"}).exit_code, 0);
  std::vector<caf::typed_response_promise<bool>> held;
  auto take = [&](milliseconds within) {
    size_t got = 0;
    auto deadline = steady_clock::now() + within;
    while (steady_clock::now() < deadline)
      self->receive(
        [&](message_atom, const inbound_message& msg) {
          EXPECT_EQ(msg.body, "pay me once");
          held.push_back(self->make_response_promise<bool>());
          ++got;
        },
        [](status_atom, const std::string&) {},
        [](delivered_atom, const std::string&) {},
        caf::after(milliseconds{100}) >> [] {});
    return got;
  };
  ASSERT_EQ(take(milliseconds{3000}), 1u);
  // Past the router's ack hold, so the message is on its disk.
  std::this_thread::sleep_for(milliseconds{300});
  router.proc.kill_hard();
  router = router_process::start(dir / "router", port);
  ASSERT_TRUE(connect());
  EXPECT_EQ(take(milliseconds{2000}), 0u)
    << "the message was handed to the app a second time";
  for (auto& rp : held)
    rp.deliver(true);
  size_t kept = 0;
  auto deadline = steady_clock::now() + seconds{5};
  while (steady_clock::now() < deadline && kept == 0) {
    self
      ->request(*bob, seconds{10}, history_atom::value, std::string{"alice"},
                uint32_t{10})
      .receive([&](std::vector<history_entry>& rows) { kept = rows.size(); },
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    std::this_thread::sleep_for(milliseconds{50});
  }
  EXPECT_EQ(kept, 1u);
  caf::anon_send(*bob, stop_atom::value);
}

TEST_F(chat_test, a_kill_while_receiving_loses_nothing_and_shows_nothing_twice) {
  // Bob's client publishes prekeys, so alice's letters are ratchet
  // messages: each opens once, and its key is gone after.
  ASSERT_EQ(as("bob", {"recv", "--wait", "2"}).exit_code, 0);
  auto first = as("alice", {"--json", "send", "bob", "warm-up"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(boost::json::parse(first.out).at("forward_secret").as_bool())
    << first.out;
  ASSERT_EQ(recv("bob", 1).size(), 1u);
  // Killed inside the transaction that stores the plaintext and the new
  // state (in its letter's savepoint, and before the burst's one commit),
  // after it, and after the message was shown and recorded but before the
  // router heard the ack.
  for (std::string point :
       {"before_commit", "open_batch_commit", "opened", "recorded"}) {
    auto body = "through " + point;
    ASSERT_EQ(as("alice", {"send", "bob", body}).exit_code, 0);
    auto argv = cli(home(), router.address(), "bob",
                    {"--json", "recv", "--wait", "5", "--count", "1"});
    argv.insert(argv.begin(), {"/usr/bin/env", "COURIER_TEST_CRASH_AT=" + point});
    auto crashed = run(argv);
    EXPECT_EQ(crashed.exit_code, 137) << point << ": " << crashed.err;
    auto again = as("bob", {"--json", "recv", "--wait", "3"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto all = crashed.out + again.out;
    size_t shown = 0;
    for (auto at = all.find(body); at != std::string::npos;
         at = all.find(body, at + 1))
      ++shown;
    EXPECT_EQ(shown, 1u) << point << ":\n" << all;
    // The session goes on: the next message opens.
    ASSERT_EQ(as("alice", {"send", "bob", "after " + point}).exit_code, 0);
    auto next = recv("bob", 1);
    ASSERT_EQ(next.size(), 1u) << point;
    EXPECT_EQ(next[0].at("body").as_string(), "after " + point);
  }
}

TEST_F(chat_test, read_receipts_are_coalesced_checked_and_never_printed) {
  using namespace courier;
  init("carol"); // bob and carol sign in (and register) below
  base_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto connect = [&](const std::string& user, const listener_actor& listener) {
    client_config cc;
    cc.user = user;
    cc.dir = user_dir(home(), user);
    cc.identity = *load_identity(cc.dir, "");
    cc.servers = {{"127.0.0.1", router.port}};
    auto c = spawn_client(sys, cc);
    EXPECT_TRUE(c);
    self->request(*c, seconds{10}, connect_atom::value)
      .receive([](const std::string&, bool) {},
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    self->send(*c, listen_atom::value, listener);
    return *c;
  };
  // bob's and carol's apps take everything; alice's is this test.
  auto app = sys.spawn([]() -> listener_actor::behavior_type {
    return {
      [](message_atom, const inbound_message&) { return true; },
      [](status_atom, const std::string&) {},
      [](delivered_atom, const std::string&) {},
    };
  });
  auto alice = connect("alice", caf::actor_cast<listener_actor>(self));
  auto bob = connect("bob", app);
  auto carol = connect("carol", app);
  // Stopped however the test ends: the actor system waits for them.
  struct stopper {
    std::vector<client_actor> clients;
    caf::actor app;
    ~stopper() {
      for (auto& c : clients)
        caf::anon_send(c, stop_atom::value);
      caf::anon_send_exit(app, caf::exit_reason::user_shutdown);
    }
  } stop_all{{alice, bob, carol}, caf::actor_cast<caf::actor>(app)};
  std::vector<std::string> ids;
  for (auto text : {"one", "two", "three"})
    self
      ->request(alice, seconds{30}, send_atom::value, std::string{"bob"},
                std::string{text})
      .receive([&](std::string& id) { ids.push_back(id); },
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  ASSERT_EQ(ids.size(), 3u);
  // What alice's client hands her app within `within` (or until `enough`
  // came).
  auto take = [&](milliseconds within, size_t enough = SIZE_MAX) {
    std::vector<inbound_message> got;
    auto deadline = steady_clock::now() + within;
    while (steady_clock::now() < deadline && got.size() < enough)
      self->receive(
        [&](message_atom, const inbound_message& msg) {
          got.push_back(msg);
          return true;
        },
        [](status_atom, const std::string&) {},
        [](delivered_atom, const std::string&) {},
        caf::after(milliseconds{50}) >> [] {});
    return got;
  };
  auto read_rows = [&] {
    size_t n = 0;
    self->request(alice, seconds{10}, history_atom::value, std::string{"bob"},
                  uint32_t{10})
      .receive(
        [&](std::vector<history_entry>& rows) {
          for (auto& row : rows)
            n += row.read ? 1 : 0;
        },
        [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    return n;
  };
  // carol claims to have read alice's messages to bob: nothing changes.
  self->send(carol, read_atom::value, std::string{"alice"}, ids[2]);
  auto hostile = take(seconds{5}, 1);
  ASSERT_EQ(hostile.size(), 1u);
  EXPECT_EQ(hostile[0].from, "carol");
  std::this_thread::sleep_for(milliseconds{200}); // its record, if any
  EXPECT_EQ(read_rows(), 0u);
  // bob reads all three, one after the other: one receipt at once, the
  // newest one a second later, nothing more.
  for (auto& id : ids)
    self->send(bob, read_atom::value, std::string{"alice"}, id);
  auto start = steady_clock::now();
  auto receipts = take(milliseconds{2000});
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_TRUE(receipts[0].control && receipts[1].control);
  EXPECT_NE(receipts[0].body.find(ids[0]), std::string::npos);
  EXPECT_NE(receipts[1].body.find(ids[2]), std::string::npos);
  EXPECT_GE(receipts[1].accepted_ts - receipts[0].accepted_ts, 900);
  EXPECT_LT(steady_clock::now() - start, seconds{4});
  for (int i = 0; i < 50 && read_rows() < 3; ++i)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_EQ(read_rows(), 3u);
  // Typing: once in 3 s, and only to someone online.
  self->send(bob, typing_atom::value, std::string{"alice"});
  self->send(bob, typing_atom::value, std::string{"alice"});
  auto typing = take(milliseconds{1000});
  ASSERT_EQ(typing.size(), 1u);
  EXPECT_EQ(typing[0].body, R"({"v":1,"type":"typing"})");
  EXPECT_TRUE(typing[0].control);
  caf::anon_send(carol, stop_atom::value); // offline now
  std::this_thread::sleep_for(milliseconds{300});
  self->send(bob, typing_atom::value, std::string{"carol"});
  // A receipt for carol waits in her queue; the CLI takes it silently.
  self->send(bob, read_atom::value, std::string{"carol"},
             std::string{"0b7e7e2c-3c1f-4f55-9c1a-2d1b3a4c5d6e"});
  std::this_thread::sleep_for(milliseconds{500});
  auto r = as("carol", {"recv", "--wait", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no new messages"), std::string::npos) << r.err;
  // Neither went to anyone's history.
  auto rows_with_type = [&](client_actor& c) {
    size_t n = 0;
    self->request(c, seconds{10}, search_atom::value, std::string{},
                  std::string{"\"type\""}, uint32_t{10})
      .receive([&](std::vector<history_entry>& rows) { n = rows.size(); },
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
    return n;
  };
  EXPECT_EQ(rows_with_type(alice), 0u);
  EXPECT_EQ(rows_with_type(bob), 0u);
  // The same JSON typed by a person is a message, whatever it looks like:
  // handed over as one, kept in the history, printed by the CLI.
  std::vector<std::string> typed{
    R"({"v":1,"type":"typing"})",
    R"({"v":1,"type":"read","up_to":")" + ids[0] + R"("})",
    R"({"v":1,"type":"payment_notice","transfer_id":"t-1","amount_minor":150})"};
  auto say = [&](const std::string& to, const std::string& text) {
    self->request(bob, seconds{30}, send_atom::value, to, text)
      .receive([](std::string&) {},
               [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  };
  for (auto& text : typed)
    say("alice", text);
  auto chat = take(seconds{5}, typed.size());
  ASSERT_EQ(chat.size(), typed.size());
  for (size_t i = 0; i < chat.size(); ++i) {
    EXPECT_EQ(chat[i].body, typed[i]);
    EXPECT_FALSE(chat[i].control);
  }
  for (int i = 0; i < 50 && rows_with_type(alice) < typed.size(); ++i)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_EQ(rows_with_type(alice), typed.size());
  EXPECT_EQ(rows_with_type(bob), typed.size());
  say("carol", typed[0]);
  say("carol", typed[2]);
  r = as("carol", {"recv", "--wait", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(typed[0]), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find(typed[2]), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("paid you"), std::string::npos) << r.out;
  // A real payment notice is marked: a hint for the payee's wallet, kept
  // out of the history, and what the CLI prints as a payment.
  self->request(bob, seconds{30}, paid_atom::value, std::string{"alice"},
                std::string{"t-2"}, int64_t{250})
    .receive([](std::string&) {},
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  auto notice = take(seconds{5}, 1);
  ASSERT_EQ(notice.size(), 1u);
  EXPECT_TRUE(notice[0].control);
  EXPECT_EQ(notice[0].body,
            R"({"v":1,"type":"payment_notice","transfer_id":"t-2","amount_minor":250})");
  std::this_thread::sleep_for(milliseconds{200}); // its record, if any
  EXPECT_EQ(rows_with_type(alice), typed.size());
  self->request(bob, seconds{30}, paid_atom::value, std::string{"carol"},
                std::string{"t-3"}, int64_t{250})
    .receive([](std::string&) {},
             [](caf::error& err) { ADD_FAILURE() << caf::to_string(err); });
  r = as("carol", {"recv", "--wait", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bob says they paid you 2.50 (transfer t-3"),
            std::string::npos) << r.out << r.err;
}

TEST_F(chat_test, a_kill_while_sending_sends_nothing_half_done_and_spends_no_key_twice) {
  ASSERT_EQ(as("bob", {"recv", "--wait", "2"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"send", "bob", "warm-up"}).exit_code, 0);
  ASSERT_EQ(recv("bob", 1).size(), 1u);
  // Killed before the commit that stores the sending states of a burst
  // (nothing stored, nothing sent) and after it, before the frames were
  // written (the key is spent on disk and never used again).
  for (std::string point : {"seal_batch_commit", "sealed"}) {
    auto argv = cli(home(), router.address(), "alice",
                    {"send", "bob", "lost at " + point});
    argv.insert(argv.begin(), {"/usr/bin/env", "COURIER_TEST_CRASH_AT=" + point});
    auto crashed = run(argv);
    EXPECT_EQ(crashed.exit_code, 137) << point << ": " << crashed.err;
    ASSERT_EQ(as("alice", {"send", "bob", "after " + point}).exit_code, 0);
    auto next = recv("bob", 1);
    ASSERT_EQ(next.size(), 1u) << point;
    EXPECT_EQ(next[0].at("body").as_string(), "after " + point);
  }
}
