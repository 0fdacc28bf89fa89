// Unit tests for the client's local database: deleting a conversation,
// searching the history (wildcards taken literally), delivery marks, a
// client without history (the bank), message text sealed at rest; identity
// backups; and the statement cache of the SQLite connection under it
// (actors/common/sqlite).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <chrono>
#include <fstream>
#include <iterator>

#include <sqlite3.h>
#include <sys/stat.h>

#include "actors/client/backup.hpp"
#include "actors/client/client_db.hpp"
#include "actors/common/error.hpp"
#include "crypto/key.hpp"
#include "tests/support/harness.hpp"

using namespace courier;

namespace {

std::vector<std::string> bodies(const std::vector<history_entry>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.body);
  return out;
}

// One RSA identity for the suite: making one is most of what these tests
// would cost.
const crypto::key& identity() {
  static crypto::key k = crypto::generate_rsa(2048).value();
  return k;
}

// The bytes of a file, as whoever copies it sees them.
std::string raw_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

class client_db_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = client_db::open(dir / "client.db");
    ASSERT_TRUE(opened) << to_string(opened.error());
    db.emplace(std::move(*opened));
    auto v = vault::open(db->sql(), identity());
    ASSERT_TRUE(v) << to_string(v.error());
    db->unlock(std::move(*v));
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

TEST_F(client_db_test, search_reads_a_bounded_number_of_rows) {
  // Past the newest `max_search_rows_per_peer` of a conversation, an old
  // message is not found (each row looked at is opened).
  ASSERT_FALSE(db->record_outbound("erin", "needle", "e0", 1));
  auto tx = transaction::begin(db->sql());
  ASSERT_TRUE(tx);
  for (uint32_t i = 0; i < client_db::max_search_rows_per_peer; ++i)
    ASSERT_FALSE(db->sql().exec("INSERT INTO history(peer, outgoing, sealed,"
                                " msg_id, ts) VALUES('erin', 1, X'00', 'f', 2)"));
  ASSERT_FALSE(tx->commit());
  EXPECT_TRUE(db->search("erin", "needle", 10).empty());
  EXPECT_EQ(db->search("", "carol", 10).size(), 1u)
    << "another conversation's rows are still searched";
}

TEST_F(client_db_test, message_text_is_not_in_the_file) {
  ASSERT_FALSE(db->record_outbound("bob", "secret plan 7281", "s1", 20));
  ASSERT_FALSE(db->record_inbound(
    {"carol", "alice", "carol's reply 9933", "c2", 21, 22, "fp"}));
  ASSERT_FALSE(db->record_opened(crypto::bytes(32, 7),
                                 inbound_message{"dave", "alice",
                                                 "waiting text 4417", "d1", 23,
                                                 24, "fp"},
                                 25));
  auto opened = db->opened(crypto::bytes(32, 7));
  ASSERT_TRUE(opened && opened->msg);
  EXPECT_EQ(opened->msg->body, "waiting text 4417");
  EXPECT_EQ(db->search("", "PLAN 72", 5).size(), 1u);
  // What the file and its log hold, as a thief of the folder sees them.
  auto path = (dir / "client.db");
  auto raw = raw_bytes(path) + raw_bytes(path + "-wal");
  ASSERT_FALSE(raw.empty());
  for (auto text : {"secret plan 7281", "carol's reply 9933",
                    "waiting text 4417", "Lunch at noon"})
    EXPECT_EQ(raw.find(text), std::string::npos) << text << " is in clear";
}

