// What unauthenticated clients may cost a router process: connections
// (globally, per address, past the descriptor limit), sign-ins waiting for
// the handshake threads, and new names (per address and per key).

#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <memory>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "actors/protocol/envelope.hpp"
#include "tests/support/harness.hpp"

using namespace courier;
using namespace courier::test;
using namespace std::chrono;

namespace {

// CPU seconds (user + system) that process `pid` has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  // Fields after the command name, which is in parentheses: state is the
  // 3rd field, utime the 14th and stime the 15th.
  auto rest = text.substr(text.rfind(')') + 2);
  std::istringstream fields{rest};
  std::string skip;
  for (int i = 3; i < 14; ++i)
    fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime)
         / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU seconds `pid` uses over `span`.
double cpu_over(pid_t pid, milliseconds span) {
  auto before = cpu_seconds(pid);
  std::this_thread::sleep_for(span);
  return cpu_seconds(pid) - before;
}

size_t open_fds(pid_t pid) {
  size_t n = 0;
  if (auto dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (auto entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++n;
    ::closedir(dir);
  }
  return n;
}

std::string error_code_of(const std::optional<std::string>& text) {
  if (!text)
    return "(nothing)";
  auto env = protocol::parse_envelope(*text);
  if (!env || env->type != "error")
    return "";
  return std::string{env->str("code")};
}

/// Signs in as `user` on `c`: "" once welcomed, else the error code.
std::string sign_in(raw_client& c, const std::string& user,
                    const crypto::key& key) {
  auto start = protocol::start_handshake(user, key);
  if (!start || !c.write_frame(start->hello.text))
    return "(no hello)";
  auto hello = c.read_frame();
  if (!hello)
    return "(no server hello)";
  if (auto code = error_code_of(hello); !code.empty())
    return code;
  auto res = protocol::finish_handshake(*start, key, *hello, {});
  if (!res)
    return "(bad server hello)";
  c.write_frame(res->finish_text);
  auto answer = c.read_frame();
  if (!answer)
    return "(no answer)";
  if (answer->front() == '{')
    return error_code_of(answer);
  return "";
}

std::string sign_in(uint16_t port, const std::string& user,
                    const crypto::key& key, const std::string& source = "") {
  raw_client c{port, source};
  if (!c.connected())
    return "(no connection)";
  return sign_in(c, user, key);
}

// Signs in once the router takes connections again (within `within`).
bool signs_in_soon(uint16_t port, const std::string& user,
                   const crypto::key& key, milliseconds within) {
  auto deadline = steady_clock::now() + within;
  do {
    if (sign_in(port, user, key).empty())
      return true;
    std::this_thread::sleep_for(milliseconds{100});
  } while (steady_clock::now() < deadline);
  return false;
}

class edge_limits_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    for (auto name : {"alice", "bob", "carol", "dave", "erin", "frank"})
      test_key(name);
  }

  temp_dir dir;
};

} // namespace

// On the old router, 80 connections under a limit of 64 descriptors made
// CAF's acceptor spin on EMFILE: 89% of a core while nothing happened.
TEST_F(edge_limits_test, a_router_at_its_descriptor_limit_refuses_and_stays_cool) {
  auto router = router_process::start(dir / "router", 0,
                                      {"--handshake-timeout-ms=60000"},
                                      {"/usr/bin/prlimit", "--nofile=64:64", "--"});
  std::vector<std::unique_ptr<raw_client>> conns;
  for (int i = 0; i < 80; ++i)
    conns.push_back(std::make_unique<raw_client>(router.port));
  std::this_thread::sleep_for(milliseconds{500});
  auto used = cpu_over(router.proc.pid(), seconds{2});
  EXPECT_LT(used, 0.3) << "the router spins with a full descriptor table";
  // The ones past the cap were told so and closed.
  int busy = 0;
  for (auto& c : conns)
    if (error_code_of(c->read_frame(milliseconds{20})) == "busy")
      ++busy;
  EXPECT_GT(busy, 0);
  EXPECT_GE(count_in(router.log, "accepting at most"), 1u) << slurp(router.log);
  // Once they are gone, a real user gets in.
  conns.clear();
  EXPECT_TRUE(signs_in_soon(router.port, "alice", test_key("alice"),
                            seconds{5}));
  EXPECT_TRUE(router.proc.running());
}

