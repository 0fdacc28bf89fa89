#pragma once

#include <utility>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace courier {

/// A prepared SQLite statement; binds by 1-based index.
class statement {
public:
  statement() = default;
  statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt, &finalize) {}

  statement& bind(int idx, int64_t value);
  statement& bind(int idx, std::string_view text);
  statement& bind_blob(int idx, const void* data, size_t size);
  statement& bind_null(int idx);

  /// Runs one step: true if a row is available, false when done.
  caf::expected<bool> step();
  /// Runs to completion (for writes).
  caf::error run();
  /// Resets for reuse and clears bindings.
  void reset();

  int64_t int_at(int col) const;
  std::string text_at(int col) const;
  std::string blob_at(int col) const;

private:
  static void finalize(sqlite3_stmt* stmt);
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> stmt_{nullptr,
                                                               &finalize};
};

/// One SQLite connection, opened durable: WAL, synchronous=FULL.
class database {
public:
  /// Opens (creating if needed) `path`; ":memory:" for tests. The file and
  /// its -wal and -shm are mode 0600 whatever the umask. Then runs
  /// `schema`, statements that must be idempotent (`IF NOT EXISTS`).
  static caf::expected<database> open(const std::string& path,
                                      const char* schema = "");

  /// Runs one or more statements without results.
  caf::error exec(const std::string& sql);
  caf::expected<statement> prepare(const std::string& sql);

  /// The last SQLite error message.
  std::string message() const;
  int64_t last_insert_id() const;

  sqlite3* get() const { return db_.get(); }

private:
  static void close(sqlite3* db);
  std::unique_ptr<sqlite3, void (*)(sqlite3*)> db_{nullptr, &close};
};

/// A write transaction: `BEGIN IMMEDIATE` when made, `ROLLBACK` when it
/// goes away uncommitted, so that an early return leaves nothing behind.
class transaction {
public:
  static caf::expected<transaction> begin(database& db);
  transaction(transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}
  transaction& operator=(transaction&&) = delete;
  ~transaction();

  /// Commits; afterwards the guard does nothing.
  caf::error commit();

private:
  explicit transaction(database* db) : db_(db) {}
  database* db_;
};

} // namespace courier
