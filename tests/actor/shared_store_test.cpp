// Routers sharing one PostgreSQL store (actors/server/pg_backend.cpp): one
// name binding and one queue for all of them, one-time prekeys handed out
// once under concurrency, versioned migrations, new names per address
// counted for every router, a router's SQLite folder migrated into it, and
// a --store address checked before any connection. Each router here is a directory and a
// store actor with connections of their own; the PostgreSQL server is the
// binary's own (tests/support/pg_server.hpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/admin/admin_ops.hpp"
#include "actors/admin/pg_migrate.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/server/router_store.hpp"
#include "actors/server/store.hpp"
#include "actors/server/router.hpp"
#include "tests/support/deterministic.hpp"
#include "tests/support/fake_session.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/pg_store.hpp"
#include "tests/support/prekey_fixture.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::test;

namespace {

class SharedStoreTest : public deterministic_fixture {
protected:
  void SetUp() override {
    deterministic_fixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo_));
  }

  /// What one router of the cluster runs on the shared store.
  struct router_actors {
    directory_actor directory;
    store_actor store;
  };

  router_actors start_router() {
    router_actors r;
    r.directory = spawn_directory(*sys_, pg_directory(conninfo_));
    r.store = spawn_store(*sys_, pg_queue(conninfo_));
    track(r.directory.address());
    track(r.store.address());
    run();
    return r;
  }

  static errc code_of_answer(const std::optional<caf::message>& m) {
    if (!m) {
      ADD_FAILURE() << "no answer";
      return errc::internal;
    }
    if (m->match_elements<caf::error>())
      return code_of(m->get_as<caf::error>(0));
    return errc::none;
  }

  std::string conninfo_;
};

