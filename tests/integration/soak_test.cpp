// The hostile soak: a real router takes the hostile mix (garbage,
// truncated frames, impostors, signed-in sessions sending bad envelopes,
// replays, kicks, readers that never read and a flood at them) while a
// legitimate pair chats beside it. It passes when the pair lost and
// duplicated nothing, the router stayed up and its memory flat, and (in the
// sanitizer job) LeakSanitizer found nothing when the router stopped.
//
// CI runs it for 20 s. The long run is
//   COURIER_SOAK_SECONDS=600 ./build/tests/soak_test
// which prints the router's RSS once a minute and checks that it is flat.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "tests/support/harness.hpp"

using namespace courier;
using namespace courier::test;
using namespace std::chrono;

namespace {

int soak_seconds() {
  auto text = std::getenv("COURIER_SOAK_SECONDS");
  auto n = text ? std::atoi(text) : 0;
  return n > 0 ? n : 20;
}

/// The resident set of `pid` in MiB (0 if unknown).
double rss_mib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      double kib = 0;
      in >> kib;
      return kib / 1024;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

std::optional<protocol::envelope> open_envelope(const std::optional<std::string>& text) {
  if (!text)
    return std::nullopt;
  auto env = protocol::parse_envelope(*text);
  if (!env)
    return std::nullopt;
  return std::move(*env);
}

/// One side of the legitimate pair: sends a numbered blob to its peer
/// every few milliseconds, acknowledges what it is handed, and counts both.
class chatter {
public:
  chatter(uint16_t port, std::string me, std::string peer)
    : me_(std::move(me)), peer_(std::move(peer)), conn_(port) {
    signed_in_ = conn_.login(me_, test_key(me_)).has_value();
  }

  bool signed_in() const { return signed_in_; }

  /// Sends the next message (if `sending`) and handles what came in.
  /// False if the router cut this session: a legitimate one must live.
  bool step(bool sending) {
    if (sending) {
      auto n = sent_++;
      conn_.send_sealed(protocol::make_envelope(
        "send", "s" + std::to_string(n),
        {{"to", peer_}, {"blob", me_ + "-" + std::to_string(n)}}));
      ++unanswered_;
    }
    for (;;) {
      auto plain = conn_.read_sealed(milliseconds{sending ? 1 : 50});
      if (!plain) {
        if (conn_.peer_closed())
          refusals_.push_back(me_ + "'s connection closed");
        return !conn_.peer_closed();
      }
      auto env = open_envelope(plain);
      if (!env)
        continue;
      if (env->type == "deliver") {
        ++got_[std::string{env->str("blob")}];
        conn_.send_sealed(protocol::make_envelope(
          "ack", env->id));
      } else if (env->type == "receipt" && !env->id.empty()) {
        --unanswered_; // the router took it
      } else if (env->type == "error") {
        --unanswered_;
        refusals_.push_back(*plain);
      }
    }
  }

  uint64_t sent() const { return sent_; }
  int64_t unanswered() const { return unanswered_; }
  const std::vector<std::string>& refusals() const { return refusals_; }
  const std::map<std::string, int>& got() const { return got_; }

private:
  std::string me_;
  std::string peer_;
  raw_client conn_;
  bool signed_in_ = false;
  uint64_t sent_ = 0;
  int64_t unanswered_ = 0;
  std::vector<std::string> refusals_;
  std::map<std::string, int> got_;
};

/// The hostile mix, one kind per thread, each from its own address so
/// that the per-address caps refuse the attackers, not the pair.
class hostile_mix {
public:
  hostile_mix(uint16_t port, steady_clock::time_point end)
    : port_(port), end_(end) {}

  ~hostile_mix() { join(); }

  void start() {
    run("127.0.0.2", [this](auto& a) { garbage(a); });
    run("127.0.0.3", [this](auto& a) { truncated(a); });
    run("127.0.0.4", [this](auto& a) { impostor(a); });
    run("127.0.0.5", [this](auto& a) { bad_envelopes(a); });
    run("127.0.0.6", [this](auto& a) { kicks(a); });
    run("127.0.0.7", [this](auto& a) { flood_a_non_reader(a); });
  }

