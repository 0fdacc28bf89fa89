// Unit tests for actors/protocol/ratchet: the Double Ratchet as an attacker
// would try it (replays, reordering, flipped bits, far jumps, stolen state).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/ratchet.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

using namespace courier;
using namespace courier::protocol::ratchet;
using courier::crypto::bytes;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

std::string text(const bytes& b) {
  return {b.begin(), b.end()};
}

/// Alice and Bob after X3DH: a shared secret and Bob's signed prekey.
struct pair_of_sessions {
  session alice;
  session bob;
  bytes ad = bytes{'I', 'K', 'a', 'I', 'K', 'b'};

  pair_of_sessions() {
    auto sk = crypto::random_secret(32);
    auto spk = crypto::generate_x25519();
    EXPECT_TRUE(spk);
    auto spk_pub = crypto::x25519_public_raw(*spk);
    auto a = session::init_alice(sk, *spk_pub);
    auto b = session::init_bob(sk, *spk);
    EXPECT_TRUE(a && b);
    alice = std::move(*a);
    bob = std::move(*b);
  }

  message send(session& from, const std::string& body) {
    auto m = from.encrypt(body, ad);
    EXPECT_TRUE(m) << explain(m.error());
    return m ? *m : message{};
  }

  std::string open(session& to, const message& m, int64_t now = t0) {
    auto p = to.decrypt(m, ad, now);
    EXPECT_TRUE(p) << explain(p.error());
    return p ? text(*p) : std::string{};
  }

  errc refusal(session& to, const message& m, int64_t now = t0,
               const bytes* other_ad = nullptr) {
    auto p = to.decrypt(m, other_ad ? *other_ad : ad, now);
    return p ? errc::none : code_of(p.error());
  }
};

TEST(Ratchet, InOrderBothWaysWithARatchetStepOnEachReply) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "hi bob");
  auto m1 = s.send(s.alice, "are you there?");
  EXPECT_EQ(m0.head.dh, m1.head.dh);
  EXPECT_EQ(m0.head.n, 0u);
  EXPECT_EQ(m1.head.n, 1u);
  EXPECT_EQ(s.open(s.bob, m0), "hi bob");
  EXPECT_EQ(s.open(s.bob, m1), "are you there?");
  auto r0 = s.send(s.bob, "yes");
  EXPECT_NE(r0.head.dh, m0.head.dh); // bob stepped his ratchet
  EXPECT_EQ(s.open(s.alice, r0), "yes");
  auto m2 = s.send(s.alice, "good");
  EXPECT_NE(m2.head.dh, m0.head.dh); // and alice hers
  EXPECT_EQ(m2.head.pn, 2u);
  EXPECT_EQ(m2.head.n, 0u);
  EXPECT_EQ(s.open(s.bob, m2), "good");
  for (int i = 0; i < 50; ++i) {
    auto& from = i % 3 == 0 ? s.bob : s.alice;
    auto& to = i % 3 == 0 ? s.alice : s.bob;
    EXPECT_EQ(s.open(to, s.send(from, "m" + std::to_string(i))),
              "m" + std::to_string(i));
  }
}

TEST(Ratchet, BobCannotSendFirst) {
  pair_of_sessions s;
  auto m = s.bob.encrypt(std::string{"too early"}, s.ad);
  ASSERT_FALSE(m);
}

TEST(Ratchet, OutOfOrderWithinTheBoundOpensOnce) {
  pair_of_sessions s;
  std::vector<message> ms;
  for (int i = 0; i < 5; ++i)
    ms.push_back(s.send(s.alice, "m" + std::to_string(i)));
  EXPECT_EQ(s.open(s.bob, ms[4]), "m4");
  EXPECT_EQ(s.bob.skipped(), 4u);
  EXPECT_EQ(s.open(s.bob, ms[1]), "m1");
  EXPECT_EQ(s.open(s.bob, ms[3]), "m3");
  // Bob replies (a ratchet step) before the last two arrive.
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "r")), "r");
  auto later = s.send(s.alice, "after");
  EXPECT_EQ(s.open(s.bob, later), "after");
  EXPECT_EQ(s.open(s.bob, ms[0]), "m0");
  EXPECT_EQ(s.open(s.bob, ms[2]), "m2");
  EXPECT_EQ(s.bob.skipped(), 0u); // used keys are deleted at once
  for (auto& m : ms)
    EXPECT_EQ(s.refusal(s.bob, m), errc::decrypt_failed);
}

