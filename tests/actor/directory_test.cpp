// Actor tests for the directory (actors/server/directory.cpp).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/router_fixture.hpp"

using namespace courier;
using namespace courier::test;

namespace {

TEST_F(RouterTest, DirectoryBindsANameToTheFirstKey) {
  start();
  register_user("alice");
  bool again = true;
  self()
    ->request(directory_, wait_time, register_atom::value,
              std::string{"alice"}, std::string{"key of alice"})
    .receive([&](bool is_new) { again = is_new; },
             [&](caf::error& err) { ADD_FAILURE() << sys_->render(err); });
  EXPECT_FALSE(again) << "same key again is not a new user";
  caf::error err;
  self()
    ->request(directory_, wait_time, register_atom::value,
              std::string{"alice"}, std::string{"another key"})
    .receive([&](bool) { ADD_FAILURE() << "another key was accepted"; },
             [&](caf::error& e) { err = std::move(e); });
  EXPECT_EQ(code_of(err), errc::username_taken);
  std::string key;
  self()
    ->request(directory_, wait_time, lookup_atom::value, std::string{"alice"})
    .receive([&](std::string& k) { key = k; },
             [&](caf::error& e) { ADD_FAILURE() << sys_->render(e); });
  EXPECT_EQ(key, "key of alice");
  caf::error unknown;
  self()
    ->request(directory_, wait_time, lookup_atom::value, std::string{"zed"})
    .receive([&](std::string&) { ADD_FAILURE() << "zed exists"; },
             [&](caf::error& e) { unknown = std::move(e); });
  EXPECT_EQ(code_of(unknown), errc::unknown_user);
}

TEST_F(StoreTest, NewNamesSentTogetherAreAnsweredOnceDurable) {
  auto path = dir_ + "/directory.db";
  {
    auto db = open_directory_db(path);
    ASSERT_TRUE(db);
    auto dir = spawn_directory(*sys_, *db);
    track(dir.address());
    // All in the mailbox at once: they share commits.
    for (int i = 0; i < 50; ++i)
      self()->send(dir, register_atom::value, "u" + std::to_string(i),
                   "key " + std::to_string(i));
    self()->send(dir, register_atom::value, std::string{"u0"},
                 std::string{"key 0"});
    self()->send(dir, register_atom::value, std::string{"u1"},
                 std::string{"not u1's key"});
    int fresh = 0, again = 0, taken = 0;
    for (int i = 0; i < 52; ++i)
      self()->receive([&](bool is_new) { ++(is_new ? fresh : again); },
                      [&](caf::error& err) {
                        if (code_of(err) == errc::username_taken)
                          ++taken;
                        else
                          ADD_FAILURE() << sys_->render(err);
                      },
                      caf::after(wait_time) >> [] { ADD_FAILURE() << "no answer"; });
    EXPECT_EQ(fresh, 50);
    EXPECT_EQ(again, 1);
    EXPECT_EQ(taken, 1);
    kill_and_wait(dir.address());
  }
  auto db = open_directory_db(path);
  ASSERT_TRUE(db);
  auto dir = spawn_directory(*sys_, *db);
  track(dir.address());
  for (int i = 0; i < 50; i += 7) {
    std::string key;
    self()
      ->request(dir, wait_time, lookup_atom::value, "u" + std::to_string(i))
      .receive([&](std::string& k) { key = k; },
               [&](caf::error& e) { ADD_FAILURE() << sys_->render(e); });
    EXPECT_EQ(key, "key " + std::to_string(i));
  }
}

} // namespace
