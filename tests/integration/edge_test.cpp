// Attacks on a real router process through its edge port: each must fail
// closed and leave every other session unharmed.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "actors/protocol/envelope.hpp"
#include "actors/protocol/limits.hpp"
#include "crypto/aead.hpp"
#include "crypto/random.hpp"
#include "tests/support/harness.hpp"

using namespace courier;
using namespace courier::test;
using namespace std::chrono;

namespace {

class edge_test : public ::testing::Test {
protected:
  // RSA key generation can take longer than the short handshake deadline
  // these tests use, so every key exists before any connection opens.
  static void SetUpTestSuite() {
    for (auto name : {"alice", "mallory", "carol", "dave", "erin", "frank",
                      "gina", "hank", "ivan", "judy", "kate", "lazy", "busy",
                      "olga"})
      test_key(name);
  }

  void SetUp() override {
    router = router_process::start(
      dir / "router", 0,
      {"--handshake-timeout-ms=" + std::to_string(handshake_ms)});
  }

  // An authenticated bystander must still get answers.
  void expect_alive(raw_client& c) {
    c.send_sealed(protocol::make_envelope("presence", "p1"));
    auto reply = c.read_sealed();
    ASSERT_TRUE(reply.has_value()) << "a bystander session was hurt";
    auto env = protocol::parse_envelope(*reply);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->type, "presence");
  }

  /// A router in `data` that holds a pushed message ten minutes for its ack.
  static router_process holding_router(const std::string& data) {
    return router_process::start(data, 0, {"--ack-hold-ms=600000"});
  }

  /// A holding router with a recipient and a sender signed in.
  struct holding_pair {
    holding_pair(const std::string& data, const std::string& rcpt_name,
                 const std::string& sender_name)
      : router(holding_router(data)), rcpt{router.port}, sender{router.port} {
      signed_in = rcpt.login(rcpt_name, test_key(rcpt_name))
                  && sender.login(sender_name, test_key(sender_name));
    }
    router_process router;
    raw_client rcpt;
    raw_client sender;
    bool signed_in = false;
  };

  /// `from` sends `blob` to `to`, whose session is `rcpt`; returns the
  /// `deliver` envelope `rcpt` got (a test failure if none).
  static std::optional<protocol::envelope>
  send_and_push(raw_client& from, raw_client& rcpt, const std::string& to,
                const std::string& blob) {
    from.send_sealed(protocol::make_envelope(
      "send", "s-" + to, {{"to", to}, {"blob", blob}}));
    auto pushed = rcpt.read_sealed();
    EXPECT_TRUE(pushed) << to << " got nothing";
    if (!pushed)
      return std::nullopt;
    auto env = protocol::parse_envelope(*pushed);
    EXPECT_TRUE(env && env->type == "deliver" && env->str("blob") == blob)
      << *pushed;
    if (!env)
      return std::nullopt;
    return std::move(*env);
  }

  /// Short, so that the timeout tests are quick; a sanitizer build needs
  /// longer for a handshake on a busy machine.
  static inline const int handshake_ms = 500 * time_factor();

  temp_dir dir;
  router_process router;
};

std::string error_code_of(const std::string& text) {
  auto env = protocol::parse_envelope(text);
  if (!env || env->type != "error")
    return "";
  return std::string{env->str("code")};
}

} // namespace

TEST_F(edge_test, impersonation_with_another_key_is_refused) {
  raw_client alice{router.port};
  ASSERT_TRUE(alice.login("alice", test_key("alice")));
  raw_client mallory{router.port};
  auto start = protocol::start_handshake("alice", test_key("mallory"));
  ASSERT_TRUE(start);
  mallory.write_frame(start->hello.text);
  auto hello = mallory.read_frame();
  ASSERT_TRUE(hello);
  auto res = protocol::finish_handshake(*start, test_key("mallory"), *hello, {});
  ASSERT_TRUE(res);
  mallory.write_frame(res->finish_text);
  auto answer = mallory.read_frame();
  ASSERT_TRUE(answer);
  EXPECT_EQ(error_code_of(*answer), "username_taken");
  EXPECT_TRUE(mallory.closed_within(seconds{3}));
  expect_alive(alice);
}

