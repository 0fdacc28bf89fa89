// Unit tests for actors/protocol/ratchet: the Double Ratchet as an attacker
// would try it (replays, reordering, flipped bits, far jumps, stolen state).

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
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

// One stored skipped key: ratchet key, N, expiry, order, message key.
constexpr size_t entry_bytes = 32 + 4 + 8 + 8 + 32;

std::string text(const bytes& b) {
  return {b.begin(), b.end()};
}

/// Alice and Bob after X3DH: a shared secret and Bob's signed prekey.
struct pair_of_sessions {
  session alice;
  session bob;
  bytes spk_pub;
  bytes ad = bytes{'I', 'K', 'a', 'I', 'K', 'b'};

  pair_of_sessions() {
    auto sk = crypto::random_secret(32);
    auto spk = crypto::generate_x25519();
    EXPECT_TRUE(spk);
    spk_pub = crypto::x25519_public_raw(*spk).value();
    auto a = session::init_alice(sk, spk_pub);
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

session reload(const session& s) {
  auto saved = s.save();
  EXPECT_TRUE(saved) << explain(saved.error());
  auto loaded = session::load(*saved);
  EXPECT_TRUE(loaded) << explain(loaded.error());
  return std::move(*loaded);
}

// Where the receiving counter Nr sits in a saved state with both chains:
// magic, DHs (private, public), flags, DHr, RK, CKs, CKr, Ns.
constexpr size_t nr_offset = 4 + 32 + 32 + 1 + 4 * 32 + 4;

// After bob opens a message, all of bob's state cannot open it again, not
// even with his counter wound back: the chain key that made its message key
// is gone.
TEST(Ratchet, ForwardSecrecyAStolenStateCannotReopenWhatWasRead) {
  pair_of_sessions s;
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "warm up")), "warm up");
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "step")), "step");
  auto m = s.send(s.alice, "secret");
  EXPECT_EQ(m.head.n, 0u);
  EXPECT_EQ(s.open(s.bob, m), "secret");
  auto stolen = s.bob.save().value().unsafe_bytes();
  ASSERT_EQ(stolen[nr_offset + 3], 1); // Nr = 1 after opening message 0
  stolen[nr_offset + 3] = 0;
  auto wound_back = session::load(stolen);
  ASSERT_TRUE(wound_back) << explain(wound_back.error());
  EXPECT_EQ(s.refusal(*wound_back, m), errc::decrypt_failed);
}

// A copy of alice's state taken before a round trip cannot open what bob
// sends after it.
TEST(Ratchet, PostCompromiseAnOldSnapshotCannotReadLaterMessages) {
  pair_of_sessions s;
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "hello")), "hello");
  auto snapshot = reload(s.alice);
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "round")), "round");
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "trip")), "trip");
  auto later = s.send(s.bob, "after the round trip");
  EXPECT_EQ(s.refusal(snapshot, later), errc::decrypt_failed);
  EXPECT_EQ(s.open(s.alice, later), "after the round trip");
}

// Every refusal leaves the state byte for byte as it was.
TEST(Ratchet, EveryRefusalLeavesTheStateUnchanged) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "m0");
  auto m1 = s.send(s.alice, "m1");
  EXPECT_EQ(s.open(s.bob, m1), "m1"); // m0's key is skipped
  auto before = s.bob.save().value().unsafe_bytes();
  std::vector<message> forged;
  auto bad_skipped = m0;
  bad_skipped.ciphertext.back() ^= 1;
  forged.push_back(bad_skipped);                    // on the skipped-key path
  auto bad_same = s.send(s.alice, "m2");
  bad_same.ciphertext[20] ^= 1;
  forged.push_back(bad_same);                       // same chain
  auto new_key = m1;
  new_key.head.dh = crypto::x25519_public_raw(*crypto::generate_x25519()).value();
  forged.push_back(new_key);                        // a forged ratchet step
  auto far = new_key;
  far.head.pn = 400;
  forged.push_back(far);                            // with a skip on the old chain
  auto small = m1;
  small.head.dh.assign(32, 0);
  forged.push_back(small);                          // a small-order key
  auto last = m1;
  last.head.n = UINT32_MAX;
  forged.push_back(last);
  for (auto& f : forged) {
    EXPECT_EQ(s.refusal(s.bob, f), errc::decrypt_failed);
    EXPECT_EQ(s.bob.save().value().unsafe_bytes(), before);
  }
  auto other_ad = s.ad;
  other_ad.push_back(1);
  EXPECT_EQ(s.refusal(s.bob, m0, t0, &other_ad), errc::decrypt_failed);
  EXPECT_EQ(s.bob.save().value().unsafe_bytes(), before);
  EXPECT_EQ(s.open(s.bob, m0), "m0");
}