TEST_F(client_db_test, a_sealed_body_moved_to_another_row_does_not_open) {
  // Someone who can write the file copies the body of bob's first
  // message over the second, and over a row of carol's conversation.
  ASSERT_FALSE(db->sql().exec(
    "UPDATE history SET sealed = (SELECT sealed FROM history WHERE"
    " msg_id = 'm1') WHERE msg_id IN ('m2', 'c1')"));
  auto bob = bodies(db->history("bob", 100));
  EXPECT_EQ(bob, (std::vector<std::string>{"100% sure", "axb", "back\\slash",
                                           "Lunch at noon", "no lunch today"}))
    << "the moved body opened in another row";
  EXPECT_TRUE(db->history("carol", 100).empty());
  // Nor does an inbox body under another letter's hash.
  crypto::bytes h1(32, 1), h2(32, 2);
  ASSERT_FALSE(db->record_opened(
    h1, inbound_message{"dave", "alice", "one", "d1", 1, 2, "fp"}, 3));
  ASSERT_FALSE(db->record_opened(
    h2, inbound_message{"dave", "alice", "two", "d2", 1, 2, "fp"}, 3));
  auto move = db->sql().prepare("UPDATE inbox SET sealed = (SELECT sealed"
                                " FROM inbox WHERE hash = ?1) WHERE hash = ?2");
  ASSERT_TRUE(move);
  ASSERT_FALSE(move->bind_blob(1, h1.data(), h1.size())
                 .bind_blob(2, h2.data(), h2.size())
                 .run());
  EXPECT_FALSE(db->opened(h2)) << "a moved inbox body opened";
  ASSERT_TRUE(db->opened(h1));
}

TEST_F(client_db_test, a_locked_database_writes_no_text) {
  auto opened = client_db::open(dir / "client.db");
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->record_outbound("bob", "in clear?", "x1", 1));
  EXPECT_TRUE(opened->history("bob", 10).empty());
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
  {
    auto plan = db->sql().prepare("EXPLAIN QUERY PLAN UPDATE history SET"
                                  " delivered = 1 WHERE msg_id = ?1 AND"
                                  " outgoing = 1");
    ASSERT_TRUE(plan);
    std::string steps;
    for (auto row = plan->step(); row && *row; row = plan->step())
      steps += plan->text_at(3) + "\n";
    EXPECT_NE(steps.find("USING INDEX history_by_msg_id"), std::string::npos)
      << steps;
  }
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
  std::string read = R"({"v":1,"type":"read","up_to":"m3"})";
  std::string typing = R"({"v":1,"type":"typing"})";
  inbound_message r{"bob", "alice", read, "r1", 30, 31, "fp"};
  inbound_message t{"bob", "alice", typing, "t1", 32, 33, "fp"};
  r.control = t.control = true;
  ASSERT_FALSE(db->record_inbound(std::vector<inbound_message>{r, t}));
  EXPECT_TRUE(db->seen("bob", "r1"));
  EXPECT_TRUE(db->seen("bob", "t1"));
  for (auto& e : db->history("bob", 100))
    EXPECT_TRUE(e.outgoing) << e.body;
  // The same text in a chat letter (bob typed it) is a message.
  ASSERT_FALSE(
    db->record_inbound(inbound_message{"bob", "alice", typing, "c1", 34, 35, "fp"}));
  std::vector<std::string> incoming;
  for (auto& e : db->history("bob", 100))
    if (!e.outgoing)
      incoming.push_back(e.body);
  EXPECT_EQ(incoming, std::vector<std::string>{typing});
  // An opened letter v3 waiting for the app keeps its mark.
  crypto::bytes h1(32, 7), h2(32, 8);
  ASSERT_FALSE(db->record_opened(h1, t, 40));
  ASSERT_FALSE(db->record_opened(
    h2, inbound_message{"bob", "alice", typing, "c2", 1, 2, "fp"}, 40));
  auto again = db->opened(h1);
  ASSERT_TRUE(again && again->msg);
  EXPECT_TRUE(again->msg->control);
  again = db->opened(h2);
  ASSERT_TRUE(again && again->msg);
  EXPECT_FALSE(again->msg->control);
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
  // Its text is sealed only when the device opens the database (its
  // migration); the mark is in the new column already.
  auto read = opened->sql().scalar("SELECT read FROM history WHERE msg_id = 'o1'");
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, 1);
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