TEST_F(SharedStoreTest, TwoRoutersSeeOneNameBinding) {
  auto a = start_router();
  auto b = start_router(); // started before alice exists: nothing cached
  auto first = call(a.directory, register_atom::value, std::string{"alice"},
                    std::string{"alice's key"});
  ASSERT_TRUE(first && first->match_elements<bool>());
  EXPECT_TRUE(first->get_as<bool>(0));
  // Another key for the same name at the other router: refused.
  EXPECT_EQ(code_of_answer(call(b.directory, register_atom::value,
                                std::string{"alice"},
                                std::string{"mallory's key"})),
            errc::username_taken);
  // The other router knows her, with her key, and she is not new there.
  auto key = call(b.directory, lookup_atom::value, std::string{"alice"});
  ASSERT_TRUE(key && key->match_elements<std::string>());
  EXPECT_EQ(key->get_as<std::string>(0), "alice's key");
  auto again = call(b.directory, register_atom::value, std::string{"alice"},
                    std::string{"alice's key"});
  ASSERT_TRUE(again && again->match_elements<bool>());
  EXPECT_FALSE(again->get_as<bool>(0));
  // Both routers with a new name pending in the same moment: the first
  // commit wins, the second finds its row.
  send(a.directory, register_atom::value, std::string{"carol"},
       std::string{"carol's key"});
  send(b.directory, register_atom::value, std::string{"carol"},
       std::string{"squatter's key"});
  int won = 0, taken = 0;
  for (int i = 0; i < 2; ++i) {
    auto m = take([](const caf::message&) { return true; });
    ASSERT_TRUE(m);
    if (m->match_elements<bool>() && m->get_as<bool>(0))
      ++won;
    else if (code_of_answer(m) == errc::username_taken)
      ++taken;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM users"), 2);
}

// Names per key are counted in the database: a key cannot hold its share
// of names at every router.
TEST_F(SharedStoreTest, NamesPerKeyAreCountedAcrossRouters) {
  directory_limits limits;
  limits.max_names_per_key = 2;
  auto a = spawn_directory(*sys_, pg_directory(conninfo_), limits);
  auto b = spawn_directory(*sys_, pg_directory(conninfo_), limits);
  track(a.address());
  track(b.address());
  run();
  auto bind = [&](const directory_actor& d, const std::string& name) {
    return call(d, register_atom::value, name, std::string{"one key"});
  };
  auto first = bind(a, "name1");
  ASSERT_TRUE(first && first->match_elements<bool>());
  auto second = bind(b, "name2");
  ASSERT_TRUE(second && second->match_elements<bool>());
  EXPECT_EQ(code_of_answer(bind(a, "name3")), errc::too_many_names);
  EXPECT_EQ(code_of_answer(bind(b, "name3")), errc::too_many_names);
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM users"), 2);
}

// New names per source address are counted in the database too: an
// address cannot register its share at every router.
TEST_F(SharedStoreTest, NewNamesPerAddressAreCountedAcrossRouters) {
  directory_limits limits;
  limits.registrations_per_minute = 2;
  auto a = spawn_directory(*sys_, pg_directory(conninfo_), limits);
  auto b = spawn_directory(*sys_, pg_directory(conninfo_), limits);
  track(a.address());
  track(b.address());
  run();
  const std::string here{"\x0a\x00\x00\x01", 4};
  const std::string there{"\x0a\x00\x00\x02", 4};
  auto bind = [&](const directory_actor& d, const std::string& name,
                  const std::string& source) {
    return call(d, register_atom::value, name, "key of " + name, true,
                source);
  };
  auto first = bind(a, "name1", here);
  ASSERT_TRUE(first && first->match_elements<bool>());
  auto second = bind(b, "name2", here);
  ASSERT_TRUE(second && second->match_elements<bool>());
  EXPECT_EQ(code_of_answer(bind(a, "name3", here)), errc::rate_limited);
  EXPECT_EQ(code_of_answer(bind(b, "name3", here)), errc::rate_limited);
  // Signing in again with a name made before costs nothing; another
  // address has its own count.
  auto again = bind(b, "name1", here);
  ASSERT_TRUE(again && again->match_elements<bool>());
  EXPECT_FALSE(again->get_as<bool>(0));
  auto other = bind(b, "name3", there);
  ASSERT_TRUE(other && other->match_elements<bool>());
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM users"), 3);
  // A name refused as taken costs nothing either.
  EXPECT_EQ(code_of_answer(call(a, register_atom::value, std::string{"name1"},
                                std::string{"another key"}, true, there)),
            errc::username_taken);
  EXPECT_EQ(pg_server::scalar(conninfo_,
                              "SELECT COUNT(*) FROM registrations"),
            3);
  // Older than a minute: counted no more (and deleted).
  ASSERT_GE(pg_server::scalar(conninfo_,
                              "WITH x AS (UPDATE registrations SET at = at"
                              " - 61000 RETURNING 1) SELECT COUNT(*) FROM x"),
            3);
  auto later = bind(a, "name4", here);
  ASSERT_TRUE(later && later->match_elements<bool>());
  EXPECT_EQ(pg_server::scalar(conninfo_,
                              "SELECT COUNT(*) FROM registrations"),
            1);
}

TEST_F(SharedStoreTest, ConcurrentBindingsOfOneNameLeaveOneRow) {
  // Threads with connections of their own, as routers on other machines.
  constexpr int n = 4;
  std::atomic<int> fresh{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto db = pg_directory(conninfo_);
      auto res = db->bind({{"dave", "key " + std::to_string(i)}});
      if (!res || res->size() != 1)
        ++failed;
      else if (!(*res)[0])
        ++fresh;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(pg_server::scalar(conninfo_,
                              "SELECT COUNT(*) FROM users WHERE name = 'dave'"),
            1);
}

TEST_F(SharedStoreTest, TwoRoutersShareOneQueue) {
  auto a = start_router();
  auto b = start_router();
  auto put = call(a.store, put_atom::value, std::string{"bob"},
                  stored_message{0, "alice", "for bob", 0}, true);
  ASSERT_TRUE(put && put->match_elements<stored_message>());
  auto seq = put->get_as<stored_message>(0).seq;
  auto rows = call(b.store, fetch_atom::value, std::string{"bob"}, uint64_t{0},
                   uint32_t{10});
  ASSERT_TRUE(rows && rows->match_elements<std::vector<stored_message>>());
  auto got = rows->get_as<std::vector<stored_message>>(0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, seq);
  EXPECT_EQ(got[0].blob, "for bob");
  // Acknowledged at the other router: gone for both.
  send(b.store, drop_atom::value, std::string{"bob"}, seq);
  run();
  rows = call(a.store, fetch_atom::value, std::string{"bob"}, uint64_t{0},
              uint32_t{10});
  ASSERT_TRUE(rows && rows->match_elements<std::vector<stored_message>>());
  EXPECT_TRUE(rows->get_as<std::vector<stored_message>>(0).empty());
}

// A recipient's quota covers what every router wrote, and what any router
// dropped frees it: each store counting only its own writes let a queue
// grow to the quota times the routers (and one that only wrote, while
// another dropped, refused for good).
TEST_F(SharedStoreTest, AQueueQuotaCountsEveryRoutersWritesAndDrops) {
  queue_limits limits;
  limits.max_messages = 2;
  auto a = spawn_store(*sys_, pg_queue(conninfo_), {}, limits);
  auto b = spawn_store(*sys_, pg_queue(conninfo_), {}, limits);
  track(a.address());
  track(b.address());
  run();
  auto put = [&](const store_actor& s, const std::string& blob) {
    return call(s, put_atom::value, std::string{"bob"},
                stored_message{0, "alice", blob, 0}, true);
  };
  auto first = put(a, "one");
  ASSERT_TRUE(first && first->match_elements<stored_message>());
  auto second = put(b, "two");
  ASSERT_TRUE(second && second->match_elements<stored_message>());
  EXPECT_EQ(code_of_answer(put(a, "three")), errc::quota_exceeded);
  // bob reads one at B.
  send(b, drop_atom::value, std::string{"bob"},
       first->get_as<stored_message>(0).seq);
  run();
  auto third = put(a, "three");
  EXPECT_TRUE(third && third->match_elements<stored_message>());
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM queue"), 2);
}

// One commit writes a batch of puts for several recipients: each
// recipient's messages are numbered in the order they came, the quota is
// checked per message under the recipient's lock, and a batch of drops
// deletes each row it names.
TEST_F(SharedStoreTest, ABatchKeepsOrderQuotaAndDrops) {
  queue_limits limits;
  limits.max_messages = 3;
  auto a = spawn_store(*sys_, pg_queue(conninfo_), {}, limits);
  track(a.address());
  run();
  for (int i = 0; i < 5; ++i)
    for (std::string to : {"carol", "bob"})
      send(a, put_atom::value, to,
           stored_message{0, "alice", to + std::to_string(i), 0}, true);
  run();
  std::vector<stored_message> stored;
  size_t refused = 0;
  while (auto m = take([](const caf::message& x) {
           return x.match_elements<stored_message>()
                  || x.match_elements<caf::error>();
         })) {
    if (m->match_elements<caf::error>()) {
      EXPECT_EQ(code_of(m->get_as<caf::error>(0)), errc::quota_exceeded);
      ++refused;
    } else {
      stored.push_back(m->get_as<stored_message>(0));
    }
  }
  EXPECT_EQ(stored.size(), 6u);
  EXPECT_EQ(refused, 4u);
  for (std::string to : {"bob", "carol"}) {
    auto rows = call(a, fetch_atom::value, to, uint64_t{0}, uint32_t{10});
    ASSERT_TRUE(rows && rows->match_elements<std::vector<stored_message>>());
    auto got = rows->get_as<std::vector<stored_message>>(0);
    ASSERT_EQ(got.size(), 3u) << to;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].blob, to + std::to_string(i));
      EXPECT_GE(got[i].seq, shared_seq_base);
      if (i > 0) {
        EXPECT_GT(got[i].seq, got[i - 1].seq);
      }
      // The answer to each put carries the seq its row got.
      EXPECT_EQ(std::count_if(stored.begin(), stored.end(),
                              [&](const stored_message& m) {
                                return m.seq == got[i].seq
                                       && m.blob == got[i].blob;
                              }),
                1);
    }
  }
  for (auto& m : stored)
    send(a, drop_atom::value, m.blob.substr(0, m.blob.size() - 1), m.seq);
  send(a, drop_atom::value, std::string{"bob"}, uint64_t{12345}); // none
  run();
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM queue"), 0);
  // The freed quota takes new messages again.
  auto again = call(a, put_atom::value, std::string{"bob"},
                    stored_message{0, "alice", "again", 0}, true);
  EXPECT_TRUE(again && again->match_elements<stored_message>());
}

