// Actor tests for the session broker: a real router, directory, store and
// handshake workers on in-memory databases, a socketpair as the
// connection, and the test playing the client with the protocol functions
// (the last case: the client actor itself, over an edge listener).

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/base_sink.h>

#include "actors/client/client.hpp"
#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/edge_listener.hpp"
#include "actors/server/handshake_worker.hpp"
#include "actors/server/router.hpp"
#include "actors/server/session.hpp"
#include "actors/server/store.hpp"
#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"
#include "crypto/key.hpp"
#include "crypto/signature.hpp"
#include "tests/support/inbox.hpp"
#include "tests/support/prekey_fixture.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;

namespace {

using courier::test::ms;
using courier::test::steady;

/// How long we wait for something that must arrive.
constexpr ms wait_time{3000};
/// How long we watch for something that must not arrive.
constexpr ms quiet_time{200};

using courier::test::inbox;
using courier::test::predicate;

predicate down_of(caf::actor_addr addr) {
  return [addr](const caf::message& m) {
    return m.match_elements<caf::down_msg>()
           && m.get_as<caf::down_msg>(0).source == addr;
  };
}

/// One client connection as the test drives it: the test holds one end of
/// a socketpair, the session broker the other.
struct client {
  std::string tag;
  int fd = -1;
  int session_fd = -1;    ///< the session's end of the socketpair
  ino_t session_ino = 0;  ///< its inode, to tell it from a reused number
  session_actor session;
  protocol::channel chan;
  std::string received; ///< bytes read but not yet taken as frames
};

/// What the session did to the connection: wrote a frame, or closed it.
struct event {
  bool closed = false;
  std::string frame;
};

/// Reads the next frame or the close from `c`, waiting at most `timeout`.
std::optional<event> read_event(client& c, ms timeout) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    auto& buf = c.received;
    if (buf.size() >= protocol::frame_header_size) {
      auto len = protocol::frame_length(buf.data());
      if (buf.size() >= protocol::frame_header_size + len) {
        event ev{false, buf.substr(protocol::frame_header_size, len)};
        buf.erase(0, protocol::frame_header_size + len);
        return ev;
      }
    }
    auto left = std::chrono::duration_cast<ms>(deadline - steady::now());
    if (left.count() <= 0)
      return std::nullopt;
    pollfd pfd{c.fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char chunk[4096];
    auto n = ::recv(c.fd, chunk, sizeof(chunk), 0);
    if (n <= 0)
      return event{true, {}};
    buf.append(chunk, static_cast<size_t>(n));
  }
}

crypto::bytes b64_field(const boost::json::object& obj, const char* name) {
  crypto::bytes out;
  const auto& s = obj.at(name).as_string();
  EXPECT_TRUE(crypto::from_base64({s.data(), s.size()}, out)) << name;
  return out;
}

/// A client_finish for the handshake in `start`, signed by `signer` over the
/// real transcript (mirrors protocol/handshake.cpp).
std::string finish_signed_by(const protocol::client_start& start,
                             const std::string& server_hello,
                             const crypto::key& signer) {
  auto obj = boost::json::parse(server_hello).as_object();
  crypto::sha256_stream h;
  h.update_framed("courier-handshake-v1");
  h.update_framed(start.hello.text);
  h.update_framed(b64_field(obj, "server_key"));
  h.update_framed(b64_field(obj, "eph"));
  h.update_framed(b64_field(obj, "nonce"));
  h.update_framed(b64_field(obj, "wrapped_secret"));
  auto th = h.digest();
  std::string label = "courier client finish v1";
  crypto::bytes msg(label.begin(), label.end());
  msg.push_back(0);
  msg.insert(msg.end(), th.begin(), th.end());
  auto sig = crypto::sign(signer, msg);
  EXPECT_TRUE(sig);
  boost::json::object fin{{"v", protocol::envelope_version},
                          {"type", "client_finish"},
                          {"sig", crypto::to_base64(*sig)}};
  return boost::json::serialize(fin);
}

class SessionTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    for (auto* k : {&alice_key_, &bob_key_, &other_key_}) {
      auto rsa = crypto::generate_rsa(2048);
      ASSERT_TRUE(rsa);
      *k = new crypto::key(*rsa);
    }
    auto ed = crypto::generate_ed25519();
    ASSERT_TRUE(ed);
    auto der = ed->public_der();
    ASSERT_TRUE(der);
    identity_ = new std::shared_ptr<const server_identity>(
      std::make_shared<server_identity>(
        server_identity{*ed, *der, "test-router"}));
  }

  static void TearDownTestSuite() {
    for (auto* k : {&alice_key_, &bob_key_, &other_key_}) {
      delete *k;
      *k = nullptr;
    }
    delete identity_;
    identity_ = nullptr;
  }

  static const crypto::key& alice_key() {
    return *alice_key_;
  }
  static const crypto::key& bob_key() {
    return *bob_key_;
  }
  static const crypto::key& other_key() {
    return *other_key_;
  }

  void SetUp() override {
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    box_ = std::make_unique<inbox>(*sys_);
    auto ddb = open_directory_db(":memory:");
    ASSERT_TRUE(ddb);
    auto sdb = open_store_db(":memory:");
    ASSERT_TRUE(sdb);
    directory_ = spawn_directory(*sys_, *ddb);
    auto first_seq = next_free_seq(**sdb);
    store_ = spawn_store(*sys_, *sdb);
    router_ = spawn_router(*sys_, directory_, store_, edge_limits{}, first_seq);
    handshakes_ = spawn_handshake_pool(*sys_, {2, 256}, *identity_, directory_);
    track(handshakes_.address());
    track(directory_.address());
    track(store_.address());
    track(router_.address());
  }

  void TearDown() override {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    spawned_.clear();
    for (auto fd : fds_)
      ::close(fd);
    fds_.clear();
    handshakes_ = nullptr;
    directory_ = nullptr;
    store_ = nullptr;
    router_ = nullptr;
    box_.reset();
    sys_.reset();
  }

  void track(caf::actor_addr addr) {
    spawned_.push_back(std::move(addr));
  }

  caf::scoped_actor& self() {
    return box_->self();
  }

  /// A fresh connection and session; the test monitors the session.
  client connect(const std::string& tag, edge_limits limits = {}) {
    client c;
    c.tag = tag;
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    c.fd = fds[0];
    c.session_fd = fds[1];
    struct stat st {};
    EXPECT_EQ(::fstat(fds[1], &st), 0);
    c.session_ino = st.st_ino;
    fds_.push_back(fds[0]);
    session_context ctx{*identity_, router_, directory_, handshakes_, limits};
    c.session = spawn_session(*sys_, fds[1], ctx);
    self()->monitor(c.session);
    track(c.session.address());
    return c;
  }

  /// Writes raw bytes to the session, as a client's socket would.
  void bytes(client& c, const std::string& data) {
    // The session may have closed already; a failed write is then fine.
    (void) ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
  }

  void frame(client& c, const std::string& text) {
    std::vector<char> framed;
    protocol::append_frame(framed, text);
    bytes(c, std::string{framed.begin(), framed.end()});
  }

  /// The client side hangs up.
  void hang_up(client& c) {
    ::shutdown(c.fd, SHUT_RDWR);
  }

  /// The next thing the session did to its connection.
  std::optional<event> next_event(client& c, ms timeout = wait_time) {
    return read_event(c, timeout);
  }

  /// The next frame written; empty and a test failure if the session
  /// closed or wrote nothing.
  std::optional<std::string> next_write(client& c) {
    auto ev = next_event(c);
    if (!ev) {
      ADD_FAILURE() << c.tag << ": nothing written";
      return std::nullopt;
    }
    if (ev->closed) {
      ADD_FAILURE() << c.tag << ": closed instead of writing";
      return std::nullopt;
    }
    return std::move(ev->frame);
  }

  /// True if the next event is a close and the session then quits; a
  /// close comes after every frame, so nothing can follow it.
  bool closes_and_quits(client& c) {
    auto ev = next_event(c);
    if (!ev) {
      ADD_FAILURE() << c.tag << ": no close";
      return false;
    }
    if (!ev->closed) {
      ADD_FAILURE() << c.tag << ": wrote instead of closing";
      return false;
    }
    if (!box_->take(down_of(c.session.address()), wait_time)) {
      ADD_FAILURE() << c.tag << ": session still alive after close";
      return false;
    }
    return true;
  }

  /// Reads a plain (unsealed) error envelope; returns its code.
  std::string plain_error(client& c) {
    auto text = next_write(c);
    if (!text)
      return "<none>";
    auto env = protocol::parse_envelope(*text);
    if (!env) {
      ADD_FAILURE() << "not a plain envelope: " << *text;
      return "<bad>";
    }
    EXPECT_EQ(env->type, "error");
    EXPECT_FALSE(env->str("message").empty());
    return std::string{env->str("code")};
  }

  /// Opens and parses the next sealed envelope.
  std::optional<protocol::envelope> next_envelope(client& c) {
    auto sealed = next_write(c);
    if (!sealed)
      return std::nullopt;
    std::string plain;
    if (auto err = c.chan.open(*sealed, plain)) {
      ADD_FAILURE() << c.tag << ": frame does not open: " << explain(err);
      return std::nullopt;
    }
    auto env = protocol::parse_envelope(plain);
    if (!env) {
      ADD_FAILURE() << c.tag << ": bad envelope " << plain;
      return std::nullopt;
    }
    return std::move(*env);
  }

  /// True once the session's socket is closed (within `timeout`).
  static bool socket_closed_within(const client& c, ms timeout) {
    auto deadline = steady::now() + timeout;
    for (;;) {
      struct stat st {};
      if (::fstat(c.session_fd, &st) != 0 || st.st_ino != c.session_ino)
        return true;
      if (steady::now() >= deadline)
        return false;
      std::this_thread::sleep_for(ms{20});
    }
  }

  /// `n` sealed presence requests, framed back to back, for one write.
  static std::string presence_burst(client& c, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      std::string sealed;
      EXPECT_FALSE(c.chan.seal(
        protocol::make_envelope("presence", std::to_string(i)), sealed));
      std::vector<char> framed;
      protocol::append_frame(framed, sealed);
      out.append(framed.begin(), framed.end());
    }
    return out;
  }

  /// Seals and sends one envelope text.
  void send_sealed(client& c, const std::string& text) {
    std::string sealed;
    ASSERT_FALSE(c.chan.seal(text, sealed));
    frame(c, sealed);
  }

  /// Runs the whole handshake; returns the welcome envelope.
  std::optional<protocol::envelope>
  handshake(client& c, const std::string& user, const crypto::key& key) {
    auto start = protocol::start_handshake(user, key);
    EXPECT_TRUE(start);
    if (!start)
      return std::nullopt;
    frame(c, start->hello.text);
    auto hello = next_write(c);
    if (!hello)
      return std::nullopt;
    auto res = protocol::finish_handshake(*start, key, *hello, {});
    EXPECT_TRUE(res) << (res ? "" : explain(res.error()));
    if (!res)
      return std::nullopt;
    EXPECT_TRUE(crypto::equal_ct(res->server_key, (*identity_)->der));
    frame(c, res->finish_text);
    c.chan = protocol::channel{std::move(res->keys)};
    auto welcome = next_envelope(c);
    if (welcome) {
      EXPECT_EQ(welcome->type, "welcome");
    }
    return welcome;
  }

  /// A presence request with id `id`; true if the answer is well-formed
  /// and lists `expect_online`.
  bool presence_works(client& c, const std::string& id,
                      const std::string& expect_online) {
    send_sealed(c, protocol::make_envelope(
                     "presence", id,
                     {{"users", boost::json::array{expect_online, "nobody"}}}));
    auto env = next_envelope(c);
    if (!env)
      return false;
    EXPECT_EQ(env->type, "presence");
    EXPECT_EQ(env->id, id);
    if (env->type != "presence" || !env->has("online"))
      return false;
    for (auto& v : env->fields.at("online").as_array())
      if (v.as_string() == expect_online)
        return true;
    ADD_FAILURE() << expect_online << " not listed as online";
    return false;
  }

  void register_in_directory(const std::string& user, const crypto::key& key) {
    auto der = key.public_der();
    ASSERT_TRUE(der);
    bool ok = false;
    self()
      ->request(directory_, wait_time, register_atom::value, user,
                std::string{der->begin(), der->end()})
      .receive([&](bool is_new) { ok = is_new; },
               [&](caf::error& err) { ADD_FAILURE() << explain(err); });
    ASSERT_TRUE(ok);
  }

  static inline crypto::key* alice_key_ = nullptr;
  static inline crypto::key* bob_key_ = nullptr;
  static inline crypto::key* other_key_ = nullptr;
  static inline std::shared_ptr<const server_identity>* identity_ = nullptr;

  base_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<inbox> box_;
  std::vector<caf::actor_addr> spawned_;
  std::vector<int> fds_; ///< the test's ends of the socketpairs
  handshake_worker_actor handshakes_;
  directory_actor directory_;
  store_actor store_;
  router_actor router_;
};

