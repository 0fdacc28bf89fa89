// Unit tests for the unacked window (actors/server/unacked_window.hpp).

#include <gtest/gtest.h>

#include "actors/server/unacked_window.hpp"

using namespace courier;

namespace {

TEST(UnackedWindow, AcksInAnyOrderAreCountedOnceAndNameTheSender) {
  unacked_window w;
  for (uint64_t seq = 1; seq <= 5; ++seq)
    w.push(seq, 10 * seq, "from" + std::to_string(seq));
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.bytes(), 150u);
  EXPECT_EQ(w.take(3), std::optional<std::string>{"from3"});
  EXPECT_FALSE(w.take(3)); // twice is not counted twice
  EXPECT_FALSE(w.take(9)); // never pushed
  EXPECT_FALSE(w.take(0)); // the mark of an acked entry
  EXPECT_EQ(w.take(1), std::optional<std::string>{"from1"});
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.bytes(), 110u);
  for (uint64_t seq : {5, 2, 4})
    EXPECT_TRUE(w.take(seq)) << seq;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.bytes(), 0u);
  EXPECT_EQ(w.capacity_used(), 0u);
}

TEST(UnackedWindow, OneUnackedMessageDoesNotLetAckedOnesPileUp) {
  // A client that never acks its first message but acks every later one.
  unacked_window w;
  w.push(1, 1, "a");
  for (uint64_t seq = 2; seq < 100000; ++seq) {
    w.push(seq, 1, "a");
    ASSERT_TRUE(w.take(seq));
  }
  EXPECT_EQ(w.size(), 1u);
  EXPECT_LE(w.capacity_used(), 40u);
  EXPECT_TRUE(w.take(1));
}

} // namespace