TEST_F(edge_test, replayed_frame_closes_the_session) {
  raw_client c{router.port};
  ASSERT_TRUE(c.login("carol", test_key("carol")));
  auto sealed = c.send_sealed(protocol::make_envelope("presence", "1"));
  ASSERT_TRUE(c.read_sealed());
  c.write_frame(sealed); // the same bytes again
  EXPECT_TRUE(c.closed_within(seconds{3}));
}

TEST_F(edge_test, a_quiet_session_frees_its_ciphers_and_keeps_working) {
  temp_dir own;
  auto quick = router_process::start(own / "router", 0,
                                     {"--quiet-after-ms=100"});
  raw_client c{quick.port};
  ASSERT_TRUE(c.login("carol", test_key("carol")));
  for (int round = 0; round < 3; ++round) {
    // Past the quiet period the session has released its cipher contexts;
    // the next frame keys them again, with the counters where they were.
    std::this_thread::sleep_for(milliseconds{400});
    auto sealed = c.send_sealed(protocol::make_envelope("presence", "q"));
    auto reply = c.read_sealed();
    ASSERT_TRUE(reply) << round;
    EXPECT_NE(reply->find("presence"), std::string::npos);
    if (round == 2) {
      std::this_thread::sleep_for(milliseconds{400});
      c.write_frame(sealed); // a replay across a release still fails
      EXPECT_TRUE(c.closed_within(seconds{3}));
    }
  }
}

/// A router whose sessions are closed after 1.5 s without a frame, and a
/// raw client to sign in to it.
struct idle_router {
  temp_dir own;
  // The idle deadline is set after the handshake deadline's tick.
  router_process router = router_process::start(
    own / "router", 0, {"--handshake-timeout-ms=1000", "--idle-timeout-ms=1500"});
  std::chrono::steady_clock::time_point start
    = std::chrono::steady_clock::now();
  raw_client client{router.port};
};

TEST_F(edge_test, a_signed_in_session_that_stays_silent_is_closed_when_idle) {
  idle_router quick;
  auto& c = quick.client;
  auto start = quick.start;
  ASSERT_TRUE(c.login("olga", test_key("olga")));
  auto reply = c.read_sealed(seconds{5});
  ASSERT_TRUE(reply) << "not closed for idleness";
  auto env = protocol::parse_envelope(*reply);
  ASSERT_TRUE(env) << *reply;
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->str("code"), "timeout");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds{1490});
  EXPECT_TRUE(c.closed_within(seconds{3}));
}

TEST_F(edge_test, a_session_fed_one_byte_at_a_time_is_still_idle) {
  idle_router quick;
  auto& c = quick.client;
  auto start = quick.start;
  ASSERT_TRUE(c.login("olga", test_key("olga")));
  // The header of a frame that never ends, then one byte every 200 ms:
  // bytes, but no frame, so no activity.
  ASSERT_TRUE(c.write_raw(std::string{"\0\0\x10\0", 4}));
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - start < seconds{6}) {
    std::this_thread::sleep_for(milliseconds{200});
    closed = !c.write_raw("x");
  }
  EXPECT_TRUE(closed) << "a dribbling client kept its session alive";
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds{1490});
}

TEST_F(edge_test, modified_frame_closes_the_session) {
  raw_client bystander{router.port};
  ASSERT_TRUE(bystander.login("dave", test_key("dave")));
  for (size_t pos : {size_t{0}, size_t{5}, size_t{40}, size_t{1000}}) {
    raw_client c{router.port};
    ASSERT_TRUE(c.login("carol", test_key("carol")));
    c.send_sealed(protocol::make_envelope("presence", "1"));
    ASSERT_TRUE(c.read_sealed()); // the channel works
    auto tampered = c.seal(protocol::make_envelope("presence", "2"));
    tampered[pos % tampered.size()] ^= 0x01;
    c.write_frame(tampered);
    EXPECT_TRUE(c.closed_within(seconds{3})) << "flip at " << pos;
  }
  expect_alive(bystander);
}

