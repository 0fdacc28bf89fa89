// Whole processes: two routers on 127.0.0.1 forming one service over the
// mutual-TLS backbone, with CLI users and a bank on either side.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <thread>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/protocol/bundle.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/limits.hpp"
#include "actors/server/cluster/rendezvous.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/two_routers.hpp"

using namespace courier::test;
using courier::max_presence_names;
namespace protocol = courier::protocol;
using namespace std::chrono;

namespace {

class cluster_test : public two_routers {
protected:
  void SetUp() override {
    for (auto& name : names)
      spec.push_back({name, "127.0.0.1", free_port(), free_port(), {}});
    start_routers();
  }

  // After an attack on A's backbone port: a message still crosses from B
  // to A, and the A-B link never dropped (CAF's OpenSSL session once
  // dropped it after a failed handshake: actors/cluster/tls_error_queue.cpp).
  void expect_link_unharmed() {
    auto alice = homed_at("alice", "A", names);
    auto bob = homed_at("bob", "B", names);
    init(alice);
    init(bob);
    ASSERT_EQ(as(alice, {0}, {"recv", "--wait", "0"}).exit_code, 0);
    auto sent = as(bob, {1}, {"send", alice, "still fine"});
    ASSERT_EQ(sent.exit_code, 0) << sent.err << slurp(a.log) << slurp(b.log);
    EXPECT_EQ(bodies(alice, 0, 1), std::vector<std::string>{"still fine"});
    EXPECT_EQ(slurp(a.log).find("is gone"), std::string::npos) << slurp(a.log);
  }
};

} // namespace

TEST_F(cluster_test, users_on_different_routers_chat_both_ways) {
  // Each user signs in on the router that is not their home.
  auto alice = homed_at("alice", "A", names);
  auto bob = homed_at("bob", "B", names);
  init(alice);
  init(bob);
  ASSERT_EQ(as(bob, {0}, {"recv", "--wait", "0"}).exit_code, 0);
  auto sent = as(alice, {1}, {"send", bob, "hello across routers"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(bob, 0, 1), std::vector<std::string>{"hello across routers"});
  sent = as(bob, {0}, {"send", alice, "and back"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(alice, 1, 1), std::vector<std::string>{"and back"});
  // Presence covers the whole cluster.
  auto online = as(alice, {1}, {"online", alice, bob});
  EXPECT_NE(online.out.find(alice), std::string::npos) << online.out;
}

TEST_F(cluster_test, presence_answers_for_the_names_asked_across_routers) {
  auto ua = homed_at("ua", "A", names);
  auto ub = homed_at("ub", "B", names);
  auto uc = homed_at("uc", "B", names);
  // ua visits B, ub visits A; uc is asked about but never signs in.
  raw_client at_b{b.port};
  ASSERT_TRUE(at_b.login(ua, test_key(ua)));
  raw_client at_a{a.port};
  ASSERT_TRUE(at_a.login(ub, test_key(ub)));
  for (auto* c : {&at_a, &at_b}) {
    // Through either router: homes on both routers are asked.
    c->send_sealed(protocol::make_envelope(
      "presence", "p1", {{"users", boost::json::array{uc, ub, ua}}}));
    auto reply = c->read_sealed();
    ASSERT_TRUE(reply);
    auto env = protocol::parse_envelope(*reply);
    ASSERT_TRUE(env);
    ASSERT_EQ(env->type, "presence") << *reply;
    auto want = ua < ub ? boost::json::array{ua, ub} : boost::json::array{ub, ua};
    EXPECT_EQ(boost::json::serialize(env->fields.at("online")),
              boost::json::serialize(want));
    // Nobody asked about, nobody listed: there is no list of everyone.
    c->send_sealed(protocol::make_envelope("presence", "p2"));
    reply = c->read_sealed();
    ASSERT_TRUE(reply);
    EXPECT_NE(reply->find(R"("online":[])"), std::string::npos) << *reply;
    // More names than one request may carry are refused, not answered.
    boost::json::array many;
    for (size_t i = 0; i <= max_presence_names; ++i)
      many.emplace_back("u" + std::to_string(i));
    c->send_sealed(
      protocol::make_envelope("presence", "p3", {{"users", many}}));
    reply = c->read_sealed();
    ASSERT_TRUE(reply);
    EXPECT_NE(reply->find(R"("code":"oversize")"), std::string::npos) << *reply;
  }
}

TEST_F(cluster_test, the_sender_hears_of_delivery_across_routers) {
  // Both on A; the recipient's home is B, so the message, the ack and the
  // delivered notice each cross the backbone.
  auto ua = homed_at("ua", "A", names);
  auto ub = homed_at("ub", "B", names);
  raw_client receiver{a.port};
  ASSERT_TRUE(receiver.login(ub, test_key(ub)));
  raw_client sender{a.port};
  ASSERT_TRUE(sender.login(ua, test_key(ua)));
  sender.send_sealed(R"({"v":1,"type":"send","id":"7","to":")" + ub
                     + R"(","blob":"opaque"})");
  auto accepted = sender.read_sealed();
  ASSERT_TRUE(accepted);
  EXPECT_NE(accepted->find(R"("status":"accepted")"), std::string::npos)
    << *accepted;
  auto deliver = receiver.read_sealed();
  ASSERT_TRUE(deliver);
  auto env = boost::json::parse(*deliver).as_object();
  ASSERT_EQ(env["type"].as_string(), "deliver") << *deliver;
  EXPECT_EQ(env["from"].as_string(), ua);
  std::string seq{env["id"].as_string().c_str()};
  receiver.send_sealed(R"({"v":1,"type":"ack","id":")" + seq + R"("})");
  auto notice = sender.read_sealed();
  ASSERT_TRUE(notice);
  EXPECT_NE(notice->find(R"("status":"delivered")"), std::string::npos)
    << *notice;
  EXPECT_NE(notice->find(R"("seq":)" + seq), std::string::npos) << *notice;
}

