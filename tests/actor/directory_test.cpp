// Actor tests for the directory (actors/server/directory.cpp), on CAF's
// deterministic test coordinator: registrations in the mailbox together
// share commits, and answers are taken after a run to idle, not awaited.
// The tests of DirectoryBackendTest run on both backends: SQLite files and
// PostgreSQL (a server of this binary's own, tests/support/pg_server.hpp).

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <sqlite3.h>

#include "actors/admin/admin_ops.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/pg_backend.hpp"
#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"
#include "tests/support/deterministic.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/pg_store.hpp"
#include "tests/support/prekey_fixture.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::test;

namespace {

class DirectoryTest : public deterministic_fixture {
protected:
  directory_actor
  open_directory(const std::string& path, directory_limits limits = {},
                 std::map<std::string, std::string> reserved = {}) {
    auto db = open_backend(path);
    if (!db)
      return {};
    auto dir = spawn_directory(*sys_, std::move(db), limits,
                               std::move(reserved));
    track(dir.address());
    run();
    return dir;
  }

  /// The backend at `path` (SQLite), or the test's PostgreSQL database
  /// whatever the path: a new backend is a restarted router's.
  std::shared_ptr<directory_backend> open_backend(const std::string& path) {
    if (!conninfo_.empty())
      return pg_directory(conninfo_);
    auto db = open_directory_db(path);
    EXPECT_TRUE(db) << to_string(db.error());
    if (!db)
      return nullptr;
    return sqlite_directory(*db);
  }

  std::string conninfo_; ///< empty: SQLite

  /// The error code of an answer; errc::none for a value, and a failure
  /// when there is no answer at all.
  static errc code_of_answer(const std::optional<caf::message>& m) {
    if (!m) {
      ADD_FAILURE() << "no answer";
      return errc::none;
    }
    if (m->match_elements<caf::error>())
      return code_of(m->get_as<caf::error>(0));
    return errc::none;
  }

  /// The fingerprint people compare for a key (its DER here is any text).
  static std::string fingerprint_of(const std::string& key) {
    return crypto::to_hex(crypto::sha256(key));
  }

  /// What `user` publishes: the answer (a count or an error).
  std::optional<caf::message> publish(const directory_actor& dir,
                                      const std::string& user,
                                      const protocol::prekey_upload& up) {
    return call(dir, prekeys_atom::value, user,
                boost::json::serialize(protocol::to_json(up)));
  }

  /// How many one-time prekeys `user` has left; -1 on an error.
  int64_t count_of(const directory_actor& dir, const std::string& user) {
    auto m = call(dir, prekeys_atom::value, user);
    if (!m || !m->match_elements<uint32_t>()) {
      ADD_FAILURE() << (m ? to_string(*m) : "no answer");
      return -1;
    }
    return m->get_as<uint32_t>(0);
  }

  /// The bundle the directory hands out for `user`, or the error code.
  caf::expected<protocol::x3dh::bundle> fetch(const directory_actor& dir,
                                              const std::string& user) {
    auto m = call(dir, bundle_atom::value, user);
    if (!m)
      return make_error(errc::internal, "no answer");
    if (!m->match_elements<std::string>())
      return make_error(code_of_answer(m));
    return protocol::bundle_from_json(
      boost::json::parse(m->get_as<std::string>(0)).as_object());
  }

  /// A directory with alice and mallory signed in with their RSA keys.
  directory_actor with_users() {
    auto dir = open_directory(":memory:");
    for (auto user : {"alice", "mallory"})
      EXPECT_EQ(register_as(dir, user, identity_der(user)), errc::none);
    return dir;
  }