// Two routers' stores writing to one recipient at once: no two messages
// get one seq, and a reader that fetches after the last seq it saw (as a
// router does for a live session) sees each message once, in order, even
// when the writer that took the lower number commits last.
TEST_F(SharedStoreTest, TwoWritersToOneRecipientNeitherCollideNorSkip) {
  constexpr int per_writer = 8;
  std::atomic<int> failures{0};
  auto writer = [&](std::string name, std::chrono::milliseconds hold) {
    auto q = pg_queue(conninfo_);
    for (int i = 0; i < per_writer; ++i) {
      stored_message msg{0, "alice", name + std::to_string(i), 1};
      if (q->begin() || q->insert("bob", msg)) {
        ++failures;
        q->rollback();
        continue;
      }
      // The slow writer keeps its number uncommitted a while.
      std::this_thread::sleep_for(hold);
      if (q->commit())
        ++failures;
    }
  };
  std::thread slow{writer, "slow", std::chrono::milliseconds{15}};
  std::thread fast{writer, "fast", std::chrono::milliseconds{0}};
  auto reader = pg_queue(conninfo_);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  auto read = [&] {
    auto rows = reader->fetch("bob", cursor, 100, INT64_MIN);
    ASSERT_TRUE(rows) << to_string(rows.error());
    for (auto& row : *rows) {
      EXPECT_GT(row.seq, cursor);
      EXPECT_GE(row.seq, shared_seq_base);
      EXPECT_TRUE(seen.insert(row.blob).second) << row.blob << " twice";
      cursor = row.seq;
    }
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (seen.size() < 2 * per_writer
         && std::chrono::steady_clock::now() < deadline) {
    read();
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  slow.join();
  fast.join();
  read();
  EXPECT_EQ(failures.load(), 0) << "a write failed (two equal seqs?)";
  EXPECT_EQ(seen.size(), size_t{2 * per_writer})
    << "the reader skipped a message numbered below one it had seen";
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM queue"),
            2 * per_writer);
  // A router's own numbers (for messages it pushed) stay below the
  // store's, and the next one it starts from ignores the store's.
  auto first = next_free_seq(*reader);
  EXPECT_LT(first, shared_seq_base);
  stored_message pushed{first, "alice", "pushed", 1};
  ASSERT_FALSE(reader->begin());
  ASSERT_FALSE(reader->insert("bob", pushed));
  ASSERT_FALSE(reader->commit());
  EXPECT_EQ(pushed.seq, first);
  EXPECT_GT(next_free_seq(*reader), first);
  EXPECT_LT(next_free_seq(*reader), shared_seq_base);
}

TEST_F(SharedStoreTest, ARouterOutlivesItsLostConnections) {
  auto a = start_router();
  auto put = [&](const std::string& blob) {
    return call(a.store, put_atom::value, std::string{"bob"},
                stored_message{0, "alice", blob, 0}, true);
  };
  ASSERT_EQ(code_of_answer(put("before")), errc::none);
  ASSERT_EQ(code_of_answer(call(a.directory, register_atom::value,
                                std::string{"alice"}, std::string{"key"})),
            errc::none);
  // What a PostgreSQL restart does to a router's sessions.
  auto killed = pg_server::scalar(
    conninfo_, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
               " WHERE datname = current_database()"
               " AND pid <> pg_backend_pid()");
  ASSERT_GE(killed, 2) << "the router's connections were not found";
  // The first call after may fail, with a sentence saying to try again; the
  // next one connects again. The actors are alive throughout.
  for (auto code : {code_of_answer(put("during")),
                    code_of_answer(call(a.directory, lookup_atom::value,
                                        std::string{"alice"}))})
    EXPECT_TRUE(code == errc::none || code == errc::store_unavailable)
      << to_string(code);
  EXPECT_EQ(code_of_answer(put("after")), errc::none);
  auto key = call(a.directory, lookup_atom::value, std::string{"alice"});
  ASSERT_TRUE(key && key->match_elements<std::string>())
    << (key ? to_string(*key) : "no answer");
  auto rows = call(a.store, fetch_atom::value, std::string{"bob"}, uint64_t{0},
                   uint32_t{10});
  ASSERT_TRUE(rows && rows->match_elements<std::vector<stored_message>>());
  auto got = rows->get_as<std::vector<stored_message>>(0);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.front().blob, "before");
  EXPECT_EQ(got.back().blob, "after");
}