TEST_F(edge_test, truncated_and_reordered_frames_close_the_session) {
  raw_client a{router.port};
  ASSERT_TRUE(a.login("carol", test_key("carol")));
  auto full = a.seal(protocol::make_envelope("presence", "1"));
  a.write_frame(full.substr(0, full.size() - 3));
  EXPECT_TRUE(a.closed_within(seconds{3}));
  raw_client b{router.port};
  ASSERT_TRUE(b.login("carol", test_key("carol")));
  (void) b.seal(protocol::make_envelope("presence", "1")); // never sent
  auto second = b.seal(protocol::make_envelope("presence", "2"));
  b.write_frame(second);
  EXPECT_TRUE(b.closed_within(seconds{3}));
}

TEST_F(edge_test, captured_handshake_replayed_on_new_connection_fails) {
  raw_client first{router.port};
  ASSERT_TRUE(first.login("erin", test_key("erin")));
  auto captured = first.written; // hello and finish
  raw_client replay{router.port};
  replay.write_frame(captured[0]);
  ASSERT_TRUE(replay.read_frame()); // a fresh server hello
  replay.write_frame(captured[1]);  // a finish for another transcript
  auto answer = replay.read_frame();
  ASSERT_TRUE(answer);
  EXPECT_EQ(error_code_of(*answer), "bad_signature");
  EXPECT_TRUE(replay.closed_within(seconds{3}));
}

TEST_F(edge_test, oversize_length_prefix_and_garbage_do_not_hurt_others) {
  raw_client bystander{router.port};
  ASSERT_TRUE(bystander.login("frank", test_key("frank")));
  raw_client huge{router.port};
  huge.write_raw(std::string{"\xff\xff\xff\xff", 4} + "xxxx");
  EXPECT_TRUE(huge.closed_within(seconds{3}));
  raw_client zero{router.port};
  zero.write_raw(std::string{"\0\0\0\0", 4});
  EXPECT_TRUE(zero.closed_within(seconds{3}));
  for (int i = 0; i < 5; ++i) {
    raw_client noise{router.port};
    auto bytes = crypto::random_bytes(4096);
    noise.write_raw({bytes.begin(), bytes.end()});
    EXPECT_TRUE(noise.closed_within(seconds{3}));
  }
  raw_client bad_hello{router.port};
  bad_hello.write_frame("{\"v\":1,\"type\":\"client_hello\",\"user\":\"Bad User\"}");
  auto answer = bad_hello.read_frame();
  ASSERT_TRUE(answer);
  EXPECT_EQ(error_code_of(*answer), "invalid_username");
  EXPECT_TRUE(bad_hello.closed_within(seconds{3}));
  expect_alive(bystander);
  EXPECT_TRUE(router.proc.running());
}

// A username is a folder name on clients: `..` would be the data home's
// parent. The router refuses it at sign-in and the CLI before any file.
TEST_F(edge_test, dot_names_are_refused_at_sign_in_and_by_the_cli) {
  for (auto name : {"..", "."}) {
    raw_client hello{router.port};
    hello.write_frame(std::string{"{\"v\":1,\"type\":\"client_hello\","
                                  "\"user\":\""} + name + "\"}");
    auto answer = hello.read_frame();
    ASSERT_TRUE(answer) << name;
    EXPECT_EQ(error_code_of(*answer), "invalid_username") << name;
    EXPECT_TRUE(hello.closed_within(seconds{3})) << name;
  }
  auto home = dir / "home/courier";
  for (auto name : {"..", "."}) {
    auto r = run({COURIER_CLI, "--home", home, "--user", name, "--json",
                  "--no-passphrase", "init", "--bits", "2048"});
    EXPECT_NE(r.exit_code, 0) << name;
    EXPECT_NE(r.out.find("\"error\":\"invalid_username\""), std::string::npos)
      << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "home/identity.pem"));
  EXPECT_FALSE(std::filesystem::exists(home + "/identity.pem"));
  EXPECT_TRUE(router.proc.running());
}

