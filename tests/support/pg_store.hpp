#pragma once

// A fresh store database for tests of the PostgreSQL backends.

#include <string>

#include <gtest/gtest.h>

#include "actors/common/error.hpp"
#include "actors/server/pg_backend.hpp"
#include "tests/support/pg_server.hpp"

namespace courier::test {

/// Puts in `conninfo` the connection string of a new database on the test
/// binary's PostgreSQL server (pg_server::shared()), migrated to the
/// newest schema; fails the test if that cannot be done. Call it as
/// `ASSERT_NO_FATAL_FAILURE(fresh_pg_store(conninfo_))`.
inline void fresh_pg_store(std::string& conninfo) {
  auto& pg = pg_server::shared();
  ASSERT_TRUE(pg.ok()) << pg.why();
  conninfo = pg.fresh_database();
  ASSERT_FALSE(conninfo.empty()) << pg.why();
  auto err = migrate_postgresql(conninfo);
  ASSERT_FALSE(err) << to_string(err);
}

} // namespace courier::test
