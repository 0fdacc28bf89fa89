// Files and folders Courier writes are its owner's alone, whatever the
// umask: the databases with their -wal and -shm, identities, data folders.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "actors/client/client_db.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "actors/common/sqlite.hpp"
#include "tests/support/harness.hpp"

using namespace courier;
using namespace courier::test;

namespace {

// A permissive umask for the test's span, as a shell or desktop may leave.
class private_files_test : public ::testing::Test {
protected:
  void SetUp() override { old_ = ::umask(022); }
  void TearDown() override { ::umask(old_); }

  temp_dir dir;

private:
  mode_t old_ = 0;
};

TEST_F(private_files_test, new_folders_and_their_parents_are_0700) {
  auto leaf = dir / "a/b/c";
  ASSERT_FALSE(make_private_dir(leaf));
  EXPECT_EQ(mode_of(dir / "a"), 0700);
  EXPECT_EQ(mode_of(dir / "a/b"), 0700);
  EXPECT_EQ(mode_of(leaf), 0700);
  // Again: nothing to do, no error.
  EXPECT_FALSE(make_private_dir(leaf));
}

TEST_F(private_files_test, an_existing_open_data_folder_is_tightened) {
  auto data = dir / "data";
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  ASSERT_EQ(mode_of(data), 0755);
  ASSERT_FALSE(make_private_dir(data));
  EXPECT_EQ(mode_of(data), 0700);
}

TEST_F(private_files_test, a_file_in_the_way_of_a_folder_is_an_error) {
  ASSERT_FALSE(make_private_file(dir / "plain"));
  auto err = make_private_dir(dir / "plain");
  EXPECT_EQ(code_of(err), errc::io_error);
}

TEST_F(private_files_test, database_and_its_wal_and_shm_are_0600) {
  auto path = dir / "x.db";
  auto db = database::open(path, "CREATE TABLE IF NOT EXISTS t (v TEXT);");
  ASSERT_TRUE(db) << explain(db.error());
  // A write while the connection is open leaves the -wal and -shm behind.
  ASSERT_FALSE(db->exec("INSERT INTO t VALUES ('secret');"));
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(mode_of(path + "-wal"), 0600);
  EXPECT_EQ(mode_of(path + "-shm"), 0600);
}

TEST_F(private_files_test, an_older_open_database_is_tightened_on_open) {
  auto path = dir / "old.db";
  {
    auto db = database::open(path, "CREATE TABLE IF NOT EXISTS t (v TEXT);");
    ASSERT_TRUE(db);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto db = database::open(path);
  ASSERT_TRUE(db);
  ASSERT_FALSE(db->exec("INSERT INTO t VALUES ('secret');"));
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(mode_of(path + "-wal"), 0600);
}

TEST_F(private_files_test, client_history_is_0600) {
  auto path = dir / "client.db";
  auto db = client_db::open(path);
  ASSERT_TRUE(db) << explain(db.error());
  // (History text needs the vault, see client_db_test; any write makes
  // the files.)
  ASSERT_FALSE(db->pin("user", "bob", "key"));
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(mode_of(path + "-wal"), 0600);
}

TEST_F(private_files_test, identity_folder_is_0700_and_its_key_0600) {
  auto home = dir / "home";
  auto user = user_dir(home, "alice");
  ASSERT_TRUE(create_plain_identity(user, 2048));
  EXPECT_EQ(mode_of(home), 0700);
  EXPECT_EQ(mode_of(user), 0700);
  EXPECT_EQ(mode_of(user + "/identity.pem"), 0600);
  bool created = false;
  ASSERT_TRUE(load_or_create_node_key(dir / "node/router_key.pem", created));
  EXPECT_TRUE(created);
  EXPECT_EQ(mode_of(dir / "node"), 0700);
  EXPECT_EQ(mode_of(dir / "node/router_key.pem"), 0600);
}

} // namespace