  /// Registers `user` with `key`: the answer's code (none if accepted).
  errc register_as(const directory_actor& dir, const std::string& user,
                   const std::string& key) {
    return code_of_answer(call(dir, register_atom::value, user, key));
  }
};

/// The same tests on SQLite and on PostgreSQL.
class DirectoryBackendTest : public DirectoryTest,
                             public ::testing::WithParamInterface<std::string> {
protected:
  void SetUp() override {
    DirectoryTest::SetUp();
    if (GetParam() == "postgresql") {
      ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo_));
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, DirectoryBackendTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(DirectoryBackendTest, BindsANameToTheFirstKey) {
  auto dir = open_directory(":memory:");
  ASSERT_TRUE(dir);
  auto first = call(dir, register_atom::value, std::string{"alice"},
                    std::string{"key of alice"});
  ASSERT_TRUE(first && first->match_elements<bool>())
    << (first ? to_string(*first) : "no answer");
  ASSERT_TRUE(first->get_as<bool>(0)) << "alice was not new";
  auto again = call(dir, register_atom::value, std::string{"alice"},
                    std::string{"key of alice"});
  ASSERT_TRUE(again && again->match_elements<bool>())
    << (again ? to_string(*again) : "no answer");
  EXPECT_FALSE(again->get_as<bool>(0)) << "same key again is not a new user";
  auto other = call(dir, register_atom::value, std::string{"alice"},
                    std::string{"another key"});
  EXPECT_FALSE(other && other->match_elements<bool>())
    << "another key was accepted";
  EXPECT_EQ(code_of_answer(other), errc::username_taken);
  auto key = call(dir, lookup_atom::value, std::string{"alice"});
  ASSERT_TRUE(key && key->match_elements<std::string>())
    << (key ? to_string(*key) : "no answer");
  EXPECT_EQ(key->get_as<std::string>(0), "key of alice");
  auto unknown = call(dir, lookup_atom::value, std::string{"zed"});
  EXPECT_FALSE(unknown && unknown->match_elements<std::string>())
    << "zed exists";
  EXPECT_EQ(code_of_answer(unknown), errc::unknown_user);
}

TEST_P(DirectoryBackendTest, NewNamesSentTogetherAreAnsweredOnceDurable) {
  scratch_dir scratch;
  ASSERT_FALSE(scratch.path().empty());
  auto path = scratch.path() + "/directory.db";
  {
    auto dir = open_directory(path);
    ASSERT_TRUE(dir);
    // All in the mailbox before the directory runs: they share commits.
    for (int i = 0; i < 50; ++i)
      send(dir, register_atom::value, "u" + std::to_string(i),
           "key " + std::to_string(i));
    send(dir, register_atom::value, std::string{"u0"}, std::string{"key 0"});
    send(dir, register_atom::value, std::string{"u1"},
         std::string{"not u1's key"});
    int fresh = 0, again = 0, taken = 0;
    auto any = [](const caf::message&) { return true; };
    for (int i = 0; i < 52; ++i) {
      auto m = take(any);
      if (!m)
        ADD_FAILURE() << "no answer";
      else if (m->match_elements<bool>())
        ++(m->get_as<bool>(0) ? fresh : again);
      else if (m->match_elements<caf::error>()
               && code_of(m->get_as<caf::error>(0)) == errc::username_taken)
        ++taken;
      else
        ADD_FAILURE() << to_string(*m);
    }
    EXPECT_EQ(fresh, 50);
    EXPECT_EQ(again, 1);
    EXPECT_EQ(taken, 1);
    kill_and_run(dir.address());
  }
  auto dir = open_directory(path);
  ASSERT_TRUE(dir);
  for (int i = 0; i < 50; i += 7) {
    auto key = call(dir, lookup_atom::value, "u" + std::to_string(i));
    ASSERT_TRUE(key && key->match_elements<std::string>())
      << (key ? to_string(*key) : "no answer");
    EXPECT_EQ(key->get_as<std::string>(0), "key " + std::to_string(i));
  }
}

TEST_P(DirectoryBackendTest, AReservedNameTakesOnlyItsKey) {
  // The bank's and the operators' names are bound by configuration: a
  // squatter (or a router) cannot register them first.
  auto dir = open_directory(
    ":memory:", {}, {{"bank", fingerprint_of("bank key")},
                 {"alice", fingerprint_of("alice key")}});
  ASSERT_TRUE(dir);
  EXPECT_EQ(register_as(dir, "bank", "squatter key"), errc::name_reserved);
  EXPECT_EQ(register_as(dir, "alice", "bank key"), errc::name_reserved);
  auto unknown = call(dir, lookup_atom::value, std::string{"bank"});
  EXPECT_EQ(code_of_answer(unknown), errc::unknown_user);
  EXPECT_EQ(register_as(dir, "bank", "bank key"), errc::none);
  EXPECT_EQ(register_as(dir, "alice", "alice key"), errc::none);
  EXPECT_EQ(register_as(dir, "bank", "squatter key"), errc::name_reserved);
  // Other names are first come, first served as before.
  EXPECT_EQ(register_as(dir, "carol", "squatter key"), errc::none);
  auto key = call(dir, lookup_atom::value, std::string{"bank"});
  ASSERT_TRUE(key && key->match_elements<std::string>());
  EXPECT_EQ(key->get_as<std::string>(0), "bank key");
}

TEST_P(DirectoryBackendTest, ANameSquattedBeforeItWasReservedIsReleased) {
  scratch_dir scratch;
  ASSERT_FALSE(scratch.path().empty());
  auto path = scratch.path() + "/directory.db";
  {
    auto dir = open_directory(path);
    ASSERT_TRUE(dir);
    EXPECT_EQ(register_as(dir, "bank", "squatter key"), errc::none);
    EXPECT_EQ(register_as(dir, "carol", "carol key"), errc::none);
    kill_and_run(dir.address());
  }
  auto dir = open_directory(path, {}, {{"bank", fingerprint_of("bank key")}});
  ASSERT_TRUE(dir);
  EXPECT_EQ(code_of_answer(call(dir, lookup_atom::value, std::string{"bank"})),
            errc::unknown_user);
  EXPECT_EQ(register_as(dir, "bank", "squatter key"), errc::name_reserved);
  EXPECT_EQ(register_as(dir, "bank", "bank key"), errc::none);
  EXPECT_EQ(register_as(dir, "carol", "carol key"), errc::none);
}

} // namespace

TEST_P(DirectoryBackendTest, AKeyHoldsAtMostItsShareOfNames) {
  scratch_dir scratch;
  ASSERT_FALSE(scratch.path().empty());
  auto path = scratch.path() + "/directory.db";
  directory_limits limits;
  limits.max_names_per_key = 2;
  auto reg = [&](const directory_actor& dir, const std::string& user,
                 const std::string& key) {
    return code_of_answer(call(dir, register_atom::value, user, key));
  };
  {
    auto dir = open_directory(path, limits);
    ASSERT_TRUE(dir);
    // All three in one commit: names still pending count too.
    send(dir, register_atom::value, std::string{"a1"}, std::string{"key a"});
    send(dir, register_atom::value, std::string{"a2"}, std::string{"key a"});
    EXPECT_EQ(reg(dir, "a3", "key a"), errc::too_many_names);
    auto any = [](const caf::message&) { return true; };
    for (int i = 0; i < 2; ++i) {
      auto m = take(any);
      EXPECT_TRUE(m && m->match_elements<bool>() && m->get_as<bool>(0))
        << (m ? to_string(*m) : "no answer");
    }
    EXPECT_EQ(reg(dir, "a3", "key a"), errc::too_many_names);
    EXPECT_EQ(reg(dir, "a1", "key a"), errc::none) << "a name it holds";
    EXPECT_EQ(reg(dir, "b1", "key b"), errc::none) << "another key";
    kill_and_run(dir.address());
  }
  // The count comes back from the database.
  auto dir = open_directory(path, limits);
  ASSERT_TRUE(dir);
  EXPECT_EQ(reg(dir, "a3", "key a"), errc::too_many_names);
  EXPECT_EQ(reg(dir, "b2", "key b"), errc::none);
}

TEST_P(DirectoryBackendTest, ANewNameNeedsTheEdgesPermission) {
  auto dir = open_directory(":memory:");
  ASSERT_TRUE(dir);
  auto reg = [&](const std::string& user, bool may_create) {
    return code_of_answer(call(dir, register_atom::value, user,
                               std::string{"key of " + user}, may_create));
  };
  EXPECT_EQ(reg("alice", false), errc::rate_limited);
  EXPECT_EQ(code_of_answer(call(dir, lookup_atom::value, std::string{"alice"})),
            errc::unknown_user)
    << "a refused name was bound";
  EXPECT_EQ(reg("alice", true), errc::none);
  EXPECT_EQ(reg("alice", false), errc::none) << "she exists: no new name";
}

// -- prekeys -------------------------------------------------------------------

namespace {

TEST_P(DirectoryBackendTest, ABundleHandsOutEachOneTimePrekeyOnce) {
  auto dir = with_users();
  device alice{"alice"};
  auto up = upload_of(alice, 3);
  auto n = publish(dir, "alice", up);
  ASSERT_TRUE(n && n->match_elements<uint32_t>()) << to_string(*n);
  EXPECT_EQ(n->get_as<uint32_t>(0), 3u);
  EXPECT_EQ(count_of(dir, "alice"), 3);
  std::vector<uint32_t> handed;
  for (int i = 0; i < 3; ++i) {
    auto b = fetch(dir, "alice");
    ASSERT_TRUE(b) << to_string(b.error());
    ASSERT_TRUE(b->one_time);
    handed.push_back(b->one_time->id);
    // What a peer checks before it uses the bundle.
    EXPECT_FALSE(protocol::x3dh::verify(b->device, rsa("alice"), "alice"));
    EXPECT_FALSE(protocol::x3dh::verify_prekey(b->device, b->signed_prekey,
                                               b->prekey_signature));
    EXPECT_EQ(count_of(dir, "alice"), 2 - i);
  }
  EXPECT_EQ(handed, (std::vector<uint32_t>{100, 101, 102}));
  // None left: the bundle says so by carrying none.
  auto b = fetch(dir, "alice");
  ASSERT_TRUE(b) << to_string(b.error());
  EXPECT_FALSE(b->one_time);
  EXPECT_EQ(b->signed_prekey.id, up.signed_prekey.id);
  // A retried publish stores nothing twice; new ids are added.
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 2, 200))),
            errc::none);
  EXPECT_EQ(count_of(dir, "alice"), 2);
}