// -- good paths ----------------------------------------------------------------

TEST_F(SessionTest, HandshakeEndsWithSealedWelcome) {
  auto c = connect("c1");
  auto welcome = handshake(c, "alice", alice_key());
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->str("user"), "alice");
  EXPECT_EQ(welcome->str("server"), "test-router");
  EXPECT_EQ(welcome->num("new_user"), 1);
  // The same user and key again: known, and the first session is kicked
  // with a sealed error before it closes.
  auto c2 = connect("c2");
  auto again = handshake(c2, "alice", alice_key());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->num("new_user"), 0);
  auto kicked = next_envelope(c);
  ASSERT_TRUE(kicked);
  EXPECT_EQ(kicked->type, "error");
  EXPECT_EQ(kicked->str("code"), "not_permitted");
  EXPECT_TRUE(closes_and_quits(c));
  EXPECT_TRUE(presence_works(c2, "p1", "alice"));
}

// A hello whose session ended while it waited costs no public-key work:
// the pool answers it without a worker, and a live one is still answered.
TEST_F(SessionTest, HandshakeJobsOfEndedSessionsAreDropped) {
  auto start = protocol::start_handshake("alice", alice_key());
  ASSERT_TRUE(start);
  auto gone = std::make_shared<handshake_progress>();
  handshake_ref ref{gone};
  gone.reset();
  auto code = errc::none;
  self()
    ->request(handshakes_, wait_time, hello_atom::value, start->hello.text, ref)
    .receive([&](const std::string&) { ADD_FAILURE() << "answered"; },
             [&](caf::error& err) { code = code_of(err); });
  EXPECT_EQ(code, errc::unreachable);
  auto live = std::make_shared<handshake_progress>();
  self()
    ->request(handshakes_, wait_time, hello_atom::value, start->hello.text,
              handshake_ref{live})
    .receive([&](const std::string& reply) { EXPECT_FALSE(reply.empty()); },
             [&](caf::error& err) { ADD_FAILURE() << explain(err); });
  EXPECT_EQ(live->hello.user, "alice");
}

