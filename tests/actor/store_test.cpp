// Actor tests for the durable offline queue (actors/server/store.cpp), on
// CAF's deterministic test coordinator: the store's flushes (self-sends and
// the delayed commit window) run when the test says, not after a wait.
// Every test runs on both backends: SQLite files and PostgreSQL (a server
// of this binary's own, tests/support/pg_server.hpp).

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <prometheus/registry.h>

#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/server/store.hpp"
#include "tests/support/deterministic.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/pg_store.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::test;

namespace {

/// A store on disk in a folder of the test's own, or in a database of the
/// test's own on the binary's PostgreSQL server.
class StoreTest : public deterministic_fixture,
                  public ::testing::WithParamInterface<std::string> {
protected:
  void SetUp() override {
    deterministic_fixture::SetUp();
    ASSERT_FALSE(dir_.empty()) << "no scratch folder";
    if (GetParam() == "postgresql") {
      ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo_));
    }
  }

  /// The queue backend of this test; a new one is a restarted router's.
  std::shared_ptr<queue_backend> open_backend() {
    if (!conninfo_.empty())
      return pg_queue(conninfo_);
    auto db = open_store_db(dir_ + "/queue.db");
    EXPECT_TRUE(db) << to_string(db.error());
    if (!db)
      return nullptr;
    return sqlite_queue(*db);
  }

  store_actor open_store(std::chrono::microseconds window = {},
                         queue_limits limits = {}) {
    auto db = open_backend();
    if (!db)
      return {};
    auto st = spawn_store(*sys_, std::move(db), window, limits);
    track(st.address());
    run();
    return st;
  }

  stored_message put(const store_actor& st, const std::string& to,
                     const std::string& from, const std::string& blob) {
    stored_message out;
    auto m = call(st, put_atom::value, to, stored_message{0, from, blob, 0},
                  true);
    if (!m)
      ADD_FAILURE() << "put: no answer";
    else if (m->match_elements<stored_message>())
      out = m->get_as<stored_message>(0);
    else
      ADD_FAILURE() << "put: " << to_string(*m);
    return out;
  }

  std::vector<stored_message> fetch(const store_actor& st,
                                    const std::string& to, uint64_t after,
                                    uint32_t limit) {
    std::vector<stored_message> out;
    auto m = call(st, fetch_atom::value, to, after, limit);
    if (!m)
      ADD_FAILURE() << "fetch: no answer";
    else if (m->match_elements<std::vector<stored_message>>())
      out = m->get_as<std::vector<stored_message>>(0);
    else
      ADD_FAILURE() << "fetch: " << to_string(*m);
    return out;
  }

  /// The error code a put of `blob` for `to` gets (none if stored).
  errc put_code(const store_actor& st, const std::string& to,
                const std::string& blob, int64_t ts = 0, bool quota = true) {
    auto m = call(st, put_atom::value, to,
                  stored_message{0, "alice", blob, ts}, quota);
    if (!m) {
      ADD_FAILURE() << "put: no answer";
      return errc::internal;
    }
    if (m->match_elements<caf::error>())
      return code_of(m->get_as<caf::error>(0));
    return errc::none;
  }

  /// Rows in the queue database, read through a connection of its own.
  int64_t rows_on_disk() {
    if (!conninfo_.empty())
      return pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM queue");
    return queue_rows(dir_ + "/queue.db");
  }

  scratch_dir scratch_;
  std::string dir_ = scratch_.path();
  std::string conninfo_; ///< empty: SQLite
};

predicate is_stored_message() {
  return [](const caf::message& m) {
    return m.match_elements<stored_message>();
  };
}