TEST_P(DirectoryBackendTest, UnknownUsersAndUsersWithoutPrekeys) {
  auto dir = with_users();
  auto b = fetch(dir, "zed");
  EXPECT_EQ(code_of(b.error()), errc::unknown_user);
  b = fetch(dir, "alice");
  EXPECT_EQ(code_of(b.error()), errc::no_bundle);
  EXPECT_EQ(count_of(dir, "alice"), 0);
  EXPECT_EQ(code_of_answer(publish(dir, "zed", upload_of(device{"zed"}, 1))),
            errc::unknown_user);
}

TEST_P(DirectoryBackendTest, APublishIsCheckedAgainstTheSignInKeyAndStoresNothingIfRefused) {
  auto dir = with_users();
  device alice{"alice"}, mallory{"mallory"};
  // Mallory publishes a certificate of hers under alice's name, or alice's
  // certificate as hers: neither is certified by the key that signed in.
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(mallory, 5))),
            errc::bad_signature);
  EXPECT_EQ(code_of_answer(publish(dir, "mallory", upload_of(alice, 5))),
            errc::bad_signature);
  auto forged = upload_of(alice, 5);
  forged.signed_prekey.key = mallory.bundle.signed_prekey.key;
  EXPECT_EQ(code_of_answer(publish(dir, "alice", forged)),
            errc::bad_signature);
  EXPECT_EQ(code_of_answer(call(dir, prekeys_atom::value, std::string{"alice"},
                                std::string{"{\"device\":7}"})),
            errc::bad_envelope);
  EXPECT_EQ(code_of(fetch(dir, "alice").error()), errc::no_bundle);
  EXPECT_EQ(code_of(fetch(dir, "mallory").error()), errc::no_bundle);
  // Past the quota of one-time prekeys, or a known id with another key:
  // refused whole, the rest of the batch included.
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 60, 0))),
            errc::none);
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 41, 60))),
            errc::quota_exceeded);
  EXPECT_EQ(count_of(dir, "alice"), 60);
  auto clash = upload_of(alice, 10, 1000);
  clash.one_time.push_back(one_time_prekeys(1, 5).front());
  EXPECT_EQ(code_of_answer(publish(dir, "alice", clash)), errc::bad_envelope);
  EXPECT_EQ(count_of(dir, "alice"), 60);
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 40, 60))),
            errc::none);
  EXPECT_EQ(count_of(dir, "alice"), 100);
  // One signed prekey id, one key.
  auto spk = upload_of(alice);
  spk.signed_prekey.key = mallory.bundle.signed_prekey.key;
  spk.prekey_signature =
    protocol::x3dh::sign_prekey(alice.keys, alice.cert, spk.signed_prekey)
      .value();
  EXPECT_EQ(code_of_answer(publish(dir, "alice", spk)), errc::bad_envelope);
  EXPECT_EQ(fetch(dir, "alice")->signed_prekey.key,
            alice.bundle.signed_prekey.key);
}