TEST(Ratchet, AliceRefusesAMessageOnAChainThatHasNotStarted) {
  // Until bob answers, alice's DHr is his signed prekey and she has no
  // receiving chain: a message under that key cannot be his.
  pair_of_sessions s;
  message under_spk{header{s.spk_pub, 0, 0}, bytes(40, 1)};
  auto before = s.alice.save().value().unsafe_bytes();
  EXPECT_EQ(s.refusal(s.alice, under_spk), errc::decrypt_failed);
  EXPECT_EQ(s.alice.save().value().unsafe_bytes(), before);
}

TEST(Ratchet, AFirstMessageMaxSkipAheadOpens) {
  pair_of_sessions s;
  std::vector<message> ms;
  for (uint32_t i = 0; i <= max_skip; ++i)
    ms.push_back(s.send(s.alice, "m" + std::to_string(i)));
  EXPECT_EQ(s.open(s.bob, ms.back()), "m" + std::to_string(max_skip));
  EXPECT_EQ(s.bob.skipped(), max_skip);
}

// pn may run MAX_SKIP ahead of what bob received on the previous chain.
void previous_chain_ahead(uint32_t unsent, bool opens) {
  pair_of_sessions s;
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "start")), "start");
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "step")), "step");
  auto first = s.send(s.alice, "first on the chain");
  for (uint32_t i = 0; i < unsent; ++i)
    s.send(s.alice, "never arrives");
  EXPECT_EQ(s.open(s.bob, first), "first on the chain"); // Nr = 1
  EXPECT_EQ(s.open(s.alice, s.send(s.bob, "reply")), "reply");
  auto next = s.send(s.alice, "on the next chain");
  EXPECT_EQ(next.head.pn, unsent + 1);
  if (opens)
    EXPECT_EQ(s.open(s.bob, next), "on the next chain");
  else
    EXPECT_EQ(s.refusal(s.bob, next), errc::decrypt_failed);
}

TEST(Ratchet, TheSkipBoundHoldsOnThePreviousChain) {
  previous_chain_ahead(max_skip, true);
  previous_chain_ahead(max_skip + 1, false);
}

TEST(Ratchet, TheOldestSkippedKeysGoFirstBeyondTheBound) {
  pair_of_sessions s;
  std::vector<message> ms;
  const uint32_t total = max_skipped_keys + max_skip;
  for (uint32_t i = 0; i <= total; ++i)
    ms.push_back(s.send(s.alice, "m" + std::to_string(i)));
  for (uint32_t i = max_skip; i <= total; i += max_skip)
    EXPECT_EQ(s.open(s.bob, ms[i]), "m" + std::to_string(i));
  EXPECT_EQ(s.bob.skipped(), max_skipped_keys);
  EXPECT_EQ(s.refusal(s.bob, ms[0]), errc::decrypt_failed); // evicted
  EXPECT_EQ(s.open(s.bob, ms[total - 1]), "m" + std::to_string(total - 1));
  auto again = reload(s.bob);
  EXPECT_EQ(again.skipped(), max_skipped_keys - 1);
}

TEST(Ratchet, ExpiredKeysGoEvenWhenTheChainIsQuiet) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "m0");
  auto m1 = s.send(s.alice, "m1");
  auto m2 = s.send(s.alice, "m2");
  EXPECT_EQ(s.open(s.bob, m2), "m2");
  EXPECT_EQ(s.bob.skipped(), 2u);
  auto later = t0 + skipped_key_lifetime.count() + 1;
  // Opening a skipped one late drops the other expired key too.
  EXPECT_EQ(s.refusal(s.bob, m1, later), errc::decrypt_failed);
  EXPECT_EQ(s.bob.skipped(), 0u);
  EXPECT_EQ(s.refusal(s.bob, m0, later), errc::decrypt_failed);
}

TEST(Ratchet, CorruptStatesAreRefused) {
  pair_of_sessions s;
  auto m0 = s.send(s.alice, "m0");
  EXPECT_EQ(s.open(s.bob, s.send(s.alice, "m1")), "m1");
  (void) m0;
  auto raw = s.bob.save().value().unsafe_bytes();
  ASSERT_TRUE(session::load(raw));
  auto flags_at = 4 + 32 + 32;
  for (uint8_t bad : {1, 2, 4, 5, 6, 8, 255}) {
    auto b = raw;
    b[flags_at] = bad;
    EXPECT_FALSE(session::load(b)) << int{bad};
  }
  auto count_at = raw.size() - entry_bytes - 4;
  auto dup = raw;
  dup[count_at + 3] = 2;
  dup.insert(dup.end(), raw.end() - entry_bytes, raw.end());
  EXPECT_FALSE(session::load(dup)) << "a duplicate skipped key";
  auto many = raw;
  many[count_at + 2] = 0x07;
  many[count_at + 3] = 0xD1; // 2001
  EXPECT_FALSE(session::load(many));
}

TEST(Ratchet, SessionsCannotBeCopied) {
  static_assert(!std::is_copy_constructible_v<session>);
  static_assert(!std::is_copy_assignable_v<session>);
  static_assert(std::is_nothrow_move_constructible_v<session>
                || std::is_move_constructible_v<session>);
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