  void join() {
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

  /// Connections made, hostile sign-ins that worked, and sessions the
  /// router cut (replays, kicks, readers that never read), over the run.
  uint64_t connections() const { return connections_; }
  uint64_t sign_ins() const { return sign_ins_; }
  uint64_t cut() const { return cut_; }

private:
  template <class F>
  void run(std::string addr, F f) {
    threads_.emplace_back([this, addr, f] {
      while (steady_clock::now() < end_) {
        f(addr);
        std::this_thread::sleep_for(milliseconds{2});
      }
    });
  }

  bool over() const { return steady_clock::now() >= end_; }

  void garbage(const std::string& addr) {
    thread_local std::mt19937 rng{1};
    raw_client c{port_, addr};
    ++connections_;
    std::string junk(1 + rng() % 300, '\0');
    for (auto& ch : junk)
      ch = static_cast<char>(rng());
    c.write_raw(junk);
    c.closed_within(milliseconds{20});
  }

  void truncated(const std::string& addr) {
    auto start = protocol::start_handshake("trunc", test_key("trunc"));
    raw_client c{port_, addr};
    ++connections_;
    std::vector<char> frame;
    protocol::append_frame(frame, start->hello.text);
    c.write_raw({frame.begin(), frame.begin() + frame.size() / 2});
    // Half a hello, then gone: the router must forget it.
  }

  void impostor(const std::string& addr) {
    raw_client c{port_, addr};
    ++connections_;
    c.login("alice", test_key("mallory")); // alice's name, another key
  }

  void bad_envelopes(const std::string& addr) {
    raw_client c{port_, addr};
    ++connections_;
    if (!c.login("mallory", test_key("mallory")))
      return;
    ++sign_ins_;
    for (int i = 0; i < 200 && !over(); ++i) {
      c.send_sealed("{not json");
      c.send_sealed(protocol::make_envelope(std::string(2000, 'x'), "1"));
      c.send_sealed(protocol::make_envelope("send", "2", {{"to", "nobody"}}));
      c.send_sealed(R"({"v":1,"type":"send","id":"3","to":"bob","blob":"{\"v\":1,"})");
      c.send_sealed(protocol::make_envelope("presence", "4"));
      while (c.read_frame(milliseconds{1})) {
      }
    }
    // A replayed frame: the router cuts the session.
    if (!c.written.empty())
      c.write_frame(c.written.front());
    if (c.closed_within(milliseconds{500}))
      ++cut_;
  }

  void kicks(const std::string& addr) {
    raw_client first{port_, addr};
    ++connections_;
    if (!first.login("kate", test_key("kate")))
      return;
    ++sign_ins_;
    // Unread traffic for the first session, then a second sign-in of the
    // same name kicks it (the path that leaked write buffers).
    for (int i = 0; i < 50; ++i)
      first.send_sealed(protocol::make_envelope("presence", std::to_string(i)));
    raw_client second{port_, addr};
    ++connections_;
    if (second.login("kate", test_key("kate")) && first.closed_within(milliseconds{500}))
      ++cut_;
  }

  void flood_a_non_reader(const std::string& addr) {
    raw_client lazy{port_, addr};
    raw_client busy{port_, addr};
    connections_ += 2;
    if (!lazy.login("lazy", test_key("lazy"))
        || !busy.login("busy", test_key("busy")))
      return;
    sign_ins_ += 2;
    std::string blob(8 * 1024, 'b');
    for (int i = 0; i < 400 && !over(); ++i) {
      busy.send_sealed(protocol::make_envelope(
        "send", std::to_string(i), {{"to", "lazy"}, {"blob", blob}}));
      while (busy.read_frame(milliseconds{0})) {
      }
    }
    // lazy never read: its write buffer overflowed and it was cut.
    if (lazy.closed_within(milliseconds{500}))
      ++cut_;
  }

  uint16_t port_;
  steady_clock::time_point end_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> sign_ins_{0};
  std::atomic<uint64_t> cut_{0};
};

} // namespace

// The pair reads with 1 ms timeouts while it sends. The test client
// rounded them down to 0 ms and returned before it looked, so the pair read
// nothing for the whole run: the router's answers filled the socket buffers
// and its write-buffer cap, and it cut alice without an error frame after
// about ten minutes (the long soak's silent cut). A short read must take
// what is already waiting.
TEST(soak_test, a_short_read_takes_what_waits) {
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  raw_client c{ntohs(addr.sin_port)};
  int peer = ::accept(lfd, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  auto send_frame = [&](const std::string& text) {
    std::vector<char> framed;
    protocol::append_frame(framed, text);
    ASSERT_EQ(::send(peer, framed.data(), framed.size(), 0),
              static_cast<ssize_t>(framed.size()));
    std::this_thread::sleep_for(milliseconds{50}); // on loopback by now
  };
  send_frame("first");
  EXPECT_EQ(c.read_frame(milliseconds{1}), std::optional<std::string>{"first"});
  send_frame("second"); // the flood's reader looks with 0 ms
  EXPECT_EQ(c.read_frame(milliseconds{0}),
            std::optional<std::string>{"second"});
  EXPECT_FALSE(c.read_frame(milliseconds{1})); // nothing more
  ::close(peer);
  ::close(lfd);
}

TEST(soak_test, the_pair_loses_nothing_while_the_router_takes_the_hostile_mix) {
  for (auto name : {"alice", "bob", "mallory", "kate", "lazy", "busy", "trunc"})
    test_key(name);
  temp_dir dir;
  // Small queues, so that the flood at the non-reader reaches its quota.
  auto router = router_process::start(dir / "router", 0,
                                      {"--queue-max-messages=2000",
                                       "--handshake-timeout-ms=2000"});
  chatter alice{router.port, "alice", "bob"};
  chatter bob{router.port, "bob", "alice"};
  ASSERT_TRUE(alice.signed_in() && bob.signed_in());

  auto seconds_total = soak_seconds();
  auto start = steady_clock::now();
  auto end = start + seconds{seconds_total};
  hostile_mix mix{router.port, end};
  mix.start();

  std::vector<double> rss; // one sample a second
  auto next_sample = start;
  bool alive = true;
  while (alive && steady_clock::now() < end) {
    alive = alice.step(true) && bob.step(true);
    std::this_thread::sleep_for(milliseconds{10});
    if (steady_clock::now() >= next_sample) {
      rss.push_back(rss_mib(router.proc.pid()));
      next_sample += seconds{1};
      if (rss.size() % 60 == 0)
        std::cout << "soak: " << rss.size() << " s, router RSS "
                  << rss.back() << " MiB" << std::endl;
    }
  }
  // Why a legitimate session ended: what the router said last, and its log.
  auto cut_report = [&] {
    std::string text = "the router cut a legitimate session:";
    for (auto* side : {&alice, &bob})
      for (auto& r : side->refusals())
        text += "\n  " + r;
    return text + "\nrouter log:\n" + slurp(router.log);
  };
  // The pair keeps reading while the attackers finish their last round.
  auto joined = std::async(std::launch::async, [&] { mix.join(); });
  while (alive
         && joined.wait_for(milliseconds{0}) != std::future_status::ready)
    alive = alice.step(false) && bob.step(false);
  joined.wait();
  ASSERT_TRUE(alive) << cut_report();
  ASSERT_TRUE(router.proc.running()) << slurp(router.log);

  // What is still on its way arrives.
  auto drain_until = steady_clock::now() + seconds{10};
  while ((alice.got().size() < bob.sent() || bob.got().size() < alice.sent()
          || alice.unanswered() > 0 || bob.unanswered() > 0)
         && steady_clock::now() < drain_until)
    ASSERT_TRUE(alice.step(false) && bob.step(false)) << cut_report();

  for (auto* side : {&alice, &bob}) {
    EXPECT_TRUE(side->refusals().empty()) << cut_report();
    EXPECT_EQ(side->unanswered(), 0);
  }
  auto check = [](const chatter& from, const std::string& name,
                  const chatter& to) {
    EXPECT_EQ(to.got().size(), from.sent()) << name << "'s messages lost";
    for (auto& [blob, n] : to.got())
      EXPECT_EQ(n, 1) << blob << " was handed over " << n << " times";
    for (uint64_t i = 0; i < from.sent(); ++i)
      EXPECT_EQ(to.got().count(name + "-" + std::to_string(i)), 1u) << i;
  };
  check(alice, "alice", bob);
  check(bob, "bob", alice);

  ASSERT_GE(rss.size(), 4u);
  EXPECT_GT(mix.sign_ins(), 0u) << "the signed-in attacks never ran";
  EXPECT_GT(mix.cut(), 0u) << "no replay, kick or non-reader was cut";
  std::cout << "soak: " << seconds_total << " s, " << mix.connections()
 << " hostile connections (" << mix.sign_ins()
            << " signed in, " << mix.cut() << " cut), pair sent " << alice.sent() << " + "
            << bob.sent() << ", router RSS " << rss[rss.size() / 4]
            << " MiB after warm-up, " << rss.back() << " MiB at the end"
            << std::endl;
  // Flat: after warm-up (the first quarter) it may wander, not climb.
  // Short runs only check a ceiling; a leak of the old size (about 4 MB a
  // minute) shows in the long run and, at any length, in LeakSanitizer.
  if (seconds_total >= 120)
    EXPECT_LT(rss.back(), rss[rss.size() / 4] * 1.10 + 16) << "RSS climbs";
  else
    EXPECT_LT(rss.back(), rss[rss.size() / 4] + 256) << "RSS climbs";
  EXPECT_TRUE(router.proc.stop()); // the leak check runs at exit
}