TEST_F(SessionTest, KeyLookupAndPresenceAreAnswered) {
  register_in_directory("bob", bob_key());
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  send_sealed(c, protocol::make_envelope("key_lookup", "k1", {{"user", "bob"}}));
  auto env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "key_lookup");
  EXPECT_EQ(env->id, "k1");
  EXPECT_EQ(env->str("user"), "bob");
  auto der = bob_key().public_der();
  ASSERT_TRUE(der);
  EXPECT_EQ(env->str("key"), crypto::to_base64(*der));
  // Unknown user: an error for that request.
  send_sealed(c, protocol::make_envelope("key_lookup", "k2", {{"user", "zed"}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->id, "k2");
  EXPECT_EQ(env->str("code"), "unknown_user");
  // Presence lists those of the names asked about who are signed in (bob
  // is only registered).
  send_sealed(c, protocol::make_envelope(
                   "presence", "p1",
                   {{"users", boost::json::array{"bob", "alice", "zed"}}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "presence");
  EXPECT_EQ(env->id, "p1");
  ASSERT_TRUE(env->has("online"));
  EXPECT_EQ(boost::json::serialize(env->fields.at("online")), R"(["alice"])");
  // Nobody asked about: nobody listed. There is no list of everyone.
  send_sealed(c, protocol::make_envelope("presence", "p2"));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "presence");
  ASSERT_TRUE(env->has("online"));
  EXPECT_EQ(boost::json::serialize(env->fields.at("online")), "[]");
}

TEST_F(SessionTest, PresenceForTooManyOrInvalidNamesIsRefused) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  boost::json::array many;
  for (size_t i = 0; i <= max_presence_names; ++i)
    many.emplace_back("user" + std::to_string(i));
  send_sealed(c, protocol::make_envelope("presence", "p1",
                                         {{"users", many}}));
  auto env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->id, "p1");
  EXPECT_EQ(env->str("code"), "oversize");
  // One fewer is answered.
  many.pop_back();
  many.back() = "alice";
  send_sealed(c, protocol::make_envelope("presence", "p2",
                                         {{"users", many}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "presence");
  EXPECT_EQ(boost::json::serialize(env->fields.at("online")), R"(["alice"])");
  send_sealed(c, protocol::make_envelope(
                   "presence", "p3", {{"users", boost::json::array{"No Way"}}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->str("code"), "invalid_username");
  EXPECT_TRUE(presence_works(c, "p4", "alice"));
}

TEST_F(SessionTest, SendIsAcceptedWithAReceipt) {
  register_in_directory("bob", bob_key());
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  send_sealed(c, protocol::make_envelope("send", "s1",
                                         {{"to", "bob"}, {"blob", "b1"}}));
  auto env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "receipt");
  EXPECT_EQ(env->id, "s1");
  EXPECT_EQ(env->str("status"), "accepted");
  auto seq1 = env->num("seq");
  EXPECT_GT(seq1, 0);
  send_sealed(c, protocol::make_envelope("send", "s2",
                                         {{"to", "bob"}, {"blob", "b2"}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "receipt");
  EXPECT_EQ(env->id, "s2");
  EXPECT_GT(env->num("seq"), seq1);
  // Unknown and invalid recipients get errors for their request.
  send_sealed(c, protocol::make_envelope("send", "s3",
                                         {{"to", "nobody"}, {"blob", "b"}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->id, "s3");
  EXPECT_EQ(env->str("code"), "unknown_user");
  send_sealed(c, protocol::make_envelope("send", "s4",
                                         {{"to", "Bob!"}, {"blob", "b"}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->id, "s4");
  EXPECT_EQ(env->str("code"), "invalid_username");
  // Letters v1 make their reader work before checking: nobody may send one.
  send_sealed(c, protocol::make_envelope(
                   "send", "s5", {{"to", "bob"}, {"blob", R"({"v":1,"keys":{}})"}}));
  env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "s5");
  EXPECT_EQ(env->str("code"), "unsupported_version");
}

TEST_F(SessionTest, MessagesReachTheOtherSession) {
  auto a = connect("a");
  auto b = connect("b");
  ASSERT_TRUE(handshake(a, "alice", alice_key()));
  ASSERT_TRUE(handshake(b, "bob", bob_key()));
  send_sealed(a, protocol::make_envelope("send", "s1",
                                         {{"to", "bob"}, {"blob", "hello"}}));
  auto receipt = next_envelope(a);
  ASSERT_TRUE(receipt);
  ASSERT_EQ(receipt->type, "receipt");
  auto seq = receipt->num("seq");
  auto deliver = next_envelope(b);
  ASSERT_TRUE(deliver);
  EXPECT_EQ(deliver->type, "deliver");
  EXPECT_EQ(deliver->id, std::to_string(seq));
  EXPECT_EQ(deliver->str("from"), "alice");
  EXPECT_EQ(deliver->str("blob"), "hello");
  EXPECT_GT(deliver->num("ts"), 0);
  // An ack is silent; an ack with a non-numeric id is an error.
  send_sealed(b, protocol::make_envelope("ack", deliver->id));
  send_sealed(b, protocol::make_envelope("ack", "x1"));
  auto err = next_envelope(b);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->type, "error");
  EXPECT_EQ(err->str("code"), "bad_envelope");
  // After the ack, a new session for bob gets nothing again.
  auto b2 = connect("b2");
  ASSERT_TRUE(handshake(b2, "bob", bob_key()));
  EXPECT_TRUE(presence_works(b2, "p", "bob")) << "no redelivery expected";
}

// When a user's home moves (routers on a shared store), the new home may
// push again what the old one pushed: the client sees each message once.
TEST_F(SessionTest, AMessagePushedAgainIsWrittenOnce) {
  auto b = connect("b");
  ASSERT_TRUE(handshake(b, "bob", bob_key()));
  auto push = [&](uint64_t seq, std::string blob) {
    self()->send(b.session, deliver_atom::value,
                 stored_message{seq, "alice", std::move(blob), 1});
  };
  push(7, "first");
  push(7, "first"); // unacknowledged yet: dropped
  push(8, "second");
  auto env = next_envelope(b);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "7");
  env = next_envelope(b);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "8");
  send_sealed(b, protocol::make_envelope("ack", "7"));
  push(7, "first"); // acknowledged: acknowledged again, not written
  push(9, "other"); // another sender's message under a seq seen: written
  self()->send(b.session, deliver_atom::value,
               stored_message{8, "carol", "from carol", 1});
  env = next_envelope(b);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "9");
  env = next_envelope(b);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "8");
  EXPECT_EQ(env->str("from"), "carol");
}

TEST_F(SessionTest, PrekeysArePublishedFetchedAndCounted) {
  namespace x3dh = protocol::x3dh;
  using courier::test::one_time_prekeys;
  using courier::test::t0;
  auto a = connect("alice");
  ASSERT_TRUE(handshake(a, "alice", alice_key()));
  auto b = connect("bob");
  ASSERT_TRUE(handshake(b, "bob", bob_key()));
  auto made = x3dh::make_device(alice_key(), "alice", 1, t0);
  ASSERT_TRUE(made);
  protocol::prekey_upload up;
  up.device = made->second;
  up.signed_prekey = one_time_prekeys(1, 3).front();
  up.prekey_signature =
    x3dh::sign_prekey(made->first, up.device, up.signed_prekey).value();
  up.one_time = one_time_prekeys(2, 10);
  auto answer = [&](client& c, const std::string& type,
                    const std::string& id) {
    auto env = next_envelope(c);
    EXPECT_TRUE(env);
    if (!env)
      return protocol::envelope{};
    EXPECT_EQ(env->type, type) << boost::json::serialize(env->fields);
    EXPECT_EQ(env->id, id);
    return std::move(*env);
  };
  // Bob asks before alice published: she has no bundle.
  send_sealed(b, protocol::make_envelope("bundle_fetch", "f0",
                                         {{"user", "alice"}}));
  EXPECT_EQ(answer(b, "error", "f0").str("code"), "no_bundle");
  send_sealed(a, protocol::make_envelope("prekeys_publish", "p1",
                                         protocol::to_json(up)));
  EXPECT_EQ(answer(a, "prekeys_count", "p1").num("count"), 2);
  send_sealed(b, protocol::make_envelope("bundle_fetch", "f1",
                                         {{"user", "alice"}}));
  auto env = answer(b, "bundle_fetch", "f1");
  ASSERT_TRUE(env.has("bundle"));
  auto got = protocol::bundle_from_json(env.fields.at("bundle").as_object());
  ASSERT_TRUE(got) << explain(got.error());
  ASSERT_TRUE(got->one_time);
  EXPECT_EQ(got->one_time->id, 10u);
  EXPECT_FALSE(x3dh::verify(got->device, alice_key(), "alice"));
  send_sealed(a, protocol::make_envelope("prekeys_count", "c1"));
  EXPECT_EQ(answer(a, "prekeys_count", "c1").num("count"), 1);
  // Hostile: a certificate signed by another key, a batch with one id
  // twice, answers sent as requests. Each is an error; the session stays.
  auto forged = x3dh::make_device(other_key(), "alice", 1, t0);
  ASSERT_TRUE(forged);
  auto bad = up;
  bad.device = forged->second;
  bad.prekey_signature =
    x3dh::sign_prekey(forged->first, bad.device, bad.signed_prekey).value();
  send_sealed(a, protocol::make_envelope("prekeys_publish", "p2",
                                         protocol::to_json(bad)));
  EXPECT_EQ(answer(a, "error", "p2").str("code"), "bad_signature");
  auto twice = protocol::to_json(up);
  twice["opks"].as_array().push_back(twice["opks"].as_array().front());
  send_sealed(a, protocol::make_envelope("prekeys_publish", "p3", twice));
  EXPECT_EQ(answer(a, "error", "p3").str("code"), "bad_envelope");
  send_sealed(a, protocol::make_envelope(
                   "bundle_fetch", "f2",
                   {{"user", "alice"}, {"bundle", boost::json::object{}}}));
  EXPECT_EQ(answer(a, "error", "f2").str("code"), "unknown_type");
  send_sealed(a, protocol::make_envelope("prekeys_count", "c2", {{"count", 5}}));
  EXPECT_EQ(answer(a, "error", "c2").str("code"), "unknown_type");
  send_sealed(a, protocol::make_envelope("bundle_fetch", "f3",
                                         {{"user", "Alice"}}));
  EXPECT_EQ(answer(a, "error", "f3").str("code"), "invalid_username");
  send_sealed(a, protocol::make_envelope("prekeys_count", "c3"));
  EXPECT_EQ(answer(a, "prekeys_count", "c3").num("count"), 1);
  send_sealed(b, protocol::make_envelope("bundle_fetch", "f4",
                                         {{"user", "alice"}}));
  got = protocol::bundle_from_json(
    answer(b, "bundle_fetch", "f4").fields.at("bundle").as_object());
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->one_time);
  EXPECT_EQ(got->one_time->id, 11u);
  send_sealed(b, protocol::make_envelope("bundle_fetch", "f5",
                                         {{"user", "alice"}}));
  got = protocol::bundle_from_json(
    answer(b, "bundle_fetch", "f5").fields.at("bundle").as_object());
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->one_time);
}

TEST_F(SessionTest, PrekeyRequestsHaveABudget) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  // The burst (100) is spent at once; the next one is refused.
  size_t counted = 0, refused = 0;
  for (int i = 0; i < 110; ++i)
    send_sealed(c, protocol::make_envelope("prekeys_count",
                                           "c" + std::to_string(i)));
  for (int i = 0; i < 110; ++i) {
    auto env = next_envelope(c);
    ASSERT_TRUE(env);
    if (env->type == "prekeys_count")
      ++counted;
    else if (env->str("code") == "rate_limited")
      ++refused;
  }
  EXPECT_GE(counted, 100u);
  EXPECT_LE(counted, 102u); // what refilled while the test sent
  EXPECT_EQ(counted + refused, 110u);
  // The session is still open.
  EXPECT_TRUE(presence_works(c, "p", "alice"));
}

