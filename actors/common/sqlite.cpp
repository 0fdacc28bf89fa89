#include "actors/common/sqlite.hpp"

#include <sqlite3.h>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"

namespace courier {

namespace {

caf::error failure(sqlite3* db, const char* what) {
  return make_error(errc::storage_failure,
                    std::string{what} + ": " + sqlite3_errmsg(db));
}

// SQLite creates a database with 0644 minus the umask, and its -wal and
// -shm files with the mode of the database. So the database is made 0600
// first, whatever the umask, and leftovers of an older, looser run are
// tightened too.
caf::error make_private_database(const std::string& path) {
  if (path.empty() || path == ":memory:")
    return caf::none;
  if (auto err = make_private_file(path))
    return err;
  for (auto suffix : {"-wal", "-shm", "-journal"})
    if (auto err = tighten_file(path + suffix))
      return err;
  return caf::none;
}

} // namespace

statement_cache::~statement_cache() {
  for (auto& [sql, stmts] : idle_)
    for (auto* stmt : stmts)
      sqlite3_finalize(stmt);
}

sqlite3_stmt* statement_cache::take(const std::string& sql) {
  auto it = idle_.find(sql);
  if (it == idle_.end() || it->second.empty())
    return nullptr;
  auto* stmt = it->second.back();
  it->second.pop_back();
  --size_;
  return stmt;
}

void statement_cache::give_back(sqlite3_stmt* stmt) {
  if (size_ >= max_statements) {
    sqlite3_finalize(stmt);
    return;
  }
  idle_[sqlite3_sql(stmt)].push_back(stmt);
  ++size_;
}

void statement::finalize(sqlite3_stmt* stmt) {
  sqlite3_finalize(stmt);
}

void statement::release() {
  if (!stmt_ || !cache_)
    return;
  // Reset: a statement left mid-way would hold its read transaction.
  reset();
  cache_->give_back(stmt_.release());
}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = other.db_;
    stmt_ = std::move(other.stmt_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

statement::~statement() {
  release();
}

statement& statement::bind(int idx, int64_t value) {
  sqlite3_bind_int64(stmt_.get(), idx, value);
  return *this;
}

statement& statement::bind(int idx, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), idx, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind_blob(int idx, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_.get(), idx, data, static_cast<int>(size),
                    SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind_null(int idx) {
  sqlite3_bind_null(stmt_.get(), idx);
  return *this;
}

caf::expected<bool> statement::step() {
  switch (sqlite3_step(stmt_.get())) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      return failure(db_, "step");
  }
}

caf::error statement::run() {
  for (;;) {
    auto more = step();
    if (!more) {
      reset();
      return more.error();
    }
    if (!*more)
      break;
  }
  reset();
  return caf::none;
}

void statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int64_t statement::int_at(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

std::string statement::text_at(int col) const {
  auto p = sqlite3_column_text(stmt_.get(), col);
  auto n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string{reinterpret_cast<const char*>(p),
                         static_cast<size_t>(n)}
           : std::string{};
}

std::string statement::blob_at(int col) const {
  auto p = sqlite3_column_blob(stmt_.get(), col);
  auto n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string{static_cast<const char*>(p), static_cast<size_t>(n)}
           : std::string{};
}

void database::close(sqlite3* db) {
  sqlite3_close_v2(db);
}

caf::expected<database> database::open(const std::string& path,
                                       const char* schema) {
  if (auto err = make_private_database(path))
    return err;
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                              | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  database db;
  db.db_.reset(raw);
  if (rc != SQLITE_OK)
    return make_error(errc::storage_failure,
                      path + ": " + (raw ? sqlite3_errmsg(raw) : "cannot open"));
  sqlite3_busy_timeout(raw, 5000);
  if (auto err = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         " PRAGMA foreign_keys=ON;"))
    return err;
  if (auto err = db.exec(schema))
    return err;
  return db;
}

caf::error database::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg ? msg : "unknown";
    sqlite3_free(msg);
    return make_error(errc::storage_failure, text);
  }
  return caf::none;
}

caf::expected<statement> database::prepare(const std::string& sql) {
  if (cache_)
    if (auto* idle = cache_->take(sql))
      return statement{db_.get(), idle, cache_};
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr)
      != SQLITE_OK)
    return failure(db_.get(), "prepare");
  return statement{db_.get(), stmt, cache_};
}

caf::expected<int64_t> database::scalar(const std::string& sql) {
  auto stmt = prepare(sql);
  if (!stmt)
    return stmt.error();
  auto row = stmt->step();
  if (!row)
    return row.error();
  return *row ? stmt->int_at(0) : 0;
}

std::string database::message() const {
  return sqlite3_errmsg(db_.get());
}

int64_t database::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_.get());
}

caf::expected<transaction> transaction::begin(database& db) {
  // Inside another transaction (a batch of letters), a savepoint: a part
  // that fails rolls back alone, and the outer commit writes the rest.
  bool nested = sqlite3_get_autocommit(db.get()) == 0;
  if (auto err = db.exec(nested ? "SAVEPOINT part" : "BEGIN IMMEDIATE"))
    return err;
  return transaction{&db, nested};
}

transaction::~transaction() {
  if (db_ == nullptr)
    return;
  if (nested_)
    db_->exec("ROLLBACK TO part; RELEASE part");
  else
    db_->exec("ROLLBACK");
}

caf::error transaction::commit() {
  auto err = db_->exec(nested_ ? "RELEASE part" : "COMMIT");
  if (!err)
    db_ = nullptr;
  return err;
}

} // namespace courier