TEST_F(SharedStoreTest, EachOneTimePrekeyIsHandedOutOnceUnderConcurrency) {
  device alice{"alice"};
  {
    auto db = pg_directory(conninfo_);
    ASSERT_TRUE(db->bind({{"alice", identity_der("alice")}}));
    auto n = db->prekeys().publish("alice", rsa("alice"), upload_of(alice, 40));
    ASSERT_TRUE(n) << to_string(n.error());
    ASSERT_EQ(*n, 40u);
  }
  constexpr int n = 4;
  std::vector<std::vector<uint32_t>> handed(n);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto db = pg_directory(conninfo_);
      for (int k = 0; k < 20; ++k) {
        auto b = db->prekeys().take_bundle("alice");
        if (!b) {
          ++failed;
          return;
        }
        if (b->one_time)
          handed[i].push_back(b->one_time->id);
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed, 0);
  std::vector<uint32_t> all;
  for (auto& h : handed)
    all.insert(all.end(), h.begin(), h.end());
  std::set<uint32_t> distinct(all.begin(), all.end());
  EXPECT_EQ(all.size(), 40u) << "every prekey handed out";
  EXPECT_EQ(distinct.size(), all.size()) << "a prekey handed out twice";
  EXPECT_EQ(pg_server::scalar(conninfo_,
                              "SELECT COUNT(*) FROM one_time_prekeys"),
            0);
}