// -- hostile paths: handshake --------------------------------------------------

TEST_F(SessionTest, GarbageFirstFrameGetsPlainErrorAndClose) {
  auto c = connect("c1");
  frame(c, "\x01\x02 definitely not json");
  EXPECT_EQ(plain_error(c), "bad_frame");
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, EmptyAndWrongTypeFirstFramesAreRefused) {
  // A zero length breaks the framing: the stream is cut without a word.
  auto c = connect("c1");
  frame(c, "");
  EXPECT_TRUE(closes_and_quits(c));
  auto d = connect("c2");
  frame(d, protocol::make_envelope("presence", "p1"));
  EXPECT_EQ(plain_error(d), "bad_frame");
  EXPECT_TRUE(closes_and_quits(d));
}

TEST_F(SessionTest, OversizeLengthPrefixCloses) {
  edge_limits limits;
  limits.max_frame = 1024;
  auto c = connect("c1", limits);
  bytes(c, std::string{"\x00\x00\x04\x01", 4} + std::string(64, 'x'));
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, FramesSplitAcrossReadsAndSharingOneRead) {
  auto c = connect("c1");
  auto start = protocol::start_handshake("alice", alice_key());
  ASSERT_TRUE(start);
  // The hello arrives one byte at a time.
  std::vector<char> framed;
  protocol::append_frame(framed, start->hello.text);
  for (char ch : framed) {
    bytes(c, std::string(1, ch));
    std::this_thread::sleep_for(std::chrono::microseconds{50});
  }
  auto hello = next_write(c);
  ASSERT_TRUE(hello);
  auto res = protocol::finish_handshake(*start, alice_key(), *hello, {});
  ASSERT_TRUE(res);
  frame(c, res->finish_text);
  c.chan = protocol::channel{std::move(res->keys)};
  auto welcome = next_envelope(c);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->type, "welcome");
  // Three requests in one write get three answers, in order.
  std::vector<char> three;
  for (auto id : {"p1", "p2", "p3"}) {
    std::string sealed;
    ASSERT_FALSE(c.chan.seal(protocol::make_envelope("presence", id), sealed));
    protocol::append_frame(three, sealed);
  }
  bytes(c, std::string{three.begin(), three.end()});
  for (auto id : {"p1", "p2", "p3"}) {
    auto env = next_envelope(c);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->type, "presence");
    EXPECT_EQ(env->id, id);
  }
}

