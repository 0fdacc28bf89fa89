// Whole processes on three "machines": Linux network namespaces, each with
// its own address on a bridge, run router A, router B and the bank; the
// users' CLI runs on the host side of the bridge. Needs root (CI is root):
// if the namespaces cannot be made the test fails and says why.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>
#include <unistd.h>

#include "actors/client/control_letter.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/two_routers.hpp"

using namespace courier::test;
using namespace std::chrono;

namespace {

constexpr const char* ip_tool = "/bin/ip"; // iproute2

/// A bridge and one namespace per node with a veth on the bridge; all
/// removed again (with whatever still runs in them) on destruction.
class network {
public:
  explicit network(size_t nodes) {
    // Names and subnet unique per network, not per process: the kernel
    // removes a namespace's veth some time after `netns del`, so the next
    // test must not reuse them (RTNETLINK: File exists).
    static int made = 0;
    auto n = made++;
    auto id = std::to_string(::getpid() % 10000) + "x" + std::to_string(n % 100);
    subnet_ = "10." + std::to_string(200 + n % 50) + "."
              + std::to_string(::getpid() % 250) + ".";
    bridge_ = "cbr" + id;
    must({"link", "add", bridge_, "type", "bridge"});
    made_bridge_ = true;
    must({"addr", "add", subnet_ + "1/24", "dev", bridge_});
    must({"link", "set", bridge_, "up"});
    for (size_t i = 0; i < nodes; ++i) {
      auto ns = "courier" + id + "-" + std::to_string(i);
      auto host_end = "cv" + id + "h" + std::to_string(i);
      must({"netns", "add", ns});
      namespaces_.push_back(ns);
      must({"link", "add", host_end, "type", "veth", "peer", "name", "eth0",
            "netns", ns});
      host_ends_.push_back(host_end);
      must({"link", "set", host_end, "master", bridge_, "up"});
      must({"-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"});
      must({"-n", ns, "link", "set", "eth0", "up"});
      must({"-n", ns, "link", "set", "lo", "up"});
    }
  }

  ~network() {
    // Deleting a veth end removes the pair at once; `netns del` alone
    // leaves it to the kernel's own time.
    for (auto& end : host_ends_)
      run({ip_tool, "link", "del", end});
    for (auto& ns : namespaces_)
      run({ip_tool, "netns", "del", ns});
    if (made_bridge_)
      run({ip_tool, "link", "del", bridge_});
    for (auto& end : host_ends_)
      wait_until_gone(end);
  }

  /// The subnet of every node and the host, as a CIDR.
  std::string cidr() const {
    return subnet_ + "0/24";
  }

  /// The address of node `i` (the host side is .1).
  std::string address(size_t i) const {
    return subnet_ + std::to_string(i + 2);
  }

  /// Unplugs (or plugs back) node `i`'s cable: its processes keep
  /// running but nothing reaches them.
  void plug(size_t i, bool up) {
    must({"link", "set", host_ends_.at(i), up ? "up" : "down"});
  }

  /// Runs a command inside node `i`'s namespace.
  std::vector<std::string> in(size_t i) const {
    return {ip_tool, "netns", "exec", namespaces_.at(i)};
  }

private:
  static void wait_until_gone(const std::string& link) {
    auto deadline = steady_clock::now() + seconds{5};
    while (steady_clock::now() < deadline
           && run({ip_tool, "link", "show", link}).exit_code == 0)
      std::this_thread::sleep_for(milliseconds{20});
  }

  void must(std::vector<std::string> args) {
    args.insert(args.begin(), ip_tool);
    auto r = run(args, seconds{10});
    if (r.exit_code != 0) {
      std::string line;
      for (auto& a : args)
        line += a + " ";
      throw std::runtime_error(
        "cannot set up network namespaces for the multi-host test (it needs "
        "root with CAP_NET_ADMIN and iproute2): `" + line + "` said: " + r.err);
    }
  }

  std::string subnet_;
  std::string bridge_;
  bool made_bridge_ = false;
  std::vector<std::string> namespaces_;
  std::vector<std::string> host_ends_;
};



class multihost_test : public two_routers {
protected:
  void SetUp() override {
    net = std::make_unique<network>(3);
    for (size_t i = 0; i < names.size(); ++i)
      spec.push_back({names[i], net->address(i), 7400, 7500, net->in(i)});
    start_routers();
  }

