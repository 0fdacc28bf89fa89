#pragma once

// Fixtures of the router, store and directory tests: a router over an
// in-memory directory and store, fake sessions that forward what they get
// to the test's inbox, and a store on disk in a folder of its own.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/error.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/router.hpp"
#include "actors/server/store.hpp"
#include "tests/support/fake_session.hpp"
#include "tests/support/inbox.hpp"
#include "tests/support/scratch_dir.hpp"

namespace courier::test {

using namespace std::chrono_literals;

predicate any_seq_reply() {
  return [](const caf::message& m) {
    return m.match_elements<uint64_t, bool>();
  };
}

class RouterTest : public fake_session_fixture {
protected:
  void release_handles() override {
    directory_ = nullptr;
    store_ = nullptr;
    router_ = nullptr;
  }

  /// Spawns directory, store and router on in-memory databases; the
  /// router meters every sender but `unmetered`.
  void start(edge_limits limits = {},
             std::chrono::microseconds commit_window = {},
             queue_limits queue = {}, std::set<std::string> unmetered = {}) {
    auto ddb = open_directory_db(":memory:");
    ASSERT_TRUE(ddb) << to_string(ddb.error());
    auto sdb = open_store_db(":memory:");
    ASSERT_TRUE(sdb) << to_string(sdb.error());
    directory_ = spawn_directory(*sys_, *ddb);
    auto first_seq = next_free_seq(**sdb);
    store_ = spawn_store(*sys_, *sdb, commit_window, queue);
    router_ = spawn_router(*sys_, directory_, store_, limits, first_seq, {},
                           {}, std::move(unmetered));
    track(directory_.address());
    track(store_.address());
    track(router_.address());
  }

  void register_user(const std::string& name) {
    bool answered = false;
    self()
      ->request(directory_, wait_time, register_atom::value, name,
                "key of " + name)
      .receive([&](bool is_new) { answered = is_new; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "register " << name << ": "
                               << sys_->render(err);
               });
    ASSERT_TRUE(answered) << name << " was not new";
  }

  send_result send(const std::string& from, const std::string& to,
                   const std::string& blob) {
    return send_via(router_, from, to, blob);
  }

  /// Sends and requires success; returns the seq.
  uint64_t send_ok(const std::string& from, const std::string& to,
                   const std::string& blob) {
    auto res = send(from, to, blob);
    EXPECT_FALSE(res.err) << sys_->render(res.err);
    EXPECT_GT(res.seq, 0u);
    return res.seq;
  }

  void login(const std::string& user, const session_actor& s) {
    self()->send(router_, login_atom::value, user, s);
  }

  void ack(const std::string& user, uint64_t seq) {
    self()->send(router_, ack_atom::value, user, seq);
  }

  /// Which of `asked` are online.
  std::vector<std::string> online(std::vector<std::string> asked) {
    std::vector<std::string> result{"<no answer>"};
    self()
      ->request(router_, wait_time, online_atom::value, std::move(asked))
      .receive([&](std::vector<std::string>& names) { result = names; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "online: " << sys_->render(err);
               });
    return result;
  }

  directory_actor directory_;
  store_actor store_;
  router_actor router_;
};

/// A router test with a folder for a store on disk.
class StoreTest : public RouterTest {
protected:
  void SetUp() override {
    RouterTest::SetUp();
    ASSERT_FALSE(dir_.empty()) << "no scratch folder";
  }

  /// Rows in the queue database, read through a connection of its own.
  int64_t rows_on_disk() {
    return queue_rows(dir_ + "/queue.db");
  }

  std::vector<stored_message> fetch(const store_actor& st,
                                    const std::string& to, uint64_t after,
                                    uint32_t limit) {
    std::vector<stored_message> out;
    self()
      ->request(st, wait_time, fetch_atom::value, to, after, limit)
      .receive([&](std::vector<stored_message>& rows) { out = rows; },
               [&](caf::error& err) {
                 ADD_FAILURE() << "fetch: " << sys_->render(err);
               });
    return out;
  }

  scratch_dir scratch_;
  std::string dir_ = scratch_.path();
};

/// A router whose store is on disk and which holds pushed messages.
class HoldTest : public StoreTest {
protected:
  /// A router whose store is on disk and which holds pushed messages for
  /// `hold`; alice and bob are registered and online.
  void start_holding(ms hold) {
    auto ddb = open_directory_db(":memory:");
    ASSERT_TRUE(ddb);
    auto sdb = open_store_db(dir_ + "/queue.db");
    ASSERT_TRUE(sdb);
    directory_ = spawn_directory(*sys_, *ddb);
    // Before the store owns the connection: one SQLite connection is used
    // by one thread at a time (TSan saw the store start on it meanwhile).
    auto first_seq = next_free_seq(**sdb);
    store_ = spawn_store(*sys_, *sdb);
    router_ = spawn_router(*sys_, directory_, store_, {}, first_seq, {}, hold);
    track(directory_.address());
    track(store_.address());
    track(router_.address());
    for (auto name : {"alice", "bob", "carol"})
      register_user(name);
    alice_ = fake_session("alice");
    bob_ = fake_session("bob");
    login("alice", alice_);
    // Bob is caught up (so new messages are pushed, not fetched) once he
    // has what was queued before he signed in.
    auto queued = send_ok("alice", "bob", "queued");
    login("bob", bob_);
    ASSERT_EQ(seqs_of(deliveries("bob", 1)), std::vector<uint64_t>{queued});
    ack("bob", queued);
    ASSERT_TRUE(box_->take(told_delivered("alice"), wait_time));
  }

  /// Sends from alice to bob without waiting; returns the seq bob got.
  uint64_t send_and_push(const std::string& blob) {
    self()->send(router_, send_atom::value, std::string{"alice"},
                 std::string{"bob"}, blob);
    auto got = deliveries("bob", 1);
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? 0 : got[0].seq;
  }

  /// Alice's answer to a send; seq 0 if none came in `timeout`.
  send_result answer(ms timeout = wait_time) {
    send_result res;
    if (auto m = box_->take(any_seq_reply(), timeout)) {
      res.seq = m->get_as<uint64_t>(0);
      res.delivered = m->get_as<bool>(1);
    }
    return res;
  }

  session_actor alice_;
  session_actor bob_;
};

} // namespace courier::test