TEST_F(SessionTest, InvalidUsernameIsRefused) {
  auto c = connect("c1");
  auto start = protocol::start_handshake("Not Valid!", alice_key());
  ASSERT_TRUE(start);
  frame(c, start->hello.text);
  EXPECT_EQ(plain_error(c), "invalid_username");
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, FinishSignedWithAnotherKeyIsRefused) {
  // Control: the test's own transcript signing is accepted for the right key.
  {
    auto c = connect("ok");
    auto start = protocol::start_handshake("alice", alice_key());
    ASSERT_TRUE(start);
    frame(c, start->hello.text);
    auto hello = next_write(c);
    ASSERT_TRUE(hello);
    frame(c, finish_signed_by(*start, *hello, alice_key()));
    auto res = protocol::finish_handshake(*start, alice_key(), *hello, {});
    ASSERT_TRUE(res);
    c.chan = protocol::channel{std::move(res->keys)};
    auto welcome = next_envelope(c);
    ASSERT_TRUE(welcome);
    EXPECT_EQ(welcome->type, "welcome");
  }
  auto c = connect("forged");
  auto start = protocol::start_handshake("mallory", alice_key());
  ASSERT_TRUE(start);
  frame(c, start->hello.text);
  auto hello = next_write(c);
  ASSERT_TRUE(hello);
  frame(c, finish_signed_by(*start, *hello, other_key()));
  EXPECT_EQ(plain_error(c), "bad_signature");
  EXPECT_TRUE(closes_and_quits(c));
  // Nothing was registered for the forged login.
  caf::error err;
  self()
    ->request(directory_, wait_time, lookup_atom::value, std::string{"mallory"})
    .receive([&](std::string&) { ADD_FAILURE() << "mallory registered"; },
             [&](caf::error& e) { err = std::move(e); });
  EXPECT_EQ(code_of(err), errc::unknown_user);
}

TEST_F(SessionTest, TakenUsernameWithAnotherKeyIsRefused) {
  auto c = connect("first");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  auto d = connect("second");
  auto start = protocol::start_handshake("alice", other_key());
  ASSERT_TRUE(start);
  frame(d, start->hello.text);
  auto hello = next_write(d);
  ASSERT_TRUE(hello);
  auto res = protocol::finish_handshake(*start, other_key(), *hello, {});
  ASSERT_TRUE(res);
  frame(d, res->finish_text);
  EXPECT_EQ(plain_error(d), "username_taken");
  EXPECT_TRUE(closes_and_quits(d));
  // The rightful alice was not kicked and still works.
  EXPECT_TRUE(presence_works(c, "p1", "alice"));
  EXPECT_FALSE(next_event(c, quiet_time));
}

TEST_F(SessionTest, HandshakeTimesOut) {
  edge_limits limits;
  limits.handshake_timeout = ms{200};
  auto t0 = steady::now();
  auto c = connect("slow", limits);
  EXPECT_EQ(plain_error(c), "timeout");
  auto elapsed = steady::now() - t0;
  EXPECT_GE(elapsed, ms{150});
  EXPECT_LT(elapsed, ms{1000});
  EXPECT_TRUE(closes_and_quits(c));
  EXPECT_LT(steady::now() - t0, ms{1500});
}

TEST_F(SessionTest, HandshakeTimeoutAfterHelloOnly) {
  edge_limits limits;
  limits.handshake_timeout = ms{200};
  auto c = connect("half", limits);
  auto start = protocol::start_handshake("alice", alice_key());
  ASSERT_TRUE(start);
  frame(c, start->hello.text);
  ASSERT_TRUE(next_write(c)); // server hello; no finish follows
  EXPECT_EQ(plain_error(c), "timeout");
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, ConnectionGoneEndsTheSession) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  hang_up(c);
  EXPECT_TRUE(box_->take(down_of(c.session.address()), wait_time));
  // ...and the router forgets the user.
  auto deadline = steady::now() + wait_time;
  std::vector<std::string> names{"alice"};
  while (!names.empty() && steady::now() < deadline) {
    self()
      ->request(router_, wait_time, online_atom::value,
                std::vector<std::string>{"alice"})
      .receive([&](std::vector<std::string>& xs) { names = xs; },
               [&](caf::error& e) { ADD_FAILURE() << explain(e); });
    if (!names.empty())
      std::this_thread::sleep_for(ms{10});
  }
  EXPECT_TRUE(names.empty());
}

TEST_F(SessionTest, ConnectionGoneDuringHandshakeEndsTheSession) {
  auto c = connect("c1");
  hang_up(c);
  EXPECT_TRUE(box_->take(down_of(c.session.address()), wait_time));
}

// -- hostile paths: after the handshake ---------------------------------------