TEST_F(edge_test, bad_envelopes_get_error_codes_and_the_session_survives) {
  raw_client c{router.port};
  ASSERT_TRUE(c.login("gina", test_key("gina")));
  struct { std::string text; std::string code; } cases[] = {
    {"not json", "bad_envelope"},
    {R"({"v":2,"type":"presence"})", "unsupported_version"},
    {R"({"v":1,"type":"teleport"})", "unknown_type"},
    {R"({"v":1,"type":"send","id":"1","to":"x"})", "bad_envelope"},
    {R"({"v":1,"type":"send","id":"1","to":5,"blob":"b"})", "bad_envelope"},
    {R"({"v":1,"type":"deliver","id":"1","from":"a","blob":"b","ts":1})",
     "unknown_type"},
    {R"({"v":1,"type":"send","id":"1","to":"nobody","blob":"b"})",
     "unknown_user"},
  };
  for (auto& tc : cases) {
    c.send_sealed(tc.text);
    auto reply = c.read_sealed();
    ASSERT_TRUE(reply) << tc.text;
    EXPECT_EQ(error_code_of(*reply), tc.code) << tc.text;
  }
  expect_alive(c);
}

// Whatever a sender gets past its frame cap, its reader is handed within
// the same cap: a blob of newlines is not blown up sixfold on delivery, and
// a blob whose delivery would not fit is refused at send, not left to
// block the reader's queue.
TEST_F(edge_test, every_message_taken_fits_its_readers_frame) {
  holding_pair p{dir / "held", "hank", "ivan"};
  ASSERT_TRUE(p.signed_in);
  const size_t cap = edge_limits{}.max_frame;
  std::string newlines(32000, '\n');
  auto pushed = send_and_push(p.sender, p.rcpt, "hank", newlines);
  ASSERT_TRUE(pushed);
  EXPECT_LE(p.rcpt.last_frame_size, cap);
  p.rcpt.send_sealed(protocol::make_envelope("ack", pushed->id));
  auto reply = p.sender.read_sealed();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_code_of(*reply), "") << *reply;
  // The largest send that fits a frame: its delivery would not.
  auto envelope = [](const std::string& blob) {
    return protocol::make_envelope("send", "big",
                                   {{"to", "hank"}, {"blob", blob}});
  };
  std::string blob(cap - envelope("").size() - crypto::aead_tag_size, 'x');
  ASSERT_EQ(envelope(blob).size() + crypto::aead_tag_size, cap);
  p.sender.send_sealed(envelope(blob));
  reply = p.sender.read_sealed();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_code_of(*reply), "oversize") << *reply;
  EXPECT_FALSE(p.rcpt.read_sealed(milliseconds{300})) << "delivered anyway";
  expect_alive(p.sender);
}

TEST_F(edge_test, silent_connection_is_dropped_after_the_handshake_timeout) {
  auto start = std::chrono::steady_clock::now();
  raw_client idle{router.port};
  ASSERT_TRUE(idle.connected());
  auto answer = idle.read_frame(milliseconds{handshake_ms + 2500});
  ASSERT_TRUE(answer);
  EXPECT_EQ(error_code_of(*answer), "timeout");
  // Not before the router's --handshake-timeout-ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            milliseconds{handshake_ms - 10});
  EXPECT_TRUE(idle.closed_within(seconds{3}));
}

