// Actor tests for the durable offline queue (actors/server/store.cpp).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/router_fixture.hpp"

using namespace courier;
using namespace courier::test;

namespace {

TEST_F(StoreTest, MessagesSurviveARestartInOrder) {
  auto path = dir_ + "/queue.db";
  std::vector<stored_message> put_bob;
  {
    auto db = open_store_db(path);
    ASSERT_TRUE(db) << to_string(db.error());
    auto st = spawn_store(*sys_, *db);
    track(st.address());
    for (int i = 1; i <= 4; ++i) {
      put_bob.push_back(put(st, "bob", "alice", "blob-" + std::to_string(i)));
      ASSERT_GT(put_bob.back().seq, 0u);
      EXPECT_GT(put_bob.back().ts, 0);
    }
    put(st, "carol", "alice", "for carol");
    // A binary blob with a NUL byte in it.
    std::string binary{"\x00\x01\xff", 3};
    put_bob.push_back(put(st, "bob", "dave", binary));
    // Drop the second one; the fetch flushes the drop before answering.
    self()->send(st, drop_atom::value, std::string{"bob"}, put_bob[1].seq);
    EXPECT_EQ(fetch(st, "bob", 0, 100).size(), 4u);
    kill_and_wait(st.address());
  }
  put_bob.erase(put_bob.begin() + 1);
  // "Restart": a new database handle and a new store actor.
  auto db = open_store_db(path);
  ASSERT_TRUE(db) << to_string(db.error());
  auto st = spawn_store(*sys_, *db);
  track(st.address());
  auto rows = fetch(st, "bob", 0, 100);
  ASSERT_EQ(rows.size(), put_bob.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, put_bob[i].seq);
    EXPECT_EQ(rows[i].from, put_bob[i].from);
    EXPECT_EQ(rows[i].blob, put_bob[i].blob);
    EXPECT_EQ(rows[i].ts, put_bob[i].ts);
  }
  EXPECT_EQ(rows.back().blob, std::string("\x00\x01\xff", 3));
  // `after` and `limit` work on the reopened queue.
  auto tail = fetch(st, "bob", put_bob[1].seq, 2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, put_bob[2].seq);
  EXPECT_EQ(tail[1].seq, put_bob[3].seq);
  auto carol = fetch(st, "carol", 0, 100);
  ASSERT_EQ(carol.size(), 1u);
  EXPECT_EQ(carol[0].blob, "for carol");
  // New seqs continue after the old ones.
  auto fresh = put(st, "bob", "alice", "after restart");
  EXPECT_GT(fresh.seq, put_bob.back().seq);
}

TEST_F(StoreTest, DropChecksTheRecipient) {
  auto db = open_store_db(dir_ + "/queue.db");
  ASSERT_TRUE(db);
  auto st = spawn_store(*sys_, *db);
  track(st.address());
  auto m = put(st, "bob", "alice", "x");
  self()->send(st, drop_atom::value, std::string{"alice"}, m.seq);
  self()->send(st, drop_atom::value, std::string{"carol"}, m.seq);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, m.seq);
  self()->send(st, drop_atom::value, std::string{"bob"}, m.seq);
  EXPECT_TRUE(fetch(st, "bob", 0, 10).empty());
}

TEST_F(StoreTest, AckInTheSameBatchSparesTheWrite) {
  auto db = open_store_db(dir_ + "/queue.db");
  ASSERT_TRUE(db);
  auto st = spawn_store(*sys_, *db, std::chrono::milliseconds{200});
  track(st.address());
  // Within one commit window: a put and the recipient's ack of it, and a
  // put acked by someone else.
  self()->send(st, put_atom::value, std::string{"bob"},
               stored_message{500, "alice", "x", 0});
  self()->send(st, put_atom::value, std::string{"bob"},
               stored_message{501, "alice", "y", 0});
  self()->send(st, drop_atom::value, std::string{"bob"}, uint64_t{500});
  self()->send(st, drop_atom::value, std::string{"carol"}, uint64_t{501});
  for (int i = 0; i < 2; ++i)
    self()->receive([](stored_message&) {},
                    [&](caf::error& err) { ADD_FAILURE() << to_string(err); },
                    caf::after(wait_time) >> [] { ADD_FAILURE() << "no answer"; });
  EXPECT_EQ(rows_on_disk(), 1);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, 501u);
}

} // namespace