TEST_F(SharedStoreTest, MigrationsAreVersionedAndRunOnce) {
  // SetUp migrated once; again is a no-op, and the version is recorded.
  ASSERT_FALSE(migrate_postgresql(conninfo_));
  EXPECT_EQ(pg_server::scalar(conninfo_,
                              "SELECT MAX(version) FROM schema_version"),
            pg_schema_version());
  EXPECT_EQ(pg_server::scalar(conninfo_, "SELECT COUNT(*) FROM schema_version"),
            pg_schema_version());
  // A database a newer Courier migrated is left alone.
  ASSERT_EQ(pg_server::scalar(conninfo_,
                              "INSERT INTO schema_version VALUES(99, 0)"
                              " RETURNING version"),
            99);
  EXPECT_EQ(code_of(migrate_postgresql(conninfo_)), errc::schema_too_new);
  scratch_dir scratch;
  auto opened = open_router_store(conninfo_, scratch.path());
  ASSERT_FALSE(opened);
  EXPECT_EQ(code_of(opened.error()), errc::schema_too_new);
}

/// A router on the shared store, in a real actor system, with fake
/// sessions.
class SharedRouterTest : public fake_session_fixture {
protected:
  void SetUp() override {
    fake_session_fixture::SetUp();
    ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo_));
  }

  std::string conninfo_;
};

