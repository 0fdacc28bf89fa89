// Unit tests for the client's local database: deleting a conversation,
// searching the history with LIKE's wildcards taken literally, delivery
// marks, a client without history (the bank); and the statement cache of
// the SQLite connection under it and its scalar (actors/common/sqlite).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <sqlite3.h>

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

TEST_F(client_db_test, a_delivery_notice_finds_its_message_by_an_index) {
  // A client with a long history must not read all of it per notice.
  auto plan = db->sql().prepare("EXPLAIN QUERY PLAN UPDATE history SET"
                                " delivered = 1 WHERE msg_id = ?1 AND"
                                " outgoing = 1");
  ASSERT_TRUE(plan);
  std::string steps;
  for (auto row = plan->step(); row && *row; row = plan->step())
    steps += plan->text_at(3) + "\n";
  EXPECT_NE(steps.find("USING INDEX history_by_msg_id"), std::string::npos)
    << steps;
  ASSERT_FALSE(db->mark_delivered("m3"));
  ASSERT_FALSE(db->record_outbound("bob", "quick", "m7", 7, true));
  for (auto& e : db->history("bob", 100))
    EXPECT_EQ(e.delivered, e.msg_id == "m3" || e.msg_id == "m7") << e.msg_id;
}

TEST_F(client_db_test, without_history_a_received_message_is_only_seen) {
  ASSERT_FALSE(db->record_inbound(
    {"dave", "bank", "{\"type\":\"balance\"}", "d1", 12, 13, "fp"}, false));
  EXPECT_TRUE(db->seen("dave", "d1"));
  EXPECT_TRUE(db->history("dave", 100).empty());
}

namespace {

class statement_cache_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = database::open(dir / "cache.db");
    ASSERT_TRUE(opened) << to_string(opened.error());
    db.emplace(std::move(*opened));
  }

  test::temp_dir dir;
  std::optional<database> db;
};

// The prepared statements the connection holds, whether idle or in use.
size_t statements_of(database& db) {
  size_t n = 0;
  for (auto* s = sqlite3_next_stmt(db.get(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.get(), s))
    ++n;
  return n;
}

} // namespace

TEST_F(statement_cache_test, a_statement_is_prepared_once_and_reused) {
  for (int i = 0; i < 10; ++i) {
    auto stmt = db->prepare("SELECT ?1");
    ASSERT_TRUE(stmt);
    stmt->bind(1, int64_t{i});
    ASSERT_TRUE(*stmt->step());
    EXPECT_EQ(stmt->int_at(0), i);
  }
  EXPECT_EQ(statements_of(*db), 1u);
}

TEST_F(statement_cache_test, a_reused_statement_carries_no_old_bindings) {
  {
    auto stmt = db->prepare("SELECT ?1");
    ASSERT_TRUE(stmt);
    stmt->bind(1, "secret");
    ASSERT_TRUE(*stmt->step()); // left mid-way, with its binding
  }
  auto again = db->prepare("SELECT ?1");
  ASSERT_TRUE(again);
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->text_at(0), "");
  EXPECT_EQ(statements_of(*db), 1u);
}

TEST_F(statement_cache_test, one_sql_in_use_twice_gets_two_statements) {
  ASSERT_FALSE(db->exec("CREATE TABLE t(x INTEGER)"));
  ASSERT_FALSE(db->exec("INSERT INTO t VALUES(1), (2)"));
  auto outer = db->prepare("SELECT x FROM t ORDER BY x");
  auto inner = db->prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(outer && inner);
  ASSERT_TRUE(*outer->step());
  ASSERT_TRUE(*inner->step());
  ASSERT_TRUE(*inner->step());
  // The outer one kept its own place.
  EXPECT_EQ(outer->int_at(0), 1);
  EXPECT_EQ(inner->int_at(0), 2);
}

TEST_F(statement_cache_test, the_cache_is_bounded) {
  std::vector<statement> held;
  for (size_t i = 0; i < statement_cache::max_statements + 20; ++i) {
    auto stmt = db->prepare("SELECT " + std::to_string(i));
    ASSERT_TRUE(stmt);
    held.push_back(std::move(*stmt));
  }
  held.clear(); // all given back at once: the ones past the bound go
  EXPECT_EQ(statements_of(*db), statement_cache::max_statements);
}

TEST_F(statement_cache_test, a_statement_may_outlive_its_database) {
  auto stmt = db->prepare("SELECT 1");
  ASSERT_TRUE(stmt);
  db.reset(); // the connection closes once the statement is finalized
  stmt = statement{};
  SUCCEED(); // ASan and LeakSanitizer check the rest
}

// database::scalar, the one query-of-one-integer helper (the directory's
// and the device's schema versions, counts).
TEST_F(statement_cache_test, scalar_reads_one_integer) {
  ASSERT_FALSE(
    db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(4), (5)"));
  auto n = db->scalar("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(n) << to_string(n.error());
  EXPECT_EQ(*n, 2);
  auto none = db->scalar("SELECT x FROM t WHERE x > 100");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0) << "no row reads as 0";
  ASSERT_FALSE(db->exec("PRAGMA user_version = 7"));
  EXPECT_EQ(*db->scalar("PRAGMA user_version"), 7);
  EXPECT_FALSE(db->scalar("SELECT x FROM no_such_table"));
}