TEST_P(DirectoryBackendTest, ANewSignedPrekeyOrDeviceReplacesTheOld) {
  auto dir = with_users();
  device alice{"alice"};
  ASSERT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 3))),
            errc::none);
  // Rotation: a new signed prekey, the one-time prekeys stay.
  auto rotated = upload_of(alice);
  rotated.signed_prekey = one_time_prekeys(1, 8).front();
  rotated.prekey_signature =
    protocol::x3dh::sign_prekey(alice.keys, alice.cert, rotated.signed_prekey)
      .value();
  ASSERT_EQ(code_of_answer(publish(dir, "alice", rotated)), errc::none);
  auto b = fetch(dir, "alice");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->signed_prekey.id, 8u);
  EXPECT_EQ(b->signed_prekey.key, rotated.signed_prekey.key);
  EXPECT_EQ(count_of(dir, "alice"), 2);
  // A new device (reinstalled): the old one's prekeys are of no use.
  device again{"alice"};
  ASSERT_EQ(code_of_answer(publish(dir, "alice", upload_of(again, 1, 500))),
            errc::none);
  EXPECT_EQ(count_of(dir, "alice"), 1);
  b = fetch(dir, "alice");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->device.identity, again.cert.identity);
  ASSERT_TRUE(b->one_time);
  EXPECT_EQ(b->one_time->id, 500u);
}