  void TearDown() override {
    bank.kill_hard();
    a.proc.kill_hard();
    b.proc.kill_hard();
    net.reset();
  }

  std::unique_ptr<network> net;
  process bank;
};

/// Routers A and B on two machines sharing one PostgreSQL store on a
/// third machine (listening on its own address, trusting the subnet).
class multihost_pg_test : public two_routers {
protected:
  void SetUp() override {
    net = std::make_unique<network>(3);
    pg = pg_server::in_namespace(net->in(2), net->address(2), net->cidr());
    ASSERT_TRUE(pg->ok()) << pg->why();
    auto store = pg->fresh_database();
    ASSERT_FALSE(store.empty()) << pg->why();
    extra = {"--store=" + store};
    for (size_t i = 0; i < names.size(); ++i)
      spec.push_back({names[i], net->address(i), 7400, 7500, net->in(i)});
    start_routers();
  }

  void TearDown() override {
    a.proc.kill_hard();
    b.proc.kill_hard();
    pg.reset();
    net.reset();
  }

  std::unique_ptr<network> net;
  std::unique_ptr<pg_server> pg;
};

} // namespace

TEST_F(multihost_test, the_cluster_works_across_machines) {
  auto alice = homed_at("alice", "A", names);
  auto bob = homed_at("bob", "B", names);
  auto op = homed_at("op", "B", names);
  for (auto& u : {alice, bob, op})
    init(u);

  // Chat both ways, each user on the router that is not their home.
  ASSERT_EQ(as(bob, {0}, {"recv", "--wait", "0"}).exit_code, 0);
  auto sent = as(alice, {1}, {"send", bob, "over the wire"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(bob, 0, 1), std::vector<std::string>{"over the wire"});
  ASSERT_EQ(as(bob, {0}, {"send", alice, "and back"}).exit_code, 0);
  EXPECT_EQ(bodies(alice, 1, 1), std::vector<std::string>{"and back"});

  // Offline: bob collects what waited at his home through the other router.
  for (auto body : {"one", "two"})
    ASSERT_EQ(as(alice, {0}, {"send", bob, body}).exit_code, 0);
  EXPECT_EQ(bodies(bob, 0, 2), (std::vector<std::string>{"one", "two"}));

  // The bank on the third machine, behind router A; alice pays from B.
  auto bank_log = dir / "bank.log";
  auto argv = net->in(2);
  argv.insert(argv.end(), {COURIER_NODE, "bank",
                           "--server=" + servers(spec, {0}),
                           "--data=" + (dir / "bank"), prepare_bank(op)});
  bank = process::start(argv, bank_log);
  ASSERT_TRUE(wait_for_text(bank_log, "bank signed in", seconds{20}))
    << slurp(bank_log);
  for (auto& u : {alice, bob, op})
    ASSERT_EQ(as(u, {1}, {"open-account"}).exit_code, 0);
  ASSERT_EQ(as(op, {0}, {"issue", alice, "20.00"}).exit_code, 0);
  auto paid = as(alice, {1}, {"pay", bob, "7.25"});
  ASSERT_EQ(paid.exit_code, 0) << paid.err;
  EXPECT_NE(as(bob, {0}, {"balance"}).out.find("7.25"), std::string::npos);

  // Machine B's router stops: users move to A; users homed at B (bob)
  // cannot sign in or be written to until it is back.
  b.proc.kill_hard();
  ASSERT_TRUE(wait_for_text(a.log, "peer B is gone")) << slurp(a.log);
  auto carol = homed_at("carol", "A", names);
  init(carol);
  ASSERT_EQ(as(carol, {1, 0}, {"recv", "--wait", "0"}).exit_code, 0);
  // alice lists B first; B is down, so A serves her.
  sent = as(alice, {1, 0}, {"send", carol, "B is down"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(carol, 0, 1), std::vector<std::string>{"B is down"});
  auto refused = as(carol, {0}, {"send", bob, "hello?"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("try again"), std::string::npos) << refused.err;
  EXPECT_NE(as(bob, {1, 0}, {"recv", "--wait", "0"}).exit_code, 0);

  b = start(1);
  ASSERT_TRUE(wait_for_text(b.log, "peer A is up")) << slurp(b.log);
  ASSERT_EQ(as(carol, {0}, {"send", bob, "hello?"}).exit_code, 0);
  // First alice's notice of the payment (the bank tells only the payer).
  auto got = bodies(bob, 0, 2);
  ASSERT_EQ(got.size(), 2u);
  auto notice = courier::parse_payment_notice(got[0]);
  ASSERT_TRUE(notice) << got[0];
  EXPECT_EQ(notice->amount_minor, 725);
  EXPECT_EQ(got[1], "hello?");
}

TEST_F(multihost_test, a_router_cut_off_the_network_is_noticed) {
  auto alice = homed_at("alice", "A", names);
  auto bob = homed_at("bob", "B", names);
  init(alice);
  init(bob);
  ASSERT_EQ(as(bob, {1}, {"recv", "--wait", "0"}).exit_code, 0);
  // B's process keeps running but its machine drops off the network: no
  // FIN, no RST; only the backbone heartbeat can tell.
  net->plug(1, false);
  auto cut = steady_clock::now();
  ASSERT_TRUE(wait_for_text(a.log, "peer B is gone", seconds{15}))
    << slurp(a.log);
  EXPECT_LT(steady_clock::now() - cut, seconds{10});
  auto refused = as(alice, {0}, {"send", bob, "hello?"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("try again"), std::string::npos) << refused.err;
  net->plug(1, true);
  ASSERT_TRUE(wait_for_count(a.log, "peer B is up", 2, seconds{40}))
    << slurp(a.log);
  auto sent = as(alice, {0}, {"send", bob, "hello?"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(bob, 1, 1), std::vector<std::string>{"hello?"});
}

// B's machine drops off the network while bob is signed in there: bob
// signs in at A and gets what waited for him and what was sent meanwhile,
// each message that alice was told was taken exactly once.
TEST_F(multihost_pg_test, users_of_a_router_cut_off_sign_in_at_the_other) {
  for (auto u : {"alice", "bob", "carol"})
    init(u);
  ASSERT_EQ(as("alice", {0}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as("carol", {1}, {"recv", "--wait", "0"}).exit_code, 0);
  auto log = dir / "bob.log";
  process bob = process::start(cli(dir / "home", servers(spec, {1}), "bob",
                                   {"--json", "recv", "--wait", "60"}),
                               log);
  auto deadline = steady_clock::now() + seconds{10};
  while (as("alice", {0}, {"online", "bob"}).out.find("bob")
         == std::string::npos) {
    ASSERT_LT(steady_clock::now(), deadline) << slurp(log);
    std::this_thread::sleep_for(milliseconds{50});
  }
  ASSERT_EQ(as("alice", {0}, {"send", "bob", "before the cut"}).exit_code, 0);
  ASSERT_TRUE(wait_for_text(log, "before the cut", seconds{5})) << slurp(log);
  ASSERT_EQ(as("alice", {0}, {"send", "carol", "queued for carol"}).exit_code,
            0);
  net->plug(1, false);
  // Sent while A still takes bob for B's: taken, or refused or timed out
  // (not acknowledged, so it may or may not arrive, but never twice).
  auto first = as("alice", {0}, {"send", "bob", "at the cut"});
  ASSERT_TRUE(wait_for_text(a.log, "peer B is gone", seconds{15}))
    << slurp(a.log);
  run_result sent;
  deadline = steady_clock::now() + seconds{5};
  while (sent.exit_code != 0 && steady_clock::now() < deadline)
    sent = as("alice", {0}, {"send", "bob", "meanwhile"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  // bob's client at B is gone with it; he and carol sign in at A.
  bob.kill_hard();
  auto got = as("bob", {0}, {"--json", "recv", "--wait", "3"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto times = [&](const std::string& body) {
    size_t n = 0;
    auto needle = "\"body\":\"" + body + "\"";
    for (auto at = got.out.find(needle); at != std::string::npos;
         at = got.out.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(times("meanwhile"), 1u) << got.out;
  EXPECT_EQ(times("before the cut"), 0u) << got.out;
  if (first.exit_code == 0) {
    EXPECT_EQ(times("at the cut"), 1u) << got.out;
  } else {
    EXPECT_LE(times("at the cut"), 1u) << got.out;
  }
  EXPECT_EQ(bodies("carol", 0, 1, 5),
            std::vector<std::string>{"queued for carol"});
  EXPECT_TRUE(a.proc.running()) << slurp(a.log);
}
