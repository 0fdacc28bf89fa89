// Unit tests for the client's local database: deleting a conversation,
// searching the history with LIKE's wildcards taken literally, delivery
// marks, a client without history (the bank); and the statement cache of
// the SQLite connection under it (actors/common/sqlite).

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

TEST_F(client_db_test, a_read_receipt_marks_only_messages_to_its_sender) {
  // bob's messages m1..m6 (fixture); one to carol between them.
  ASSERT_FALSE(db->record_outbound("carol", "for carol", "x1", 20));
  ASSERT_FALSE(db->record_outbound("bob", "later", "m7", 21));
  auto n = db->mark_read("bob", "m4");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4u); // m1..m4, and nothing after the one named
  for (auto& e : db->history("bob", 100)) {
    bool up_to = e.msg_id <= "m4";
    EXPECT_EQ(e.read, up_to) << e.msg_id;
    EXPECT_EQ(e.delivered, up_to) << e.msg_id; // read implies delivered
  }
  // Again, or an older one: nothing new.
  EXPECT_EQ(*db->mark_read("bob", "m4"), 0u);
  EXPECT_EQ(*db->mark_read("bob", "m2"), 0u);
}

TEST_F(client_db_test, hostile_read_receipts_change_nothing) {
  ASSERT_FALSE(db->record_outbound("carol", "for carol", "x1", 20));
  // Unknown ids, a message to someone else, a message bob never got,
  // and a message carol sent (incoming): no row changes.
  for (auto [peer, id] : std::vector<std::pair<std::string, std::string>>{
         {"bob", "nope"}, {"bob", "x1"}, {"carol", "m6"}, {"carol", "c1"},
         {"mallory", "m6"}, {"bob", "' OR 1=1 --"}}) {
    auto n = db->mark_read(peer, id);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u) << peer << " " << id;
  }
  for (auto peer : {"bob", "carol"})
    for (auto& e : db->history(peer, 100))
      EXPECT_FALSE(e.read || (e.outgoing && e.delivered)) << e.msg_id;
  // It reads only unread rows of its peer (a partial index).
  auto plan = db->sql().prepare(
    "EXPLAIN QUERY PLAN UPDATE history SET read = 1, delivered = 1 WHERE"
    " peer = ?1 AND outgoing = 1 AND read = 0 AND id <= (SELECT id FROM"
    " history WHERE peer = ?1 AND outgoing = 1 AND msg_id = ?2)");
  ASSERT_TRUE(plan);
  std::string steps;
  for (auto row = plan->step(); row && *row; row = plan->step())
    steps += plan->text_at(3) + "\n";
  EXPECT_NE(steps.find("history_unread"), std::string::npos) << steps;
}

TEST_F(client_db_test, control_letters_are_seen_but_never_history) {
  ASSERT_FALSE(db->record_inbound(
    {"bob", "alice", R"({"v":1,"type":"read","up_to":"m3"})", "r1", 30, 31,
     "fp"}));
  ASSERT_FALSE(db->record_inbound(
    {"bob", "alice", R"({"v":1,"type":"typing"})", "t1", 32, 33, "fp"}));
  EXPECT_TRUE(db->seen("bob", "r1"));
  EXPECT_TRUE(db->seen("bob", "t1"));
  for (auto& e : db->history("bob", 100))
    EXPECT_TRUE(e.outgoing) << e.body;
}

TEST_F(client_db_test, a_database_from_before_read_receipts_is_migrated) {
  test::temp_dir old_dir;
  auto path = old_dir / "client.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE history(id INTEGER PRIMARY KEY,"
                         " peer TEXT NOT NULL, outgoing INTEGER NOT NULL,"
                         " body TEXT NOT NULL, msg_id TEXT NOT NULL,"
                         " ts INTEGER NOT NULL, delivered INTEGER NOT NULL"
                         " DEFAULT 0);"
                         "INSERT INTO history(peer, outgoing, body, msg_id, ts)"
                         " VALUES('bob', 1, 'old', 'o1', 1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto opened = client_db::open(path);
  ASSERT_TRUE(opened) << to_string(opened.error());
  EXPECT_EQ(*opened->mark_read("bob", "o1"), 1u);
  auto rows = opened->history("bob", 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].read);
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