TEST(Ratchet, MessagesFromAnEarlierChainOpenAfterARatchetStep) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "m0");
  auto m1 = s.send(s.alice, "m1");
  EXPECT_EQ(s.open(s.bob, m0), "m0");
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "r")), "r");
  auto m2 = s.send(s.alice, "m2"); // new chain; pn says m1 exists
  EXPECT_EQ(s.open(s.bob, m2), "m2");
  EXPECT_EQ(s.open(s.bob, m1), "m1");
}

TEST(Ratchet, AJumpBeyondMaxSkipIsRefusedAndChangesNothing) {
  pair_of_sessions s;
  std::vector<message> ms;
  for (uint32_t i = 0; i <= max_skip + 1; ++i)
    ms.push_back(s.send(s.alice, "m" + std::to_string(i)));
  EXPECT_EQ(s.refusal(s.bob, ms.back()), errc::decrypt_failed);
  EXPECT_EQ(s.bob.skipped(), 0u);
  EXPECT_EQ(s.open(s.bob, ms[0]), "m0");
  // Exactly max_skip ahead (from 1) is still fine.
  EXPECT_EQ(s.open(s.bob, ms.back()), "m" + std::to_string(max_skip + 1));
  EXPECT_EQ(s.bob.skipped(), max_skip);
  // A forged header far ahead on a new ratchet key costs nothing either.
  auto forged = ms[1];
  forged.head.dh = crypto::x25519_public_raw(*crypto::generate_x25519()).value();
  forged.head.n = max_skip + 1;
  EXPECT_EQ(s.refusal(s.bob, forged), errc::decrypt_failed);
  forged.head.n = 0;
  forged.head.pn = 2 * max_skip + 10;
  EXPECT_EQ(s.refusal(s.bob, forged), errc::decrypt_failed);
  EXPECT_EQ(s.open(s.bob, ms[1]), "m1");
}

TEST(Ratchet, AReplayIsRefused) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "pay 5");
  EXPECT_EQ(s.open(s.bob, m0), "pay 5");
  EXPECT_EQ(s.refusal(s.bob, m0), errc::decrypt_failed);
  auto m1 = s.send(s.alice, "next");
  EXPECT_EQ(s.open(s.bob, m1), "next");
  EXPECT_EQ(s.refusal(s.bob, m0), errc::decrypt_failed);
  EXPECT_EQ(s.refusal(s.bob, m1), errc::decrypt_failed);
}