// courier-node admin (actors/admin/admin_ops.hpp) on the store a router's
// directory uses: a SQLite folder or the PostgreSQL database.
class AdminTest : public DirectoryBackendTest {
protected:
  /// The router's directory on the test's store.
  directory_actor router_directory() {
    return open_directory(scratch_.path() + "/directory.db");
  }

  /// The store as `courier-node admin` opens it.
  std::unique_ptr<admin::target> admin_target(bool write) {
    auto t = admin::target::open(scratch_.path(), conninfo_, write);
    EXPECT_TRUE(t) << to_string(t.error());
    return t ? std::move(*t) : nullptr;
  }

  bool on_postgresql() const {
    return !conninfo_.empty();
  }

  /// The audit rows, as "action name by".
  std::vector<std::string> audit(admin::target& t) {
    std::vector<std::string> rows;
    EXPECT_FALSE(t.admin->each_audit([&](const audit_entry& e) {
      rows.push_back(e.action + " " + e.name + " " + e.by);
    }));
    return rows;
  }

  scratch_dir scratch_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AdminTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(AdminTest, ABlockedNameCannotSignInNorBeWrittenToUntilUnblocked) {
  auto dir = router_directory();
  ASSERT_TRUE(dir);
  EXPECT_EQ(register_as(dir, "alice", identity_der("alice")), errc::none);
  EXPECT_EQ(register_as(dir, "bob", identity_der("bob")), errc::none);
  auto t = admin_target(false);
  ASSERT_TRUE(t);
  EXPECT_EQ(code_of(admin::set_blocked(*t, "zed", true, "ops")),
            errc::unknown_user);
  ASSERT_FALSE(admin::set_blocked(*t, "bob", true, "ops"));
  // The running directory asks the store at each sign-in and lookup.
  EXPECT_EQ(register_as(dir, "bob", identity_der("bob")), errc::name_blocked);
  EXPECT_EQ(code_of_answer(call(dir, lookup_atom::value, std::string{"bob"})),
            errc::name_blocked);
  EXPECT_EQ(code_of_answer(call(dir, bundle_atom::value, std::string{"bob"})),
            errc::name_blocked);
  EXPECT_EQ(register_as(dir, "alice", identity_der("alice")), errc::none);
  auto users = admin::list_users(*t);
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_FALSE((*users)[0].user.blocked);
  EXPECT_TRUE((*users)[1].user.blocked);
  ASSERT_FALSE(admin::set_blocked(*t, "bob", false, "ops"));
  EXPECT_EQ(register_as(dir, "bob", identity_der("bob")), errc::none);
  EXPECT_EQ((audit(*t)), (std::vector<std::string>{"block bob ops",
                                                   "unblock bob ops"}));
}

TEST_P(AdminTest, ARebindLetsOnlyTheNewKeySignInAndDropsTheOldDevice) {
  auto path = scratch_.path() + "/directory.db";
  auto dir = router_directory();
  ASSERT_TRUE(dir);
  EXPECT_EQ(register_as(dir, "alice", identity_der("alice")), errc::none);
  device old_device{"alice"};
  EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(old_device, 3))),
            errc::none);
  auto lost = identity_der("alice");
  auto fresh = identity_der("alice-new-key");
  {
    auto t = admin_target(true);
    ASSERT_TRUE(t);
    if (!on_postgresql()) {
      // A router on these files holds the lock: a second writer waits.
      EXPECT_EQ(code_of(admin::target::open(scratch_.path(), "", true)
                          .error()),
                errc::node_running);
    }
    EXPECT_EQ(code_of(admin::rebind(*t, "zed", fresh, "ops")),
              errc::unknown_user);
    ASSERT_FALSE(admin::rebind(*t, "alice", fresh, "ops"));
    auto key = admin::current_key(*t, "alice");
    ASSERT_TRUE(key);
    EXPECT_EQ(*key, fresh);
    auto rows = audit(*t);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], "rebind alice ops");
    std::string detail;
    EXPECT_FALSE(t->admin->each_audit(
      [&](const audit_entry& e) { detail = e.detail; }));
    EXPECT_NE(detail.find(crypto::fingerprint_of_der(lost)),
              std::string::npos);
    EXPECT_NE(detail.find(crypto::fingerprint_of_der(fresh)),
              std::string::npos);
  }
  // A router on SQLite was stopped for the re-bind and starts again; routers
  // on PostgreSQL keep running.
  if (!on_postgresql()) {
    kill_and_run(dir.address());
    dir = open_directory(path);
  }
  EXPECT_EQ(register_as(dir, "alice", lost), errc::username_taken);
  EXPECT_EQ(register_as(dir, "alice", fresh), errc::none);
  auto key = call(dir, lookup_atom::value, std::string{"alice"});
  ASSERT_TRUE(key && key->match_elements<std::string>());
  EXPECT_EQ(key->get_as<std::string>(0), fresh);
  // The old device's certificate and prekeys named the lost key.
  EXPECT_EQ(count_of(dir, "alice"), 0);
  EXPECT_EQ(code_of(fetch(dir, "alice").error()), errc::no_bundle);
}