TEST_F(cluster_test, offline_messages_wait_at_the_home_router) {
  auto carol = homed_at("carol", "A", names);
  auto dave = homed_at("dave", "B", names);
  init(carol);
  init(dave);
  ASSERT_EQ(as(dave, {1}, {"recv", "--wait", "0"}).exit_code, 0);
  for (auto body : {"one", "two", "three"})
    ASSERT_EQ(as(carol, {0}, {"send", dave, body}).exit_code, 0);
  // dave's queue lives on B; he collects it through A.
  EXPECT_EQ(bodies(dave, 0, 3),
            (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(bodies(dave, 1, 0, 1).empty());
}

TEST_F(cluster_test, a_user_on_the_other_router_pays_through_the_bank) {
  auto op = homed_at("op", "A", names);
  auto payer = homed_at("payer", "B", names);
  auto payee = homed_at("payee", "A", names);
  // The bank sits behind A; the payer signs in on B.
  for (auto& user : {op, payer, payee})
    init(user);
  auto bank_log = dir / "bank.log";
  auto bank = process::start({COURIER_NODE, "bank",
                              "--server=" + servers(spec, {0}),
                              "--data=" + (dir / "bank"), prepare_bank(op)},
                             bank_log);
  ASSERT_TRUE(wait_for_text(bank_log, "bank signed in", seconds{20}))
    << slurp(bank_log);
  for (auto& [user, via] : std::vector<std::pair<std::string, size_t>>{
         {op, 0}, {payer, 1}, {payee, 0}}) {
    auto r = as(user, {via}, {"open-account"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto issued = as(op, {0}, {"issue", payer, "50.00"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  auto paid = as(payer, {1}, {"pay", payee, "12.50"});
  ASSERT_EQ(paid.exit_code, 0) << paid.err;
  EXPECT_NE(as(payer, {1}, {"balance"}).out.find("37.50"), std::string::npos);
  EXPECT_NE(as(payee, {0}, {"balance"}).out.find("12.50"), std::string::npos);
}

TEST_F(cluster_test, the_bank_moves_to_the_other_router_when_one_stops) {
  // The bank first uses the router that is not its home, which then stops.
  auto home = names[courier::cluster::home_index(names, "bank")];
  size_t home_index = home == "A" ? 0 : 1;
  size_t other = 1 - home_index;
  auto op = homed_at("op", home, names);
  auto payer = homed_at("payer", home, names);
  for (auto& user : {op, payer})
    init(user);
  auto bank_log = dir / "bank.log";
  auto bank = process::start({COURIER_NODE, "bank",
                              "--server=" + servers(spec, {other, home_index}),
                              "--data=" + (dir / "bank"), prepare_bank(op)},
                             bank_log);
  ASSERT_TRUE(wait_for_text(bank_log, "bank signed in", seconds{20}))
    << slurp(bank_log);
  for (auto& user : {op, payer}) {
    ASSERT_EQ(as(user, {home_index}, {"open-account"}).exit_code, 0);
  }
  ASSERT_EQ(as(op, {home_index}, {"issue", payer, "10.00"}).exit_code, 0);
  (other == 0 ? a : b).proc.kill_hard();
  // The bank notices, signs in through its home router, and serves again.
  auto paid = as(payer, {home_index}, {"pay", op, "4.00"});
  ASSERT_EQ(paid.exit_code, 0) << paid.err << slurp(bank_log);
  EXPECT_EQ(count_in(bank_log, "bank signed in"), 2u) << slurp(bank_log);
  EXPECT_NE(as(payer, {home_index}, {"balance"}).out.find("6.00"),
            std::string::npos);
}

TEST_F(cluster_test, clients_move_to_the_other_router_when_one_stops) {
  auto erin = homed_at("erin", "A", names);
  auto frank = homed_at("frank", "A", names);
  auto gina = homed_at("gina", "B", names);
  for (auto& u : {erin, frank, gina})
    init(u);
  ASSERT_EQ(as(frank, {0}, {"recv", "--wait", "0"}).exit_code, 0);
  ASSERT_EQ(as(gina, {1}, {"recv", "--wait", "0"}).exit_code, 0);
  b.proc.kill_hard();
  ASSERT_TRUE(wait_for_text(a.log, "peer B is gone")) << slurp(a.log);

  // erin lists B first: it is down, so she is served by A.
  auto sent = as(erin, {1, 0}, {"send", frank, "B is down, still here"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(frank, 0, 1),
            std::vector<std::string>{"B is down, still here"});

  // gina's home is B: refused, with a sentence that says to retry.
  auto refused = as(erin, {1, 0}, {"send", gina, "are you there?"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("try again"), std::string::npos) << refused.err;

  b = start(1);
  ASSERT_TRUE(wait_for_text(b.log, "peer A is up")) << slurp(b.log);
  sent = as(erin, {1, 0}, {"send", gina, "are you there?"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(bodies(gina, 0, 1), std::vector<std::string>{"are you there?"});
}

TEST_F(cluster_test, each_router_is_pinned_with_its_own_fingerprint_and_failover_works) {
  auto pat = homed_at("pat", "A", names);
  init(pat);
  auto pin = [](const router_process& r, const std::string& fp) {
    return "--server-fingerprint=" + r.address() + "=" + fp;
  };
  auto wrong = std::string(64, 'c');
  // B first, A second, each with its own pin: B serves.
  auto both = as(pat, {1, 0}, {pin(b, b.fingerprint), pin(a, a.fingerprint),
                               "recv", "--wait", "0"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  // A wrong pin for the router that answers is refused, not skipped.
  auto bad_first = as(pat, {1, 0}, {pin(b, wrong), pin(a, a.fingerprint),
                                    "recv", "--wait", "0"});
  EXPECT_NE(bad_first.exit_code, 0);
  EXPECT_NE(bad_first.err.find(b.address()), std::string::npos)
    << bad_first.err;
  // One fingerprint for two routers is refused with how to pin each.
  auto one_for_all = as(pat, {1, 0}, {"--server-fingerprint", a.fingerprint,
                                      "recv", "--wait", "0"});
  EXPECT_NE(one_for_all.exit_code, 0);
  EXPECT_NE(one_for_all.err.find("HOST:PORT=FINGERPRINT"), std::string::npos)
    << one_for_all.err;
  b.proc.kill_hard();
  ASSERT_TRUE(wait_for_text(a.log, "peer B is gone")) << slurp(a.log);
  // B is down: A serves, checked against A's own pin.
  auto failover = as(pat, {1, 0}, {pin(b, b.fingerprint),
                                   pin(a, a.fingerprint), "recv", "--wait",
                                   "0"});
  EXPECT_EQ(failover.exit_code, 0) << failover.err;
  // A wrong pin for the second router is refused.
  auto bad_second = as(pat, {1, 0}, {pin(b, b.fingerprint), pin(a, wrong),
                                     "recv", "--wait", "0"});
  EXPECT_NE(bad_second.exit_code, 0);
  EXPECT_NE(bad_second.err.find("not the one given for it"),
            std::string::npos)
    << bad_second.err;
}

TEST_F(cluster_test, a_peer_with_a_certificate_from_another_ca_is_refused) {
  // "0evil" sorts before "A", so it dials A with its foreign certificate.
  auto evil_certs = dir / "evil-tls";
  make_certs(evil_certs, {"0evil"});
  std::vector<router_spec> evil_spec{
    {"0evil", "127.0.0.1", free_port(), free_port(), {}}, spec[0]};
  auto evil = start_cluster_router(dir, evil_certs, evil_spec, 0);
  // evil's own check of its files passes (they match its own CA)...
  ASSERT_TRUE(wait_for_text(evil.log, "peer A at")) << slurp(evil.log);
  std::this_thread::sleep_for(seconds{1});
  // ...but the TLS handshake with A never completes.
  EXPECT_EQ(slurp(evil.log).find("peer A is up"), std::string::npos);
  EXPECT_EQ(slurp(a.log).find("0evil"), std::string::npos);
  expect_link_unharmed();
}

TEST_F(cluster_test, plain_tcp_on_the_backbone_gets_nothing) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(spec[0].backbone);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // A plain BASP node would greet us with its handshake; TLS waits.
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 0);
  // A BASP header that claims a 4 GiB payload, then junk.
  std::string junk(32, '\0');
  junk[0] = 0;       // server handshake operation
  junk[8] = '\xff';  // payload length bytes
  junk[9] = '\xff';
  junk[10] = '\xff';
  junk[11] = '\xff';
  junk += std::string(4096, 'x');
  ASSERT_GT(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), 0);
  // Whatever comes back is not BASP (at most a short TLS alert), and the
  // connection is closed.
  std::string got;
  char buf[4096];
  auto deadline = steady_clock::now() + seconds{5};
  bool closed = false;
  while (!closed && steady_clock::now() < deadline) {
    if (::poll(&p, 1, 200) > 0) {
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        closed = true;
      else
        got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(got.size(), 64u);
  EXPECT_TRUE(got.empty() || got[0] == '\x15') << "not a TLS alert";
  expect_link_unharmed();
}

TEST(cluster_options, a_router_runs_from_the_example_config_file) {
  // deploy/examples/three-machines/router-b.ini with this machine's
  // addresses and folders: the shipped file's syntax is what CAF reads.
  temp_dir dir;
  make_certs(dir / "tls", {"A", "B"});
  std::vector<router_spec> spec{
    {"A", "127.0.0.1", free_port(), free_port(), {}},
    {"B", "127.0.0.1", free_port(), free_port(), {}}};
  auto ini = slurp(COURIER_SOURCE_DIR "/deploy/examples/three-machines/router-b.ini");
  ASSERT_FALSE(ini.empty());
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = ini.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    ini.replace(at, from.size(), to);
  };
  auto port = [](uint16_t p) { return std::to_string(p); };
  replace("10.0.0.2:7400", "127.0.0.1:" + port(spec[1].edge));
  replace("10.0.0.2:7500", "127.0.0.1:" + port(spec[1].backbone));
  replace("A@10.0.0.1:7500", "A@127.0.0.1:" + port(spec[0].backbone));
  replace("/var/lib/courier/router", dir / "b-data");
  // No PostgreSQL in this test: without the store line the router keeps
  // its state in SQLite (pg_routers_test runs routers on a store).
  if (auto at = ini.find("\nstore=\""); at != std::string::npos)
    ini.erase(at + 1, ini.find('\n', at + 1) - at);
  auto metrics = free_port();
  replace("127.0.0.1:9470", "127.0.0.1:" + port(metrics));
  for (auto file : {"B.crt", "B.key", "ca.crt"})
    replace(std::string{"/etc/courier/tls/"} + file, dir / ("tls/" + std::string{file}));
  std::ofstream{dir / "router-b.ini"} << ini;
  auto a = start_cluster_router(dir, dir / "tls", spec, 0);
  auto b_log = dir / "b.log";
  auto b = process::start({COURIER_NODE, "router",
                           "--config-file=" + (dir / "router-b.ini")},
                          b_log);
  EXPECT_TRUE(wait_for_text(b_log, "(mutual TLS)")) << slurp(b_log);
  // The list of reserved names is read from the file too.
  EXPECT_TRUE(wait_for_text(b_log, "reserved name 'bank'")) << slurp(b_log);
  EXPECT_TRUE(wait_for_text(b_log, "reserved name 'alice'")) << slurp(b_log);
  EXPECT_TRUE(wait_for_text(b_log, "peer A is up")) << slurp(b_log);
  EXPECT_TRUE(wait_for_text(a.log, "peer B is up")) << slurp(a.log);
  // So is the metrics address.
  EXPECT_TRUE(wait_for_text(b_log, "serving /metrics")) << slurp(b_log);
}

TEST(cluster_options, a_backbone_without_certificates_is_refused) {
  temp_dir dir;
  auto r = run({COURIER_NODE, "router", "--name=A", "--edge=127.0.0.1:0",
                "--backbone=127.0.0.1:0", "--peer=B@127.0.0.1:1",
                "--data=" + (dir / "a")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("refusing to start a backbone without certificates"),
            std::string::npos)
    << r.err;
  // A certificate from another CA is caught before anything listens.
  make_certs(dir / "ours", {"A"});
  make_certs(dir / "theirs", {"A"});
  r = run({COURIER_NODE, "router", "--name=A", "--edge=127.0.0.1:0",
           "--backbone=127.0.0.1:0", "--peer=B@127.0.0.1:1",
           "--data=" + (dir / "a"), "--tls-cert=" + (dir / "theirs/A.crt"),
           "--tls-key=" + (dir / "theirs/A.key"),
           "--tls-ca=" + (dir / "ours/ca.crt")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
  // An edge or backbone that is not HOST:PORT is refused, not half-read
  // ("74OO" once meant port 74).
  for (auto bad : {"--edge=127.0.0.1:74OO", "--backbone=127.0.0.1:75x"}) {
    r = run({COURIER_NODE, "router", bad, "--insecure-dev",
             "--data=" + (dir / "a")});
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find("must be HOST:PORT"), std::string::npos) << r.err;
  }
  // Peers that are not NAME@HOST:PORT, or twice the same name.
  for (auto bad : {"B127.0.0.1:1", "B@127.0.0.1", "A@127.0.0.1:1", "B@:1"}) {
    r = run({COURIER_NODE, "router", "--name=A", "--edge=127.0.0.1:0",
             "--backbone=127.0.0.1:0", std::string{"--peer="} + bad,
             "--insecure-dev", "--data=" + (dir / "a")});
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_FALSE(r.err.empty()) << bad;
  }
}

// -- backbone names and membership -------------------------------------------

namespace {

/// How often `needle` occurs in `text`.
size_t count_in_text(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

/// The SHA-256 fingerprint of a certificate file, as openssl prints it.
std::string fingerprint_of(const std::string& crt) {
  auto r = run({"/usr/bin/openssl", "x509", "-in", crt, "-noout", "-fingerprint",
                "-sha256"});
  auto eq = r.out.find('=');
  if (r.exit_code != 0 || eq == std::string::npos)
    throw std::runtime_error("cannot read " + crt + ": " + r.err);
  auto fp = r.out.substr(eq + 1);
  while (!fp.empty() && (fp.back() == '\n' || fp.back() == '\r'))
    fp.pop_back();
  return fp;
}

/// A folder with the CA and one router's certificate and key, taken from
/// `from` (`crt`, `key`) under the names NAME.crt and NAME.key.
std::string tls_folder(const std::string& dir, const std::string& certs,
                       const std::string& name, const std::string& crt,
                       const std::string& key) {
  std::filesystem::create_directories(dir);
  using std::filesystem::copy_options;
  std::filesystem::copy_file(certs + "/ca.crt", dir + "/ca.crt",
                             copy_options::overwrite_existing);
  std::filesystem::copy_file(crt, dir + "/" + name + ".crt",
                             copy_options::overwrite_existing);
  std::filesystem::copy_file(key, dir + "/" + name + ".key",
                             copy_options::overwrite_existing);
  return dir;
}

} // namespace

TEST(cluster_names, a_peer_is_accepted_only_with_its_own_valid_certificate) {
  temp_dir dir;
  auto certs = dir / "tls";
  make_certs(certs, {"A", "B", "C"});
  // B's first pair is revoked; B gets a second one, which A pins; a third
  // one for B, from the same CA, is valid but not pinned.
  auto old_pair = tls_folder(dir / "old-b", certs, "B", certs + "/B.crt",
                             certs + "/B.key");
  auto r = run({"/bin/bash", COURIER_SOURCE_DIR "/deploy/make-certs.sh", certs,
                "--revoke", "B"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  make_certs(certs, {"B"});
  auto other_pair = dir / "other-b";
  {
    auto tmp = dir / "tmp-tls";
    std::filesystem::create_directories(tmp);
    for (auto f : {"ca.crt", "ca.key"})
      std::filesystem::copy_file(certs + "/" + f, tmp + "/" + f);
    make_certs(tmp, {"B"});
    tls_folder(other_pair, tmp, "B", tmp + "/B.crt", tmp + "/B.key");
  }
  std::vector<router_spec> spec{
    {"A", "127.0.0.1", free_port(), free_port(), {}},
    {"B", "127.0.0.1", free_port(), free_port(), {}}};
  // A dials B ("A" < "B"), checking the CRL and B's pin.
  auto a = start_cluster_router(
    dir, certs, spec, 0,
    {"--tls-crl=" + certs + "/crl.pem",
     "--peer-fingerprint=B=" + fingerprint_of(certs + "/B.crt")});
  // At B's address: router C, with C's own valid certificate.
  auto c_spec = spec;
  c_spec[1].name = "C";
  {
    auto c = start_cluster_router(dir, certs, c_spec, 1);
    EXPECT_TRUE(wait_for_text(a.log, "does not name a configured peer router"))
      << slurp(a.log);
  }
  // B with its revoked certificate (it has no CRL itself).
  {
    auto b = start_cluster_router(dir, old_pair, spec, 1);
    EXPECT_TRUE(wait_for_text(a.log, "certificate revoked", seconds{30}))
      << slurp(a.log);
  }
  // B with a valid certificate for B that is not the pinned one.
  {
    auto b = start_cluster_router(dir, other_pair, spec, 1);
    EXPECT_TRUE(wait_for_text(a.log, "is not the one pinned for 'B'",
                              seconds{30}))
      << slurp(a.log);
  }
  EXPECT_EQ(slurp(a.log).find("peer B is up"), std::string::npos)
    << slurp(a.log);
  EXPECT_EQ(slurp(a.log).find("peer C is up"), std::string::npos);
  // The real B is taken.
  auto b = start_cluster_router(dir, certs, spec, 1);
  EXPECT_TRUE(wait_for_text(a.log, "peer B is up", seconds{30})) << slurp(a.log);
  EXPECT_TRUE(wait_for_text(b.log, "peer A is up", seconds{30})) << slurp(b.log);
}

TEST(cluster_membership, a_changed_router_set_is_refused_until_migrated) {
  temp_dir dir;
  auto certs = dir / "tls";
  make_certs(certs, {"A", "B", "C"});
  std::vector<router_spec> all{
    {"A", "127.0.0.1", free_port(), free_port(), {}},
    {"B", "127.0.0.1", free_port(), free_port(), {}},
    {"C", "127.0.0.1", free_port(), free_port(), {}}};
  std::vector<router_spec> two{all[0], all[1]};
  std::vector<std::string> old_set{"A", "B"};
  std::vector<std::string> new_set{"A", "B", "C"};
  auto home = [](const std::vector<std::string>& set, const std::string& u) {
    return set[courier::cluster::home_index(set, u)];
  };
  // Two users whose homes move to C (one from A's folder, one from B's
  // if there is such a name), and a sender who stays at A.
  std::vector<std::string> movers;
  for (auto from : {"A", "B"})
    for (int i = 0; i < 1000; ++i) {
      auto u = "mover" + std::to_string(i);
      if (home(old_set, u) == from && home(new_set, u) == "C") {
        movers.push_back(u);
        break;
      }
    }
  ASSERT_EQ(movers.size(), 2u);
  std::string sender;
  for (int i = 0; i < 1000 && sender.empty(); ++i)
    if (auto u = "sender" + std::to_string(i);
        home(old_set, u) == "A" && home(new_set, u) == "A")
      sender = u;
  auto home_dir = dir / "home";
  auto init = [&](const std::string& h, const std::string& u) {
    auto r = run({COURIER_CLI, "--home", h, "--user", u, "--no-passphrase",
                  "init", "--bits", "2048"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  auto as = [&](const std::string& h, const std::string& u,
                const std::string& via, std::vector<std::string> args) {
    return run(cli(h, via, u, std::move(args)));
  };
  {
    auto a = start_cluster_router(dir, certs, two, 0);
    auto b = start_cluster_router(dir, certs, two, 1);
    ASSERT_TRUE(wait_for_text(a.log, "peer B is up")) << slurp(a.log);
    ASSERT_TRUE(wait_for_text(b.log, "peer A is up")) << slurp(b.log);
    auto via = servers(two, {0, 1});
    for (auto& u : movers) {
      init(home_dir, u);
      ASSERT_EQ(as(home_dir, u, via, {"recv", "--wait", "0"}).exit_code, 0);
    }
    init(home_dir, sender);
    for (auto& u : movers)
      for (auto body : {"one", "two"}) {
        auto sent = as(home_dir, sender, via, {"send", u, body});
        ASSERT_EQ(sent.exit_code, 0) << sent.err;
      }
    EXPECT_TRUE(a.proc.stop());
    EXPECT_TRUE(b.proc.stop());
  }
  // A with the new set refuses to start, and says how to migrate.
  try {
    start_cluster_router(dir, certs, all, 0);
    ADD_FAILURE() << "A started with a changed router set";
  } catch (std::runtime_error& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("courier-node migrate --from A,B --to A,B,C"),
              std::string::npos)
      << text;
  }
  // The migration moves the movers' names and queues to C's folder.
  auto r = run({COURIER_NODE, "migrate", "--from=A,B", "--to=A,B,C",
                "--data=A=" + (dir / "router-A"),
                "--data=B=" + (dir / "router-B"),
                "--data=C=" + (dir / "router-C")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 users and 4 queued messages moved"),
            std::string::npos)
    << r.out;
  // Run again: nothing more moves, nothing is duplicated.
  r = run({COURIER_NODE, "migrate", "--from=A,B", "--to=A,B,C",
           "--data=A=" + (dir / "router-A"), "--data=B=" + (dir / "router-B"),
           "--data=C=" + (dir / "router-C")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 users and 0 queued messages moved"),
            std::string::npos)
    << r.out;
  auto a = start_cluster_router(dir, certs, all, 0);
  auto b = start_cluster_router(dir, certs, all, 1);
  auto c = start_cluster_router(dir, certs, all, 2);
  for (auto* p : {&a, &b, &c})
    ASSERT_TRUE(wait_for_count(p->log, " is up (", 2, milliseconds{20000}))
      << slurp(p->log);
  auto via = servers(all, {0, 1, 2});
  for (auto& u : movers) {
    // Nobody else can take their names at their new home (first, before
    // the owners sign in there themselves)...
    auto other = dir / "other-home";
    init(other, u);
    auto taken = as(other, u, via, {"recv", "--wait", "0"});
    EXPECT_NE(taken.exit_code, 0) << taken.out;
    EXPECT_NE(taken.err.find("already registered"), std::string::npos)
      << taken.err;
    // ...and their queued messages waited for them there.
    auto got = as(home_dir, u, via,
                  {"--json", "recv", "--wait", "10", "--count", "2"});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(count_in_text(got.out, "\"body\":\"one\""), 1u) << got.out;
    EXPECT_EQ(count_in_text(got.out, "\"body\":\"two\""), 1u) << got.out;
  }
}

TEST_F(cluster_test, prekeys_of_a_user_homed_elsewhere_cross_the_backbone) {
  // Alice, homed at A, publishes through B; bob, homed at B, fetches
  // through B: both requests go over the TLS backbone to A.
  auto alice = homed_at("alice", "A", names);
  auto bob = homed_at("bob", "B", names);
  raw_client alice_at_b{b.port};
  ASSERT_TRUE(alice_at_b.login(alice, test_key(alice)));
  raw_client bob_at_b{b.port};
  ASSERT_TRUE(bob_at_b.login(bob, test_key(bob)));
  namespace x3dh = protocol::x3dh;
  auto made = x3dh::make_device(test_key(alice), alice, 1, 1'700'000'000'000);
  ASSERT_TRUE(made);
  protocol::prekey_upload up;
  up.device = made->second;
  auto raw_key = [] {
    return courier::crypto::x25519_public_raw(
             courier::crypto::generate_x25519().value())
      .value();
  };
  up.signed_prekey = {1, raw_key()};
  up.prekey_signature =
    x3dh::sign_prekey(made->first, up.device, up.signed_prekey).value();
  up.one_time = {{7, raw_key()}};
  auto answer = [](raw_client& c) {
    auto reply = c.read_sealed();
    EXPECT_TRUE(reply);
    auto env = protocol::parse_envelope(reply.value_or(""));
    EXPECT_TRUE(env) << reply.value_or("");
    return env ? std::move(*env) : protocol::envelope{};
  };
  alice_at_b.send_sealed(
    protocol::make_envelope("prekeys_publish", "p1", protocol::to_json(up)));
  auto env = answer(alice_at_b);
  ASSERT_EQ(env.type, "prekeys_count") << boost::json::serialize(env.fields);
  EXPECT_EQ(env.num("count"), 1);
  for (auto expect_opk : {true, false}) {
    bob_at_b.send_sealed(protocol::make_envelope("bundle_fetch", "f",
                                                 {{"user", alice}}));
    env = answer(bob_at_b);
    ASSERT_EQ(env.type, "bundle_fetch") << boost::json::serialize(env.fields);
    auto got = protocol::bundle_from_json(env.fields.at("bundle").as_object());
    ASSERT_TRUE(got);
    EXPECT_FALSE(x3dh::verify(got->device, test_key(alice), alice));
    EXPECT_EQ(got->one_time.has_value(), expect_opk);
  }
  alice_at_b.send_sealed(protocol::make_envelope("prekeys_count", "c1"));
  env = answer(alice_at_b);
  ASSERT_EQ(env.type, "prekeys_count");
  EXPECT_EQ(env.num("count"), 0);
  // Bob has published nothing: the home says so through the backbone too.
  alice_at_b.send_sealed(protocol::make_envelope("bundle_fetch", "f2",
                                                 {{"user", bob}}));
  env = answer(alice_at_b);
  EXPECT_EQ(env.str("code"), "no_bundle");
}
