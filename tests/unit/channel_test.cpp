// Unit tests for actors/protocol/channel: the AEAD session channel.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/frame.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "tests/support/protocol_helpers.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;

namespace {

struct channel_pair {
  crypto::secret k1 = crypto::random_secret(32);
  crypto::secret k2 = crypto::random_secret(32);
  channel a{traffic_keys{k1, k2}};
  channel b{traffic_keys{k2, k1}};

  channel fresh_b() const { return channel{traffic_keys{k2, k1}}; }
};

TEST(Channel, ManyFramesInOrderBothWays) {
  channel_pair p;
  ASSERT_TRUE(p.a.ready());
  ASSERT_TRUE(p.b.ready());
  for (int i = 0; i < 200; ++i) {
    auto msg = "a->b #" + std::to_string(i) + std::string(i, '.');
    auto sealed = seal(p.a, msg);
    EXPECT_EQ(sealed.find("a->b #"), std::string::npos); // not plaintext
    EXPECT_EQ(sealed.size(), msg.size() + 16);
    std::string got;
    ASSERT_FALSE(p.b.open(sealed, got)) << i;
    EXPECT_EQ(got, msg);
    auto back = "b->a #" + std::to_string(i);
    std::string got2;
    ASSERT_FALSE(p.a.open(seal(p.b, back), got2)) << i;
    EXPECT_EQ(got2, back);
  }
  std::string got;
  ASSERT_FALSE(p.b.open(seal(p.a, ""), got));
  EXPECT_EQ(got, "");
}

TEST(Channel, SealFrameAppendsAFrameTheReaderSplits) {
  channel_pair p;
  std::vector<char> wire{'x'}; // what was in the buffer stays
  ASSERT_FALSE(p.a.seal_frame("one", wire));
  ASSERT_FALSE(p.a.seal_frame(std::string(3000, 'z'), wire));
  EXPECT_EQ(wire.front(), 'x');
  frame_reader r{64 * 1024};
  std::vector<std::string> frames;
  ASSERT_FALSE(r.feed(wire.data() + 1, wire.size() - 1, frames));
  ASSERT_EQ(frames.size(), 2u);
  std::string got;
  ASSERT_FALSE(p.b.open(frames[0], got));
  EXPECT_EQ(got, "one");
  ASSERT_FALSE(p.b.open(frames[1], got));
  EXPECT_EQ(got, std::string(3000, 'z'));
  // A channel that is not ready leaves the buffer as it was.
  channel none;
  auto before = wire.size();
  EXPECT_TRUE(none.seal_frame("x", wire));
  EXPECT_EQ(wire.size(), before);
}

TEST(Channel, SameMessageSealsDifferently) {
  channel_pair p;
  auto s1 = seal(p.a, "same");
  auto s2 = seal(p.a, "same");
  EXPECT_NE(s1, s2);
}

TEST(Channel, ReplayFails) {
  channel_pair p;
  auto f1 = seal(p.a, "pay bob 10");
  std::string got;
  ASSERT_FALSE(p.b.open(f1, got));
  auto err = p.b.open(f1, got);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::decrypt_failed);
  EXPECT_FALSE(p.b.ready());
}

TEST(Channel, ReorderFails) {
  channel_pair p;
  auto f1 = seal(p.a, "first");
  auto f2 = seal(p.a, "second");
  std::string got;
  EXPECT_TRUE(p.b.open(f2, got));
  // Even the right frame is refused afterwards.
  EXPECT_TRUE(p.b.open(f1, got));
  // A fresh receiver shows both frames were fine in order.
  auto b2 = p.fresh_b();
  ASSERT_FALSE(b2.open(f1, got));
  EXPECT_EQ(got, "first");
  ASSERT_FALSE(b2.open(f2, got));
  EXPECT_EQ(got, "second");
}

TEST(Channel, DroppedFrameFails) {
  channel_pair p;
  seal(p.a, "lost");
  auto f2 = seal(p.a, "second");
  std::string got;
  EXPECT_TRUE(p.b.open(f2, got));
}