// Descriptors can run out below the connection cap (another part of the
// process, or the limit lowered while it runs): accepting pauses instead
// of spinning, and resumes once there is room.
TEST_F(edge_limits_test, running_out_of_descriptors_pauses_accepting) {
  auto router = router_process::start(dir / "router", 0,
                                      {"--handshake-timeout-ms=60000"});
  auto pid = router.proc.pid();
  rlimit old{};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &old), 0);
  // Room for a few connections and the edge's spare ones: the router may
  // still open a file or two after it listens (SQLite opens its WAL files
  // at the first query, an actor may set up late), and with only the
  // spare left UBSan's pipe probe failed and took the node down.
  rlimit tight = old;
  tight.rlim_cur = open_fds(pid) + 12;
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &tight, nullptr), 0);
  std::vector<std::unique_ptr<raw_client>> conns;
  for (int i = 0; i < 20; ++i)
    conns.push_back(std::make_unique<raw_client>(router.port));
  std::this_thread::sleep_for(milliseconds{500});
  auto used = cpu_over(pid, seconds{2});
  EXPECT_LT(used, 0.3) << "the router spins on EMFILE";
  EXPECT_TRUE(wait_for_text(router.log, "out of file descriptors",
                            seconds{2}));
  // The edge left some for the rest of the process (SQLite, the log, and
  // the sanitizers' pipe: with none, UBSan took every object for one with
  // an invalid vptr and the node died under ASan).
  EXPECT_LE(open_fds(pid) + 2, tight.rlim_cur)
    << "the edge took the last descriptors";
  conns.clear();
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &old, nullptr), 0);
  EXPECT_TRUE(signs_in_soon(router.port, "bob", test_key("bob"), seconds{5}));
}

TEST_F(edge_limits_test, connections_past_the_caps_are_refused_with_a_code) {
  auto router = router_process::start(
    dir / "router", 0,
    {"--max-connections=4", "--max-connections-per-address=2",
     "--handshake-timeout-ms=60000"});
  auto a1 = std::make_unique<raw_client>(router.port, "127.0.0.1");
  raw_client a2{router.port, "127.0.0.1"};
  raw_client a3{router.port, "127.0.0.1"};
  EXPECT_EQ(error_code_of(a3.read_frame(seconds{3})), "too_many_connections");
  EXPECT_TRUE(a3.closed_within(seconds{3}));
  raw_client b1{router.port, "127.0.0.2"};
  raw_client b2{router.port, "127.0.0.2"};
  raw_client c1{router.port, "127.0.0.3"};
  EXPECT_EQ(error_code_of(c1.read_frame(seconds{3})), "busy");
  // The ones within the caps wait for their hello, untouched.
  for (auto* c : {a1.get(), &a2, &b1, &b2})
    EXPECT_FALSE(c->read_frame(milliseconds{100}));
  // A closed connection makes room for another from the same address.
  a1.reset();
  EXPECT_TRUE(signs_in_soon(router.port, "carol", test_key("carol"),
                            seconds{5}));
}

