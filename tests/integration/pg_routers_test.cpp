// Two router processes on one PostgreSQL store (--store): one name binding
// and one offline queue for both, and a --store address with a password
// refused at start. The PostgreSQL server is the binary's own
// (tests/support/pg_server.hpp).

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <algorithm>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tests/support/cluster.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/pg_server.hpp"

using namespace courier::test;
using namespace std::chrono;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string field(const std::string& json, const char* key) {
  boost::json::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object())
    return {};
  auto it = v.as_object().find(key);
  return it != v.as_object().end() && it->value().is_string()
           ? std::string{it->value().get_string()}
           : std::string{};
}

// The status of GET `path` on 127.0.0.1:`port` (HTTP/1.0), 0 if nothing
// answered within a second.
int http_status(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    auto req = "GET " + path + " HTTP/1.0\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    pollfd p{fd, POLLIN, 0};
    char buf[512];
    while (raw.size() < 16 && ::poll(&p, 1, 1000) == 1) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      raw.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  auto sp = raw.find(' ');
  return raw.compare(0, 5, "HTTP/") == 0 && sp != std::string::npos
           ? std::atoi(raw.c_str() + sp + 1)
           : 0;
}

TEST(pg_routers, two_routers_share_one_name_binding_and_one_queue) {
  auto& pg = pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto store = pg.fresh_database();
  ASSERT_FALSE(store.empty()) << pg.why();
  temp_dir dir;
  auto a = router_process::start(dir / "a", 0, {"--store", store});
  auto b = router_process::start(dir / "b", 0, {"--store", store});
  auto home = dir / "home";
  auto impostor = dir / "impostor";
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  ASSERT_EQ(init_identity(impostor, "alice").exit_code, 0);
  auto at = [&](const router_process& r, const std::string& h,
                const std::string& user, std::vector<std::string> args) {
    return run(cli(h, r.address(), user, std::move(args)), seconds{30});
  };
  // alice signs up at A, bob at B.
  auto r = at(a, home, "alice", {"recv", "--wait", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = at(b, home, "bob", {"recv", "--wait", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Another key under alice's name at the other router: refused.
  r = at(b, impostor, "alice", {"recv", "--wait", "0"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.err + r.out, "different key")) << r.err << r.out;
  // alice sends at A to bob, offline: stored in the shared queue, and bob
  // gets it at B.
  r = at(a, home, "alice", {"--json", "send", "bob", "through the store"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(field(r.out, "state"), "stored") << r.out;
  r = at(b, home, "bob", {"--json", "recv", "--wait", "10", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(field(r.out, "body"), "through the store") << r.out;
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM users"), 2);
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM queue"), 0)
    << "the ack at B did not drop the message A stored";
  // bob stays connected at B; what alice sends at A reaches him at once
  // (B hears of A's write from PostgreSQL), not at his next sign-in, even
  // after B pushed him a message it numbered itself (A started first, so
  // A's own numbers would be lower: B would skip them).
  auto log = dir / "bob-recv.log";
  auto bob = process::start(cli(home, b.address(), "bob",
                                {"--json", "recv", "--wait", "30", "--count",
                                 "2"}),
                            log);
  auto deadline = steady_clock::now() + seconds{15};
  while (!has(at(b, home, "alice", {"online", "bob"}).out, "bob")) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(log);
    std::this_thread::sleep_for(milliseconds{50});
  }
  r = at(b, home, "alice", {"--json", "send", "bob", "live at B"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_for_text(log, "live at B", seconds{5})) << slurp(log);
  r = at(a, home, "alice", {"--json", "send", "bob", "while you wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(field(r.out, "state"), "stored") << r.out;
  auto sent = steady_clock::now();
  while (bob.running() && steady_clock::now() - sent < seconds{3})
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(bob.running())
    << "bob, connected at B, did not get alice's message within 3 s";
  bob.stop();
  EXPECT_TRUE(has(slurp(log), "while you wait")) << slurp(log);
  // Every PostgreSQL connection cut (as by a restart): B listens again and
  // still hears of A's writes.
  EXPECT_GE(pg_server::scalar(
              store, "SELECT COUNT(pg_terminate_backend(pid))"
                     " FROM pg_stat_activity WHERE datname = current_database()"
                     " AND pid <> pg_backend_pid()"),
            3);
  // A router's first call after the cut may be refused with "try again".
  auto retried = [&](const router_process& rt, const std::string& user,
                     std::vector<std::string> args) {
    run_result res;
    for (int i = 0; i < 3 && res.exit_code != 0; ++i)
      res = at(rt, home, user, args);
    return res;
  };
  ASSERT_EQ(retried(b, "bob", {"recv", "--wait", "0"}).exit_code, 0);
  auto log2 = dir / "bob-recv-2.log";
  bob = process::start(cli(home, b.address(), "bob",
                           {"--json", "recv", "--wait", "30", "--count", "1"}),
                       log2);
  deadline = steady_clock::now() + seconds{15};
  while (!has(at(b, home, "alice", {"online", "bob"}).out, "bob")) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(log2);
    std::this_thread::sleep_for(milliseconds{50});
  }
  r = retried(a, "alice", {"--json", "send", "bob", "after the cut"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  sent = steady_clock::now();
  while (bob.running() && steady_clock::now() - sent < seconds{5})
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(bob.running())
    << "bob did not get alice's message after the connections were cut";
  bob.stop();
  EXPECT_TRUE(has(slurp(log2), "after the cut")) << slurp(log2);
}

/// Routers of one cluster on one PostgreSQL store, on a development
/// backbone (no TLS: all on 127.0.0.1), each on fixed ports so that it can
/// be restarted with another router list.
class pg_cluster : public ::testing::Test {
protected:
  void SetUp() override {
    auto& pg = pg_server::shared();
    ASSERT_TRUE(pg.ok()) << pg.why();
    store = pg.fresh_database();
    ASSERT_FALSE(store.empty()) << pg.why();
    for (auto name : {"A", "B", "C"})
      ports[name] = {free_port(), free_port()};
  }

  /// Starts router `name` with `members` as its cluster (itself included)
  /// and waits until it sees every other member that runs.
  void start(const std::string& name, const std::vector<std::string>& members,
             std::vector<std::string> args = {}) {
    args.insert(args.end(),
                {"--name=" + name, "--store=" + store, "--insecure-dev",
                 "--backbone=127.0.0.1:" + std::to_string(ports[name].second)});
    for (auto& m : members)
      if (m != name)
        args.push_back("--peer=" + m + "@127.0.0.1:"
                       + std::to_string(ports[m].second));
    routers[name] = router_process::start(dir / ("router-" + name),
                                          ports[name].first, args);
    for (auto& m : members)
      if (m != name && routers.count(m) > 0 && routers[m].proc.running()) {
        ASSERT_TRUE(wait_for_text(routers[name].log, "peer " + m + " is up",
                                  seconds{10}))
          << slurp(routers[name].log);
      }
  }

  /// Comma-separated edge addresses of `names`.
  std::string edges(const std::vector<std::string>& names) {
    std::string out;
    for (auto& n : names)
      out += (out.empty() ? "" : ",") + std::string{"127.0.0.1:"}
             + std::to_string(ports[n].first);
    return out;
  }

  run_result as(const std::string& user, const std::vector<std::string>& via,
                std::vector<std::string> args, const std::string& h = "") {
    return run(cli(h.empty() ? home : h, edges(via), user, std::move(args)),
               seconds{20});
  }

  /// The body of each message `user` receives through `via` (`count` of
  /// them, waiting at most `wait` seconds).
  std::vector<std::string> bodies(const std::string& user,
                                  const std::vector<std::string>& via,
                                  int count, int wait = 5) {
    auto r = as(user, via,
                {"--json", "recv", "--wait", std::to_string(wait), "--count",
                 std::to_string(count)});
    std::vector<std::string> out;
    size_t at = 0;
    for (auto nl = r.out.find('\n'); nl != std::string::npos;
         at = nl + 1, nl = r.out.find('\n', at))
      out.push_back(field(r.out.substr(at, nl - at), "body"));
    return out;
  }

  temp_dir dir;
  std::string home = dir / "home";
  std::string store;
  /// Each router's edge and backbone ports.
  std::map<std::string, std::pair<uint16_t, uint16_t>> ports;
  std::map<std::string, router_process> routers;
};

TEST_F(pg_cluster, users_of_a_killed_router_sign_in_elsewhere_losing_nothing) {
  std::vector<std::string> names{"A", "B", "C"};
  for (auto& n : names)
    start(n, names);
  // bob and dave have their registry home at A, and sign in there; so
  // does carol, who signs in at B.
  auto bob = homed_at("bob", "A", names);
  auto dave = homed_at("dave", "A", names);
  auto carol = homed_at("carol", "A", names);
  for (auto& user : {std::string{"alice"}, bob, dave, carol})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  ASSERT_EQ(as("alice", {"B"}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as(dave, {"A"}, {"recv", "--wait", "0"}).exit_code, 0);
  auto r = as("alice", {"B"}, {"--json", "send", dave, "queued before"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // bob waits at A, knowing the other routers too.
  auto log = dir / "bob.log";
  auto bob_recv = process::start(cli(home, edges({"A", "B", "C"}), bob,
                                     {"--json", "recv", "--wait", "20",
                                      "--count", "3"}),
                                 log);
  auto carol_log = dir / "carol.log";
  auto carol_recv = process::start(cli(home, edges({"B"}), carol,
                                       {"--json", "recv", "--wait", "20",
                                        "--count", "3"}),
                                   carol_log);
  auto deadline = steady_clock::now() + seconds{10};
  auto both_online = [&] {
    auto out = as("alice", {"B"}, {"online", bob, carol}).out;
    return has(out, bob + "\n") && has(out, carol + "\n");
  };
  while (!both_online()) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(log);
    std::this_thread::sleep_for(milliseconds{50});
  }
  r = as("alice", {"B"}, {"send", bob, "before the kill"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto soon = seconds{5} * time_factor();
  ASSERT_TRUE(wait_for_text(log, "before the kill", soon)) << slurp(log);
  r = as("alice", {"C"}, {"send", carol, "carol before"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_for_text(carol_log, "carol before", soon))
    << slurp(carol_log);

  routers["A"].proc.kill_hard();
  auto killed = steady_clock::now();
  // Sends to bob work again within seconds (a refusal says to retry).
  run_result sent;
  while (sent.exit_code != 0) {
    ASSERT_LT(steady_clock::now() - killed, soon)
      << sent.err;
    sent = as("alice", {"B"}, {"send", bob, "during the outage"});
    if (sent.exit_code != 0) {
      EXPECT_TRUE(has(sent.err, "try again")) << sent.err;
    }
  }
  // bob's client takes up its connection at B or C by itself.
  ASSERT_TRUE(wait_for_text(log, "connected", soon))
    << slurp(log);
  EXPECT_LT(steady_clock::now() - killed, soon);
  r = as("alice", {"C"}, {"send", bob, "after the move"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  deadline = steady_clock::now() + soon;
  while (bob_recv.running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(bob_recv.running()) << slurp(log);
  bob_recv.stop();
  for (auto body : {"before the kill", "during the outage", "after the move"})
    EXPECT_EQ(count_in(log, std::string{"\"body\":\""} + body + "\""), 1u)
      << body << "\n" << slurp(log);
  // dave, homed at A and offline, signs in at C and gets what waited.
  EXPECT_EQ(bodies(dave, {"C"}, 1),
            std::vector<std::string>{"queued before"});
  // carol's session at B found a new home at once, and moves back to A
  // when A is back.
  r = as("alice", {"C"}, {"send", carol, "carol during"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_for_text(carol_log, "carol during", soon))
    << slurp(carol_log);
  start("A", names);
  ASSERT_TRUE(wait_for_text(routers["B"].log, "peer A is up", seconds{10}));
  r = as("alice", {"C"}, {"send", carol, "carol after"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  deadline = steady_clock::now() + soon;
  while (carol_recv.running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  EXPECT_FALSE(carol_recv.running()) << slurp(carol_log);
  carol_recv.stop();
  for (auto body : {"carol before", "carol during", "carol after"})
    EXPECT_EQ(count_in(carol_log, std::string{"\"body\":\""} + body + "\""),
              1u)
      << body << "\n" << slurp(carol_log);
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM queue"), 0);
}

// PostgreSQL restarted under light load: alice chats with bob live, from
// router A to router B, while the store is down for 2 s and comes back.
// Neither router stops; every line that A acknowledged reaches bob exactly
// once; a sign-in or a write meanwhile is refused with "try again"; A's
// /readyz says not ready while the store is down and ready after.
TEST_F(pg_cluster, a_postgresql_restart_under_load_loses_nothing_acknowledged) {
  auto& pg = pg_server::shared();
  auto metrics = free_port();
  start("A", {"A", "B"}, {"--metrics=127.0.0.1:" + std::to_string(metrics)});
  start("B", {"A", "B"});
  for (auto user : {"alice", "bob", "carol"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  ASSERT_EQ(as("alice", {"A"}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("carol", {"B"}, {"recv", "--wait", "0"}).exit_code, 0);
  auto ready_is = [&](int status, seconds limit) {
    auto deadline = steady_clock::now() + limit;
    while (http_status(metrics, "/readyz") != status) {
      if (steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(milliseconds{50});
    }
    return true;
  };
  ASSERT_TRUE(ready_is(200, seconds{10}));
  constexpr int lines = 20;
  auto bob_log = dir / "bob.log";
  auto bob = process::start(cli(home, edges({"B"}), "bob",
                                {"--json", "recv", "--wait", "25", "--count",
                                 std::to_string(lines)}),
                            bob_log);
  auto deadline = steady_clock::now() + seconds{10};
  while (!has(as("alice", {"A"}, {"online", "bob"}).out, "bob")) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(bob_log);
    std::this_thread::sleep_for(milliseconds{50});
  }
  // alice types two lines every 0.2 s into a chat signed in at A, to bob
  // (live) and to carol (offline: written to the store).
  std::vector<std::string> argv{
    "/bin/sh", "-c",
    "for i in $(seq 1 " + std::to_string(lines)
      + "); do echo line-$i; echo @carol off-$i; sleep 0.2; done"
        " | \"$@\"",
    "sh"};
  for (auto& arg : cli(home, edges({"A"}), "alice", {"chat", "bob"}))
    argv.push_back(arg);
  auto chat_log = dir / "chat.log";
  auto chat = process::start(argv, chat_log);
  ASSERT_TRUE(wait_for_count(chat_log, "* sent to bob", 3, seconds{10}))
    << slurp(chat_log);
  ASSERT_TRUE(pg.halt());
  auto halted = steady_clock::now();
  EXPECT_TRUE(ready_is(503, seconds{3})) << "A's /readyz while the store is down";
  // Names cannot be checked and nothing can be written: "try again", soon.
  auto r = as("carol", {"B"}, {"recv", "--wait", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "try again")) << r.err;
  EXPECT_FALSE(has(r.err, "PGSQL") || has(r.err, "server")) << r.err;
  std::this_thread::sleep_until(halted + seconds{2});
  ASSERT_TRUE(pg.resume()) << pg.why();
  EXPECT_TRUE(ready_is(200, seconds{10})) << "A's /readyz after the restart";
  deadline = steady_clock::now() + seconds{15};
  while (chat.running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  ASSERT_FALSE(chat.running()) << slurp(chat_log);
  // The chat answers each line in order: sent (A took it) or not sent,
  // and then only with a sentence that says to try again.
  std::map<std::string, std::vector<bool>> acked;
  {
    std::istringstream in{slurp(chat_log)};
    for (std::string line; std::getline(in, line);)
      for (auto who : {"bob", "carol"}) {
        if (has(line, std::string{"* sent to "} + who))
          acked[who].push_back(true);
        else if (has(line, std::string{"* not sent to "} + who)) {
          acked[who].push_back(false);
          EXPECT_TRUE(has(line, "try again")) << line;
          // One sentence for a person; what libpq said is for the log.
          EXPECT_FALSE(has(line, "PGSQL") || has(line, "server")) << line;
        }
      }
  }
  ASSERT_EQ(acked["bob"].size(), static_cast<size_t>(lines)) << slurp(chat_log);
  ASSERT_EQ(acked["carol"].size(), static_cast<size_t>(lines))
    << slurp(chat_log);
  // Live chat is not held up by the store: every line to bob was taken.
  EXPECT_EQ(std::count(acked["bob"].begin(), acked["bob"].end(), true), lines)
    << slurp(chat_log);
  auto body_of = [](const char* prefix, int i) {
    return "\"body\":\"" + std::string{prefix} + std::to_string(i + 1) + "\"";
  };
  for (int i = 0; i < lines; ++i) {
    if (acked["bob"][i]) {
      EXPECT_TRUE(wait_for_text(bob_log, body_of("line-", i), seconds{5}))
        << body_of("line-", i) << "\n" << slurp(bob_log);
    }
  }
  bob.stop();
  auto carol_log = dir / "carol.log";
  auto carol = process::start(cli(home, edges({"B"}), "carol",
                                  {"--json", "recv", "--wait", "3"}),
                              carol_log);
  deadline = steady_clock::now() + seconds{10};
  while (carol.running() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  carol.stop();
  // Each line the chat was told was taken arrives once; one refused may
  // still have arrived, but only once.
  for (auto [who, prefix, log] :
       {std::tuple{"bob", "line-", bob_log}, {"carol", "off-", carol_log}})
    for (int i = 0; i < lines; ++i) {
      auto n = count_in(log, body_of(prefix, i));
      if (acked[who][i]) {
        EXPECT_EQ(n, 1u) << body_of(prefix, i) << "\n" << slurp(log);
      } else {
        EXPECT_LE(n, 1u) << body_of(prefix, i) << "\n" << slurp(log);
      }
    }
  EXPECT_TRUE(routers["A"].proc.running()) << slurp(routers["A"].log);
  EXPECT_TRUE(routers["B"].proc.running()) << slurp(routers["B"].log);
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM queue"), 0);
}

TEST_F(pg_cluster, adding_and_removing_a_router_keeps_every_name_and_queue) {
  start("A", {"A", "B"});
  start("B", {"A", "B"});
  auto impostor = dir / "impostor";
  for (auto user : {"alice", "bob", "carol"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  for (auto user : {"bob", "carol"})
    ASSERT_EQ(init_identity(impostor, user).exit_code, 0);
  ASSERT_EQ(as("alice", {"A"}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("bob", {"B"}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("carol", {"A"}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"A"}, {"send", "bob", "for bob"}).exit_code, 0);
  ASSERT_EQ(as("alice", {"B"}, {"send", "carol", "for carol"}).exit_code, 0);
  // C joins: every router restarts with the new list.
  for (auto n : {"A", "B"})
    ASSERT_TRUE(routers[n].proc.stop());
  for (auto n : {"A", "B", "C"})
    start(n, {"A", "B", "C"});
  auto r = as("bob", {"C"}, {"recv", "--wait", "0"}, impostor);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "different key")) << r.err;
  EXPECT_EQ(bodies("bob", {"C"}, 1), std::vector<std::string>{"for bob"});
  ASSERT_EQ(as("alice", {"C"}, {"send", "bob", "from three"}).exit_code, 0);
  // B leaves.
  for (auto n : {"A", "B", "C"})
    ASSERT_TRUE(routers[n].proc.stop());
  for (auto n : {"A", "C"})
    start(n, {"A", "C"});
  r = as("carol", {"A"}, {"recv", "--wait", "0"}, impostor);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "different key")) << r.err;
  EXPECT_EQ(bodies("carol", {"C"}, 1), std::vector<std::string>{"for carol"});
  EXPECT_EQ(bodies("bob", {"A"}, 1), std::vector<std::string>{"from three"});
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM users"), 3);
}

// `courier-node admin` on a store that cannot be reached: one sentence
// that says what to check, never libpq's words (those go to the log).
TEST(pg_routers, admin_on_an_unreachable_store_says_what_to_check) {
  auto r = run({node_binary(), "admin", "--store",
                "postgresql://courier@127.0.0.1:1/courier", "users"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  auto said = r.err.substr(r.err.rfind("courier-node: ") + 1);
  EXPECT_TRUE(has(said, "check --store")) << r.err;
  for (auto libpq : {"connection to server", "could not connect", "FATAL",
                     "127.0.0.1"})
    EXPECT_FALSE(has(said, libpq)) << r.err;
}

// A single router's SQLite folder moves into PostgreSQL (`courier-node
// admin migrate`): a router on the store then knows its users and
// delivers what was queued for them; a second run changes nothing; a
// router running on the folder stops it.
TEST(pg_routers, migrate_moves_a_sqlite_router_into_postgresql) {
  auto& pg = pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto store = pg.fresh_database();
  ASSERT_FALSE(store.empty()) << pg.why();
  temp_dir dir;
  auto home = dir / "home";
  for (auto user : {"alice", "bob"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  auto data = dir / "router";
  auto migrate = [&] {
    return run({node_binary(), "admin", "migrate", "--data", data, "--store",
                store, "--by", "test"});
  };
  {
    auto old = router_process::start(data);
    auto at = [&](const std::string& user, std::vector<std::string> args) {
      return run(cli(home, old.address(), user, std::move(args)));
    };
    ASSERT_EQ(at("bob", {"recv", "--wait", "0"}).exit_code, 0);
    for (auto body : {"queued one", "queued two"})
      ASSERT_EQ(at("alice", {"send", "bob", body}).exit_code, 0);
    auto r = migrate();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(has(r.err, "stop it first")) << r.err;
    EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM users"), -1)
      << "the store was touched while the router ran";
    ASSERT_TRUE(old.proc.stop());
  }
  auto r = migrate();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "copied 2 names")) << r.out;
  EXPECT_TRUE(has(r.out, "2 queued messages")) << r.out;
  r = migrate();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "nothing was changed")) << r.out;
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM queue"), 2);
  // The same folder (its router key, which clients pinned) on the store.
  auto now = router_process::start(data, 0, {"--store", store});
  r = run(cli(home, now.address(), "bob",
              {"--json", "recv", "--wait", "10", "--count", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "queued one")) << r.out;
  EXPECT_TRUE(has(r.out, "queued two")) << r.out;
  r = run(cli(home, now.address(), "alice", {"send", "bob", "after"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM users"), 2);
}

// New names per address are counted in the store: an address that made
// its share of names at one router cannot make more at another.
TEST(pg_routers, new_names_per_address_are_one_budget_for_the_cluster) {
  auto& pg = pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto store = pg.fresh_database();
  ASSERT_FALSE(store.empty()) << pg.why();
  temp_dir dir;
  std::vector<std::string> opts{"--store", store,
                                "--registrations-per-minute", "2"};
  auto a = router_process::start(dir / "a", 0, opts);
  auto b = router_process::start(dir / "b", 0, opts);
  auto home = dir / "home";
  for (auto user : {"u1", "u2", "u3"})
    ASSERT_EQ(init_identity(home, user).exit_code, 0);
  auto sign_in = [&](const router_process& r, const std::string& user) {
    return run(cli(home, r.address(), user, {"recv", "--wait", "0"}));
  };
  ASSERT_EQ(sign_in(a, "u1").exit_code, 0);
  ASSERT_EQ(sign_in(b, "u2").exit_code, 0);
  // A has one new name left of its own, but the address has none.
  auto r = sign_in(a, "u3");
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_EQ(pg_server::scalar(store, "SELECT COUNT(*) FROM users"), 2);
  // Names made before sign in as ever.
  EXPECT_EQ(sign_in(a, "u2").exit_code, 0);
}

TEST(pg_routers, a_password_in_the_store_address_is_refused_at_start) {
  temp_dir dir;
  auto r = run({node_binary(), "router", "--data", dir / "r", "--store",
                "postgresql://courier:hunter2@db.example/courier"},
               seconds{30});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "PGPASSFILE")) << r.err;
  EXPECT_FALSE(has(r.err + r.out, "hunter2")) << "the password was printed";
  EXPECT_FALSE(has(r.out, "fingerprint")) << "a key was made first";
}

} // namespace