// A user's home moved to this router; the old home wrote what it held for
// the user under its own numbers, below the store's numbers the new home
// already pushed. The notice of that write must still bring it.
TEST_F(SharedRouterTest, AWriteBelowWhatWasPushedIsFetchedOnItsNotice) {
  auto other = pg_queue(conninfo_); // another router's writes
  auto store = spawn_store(*sys_, pg_queue(conninfo_));
  auto dir = spawn_directory(*sys_, pg_directory(conninfo_));
  track(store.address());
  track(dir.address());
  cluster_config cl;
  cl.name = "A";
  cl.shared_store = true;
  auto first = next_free_seq(*other);
  auto router = spawn_router(*sys_, dir, store, edge_limits{}, first, cl);
  track(router.address());
  self()->send(router, login_atom::value, std::string{"bob"},
               fake_session("bob"));
  auto write = [&](uint64_t seq, const std::string& blob) {
    stored_message msg{seq, "alice", blob, now_ms()};
    ASSERT_FALSE(other->begin());
    ASSERT_FALSE(other->insert("bob", msg));
    ASSERT_FALSE(other->commit());
    self()->send(router, queued_atom::value, std::vector<std::string>{"bob"});
  };
  write(0, "numbered by the store");
  auto got = deliveries("bob", 1);
  ASSERT_EQ(blobs_of(got), std::vector<std::string>{"numbered by the store"});
  EXPECT_GE(got[0].seq, shared_seq_base);
  write(first + 5, "held by the old home");
  EXPECT_EQ(blobs_of(deliveries("bob", 1)),
            std::vector<std::string>{"held by the old home"});
  // A notice again brings nothing new: what waits for an ack is not pushed
  // twice.
  self()->send(router, queued_atom::value, std::vector<std::string>{"bob"});
  EXPECT_FALSE(box_->take(delivered_to("bob"), quiet_time));
}

TEST(StoreAddress, APasswordInTheAddressIsRefused) {
  for (auto addr : {"postgresql://courier:s3cret@db.example/courier",
                    "postgresql://courier@db.example/courier?password=s3cret",
                    "postgres://courier:s3cret@/courier?host=/run/pg"}) {
    auto err = check_postgresql_address(addr);
    EXPECT_EQ(code_of(err), errc::bad_store_address) << addr;
    EXPECT_EQ(explain(err).find("s3cret"), std::string::npos)
      << "the password was repeated: " << explain(err);
    EXPECT_NE(explain(err).find("PGPASSFILE"), std::string::npos);
  }
  EXPECT_FALSE(check_postgresql_address("postgresql://courier@db.example/c"));
  EXPECT_FALSE(
    check_postgresql_address("postgresql:///courier?host=/run/postgresql"));
  EXPECT_EQ(code_of(check_postgresql_address("postgresql://[::1")),
            errc::bad_store_address);
  // Anything but PostgreSQL (or nothing, for SQLite) is refused.
  scratch_dir scratch;
  auto opened = open_router_store("mysql://courier@db/c", scratch.path());
  ASSERT_FALSE(opened);
  EXPECT_EQ(code_of(opened.error()), errc::bad_store_address);
  opened = open_router_store("postgresql://u:pw@/c?host=/nonexistent",
                             scratch.path());
  ASSERT_FALSE(opened);
  EXPECT_EQ(code_of(opened.error()), errc::bad_store_address);
  // The default: SQLite files in the data folder.
  opened = open_router_store("", scratch.path());
  ASSERT_TRUE(opened) << to_string(opened.error());
  EXPECT_FALSE(opened->directory->shared());
}