TEST(Ratchet, AnyFlippedBitIsRefusedAndLeavesNoTrace) {
  pair_of_sessions s;
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "warm up")), "warm up");
  auto m = s.send(s.alice, "the real one");
  for (size_t i = 0; i < m.ciphertext.size() * 8; i += 3) {
    auto bad = m;
    bad.ciphertext[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    ASSERT_EQ(s.refusal(s.bob, bad), errc::decrypt_failed) << "bit " << i;
  }
  auto head = encode(m.head);
  for (size_t i = 0; i < head.size() * 8; ++i) {
    auto flipped = head;
    flipped[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    auto bad = m;
    bad.head = decode_header(flipped).value();
    ASSERT_NE(s.refusal(s.bob, bad), errc::none) << "header bit " << i;
  }
  auto other_ad = s.ad;
  other_ad[0] ^= 1;
  EXPECT_EQ(s.refusal(s.bob, m, t0, &other_ad), errc::decrypt_failed);
  auto truncated = m;
  truncated.ciphertext.resize(10);
  EXPECT_EQ(s.refusal(s.bob, truncated), errc::decrypt_failed);
  EXPECT_EQ(s.bob.skipped(), 0u);
  EXPECT_EQ(s.open(s.bob, m), "the real one");
}

TEST(Ratchet, AMessageForAnotherSessionIsRefused) {
  pair_of_sessions s, other;
  auto m = s.send(s.alice, "not for you");
  EXPECT_EQ(other.refusal(other.bob, m), errc::decrypt_failed);
  EXPECT_EQ(other.open(other.bob, other.send(other.alice, "ok")), "ok");
}

TEST(Ratchet, SkippedKeysExpire) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "late");
  auto m1 = s.send(s.alice, "on time");
  EXPECT_EQ(s.open(s.bob, m1), "on time");
  EXPECT_EQ(s.bob.skipped(), 1u);
  auto after = t0 + skipped_key_lifetime.count() + 1;
  EXPECT_EQ(s.refusal(s.bob, m0, after), errc::decrypt_failed);
  EXPECT_EQ(s.bob.skipped(), 0u);
}

TEST(Ratchet, SavedStateContinuesAndCorruptStateIsRefused) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "m0");
  auto m1 = s.send(s.alice, "m1");
  EXPECT_EQ(s.open(s.bob, m1), "m1"); // m0's key is skipped and saved
  auto saved = s.bob.save();
  ASSERT_TRUE(saved);
  auto loaded = session::load(*saved);
  ASSERT_TRUE(loaded) << explain(loaded.error());
  EXPECT_EQ(loaded->skipped(), 1u);
  EXPECT_EQ(s.open(*loaded, m0), "m0");
  EXPECT_EQ(s.open(s.alice, s.send(*loaded, "reply")), "reply");
  const auto& raw = saved->unsafe_bytes();
  for (size_t cut = 0; cut < raw.size(); cut += 7) {
    bytes part(raw.begin(), raw.begin() + static_cast<ptrdiff_t>(cut));
    EXPECT_FALSE(session::load(part)) << cut;
  }
  auto longer = raw;
  longer.push_back(0);
  EXPECT_FALSE(session::load(longer));
  auto wrong_pub = raw;
  wrong_pub[4 + 32] ^= 1; // the stored public key no longer matches
  EXPECT_FALSE(session::load(wrong_pub));
}

// After bob opens a message, all of bob's state cannot open it again.
TEST(Ratchet, ForwardSecrecyAStolenStateCannotReopenWhatWasRead) {
  pair_of_sessions s;
  auto m = s.send(s.alice, "secret");
  EXPECT_EQ(s.open(s.bob, m), "secret");
  auto stolen = session::load(s.bob.save().value()).value();
  EXPECT_EQ(s.refusal(stolen, m), errc::decrypt_failed);
}

// A copy of alice's state taken before a round trip cannot open what bob
// sends after it.
TEST(Ratchet, PostCompromiseAnOldSnapshotCannotReadLaterMessages) {
  pair_of_sessions s;
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "hello")), "hello");
  auto snapshot = session::load(s.alice.save().value()).value();
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "round")), "round");
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "trip")), "trip");
  auto later = s.send(s.bob, "after the round trip");
  EXPECT_EQ(s.refusal(snapshot, later), errc::decrypt_failed);
  EXPECT_EQ(s.open(s.alice, later), "after the round trip");
}

TEST(Ratchet, HeadersEncodeToFortyBytesAndBack) {
  header h{bytes(32, 7), 0x01020304, 0xA0B0C0D0};
  auto enc = encode(h);
  ASSERT_EQ(enc.size(), header_size);
  auto back = decode_header(enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dh, h.dh);
  EXPECT_EQ(back->pn, h.pn);
  EXPECT_EQ(back->n, h.n);
  enc.pop_back();
  EXPECT_FALSE(decode_header(enc));
}

} // namespace