// On the old router the queue had no bound: every hello waited its turn.
TEST_F(edge_limits_test, sign_ins_past_the_handshake_queue_are_told_busy) {
  auto router = router_process::start(
    dir / "router", 0,
    {"--handshake-threads=1", "--handshake-queue=1",
     "--handshake-timeout-ms=60000"});
  constexpr int n = 100;
  std::vector<std::string> hellos;
  for (int i = 0; i < n; ++i) {
    auto start = protocol::start_handshake("dave", test_key("dave"));
    ASSERT_TRUE(start);
    std::vector<char> buf;
    protocol::append_frame(buf, start->hello.text);
    hellos.emplace_back(buf.begin(), buf.end());
  }
  std::vector<std::unique_ptr<raw_client>> conns;
  for (int i = 0; i < n; ++i)
    conns.push_back(std::make_unique<raw_client>(router.port));
  for (int i = 0; i < n; ++i)
    conns[i]->write_raw(hellos[i]);
  int busy = 0, answered = 0;
  for (auto& c : conns) {
    auto code = error_code_of(c->read_frame(seconds{5}));
    if (code == "busy")
      ++busy;
    else if (code.empty())
      ++answered;
    else
      ADD_FAILURE() << code;
  }
  EXPECT_GT(busy, 0) << "no hello was refused";
  EXPECT_GT(answered, 0);
  EXPECT_EQ(busy + answered, n);
  conns.clear();
  EXPECT_TRUE(signs_in_soon(router.port, "dave", test_key("dave"),
                            seconds{5}));
}

TEST_F(edge_limits_test, one_key_holds_a_few_names_at_most) {
  auto router = router_process::start(
    dir / "router", 0,
    {"--max-names-per-key=2", "--registrations-per-minute=0"});
  auto& key = test_key("erin");
  EXPECT_EQ(sign_in(router.port, "erin", key), "");
  EXPECT_EQ(sign_in(router.port, "erin2", key), "");
  EXPECT_EQ(sign_in(router.port, "erin3", key), "too_many_names");
  // The names it holds still sign in; other keys still register.
  EXPECT_EQ(sign_in(router.port, "erin", key), "");
  EXPECT_EQ(sign_in(router.port, "erin2", key), "");
  EXPECT_EQ(sign_in(router.port, "frank", test_key("frank")), "");
  // The count survives a restart: it comes from the directory's database.
  ASSERT_TRUE(router.proc.stop());
  auto again = router_process::start(dir / "router", 0,
                                     {"--max-names-per-key=2"});
  EXPECT_EQ(sign_in(again.port, "erin3", key), "too_many_names");
  EXPECT_EQ(sign_in(again.port, "erin", key), "");
}

TEST_F(edge_limits_test, new_names_are_rate_limited_per_address) {
  auto router = router_process::start(dir / "router", 0,
                                      {"--registrations-per-minute=2"});
  auto port = router.port;
  EXPECT_EQ(sign_in(port, "alice", test_key("alice")), "");
  // Returning sign-ins take no token.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(sign_in(port, "alice", test_key("alice")), "");
  EXPECT_EQ(sign_in(port, "bob", test_key("bob")), "");
  EXPECT_EQ(sign_in(port, "carol", test_key("carol")), "rate_limited");
  // Names that exist still sign in; other addresses have their own bucket.
  EXPECT_EQ(sign_in(port, "bob", test_key("bob")), "");
  EXPECT_EQ(sign_in(port, "carol", test_key("carol"), "127.0.0.2"), "");
  // The refused name was not bound.
  EXPECT_EQ(sign_in(port, "carol", test_key("carol"), "127.0.0.2"), "");
}

// `busy` is worth retrying elsewhere: the client takes the next router of
// its list instead of failing (the old client gave up on the first).
TEST_F(edge_limits_test, a_busy_router_sends_the_client_to_the_next_one) {
  auto full = router_process::start(dir / "full", 0,
                                    {"--max-connections=1",
                                     "--handshake-timeout-ms=60000"});
  auto spare = router_process::start(dir / "spare");
  raw_client holder{full.port}; // the one connection `full` takes
  ASSERT_TRUE(holder.connected());
  std::this_thread::sleep_for(milliseconds{100});
  auto home = dir / "home";
  auto init = init_identity(home, "frank");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto r = run(cli(home, full.address() + "," + spare.address(), "frank",
                   {"recv", "--wait", "0"}));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(count_in(full.log, "refused a connection (busy)"), 1u);
}