TEST_F(edge_test, flood_of_frames_is_throttled_to_the_rate_limit) {
  temp_dir own;
  auto slow = router_process::start(own / "router", 0,
                                    {"--max-frames-per-second=500"});
  raw_client bystander{slow.port};
  ASSERT_TRUE(bystander.login("hank", test_key("hank")));
  raw_client flood{slow.port};
  ASSERT_TRUE(flood.login("ivan", test_key("ivan")));
  // 1500 valid requests in one burst: three seconds' worth at 500/s.
  std::string burst;
  for (int i = 0; i < 1500; ++i) {
    std::vector<char> buf;
    protocol::append_frame(buf, flood.seal(protocol::make_envelope(
                                  "presence", std::to_string(i))));
    burst.append(buf.begin(), buf.end());
  }
  ASSERT_TRUE(flood.write_raw(burst));
  auto start = steady_clock::now();
  int answered = 0;
  while (answered < 1500 && flood.read_sealed(seconds{3}))
    ++answered;
  auto took = duration_cast<milliseconds>(steady_clock::now() - start);
  EXPECT_EQ(answered, 1500) << "throttled, not dropped";
  EXPECT_GE(took.count(), 1800) << "1500 frames at 500/s need about 3 s";
  expect_alive(bystander);
  EXPECT_TRUE(slow.proc.running());
}

TEST_F(edge_test, reader_gets_no_more_than_its_window_and_loses_nothing) {
  temp_dir own;
  auto small = router_process::start(own / "router", 0,
                                     {"--max-write-buffer=65536"});
  raw_client judy{small.port};
  ASSERT_TRUE(judy.login("judy", test_key("judy")));
  raw_client kate{small.port};
  ASSERT_TRUE(kate.login("kate", test_key("kate")));
  std::string blob(20 * 1024, 'b');
  for (int i = 0; i < 20; ++i) {
    kate.send_sealed(protocol::make_envelope(
      "send", std::to_string(i),
      {{"to", "judy"}, {"blob", blob + std::to_string(i)}}));
    auto reply = kate.read_sealed(seconds{10});
    ASSERT_TRUE(reply);
    EXPECT_EQ(protocol::parse_envelope(*reply)->type, "receipt");
  }
  // judy reads but never acknowledges: 32 KiB of window is two messages.
  int unacked = 0;
  while (judy.read_sealed(milliseconds{1000}))
    ++unacked;
  EXPECT_EQ(unacked, 2);
  // A new session that acknowledges gets all twenty, in order.
  raw_client again{small.port};
  ASSERT_TRUE(again.login("judy", test_key("judy")));
  for (int i = 0; i < 20; ++i) {
    auto frame = again.read_sealed(seconds{10});
    ASSERT_TRUE(frame) << "message " << i;
    auto env = protocol::parse_envelope(*frame);
    ASSERT_TRUE(env);
    ASSERT_EQ(env->type, "deliver");
    EXPECT_EQ(env->str("blob"), blob + std::to_string(i));
    again.send_sealed(protocol::make_envelope("ack", env->id));
  }
  EXPECT_FALSE(again.read_sealed(milliseconds{300}));
}

TEST_F(edge_test, client_that_never_reads_its_replies_is_dropped) {
  temp_dir own;
  auto small = router_process::start(own / "router", 0,
                                     {"--max-write-buffer=16384"});
  raw_client lazy{small.port};
  ASSERT_TRUE(lazy.login("lazy", test_key("lazy")));
  raw_client bystander{small.port};
  ASSERT_TRUE(bystander.login("busy", test_key("busy")));
  // Each key_lookup answer is ~600 bytes; stay under the frame rate cap.
  bool dropped = false;
  for (int round = 0; round < 8 && !dropped; ++round) {
    std::string burst;
    for (int i = 0; i < 1500; ++i) {
      std::vector<char> buf;
      protocol::append_frame(buf, lazy.seal(protocol::make_envelope(
                                    "key_lookup", "k", {{"user", "busy"}})));
      burst.append(buf.begin(), buf.end());
    }
    if (!lazy.write_raw(burst))
      dropped = true;
    std::this_thread::sleep_for(milliseconds{1100});
  }
  EXPECT_TRUE(dropped || lazy.closed_within(seconds{5}));
  expect_alive(bystander);
  EXPECT_TRUE(small.proc.running());
}