TEST_P(StoreTest, RecipientsQueueIsBoundedInCountAndBytes) {
  queue_limits limits;
  limits.max_messages = 3;
  limits.max_bytes = 1000;
  {
    auto st = open_store({}, limits);
    ASSERT_TRUE(st);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(put_code(st, "bob", "m" + std::to_string(i)),
                errc::none);
    EXPECT_EQ(put_code(st, "bob", "one too many"),
              errc::quota_exceeded);
    // Another recipient has a queue of its own, bounded in bytes too.
    EXPECT_EQ(put_code(st, "carol", std::string(600, 'a')), errc::none);
    EXPECT_EQ(put_code(st, "carol", std::string(600, 'b')),
              errc::quota_exceeded);
    EXPECT_EQ(put_code(st, "carol", std::string(400, 'c')), errc::none);
    // A message already pushed to its live recipient is written anyway.
    EXPECT_EQ(put_code(st, "bob", "pushed", 0, false), errc::none);
    // An acknowledged message makes room.
    auto rows = fetch(st, "bob", 0, 100);
    ASSERT_EQ(rows.size(), 4u);
    send(st, drop_atom::value, std::string{"bob"}, rows[0].seq);
    send(st, drop_atom::value, std::string{"bob"}, rows[1].seq);
    EXPECT_EQ(fetch(st, "bob", 0, 100).size(), 2u);
    EXPECT_EQ(put_code(st, "bob", "room again"), errc::none);
    EXPECT_EQ(put_code(st, "bob", "full again"), errc::quota_exceeded);
    kill_and_run(st.address());
  }
  // The count survives a restart: it is taken from the database.
  auto st = open_store({}, limits);
  ASSERT_TRUE(st);
  EXPECT_EQ(put_code(st, "bob", "after restart"), errc::quota_exceeded);
  EXPECT_EQ(put_code(st, "dave", "dave has room"), errc::none);
}

TEST_P(StoreTest, ExpiredMessagesAreNotDeliveredAndArePurged) {
  queue_limits limits;
  limits.expiry = std::chrono::hours{24};
  limits.purge_batch = 2; // several passes for five rows
  auto old_ts = now_ms() - 2 * 24 * 3600 * 1000;
  {
    auto st = open_store({}, limits);
    ASSERT_TRUE(st);
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(put_code(st, "bob", "old" + std::to_string(i), old_ts),
                errc::none);
    EXPECT_EQ(put_code(st, "bob", "new"), errc::none);
    // Expired rows are never handed out, purged or not.
    auto rows = fetch(st, "bob", 0, 100);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].blob, "new");
    EXPECT_EQ(rows_on_disk(), 6);
    kill_and_run(st.address());
  }
  // A store starts with a purge pass, and a full pass brings the next one.
  auto st = open_store({}, limits);
  ASSERT_TRUE(st);
  run();
  EXPECT_EQ(rows_on_disk(), 1);
  EXPECT_EQ(fetch(st, "bob", 0, 100).size(), 1u);
  // Purged rows no longer count against the queue.
  limits.max_messages = 2;
  kill_and_run(st.address());
  st = open_store({}, limits);
  EXPECT_EQ(put_code(st, "bob", "fits"), errc::none);
  EXPECT_EQ(put_code(st, "bob", "full"), errc::quota_exceeded);
}

TEST_P(StoreTest, MessagesSurviveARestartInOrder) {
  std::vector<stored_message> put_bob;
  {
    auto st = open_store();
    ASSERT_TRUE(st);
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
    send(st, drop_atom::value, std::string{"bob"}, put_bob[1].seq);
    EXPECT_EQ(fetch(st, "bob", 0, 100).size(), 4u);
    kill_and_run(st.address());
  }
  put_bob.erase(put_bob.begin() + 1);
  // "Restart": a new database handle and a new store actor.
  auto st = open_store();
  ASSERT_TRUE(st);
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

TEST_P(StoreTest, DropChecksTheRecipient) {
  auto st = open_store();
  ASSERT_TRUE(st);
  auto m = put(st, "bob", "alice", "x");
  send(st, drop_atom::value, std::string{"alice"}, m.seq);
  send(st, drop_atom::value, std::string{"carol"}, m.seq);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, m.seq);
  send(st, drop_atom::value, std::string{"bob"}, m.seq);
  EXPECT_TRUE(fetch(st, "bob", 0, 10).empty());
}