TEST_P(AdminTest, ListsQueuesAndPurgesOnlyExpiredMessages) {
  auto dir = router_directory();
  ASSERT_TRUE(dir);
  EXPECT_EQ(register_as(dir, "alice", identity_der("alice")), errc::none);
  EXPECT_EQ(register_as(dir, "bob", identity_der("bob")), errc::none);
  auto t = admin_target(true);
  ASSERT_TRUE(t);
  auto day = int64_t{24 * 3600 * 1000};
  ASSERT_FALSE(t->queue->begin());
  for (auto [to, age] : {std::pair<const char*, int64_t>{"bob", 3 * day},
                         {"bob", 0}, {"alice", 2 * day}}) {
    stored_message m{0, "carol", std::string(100, 'x'), now_ms() - age};
    ASSERT_FALSE(t->queue->insert(to, m));
  }
  ASSERT_FALSE(t->queue->commit());
  auto users = admin::list_users(*t);
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].queued, 1u);
  EXPECT_EQ((*users)[1].queued, 2u);
  EXPECT_EQ((*users)[1].queued_bytes, 200u);
  EXPECT_EQ(crypto::fingerprint_of_der((*users)[1].user.key),
            crypto::fingerprint_of_der(identity_der("bob")));
  EXPECT_GT((*users)[1].user.created, 0);
  auto purged = admin::purge_expired(*t, std::chrono::hours{24}, "ops");
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2u);
  auto bob = admin::queue_of(*t, "bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->first, 1u);
  EXPECT_EQ(code_of(admin::queue_of(*t, "zed").error()), errc::unknown_user);
  EXPECT_EQ(audit(*t), (std::vector<std::string>{"purge  ops"}));
}

TEST_F(DirectoryTest, AnOlderDatabaseIsMigratedAndKeepsItsUsers) {
  scratch_dir scratch;
  ASSERT_FALSE(scratch.path().empty());
  auto path = scratch.path() + "/directory.db";
  {
    // What version 0 wrote: the users table only.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    auto der = identity_der("alice");
    std::string sql = "CREATE TABLE users(name TEXT PRIMARY KEY,"
                      " key BLOB NOT NULL, created INTEGER NOT NULL);"
                      "INSERT INTO users VALUES('alice', x'"
                      + crypto::to_hex(der) + "', 0);";
    EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  device alice{"alice"};
  {
    auto dir = open_directory(path);
    ASSERT_TRUE(dir);
    EXPECT_EQ(code_of_answer(call(dir, lookup_atom::value, std::string{"alice"})),
              errc::none);
    EXPECT_EQ(code_of_answer(publish(dir, "alice", upload_of(alice, 2))),
              errc::none);
    kill_and_run(dir.address());
  }
  auto db = open_directory_db(path);
  ASSERT_TRUE(db);
  auto version = (*db)->prepare("PRAGMA user_version");
  ASSERT_TRUE(version && *version->step());
  EXPECT_EQ(version->int_at(0), 2);
  auto dir = open_directory(path);
  EXPECT_EQ(count_of(dir, "alice"), 2);
}

} // namespace
