#pragma once

#include <utility>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace courier {

class statement;

/// The prepared statements of one connection that are not in use, by
/// their SQL. Preparing is the largest part of running a short statement
/// (parsing and planning), and a client runs the same few on every
/// message. Bounded: past `max_statements` a returned one is finalized.
class statement_cache {
public:
  static constexpr size_t max_statements = 128;

  statement_cache() = default;
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;
  ~statement_cache();

  /// A statement for `sql` that is not in use, or nullptr.
  sqlite3_stmt* take(const std::string& sql);
  /// Keeps a reset statement for the next `take` of its SQL.
  void give_back(sqlite3_stmt* stmt);

private:
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
  size_t size_ = 0;
};

/// A prepared SQLite statement; binds by 1-based index. When it goes away
/// it is reset and returned to its connection's cache.
class statement {
public:
  statement() = default;
  statement(sqlite3* db, sqlite3_stmt* stmt,
            std::shared_ptr<statement_cache> cache = nullptr)
    : db_(db), stmt_(stmt, &finalize), cache_(std::move(cache)) {}
  statement(statement&&) noexcept = default;
  statement& operator=(statement&& other) noexcept;
  ~statement();

  statement& bind(int idx, int64_t value);
  statement& bind(int idx, std::string_view text);
  statement& bind_blob(int idx, const void* data, size_t size);
  statement& bind_null(int idx);

  /// Runs one step: true if a row is available, false when done.
  caf::expected<bool> step();
  /// Runs to completion (for writes).
  caf::error run();
  /// Steps through every row, calling `f(*this)` on each; stops at the
  /// first error, which it returns.
  template <class F>
  caf::error each_row(F&& f) {
    for (;;) {
      auto row = step();
      if (!row)
        return std::move(row.error());
      if (!*row)
        return caf::none;
      f(*this);
    }
  }
  /// Resets for reuse and clears bindings.
  void reset();

  int64_t int_at(int col) const;
  std::string text_at(int col) const;
  std::string blob_at(int col) const;

private:
  static void finalize(sqlite3_stmt* stmt);
  void release();
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> stmt_{nullptr,
                                                               &finalize};
  std::shared_ptr<statement_cache> cache_;
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
  /// A statement for `sql`, from the connection's cache when one is idle.
  caf::expected<statement> prepare(const std::string& sql);
  /// Runs `sql`, a query of one integer (a count, a pragma): the first
  /// column of its first row, 0 when it yields no row.
  caf::expected<int64_t> scalar(const std::string& sql);

  /// The last SQLite error message.
  std::string message() const;
  int64_t last_insert_id() const;

  sqlite3* get() const { return db_.get(); }

private:
  static void close(sqlite3* db);
  std::unique_ptr<sqlite3, void (*)(sqlite3*)> db_{nullptr, &close};
  // Declared after the connection, so its idle statements are finalized
  // before the connection closes; a statement still in use keeps the
  // cache, and sqlite3_close_v2 closes once that one is finalized too.
  std::shared_ptr<statement_cache> cache_
    = std::make_shared<statement_cache>();
};

/// A write transaction: `BEGIN IMMEDIATE` when made, `ROLLBACK` when it
/// goes away uncommitted, so that an early return leaves nothing behind.
/// Begun inside another transaction, it is a savepoint of that one:
/// `commit` releases it (the outer commit makes it durable) and going away
/// uncommitted rolls back its own writes only.
class transaction {
public:
  static caf::expected<transaction> begin(database& db);
  transaction(transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}
  transaction& operator=(transaction&&) = delete;
  ~transaction();

  /// Commits (or releases the savepoint); afterwards the guard does
  /// nothing.
  caf::error commit();

private:
  transaction(database* db, bool nested) : db_(db), nested_(nested) {}
  database* db_;
  bool nested_;
};

} // namespace courier