TEST_F(SessionTest, TamperedFrameCloses) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  std::string sealed;
  ASSERT_FALSE(c.chan.seal(protocol::make_envelope("presence", "p1"), sealed));
  sealed[sealed.size() / 2] ^= 0x01;
  frame(c, sealed);
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, ReplayedFrameCloses) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  std::string sealed;
  ASSERT_FALSE(c.chan.seal(protocol::make_envelope("presence", "p1"), sealed));
  frame(c, sealed);
  auto env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "presence");
  frame(c, sealed);
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, UnsealedFrameAfterHandshakeCloses) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  frame(c, protocol::make_envelope("presence", "p1"));
  EXPECT_TRUE(closes_and_quits(c));
}

TEST_F(SessionTest, BadEnvelopesGetErrorsAndTheSessionStaysUsable) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  struct bad_case {
    std::string text;
    std::string code;
    std::string id; ///< the id the error must carry
  };
  std::vector<bad_case> cases{
    {"{this is not json", "bad_envelope", ""},
    {"[1,2,3]", "bad_envelope", ""},
    {R"({"v":1,"type":"frobnicate","id":"u1"})", "unknown_type", "u1"},
    {R"({"v":1,"type":"send","id":"m1","to":"bob"})", "bad_envelope", "m1"},
    {R"({"v":1,"type":"send","id":"m2","to":"bob","blob":5})", "bad_envelope",
     "m2"},
    {R"({"v":1,"type":"presence","id":"x","extra":1})", "bad_envelope", "x"},
    {R"({"v":2,"type":"presence","id":"x"})", "unsupported_version", "x"},
    {R"({"v":1,"type":"presence","id":7})", "bad_envelope", ""},
    {R"({"v":1,"type":"deliver","id":"d1","from":"bob","blob":"x","ts":1})",
     "unknown_type", "d1"},
    {R"({"v":1,"type":"welcome","id":"w1","user":"a","server":"s",)"
     R"("new_user":1})",
     "unknown_type", "w1"},
    {R"({"v":1,"type":"key_lookup","id":"k1","user":"bob","key":"AAAA"})",
     "unknown_type", "k1"},
  };
  int n = 0;
  for (auto& bc : cases) {
    SCOPED_TRACE(bc.text);
    send_sealed(c, bc.text);
    auto env = next_envelope(c);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->type, "error");
    EXPECT_EQ(env->str("code"), bc.code);
    EXPECT_EQ(env->id, bc.id);
    EXPECT_TRUE(presence_works(c, "p" + std::to_string(++n), "alice"))
      << "session unusable after a bad envelope";
  }
}

TEST_F(SessionTest, KickedSessionGetsSealedErrorAndCloses) {
  auto c = connect("c1");
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  self()->send(c.session, kick_atom::value, std::string{"shutting down"});
  auto env = next_envelope(c);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->str("code"), "not_permitted");
  EXPECT_TRUE(closes_and_quits(c));
}

// -- why a session ended -------------------------------------------------------

/// Keeps the lines a logger writes, for the cases that read them.
class kept_lines : public spdlog::sinks::base_sink<std::mutex> {
public:
  /// The kept lines that contain `text`.
  std::vector<std::string> with(const std::string& text) {
    std::lock_guard<std::mutex> guard{mutex_};
    std::vector<std::string> out;
    for (auto& line : lines_)
      if (line.find(text) != std::string::npos)
        out.push_back(line);
    return out;
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

private:
  std::vector<std::string> lines_;
};

// Every cut writes one line with the user, the peer and the reason; the
// router used to cut sessions without a word (the long soak's legitimate
// session was cut and nothing said why).
/// Keeps the edge's lines while no actor runs that could log meanwhile:
/// a logger's sinks are not for changing while other threads write.
class SessionLogTest : public SessionTest {
protected:
  void SetUp() override {
    logger(component::edge).sinks().push_back(lines_);
    SessionTest::SetUp();
  }

  void TearDown() override {
    SessionTest::TearDown();
    logger(component::edge).sinks().pop_back();
  }