TEST_P(StoreTest, AckInTheSameBatchSparesTheWrite) {
  auto st = open_store(std::chrono::milliseconds{200});
  ASSERT_TRUE(st);
  // Within one commit window: a put and the recipient's ack of it, and a
  // put acked by someone else. On the test clock the window cannot close
  // before all four are in, however slow the machine.
  send(st, put_atom::value, std::string{"bob"},
       stored_message{500, "alice", "x", 0}, true);
  send(st, put_atom::value, std::string{"bob"},
       stored_message{501, "alice", "y", 0}, true);
  send(st, drop_atom::value, std::string{"bob"}, uint64_t{500});
  send(st, drop_atom::value, std::string{"carol"}, uint64_t{501});
  run();
  // The window closes: the batch commits and the puts are answered.
  sched_->advance_time(std::chrono::milliseconds{200});
  for (int i = 0; i < 2; ++i) {
    if (!take(is_stored_message()))
      ADD_FAILURE() << "no answer";
  }
  EXPECT_FALSE(take([](const caf::message& m) {
    return m.match_elements<caf::error>();
  })) << "a put failed";
  EXPECT_EQ(rows_on_disk(), 1);
  auto rows = fetch(st, "bob", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].seq, 501u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

/// A SQLite queue whose database stops answering while `down` is set.
class flaky_queue : public queue_backend {
public:
  explicit flaky_queue(std::shared_ptr<queue_backend> db) : db_(std::move(db)) {
  }

  bool down = false;

  caf::error begin() override {
    if (down)
      return make_error(errc::store_unavailable, "test: the database is gone");
    return db_->begin();
  }
  caf::error commit() override {
    return db_->commit();
  }
  void rollback() override {
    db_->rollback();
  }
  caf::error insert(const std::string& to, stored_message& msg) override {
    return db_->insert(to, msg);
  }
  caf::expected<std::optional<uint64_t>>
  remove(const std::string& to, uint64_t seq) override {
    return db_->remove(to, seq);
  }
  caf::expected<std::vector<stored_message>>
  fetch(const std::string& to, uint64_t after, uint32_t limit,
        int64_t cutoff) override {
    return db_->fetch(to, after, limit, cutoff);
  }
  caf::expected<std::vector<std::pair<std::string, uint64_t>>>
  purge(int64_t cutoff, uint32_t batch) override {
    return db_->purge(cutoff, batch);
  }
  caf::error
  each_queue(const std::function<void(const std::string&, uint64_t,
                                      uint64_t)>& f) override {
    return db_->each_queue(f);
  }
  caf::expected<uint64_t> max_seq() override {
    return db_->max_seq();
  }

private:
  std::shared_ptr<queue_backend> db_;
};

/// A store in a node that serves metrics: the actors find the node's
/// series and readiness through their system's configuration.
class StoreTelemetryTest : public deterministic_fixture {
protected:
  void SetUp() override {
    node_->registry = std::make_shared<prometheus::Registry>();
    node_->router = std::make_unique<router_metrics>(*node_->registry);
    node_->ready.require(readiness::store);
    node_->ready.set(readiness::store, true);
    cfg_.node_telemetry = node_;
    deterministic_fixture::SetUp();
  }

  errc put_code(const store_actor& st, const std::string& blob) {
    auto m = call(st, put_atom::value, std::string{"bob"},
                  stored_message{0, "alice", blob, 0}, true);
    if (!m) {
      ADD_FAILURE() << "put: no answer";
      return errc::internal;
    }
    if (m->match_elements<caf::error>())
      return code_of(m->get_as<caf::error>(0));
    return errc::none;
  }

  std::shared_ptr<telemetry> node_ = std::make_shared<telemetry>();
  scratch_dir scratch_;
};

TEST_F(StoreTelemetryTest, CommitsAreCountedAndAFailedOneMakesTheNodeNotReady) {
  auto db = open_store_db(scratch_.path() + "/queue.db");
  ASSERT_TRUE(db);
  auto flaky = std::make_shared<flaky_queue>(sqlite_queue(*db));
  auto st = spawn_store(*sys_, flaky);
  track(st.address());
  run();
  auto& m = *node_->router;
  EXPECT_EQ(put_code(st, "one"), errc::none);
  EXPECT_EQ(m.stored.Value(), 1);
  EXPECT_EQ(m.queue_messages.Value(), 1);
  EXPECT_EQ(m.queue_bytes.Value(), 3);
  EXPECT_EQ(m.store_commit_seconds.Collect().histogram.sample_count, 1u);
  EXPECT_EQ(node_->ready.missing(), "");
  // The database goes away: the put fails, the node says it is not ready,
  // and the queue's size is what it was.
  flaky->down = true;
  EXPECT_EQ(put_code(st, "two"), errc::store_unavailable);
  EXPECT_EQ(node_->ready.missing(), "the store is unreachable");
  EXPECT_EQ(m.stored.Value(), 1);
  EXPECT_EQ(m.queue_messages.Value(), 1);
  // It comes back.
  flaky->down = false;
  EXPECT_EQ(put_code(st, "three"), errc::none);
  EXPECT_EQ(node_->ready.missing(), "");
  EXPECT_EQ(m.stored.Value(), 2);
  EXPECT_EQ(m.queue_messages.Value(), 2);
}

} // namespace