// Identity backups (actors/client/backup): one file under a passphrase.
namespace {

// Cheap enough for a test; files written for people use
// `backup_write_cost`.
constexpr crypto::scrypt_cost test_cost{10, 8, 1};

std::string fingerprint_of(const crypto::key& k) {
  return crypto::fingerprint(k).value();
}

class backup_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto s = seal_backup({"alice", identity()}, "correct horse", test_cost);
    ASSERT_TRUE(s) << to_string(s.error());
    file = std::move(*s);
  }

  errc code_opening(const std::string& f, const std::string& pass) {
    auto got = open_backup(f, pass);
    EXPECT_FALSE(got);
    return got ? errc::none : code_of(got.error());
  }

  std::string file;
};

} // namespace

TEST_F(backup_test, round_trip) {
  auto got = open_backup(file, "correct horse");
  ASSERT_TRUE(got) << to_string(got.error());
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(fingerprint_of(got->identity), fingerprint_of(identity()));
  EXPECT_EQ(file.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(file.find("alice"), std::string::npos);
  EXPECT_EQ(seal_backup({"alice", identity()}, "").error(),
            make_error(errc::passphrase_required, "a backup needs a passphrase"));
}

TEST_F(backup_test, a_wrong_passphrase_is_told_apart) {
  EXPECT_EQ(code_opening(file, "correct horse!"), errc::wrong_passphrase);
  EXPECT_EQ(code_opening(file, ""), errc::wrong_passphrase);
}

TEST_F(backup_test, a_tampered_byte_is_refused) {
  // In the sealed contents, in the tag, and in the header (the nonce,
  // bound as associated data).
  for (size_t at : {size_t{80}, file.size() - 1, size_t{8 + 3 + 8 + 16 + 2}}) {
    auto bad = file;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_EQ(code_opening(bad, "correct horse"), errc::backup_damaged) << at;
  }
  auto other = file;
  other[0] = 'X';
  EXPECT_EQ(code_opening(other, "correct horse"), errc::backup_damaged);
  auto newer = file;
  newer[8] = 2;
  EXPECT_EQ(code_opening(newer, "correct horse"), errc::unsupported_version);
}

TEST_F(backup_test, a_truncated_file_is_refused) {
  for (size_t n : {size_t{0}, size_t{7}, size_t{40}, size_t{63}, size_t{79},
                   file.size() / 2, file.size() - 1})
    EXPECT_EQ(code_opening(file.substr(0, n), "correct horse"),
              errc::backup_damaged)
      << n;
  EXPECT_EQ(code_opening(file + std::string(max_backup_size, 'x'),
                         "correct horse"),
            errc::backup_damaged);
}

TEST_F(backup_test, a_hostile_kdf_cost_is_refused_before_any_work) {
  auto with = [&](uint8_t log2_n, uint32_t r, uint32_t p) {
    auto bad = file;
    bad[10] = static_cast<char>(log2_n);
    for (int i = 0; i < 4; ++i) {
      bad[11 + i] = static_cast<char>(r >> (24 - 8 * i));
      bad[15 + i] = static_cast<char>(p >> (24 - 8 * i));
    }
    return bad;
  };
  auto start = std::chrono::steady_clock::now();
  // 2^30 * 8 * 128 bytes; 2^20 * 4096 * 128; 2^0; work of 2^25 * 2; r = 0.
  for (auto& bad : {with(30, 8, 1), with(20, 4096, 1), with(0, 8, 1),
                    with(17, 8, 1024), with(10, 0, 1), with(10, 8, 0),
                    with(255, 0xffffffff, 0xffffffff)})
    EXPECT_EQ(code_opening(bad, "correct horse"), errc::backup_too_costly);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{1})
    << "a hostile cost was derived before it was refused";
}

TEST_F(backup_test, a_backup_file_is_private_and_never_overwritten) {
  test::temp_dir dir;
  auto path = dir / "alice.backup";
  ASSERT_FALSE(write_backup(path, {"alice", identity()}, "pass phrase",
                            test_cost));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = write_backup(path, {"alice", identity()}, "other", test_cost);
  EXPECT_EQ(code_of(again), errc::io_error);
  auto got = read_backup(path, "pass phrase");
  ASSERT_TRUE(got) << to_string(got.error());
  EXPECT_EQ(fingerprint_of(got->identity), fingerprint_of(identity()));
}
