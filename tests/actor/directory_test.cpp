// Actor tests for the directory (actors/server/directory.cpp), on CAF's
// deterministic test coordinator: registrations in the mailbox together
// share commits, and answers are taken after a run to idle, not awaited.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <caf/all.hpp>

#include "actors/common/error.hpp"
#include "actors/server/directory.hpp"
#include "tests/support/deterministic.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::test;

namespace {

class DirectoryTest : public deterministic_fixture {
protected:
  directory_actor open_directory(const std::string& path,
                                 directory_limits limits = {}) {
    auto db = open_directory_db(path);
    EXPECT_TRUE(db) << to_string(db.error());
    if (!db)
      return {};
    auto dir = spawn_directory(*sys_, *db, limits);
    track(dir.address());
    run();
    return dir;
  }

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
};

TEST_F(DirectoryTest, BindsANameToTheFirstKey) {
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

TEST_F(DirectoryTest, NewNamesSentTogetherAreAnsweredOnceDurable) {
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

} // namespace

TEST_F(DirectoryTest, AKeyHoldsAtMostItsShareOfNames) {
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

TEST_F(DirectoryTest, ANewNameNeedsTheEdgesPermission) {
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