  std::shared_ptr<kept_lines> lines_ = std::make_shared<kept_lines>();
};

TEST_F(SessionLogTest, EveryCutIsLoggedWithUserPeerAndReason) {
  edge_limits limits;
  limits.handshake_timeout = ms{200};
  // Not signed in, and silent.
  auto slow = connect("slow", limits);
  EXPECT_EQ(plain_error(slow), "timeout");
  EXPECT_TRUE(closes_and_quits(slow));
  // A forged frame after signing in.
  auto forged = connect("forged");
  ASSERT_TRUE(handshake(forged, "alice", alice_key()));
  std::string sealed;
  ASSERT_FALSE(forged.chan.seal(protocol::make_envelope("presence", "p1"),
                                sealed));
  sealed[sealed.size() / 2] ^= 0x01;
  frame(forged, sealed);
  EXPECT_TRUE(closes_and_quits(forged));
  // Kicked by a second sign-in of the same user.
  auto kicked = connect("kicked");
  ASSERT_TRUE(handshake(kicked, "bob", bob_key()));
  self()->send(kicked.session, kick_atom::value,
               std::string{"signed in elsewhere"});
  ASSERT_TRUE(next_envelope(kicked));
  EXPECT_TRUE(closes_and_quits(kicked));
  auto one = [&](const std::string& text) {
    auto found = lines_->with(text);
    EXPECT_EQ(found.size(), 1u) << text;
    return found.empty() ? std::string{} : found.front();
  };
  EXPECT_NE(one("user=- peer=local reason=handshake_timeout")
              .find("(handshake)"),
            std::string::npos);
  EXPECT_NE(one("user=alice peer=local reason=bad_frame").find("did not open"),
            std::string::npos);
  EXPECT_NE(one("user=bob peer=local reason=kicked")
              .find("signed in elsewhere"),
            std::string::npos);
  EXPECT_EQ(lines_->with("session cut:").size(), 3u);
}

// -- the socket outlives nothing ------------------------------------------------

// A flood over the frame rate pauses reading; the frames read meanwhile
// wait for the resume. A frame among them that breaks the stream closes
// the session in the same loop cycle as the resume's trigger, which CAF's
// multiplexer squashed away: the stream kept its scribe, both buffers and
// the socket for ever (LeakSanitizer's report on the router).
TEST_F(SessionTest, SessionCutWhileResumingFreesItsSocket) {
  edge_limits limits;
  limits.max_frames_per_second = 10;
  auto c = connect("c1", limits);
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  auto burst = presence_burst(c, 40);
  std::string forged;
  ASSERT_FALSE(c.chan.seal(protocol::make_envelope("presence", "x"), forged));
  forged[forged.size() / 2] ^= 0x01;
  std::vector<char> framed;
  protocol::append_frame(framed, forged);
  burst.append(framed.begin(), framed.end());
  bytes(c, burst);
  ASSERT_TRUE(box_->take(down_of(c.session.address()), ms{5000}))
    << "the forged frame did not end the session";
  EXPECT_TRUE(socket_closed_within(c, ms{2000}))
    << "the session is gone but its socket is still open";
}

// The same squash left a session that was over the rate again when it
// resumed never reading again.
TEST_F(SessionTest, FloodOverTheRateAgainOnResumeIsStillRead) {
  edge_limits limits;
  limits.max_frames_per_second = 10;
  auto c = connect("c1", limits);
  ASSERT_TRUE(handshake(c, "alice", alice_key()));
  bytes(c, presence_burst(c, 40));
  for (int i = 0; i < 40; ++i) {
    auto env = next_envelope(c);
    ASSERT_TRUE(env) << "answer " << i;
    EXPECT_EQ(env->type, "presence");
  }
  // Reading must resume after the pause that began with the last frames.
  send_sealed(c, protocol::make_envelope("presence", "after"));
  auto ev = next_event(c, ms{4000});
  ASSERT_TRUE(ev && !ev->closed) << "the session stopped reading";
}

// -- the client's own requests ---------------------------------------------------

using speak_atom = caf::atom_constant<caf::atom("speak")>;

struct silent_state {
  bool silent = true;
  std::vector<caf::response_promise> held; ///< kept, never answered
};

// Stands in for the directory (a dynamically typed actor may take a typed
// handle's place): passes every request on to `real`, but sits on bundle
// fetches until it hears `speak`, as a router whose home router hangs.
caf::behavior silent_on_bundles(caf::stateful_actor<silent_state>* self,
                                caf::actor real) {
  self->set_default_handler(
    [=](caf::scheduled_actor*,
        caf::message_view& x) -> caf::result<caf::message> {
      auto msg = x.move_content_to_message();
      if (self->state.silent && msg.match_element<bundle_atom>(0)) {
        self->state.held.push_back(self->make_response_promise());
        return caf::delegated<caf::message>{};
      }
      return self->delegate(real, std::move(msg));
    });
  return {[=](speak_atom) { self->state.silent = false; }};
}

// A first letter to a peer waits for the peer's bundle, which the client
// asks for by itself: a router that never answers must fail that send
// after the client's own timeout, not leave it hanging, and later sends
// must still go.
TEST_F(SessionTest, ClientGivesUpOnABundleTheRouterNeverSends) {
  auto dir = sys_->spawn(silent_on_bundles,
                         caf::actor_cast<caf::actor>(directory_));
  track(dir.address());
  session_context ctx{*identity_, router_,
                      caf::actor_cast<directory_actor>(dir), handshakes_,
                      edge_limits{}};
  auto listener = sys_->middleman().spawn_broker(
    edge_listener, std::string{"127.0.0.1"}, uint16_t{0}, ctx,
    admission_limits{});
  track(listener.address());
  uint16_t port = 0;
  self()
    ->request(listener, wait_time, status_atom::value)
    .receive([&](uint16_t bound) { port = bound; },
             [&](caf::error& err) { ADD_FAILURE() << explain(err); });
  ASSERT_NE(port, 0);
  register_in_directory("bob", bob_key());
  test::scratch_dir home;
  client_config cc;
  cc.user = "alice";
  cc.dir = home.path() + "/alice";
  cc.identity = alice_key();
  cc.servers = {{"127.0.0.1", port}};
  cc.own_request_timeout = ms{300};
  auto alice = spawn_client(*sys_, cc);
  ASSERT_TRUE(alice) << explain(alice.error());
  self()
    ->request(*alice, wait_time, connect_atom::value)
    .receive([](const std::string&, bool) {},
             [](caf::error& err) { ADD_FAILURE() << explain(err); });
  auto send = [&](const std::string& body) -> caf::expected<std::string> {
    caf::expected<std::string> result{std::string{}};
    self()
      ->request(*alice, wait_time, send_atom::value, std::string{"bob"}, body)
      .receive([&](std::string& id) { result = std::move(id); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  };
  auto began = steady::now();
  auto first = send("hello");
  auto took = steady::now() - began;
  ASSERT_FALSE(first) << "sent without bob's bundle";
  EXPECT_EQ(code_of(first.error()), errc::unreachable);
  EXPECT_NE(explain(first.error()).find("the router did not answer in time"),
            std::string::npos)
    << explain(first.error());
  EXPECT_GE(took, ms{300});
  EXPECT_LT(took, ms{2000}) << "not the configured timeout";
  // The router answers again (bob published no bundle: a letter v1).
  caf::anon_send(dir, speak_atom::value);
  auto second = send("hello again");
  ASSERT_TRUE(second) << explain(second.error());
  EXPECT_FALSE(second->empty());
  caf::anon_send(*alice, stop_atom::value);
}

} // namespace
