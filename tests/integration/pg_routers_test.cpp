// Two router processes on one PostgreSQL store (--store): one name binding
// and one offline queue for both, and a --store address with a password
// refused at start. The PostgreSQL server is the binary's own
// (tests/support/pg_server.hpp).

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <boost/json.hpp>

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
