#pragma once

// A folder of a test's own for databases on disk.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "actors/common/sqlite.hpp"

namespace courier::test {

/// A fresh folder under /tmp, removed with everything in it when the
/// object goes.
class scratch_dir {
public:
  scratch_dir() {
    char tmpl[] = "/tmp/courier-store-XXXXXX";
    if (auto dir = ::mkdtemp(tmpl))
      path_ = dir;
    else
      ADD_FAILURE() << "mkdtemp failed";
  }

  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  ~scratch_dir() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Rows in the queue of the store database at `db_path`, read through a
/// connection of its own.
inline int64_t queue_rows(const std::string& db_path) {
  auto db = database::open(db_path);
  EXPECT_TRUE(db);
  auto stmt = db->prepare("SELECT COUNT(*) FROM queue");
  EXPECT_TRUE(stmt);
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->int_at(0);
}

} // namespace courier::test
