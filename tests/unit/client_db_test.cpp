// Unit tests for the client's local database: deleting a conversation and
// searching the history, with LIKE's wildcards taken literally.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actors/client/client_db.hpp"
#include "tests/support/harness.hpp"

using namespace courier;

namespace {

std::vector<std::string> bodies(const std::vector<history_entry>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.body);
  return out;
}

class client_db_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = client_db::open(dir / "client.db");
    ASSERT_TRUE(opened) << to_string(opened.error());
    db.emplace(std::move(*opened));
    int n = 0;
    for (auto body : {"100% sure", "a_b", "axb", "back\\slash", "Lunch at noon",
                      "no lunch today"}) {
      ++n;
      ASSERT_FALSE(db->record_outbound("bob", body, "m" + std::to_string(n), n));
    }
    ASSERT_FALSE(db->record_inbound(
      {"carol", "alice", "lunch with carol", "c1", 10, 11, "fp"}));
  }

  test::temp_dir dir;
  std::optional<client_db> db;
};

} // namespace

TEST_F(client_db_test, search_takes_wildcards_literally) {
  using v = std::vector<std::string>;
  EXPECT_EQ(bodies(db->search("bob", "%", 50)), v{"100% sure"});
  EXPECT_EQ(bodies(db->search("bob", "_", 50)), v{"a_b"});
  EXPECT_EQ(bodies(db->search("bob", "\\", 50)), v{"back\\slash"});
  EXPECT_EQ(bodies(db->search("bob", "a%b", 50)), v{});
  // Any case, newest first, one peer or all, at most `limit`.
  EXPECT_EQ(bodies(db->search("bob", "LUNCH", 50)),
            (v{"no lunch today", "Lunch at noon"}));
  EXPECT_EQ(bodies(db->search("", "lunch", 50)),
            (v{"lunch with carol", "no lunch today", "Lunch at noon"}));
  EXPECT_EQ(bodies(db->search("", "lunch", 1)), v{"lunch with carol"});
  auto hit = db->search("", "carol", 5);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0].peer, "carol");
  EXPECT_FALSE(hit[0].outgoing);
  // Nothing for nothing, or for too much.
  EXPECT_TRUE(db->search("bob", "", 50).empty());
  EXPECT_TRUE(db->search("bob", std::string(client_db::max_search_text + 1, 'a'),
                         50)
                .empty());
}

TEST_F(client_db_test, forget_deletes_one_conversation_and_keeps_seen_ids) {
  auto n = db->forget("bob");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 6u);
  EXPECT_TRUE(db->history("bob", 100).empty());
  EXPECT_EQ(db->history("carol", 100).size(), 1u);
  // A message carol sent again is still known as seen.
  ASSERT_TRUE(db->forget("carol"));
  EXPECT_TRUE(db->seen("carol", "c1"));
  EXPECT_EQ(*db->forget("nobody"), 0u);
}