// How many descriptors process `pid` holds open.
size_t open_fds(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(
         "/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

// Signed-in sessions that flood past the frame rate and then break the
// stream end while their reading resumes; each kept its socket and its
// buffers for ever (and a sanitizer build's leak check reports them).
TEST_F(edge_test, sessions_cut_while_resuming_leave_nothing_behind) {
  temp_dir own;
  auto slow = router_process::start(own / "router", 0,
                                    {"--max-frames-per-second=10"});
  auto before = open_fds(slow.proc.pid());
  for (auto name : {"gina", "hank", "ivan", "judy"}) {
    raw_client c{slow.port};
    ASSERT_TRUE(c.login(name, test_key(name)));
    std::string burst;
    for (int i = 0; i < 40; ++i) {
      std::vector<char> buf;
      protocol::append_frame(buf, c.seal(protocol::make_envelope(
                                    "presence", std::to_string(i))));
      burst.append(buf.begin(), buf.end());
    }
    auto forged = c.seal(protocol::make_envelope("presence", "x"));
    forged[forged.size() / 2] ^= 0x01;
    std::vector<char> buf;
    protocol::append_frame(buf, forged);
    burst.append(buf.begin(), buf.end());
    ASSERT_TRUE(c.write_raw(burst));
    EXPECT_TRUE(c.closed_within(seconds{5})) << name;
  }
  auto deadline = steady_clock::now() + seconds{3};
  while (open_fds(slow.proc.pid()) > before && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{50});
  EXPECT_LE(open_fds(slow.proc.pid()), before)
    << "closed sessions still hold their sockets";
}

TEST_F(edge_test, held_unacknowledged_message_survives_a_graceful_restart) {
  temp_dir own;
  // The message stays in memory until the router stops.
  holding_pair p{own / "router", "hank", "erin"};
  ASSERT_TRUE(p.signed_in);
  ASSERT_TRUE(send_and_push(p.sender, p.rcpt, "hank", "held for hank"));
  // Neither durable nor acknowledged: the sender hears nothing yet.
  EXPECT_FALSE(p.sender.read_sealed(milliseconds{300}));
  ASSERT_TRUE(p.router.proc.stop());
  EXPECT_GE(count_in(p.router.log, "wrote 1 held messages"), 1u)
    << slurp(p.router.log);
  auto again = holding_router(own / "router");
  raw_client hank2{again.port};
  ASSERT_TRUE(hank2.login("hank", test_key("hank")));
  auto frame = hank2.read_sealed();
  ASSERT_TRUE(frame) << "the held message was lost";
  auto env = protocol::parse_envelope(*frame);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "deliver");
  EXPECT_EQ(env->str("blob"), "held for hank");
}

TEST_F(edge_test, an_ack_before_the_answer_makes_the_answer_say_delivered) {
  temp_dir own;
  // The message is held for the ack, so the ack always comes first.
  holding_pair p{own / "router", "ivan", "gina"};
  ASSERT_TRUE(p.signed_in);
  auto& gina = p.sender;
  auto deliver = send_and_push(gina, p.rcpt, "ivan", "for ivan");
  ASSERT_TRUE(deliver);
  EXPECT_FALSE(gina.read_sealed(milliseconds{200})) << "answered too early";
  p.rcpt.send_sealed(protocol::make_envelope("ack", deliver->id));
  auto first = gina.read_sealed();
  ASSERT_TRUE(first);
  auto answer = protocol::parse_envelope(*first);
  ASSERT_TRUE(answer) << *first;
  EXPECT_EQ(answer->type, "receipt");
  EXPECT_EQ(answer->id, "s-ivan");
  EXPECT_EQ(answer->str("status"), "delivered");
  EXPECT_EQ(std::to_string(answer->num("seq")), deliver->id);
  // One receipt says it all: no separate delivered notice follows.
  EXPECT_FALSE(gina.read_sealed(milliseconds{300}));
}