TEST(Channel, AnyFlippedBitFails) {
  channel_pair p;
  auto sealed = seal(p.a, "attack at dawn");
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    auto bad = sealed;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    auto rx = p.fresh_b();
    std::string got;
    auto err = rx.open(bad, got);
    ASSERT_TRUE(err) << "bit " << i;
    EXPECT_EQ(code_of(err), errc::decrypt_failed) << "bit " << i;
  }
  auto rx = p.fresh_b();
  std::string got;
  ASSERT_FALSE(rx.open(sealed, got));
  EXPECT_EQ(got, "attack at dawn");
}

TEST(Channel, TruncatedFrameFails) {
  channel_pair p;
  auto sealed = seal(p.a, "some payload");
  for (size_t n = 0; n < sealed.size(); ++n) {
    auto rx = p.fresh_b();
    std::string got;
    EXPECT_TRUE(rx.open(sealed.substr(0, n), got)) << n;
  }
  auto rx = p.fresh_b();
  std::string got;
  EXPECT_TRUE(rx.open(sealed + "x", got)); // extended fails too
}

TEST(Channel, FailsClosed) {
  channel_pair p;
  auto f1 = seal(p.a, "one");
  auto f2 = seal(p.a, "two");
  auto bad = f1;
  bad[0] = static_cast<char>(bad[0] ^ 1);
  std::string got;
  ASSERT_TRUE(p.b.open(bad, got));
  EXPECT_FALSE(p.b.ready());
  // Neither the frame for slot 0 nor for slot 1 opens any more.
  auto err = p.b.open(f1, got);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::not_authenticated);
  EXPECT_TRUE(p.b.open(f2, got));
  // The broken side does not seal either.
  std::string out;
  EXPECT_EQ(code_of(p.b.seal("x", out)), errc::not_authenticated);
}

TEST(Channel, ReflectionFails) {
  channel_pair p;
  auto f = seal(p.a, "to b");
  std::string got;
  EXPECT_TRUE(p.a.open(f, got));
}

TEST(Channel, DifferentKeysFail) {
  channel_pair p, q;
  auto f = seal(p.a, "hi");
  std::string got;
  EXPECT_TRUE(q.b.open(f, got));
  // The frame itself is fine: its real receiver opens it.
  auto rx = p.fresh_b();
  EXPECT_FALSE(rx.open(f, got));
}

TEST(Channel, ReleasedContextsComeBackWithTheSameCounters) {
  channel_pair p;
  auto f0 = seal(p.a, "before");
  std::string got;
  ASSERT_FALSE(p.b.open(f0, got));
  p.a.release();
  p.b.release();
  EXPECT_FALSE(p.a.holds_contexts());
  EXPECT_TRUE(p.a.ready());
  // The counters carry on: the next frame opens, a replay still fails.
  auto f1 = seal(p.a, "after");
  EXPECT_TRUE(p.a.holds_contexts());
  ASSERT_FALSE(p.b.open(f1, got));
  EXPECT_EQ(got, "after");
  p.b.release();
  EXPECT_EQ(code_of(p.b.open(f1, got)), errc::decrypt_failed);
  // A receiver that never released agrees on the stream.
  auto rx = p.fresh_b();
  ASSERT_FALSE(rx.open(f0, got));
  ASSERT_FALSE(rx.open(f1, got));
  EXPECT_EQ(got, "after");
}

TEST(Channel, HalfTheKeysIsNotReady) {
  channel half{traffic_keys{crypto::random_secret(32), crypto::secret{}}};
  EXPECT_FALSE(half.ready());
  channel short_key{traffic_keys{crypto::random_secret(5),
                                 crypto::random_secret(32)}};
  std::string out;
  EXPECT_TRUE(short_key.seal("x", out));
}

TEST(Channel, DefaultChannelRefuses) {
  channel ch;
  EXPECT_FALSE(ch.ready());
  std::string out;
  EXPECT_EQ(code_of(ch.seal("x", out)), errc::not_authenticated);
  EXPECT_EQ(code_of(ch.open(std::string(20, 'x'), out)),
            errc::not_authenticated);
}
} // namespace