// `courier-node admin migrate` refuses, and writes nothing, when the store
// binds a name of the folder to another key; a name bound to the same key
// is kept as the store has it.
TEST(MigrateToStore, ANameBoundToAnotherKeyStopsItBeforeAnyWrite) {
  std::string conninfo;
  ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo));
  scratch_dir folder;
  {
    auto db = open_directory_db(folder.path() + "/directory.db");
    ASSERT_TRUE(db) << to_string(db.error());
    ASSERT_FALSE((*db)->exec("INSERT INTO users(name, key, created) VALUES"
                             " ('alice', 'alice key', 1),"
                             " ('bob', 'bob key', 1),"
                             " ('carol', 'carol key', 1)"));
  }
  auto bound = [&](const std::string& name, const std::string& key) {
    return pg_server::scalar(conninfo,
                             "WITH x AS (INSERT INTO users(name, key, created)"
                             " VALUES ('" + name + "', convert_to('" + key
                               + "', 'UTF8'), 1) RETURNING 1)"
                                 " SELECT COUNT(*) FROM x");
  };
  ASSERT_EQ(bound("alice", "mallory key"), 1);
  ASSERT_EQ(bound("carol", "carol key"), 1);
  auto rep = admin::migrate_to_postgresql(folder.path(), conninfo, "test");
  ASSERT_FALSE(rep);
  EXPECT_EQ(code_of(rep.error()), errc::store_conflict);
  auto why = explain(rep.error());
  EXPECT_NE(why.find("1 name is bound to another key"), std::string::npos)
    << why;
  EXPECT_NE(why.find("alice"), std::string::npos) << why;
  EXPECT_EQ(why.find("carol"), std::string::npos) << why;
  EXPECT_EQ(pg_server::scalar(conninfo, "SELECT COUNT(*) FROM users"), 2)
    << "bob was written";
  EXPECT_EQ(pg_server::scalar(conninfo, "SELECT COUNT(*) FROM admin_audit"),
            0);
  // Settled (alice's binding is the folder's): bob is copied, carol kept.
  ASSERT_EQ(pg_server::scalar(conninfo,
                              "WITH x AS (DELETE FROM users WHERE name ="
                              " 'alice' RETURNING 1) SELECT COUNT(*) FROM x"),
            1);
  rep = admin::migrate_to_postgresql(folder.path(), conninfo, "test");
  ASSERT_TRUE(rep) << to_string(rep.error());
  EXPECT_EQ(rep->users, 2u);
  EXPECT_EQ(rep->users_present, 1u);
  EXPECT_TRUE(rep->done_before.empty());
  rep = admin::migrate_to_postgresql(folder.path(), conninfo, "test");
  ASSERT_TRUE(rep) << to_string(rep.error());
  EXPECT_FALSE(rep->done_before.empty()) << "a second run copied again";
  EXPECT_EQ(rep->users, 0u);
}

// A router and `courier-node admin` open a --store with one function: the
// same checks and the same sentence for the same mistake.
TEST(StoreAddress, RouterAndAdminSayTheSameAboutABadAddress) {
  scratch_dir scratch;
  for (auto addr : {"mysql://courier@db/c", "postgresql://u:pw@/c?host=/x"}) {
    auto router = open_router_store(addr, scratch.path());
    auto admin = admin::target::open(scratch.path(), addr, false);
    ASSERT_FALSE(router);
    ASSERT_FALSE(admin);
    EXPECT_EQ(code_of(admin.error()), errc::bad_store_address);
    EXPECT_EQ(explain(router.error()), explain(admin.error())) << addr;
  }
}

// What an operator is told when the store is down is one of Courier's
// sentences with a pinned code; libpq's words (hosts, sockets, SQL) go to
// the log only.
TEST(StoreAddress, AnUnreachableStoreIsAPinnedCodeWithoutLibpqText) {
  // Nothing listens on port 1 of the loopback: libpq fails at once.
  const std::string addr = "postgresql://courier@127.0.0.1:1/courier";
  auto check = [](const caf::error& err, const char* what) {
    EXPECT_EQ(code_of(err), errc::store_unavailable) << what;
    auto text = explain(err);
    for (auto libpq : {"connection to server", "could not connect", "FATAL",
                       "127.0.0.1"})
      EXPECT_EQ(text.find(libpq), std::string::npos) << what << ": " << text;
  };
  scratch_dir folder;
  auto opened = admin::target::open(folder.path(), addr, false);
  ASSERT_FALSE(opened);
  check(opened.error(), "admin target");
  check(pg_admin_store(addr)->each_user([](const user_entry&) {}),
        "admin store");
  ASSERT_TRUE(open_directory_db(folder.path() + "/directory.db"));
  auto migrated = admin::migrate_to_postgresql(folder.path(), addr, "test");
  ASSERT_FALSE(migrated);
  check(migrated.error(), "migrate");
  // A statement PostgreSQL refuses (here: no tables) is not repeated
  // either.
  auto& pg = pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  auto bare = pg.fresh_database();
  ASSERT_FALSE(bare.empty()) << pg.why();
  auto err = pg_admin_store(bare)->each_user([](const user_entry&) {});
  EXPECT_EQ(code_of(err), errc::storage_failure);
  EXPECT_EQ(explain(err).find("users"), std::string::npos) << explain(err);
  EXPECT_EQ(explain(err).find("ERROR"), std::string::npos) << explain(err);
}

} // namespace
