#include "actors/bank/ledger.hpp"

#include <limits>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"

namespace courier::bank {

namespace {

// Version 1: the first ledger, with transfer ids unique across the ledger.
constexpr const char* schema_v1 =
  "CREATE TABLE IF NOT EXISTS accounts("
  " name TEXT PRIMARY KEY, key_fp TEXT NOT NULL,"
  " balance INTEGER NOT NULL DEFAULT 0,"
  " overdraft INTEGER NOT NULL DEFAULT 0, opened INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS transfers("
  " seq INTEGER PRIMARY KEY AUTOINCREMENT, transfer_id TEXT NOT NULL UNIQUE,"
  " kind TEXT NOT NULL, requester TEXT NOT NULL, src TEXT NOT NULL,"
  " dst TEXT NOT NULL, amount INTEGER NOT NULL CHECK(amount > 0),"
  " content TEXT NOT NULL, ts INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS postings("
  " seq INTEGER NOT NULL REFERENCES transfers(seq),"
  " account TEXT NOT NULL REFERENCES accounts(name),"
  " amount INTEGER NOT NULL, balance_after INTEGER NOT NULL,"
  " PRIMARY KEY(seq, account));"
  "CREATE INDEX IF NOT EXISTS postings_by_account ON postings(account, seq);"
  "INSERT OR IGNORE INTO accounts(name, key_fp, overdraft, opened)"
  " VALUES('@issuance', '', 1, 0);";

// Version 2: transfer ids are unique per requester, so guessing another
// user's id neither blocks their transfer nor tells that it was used.
// SQLite cannot change a constraint in place: the table is rebuilt (seq
// kept, so postings still match) and old contents gain their requester.
constexpr const char* schema_v2 =
  "CREATE TABLE transfers_v2("
  " seq INTEGER PRIMARY KEY AUTOINCREMENT, transfer_id TEXT NOT NULL,"
  " kind TEXT NOT NULL, requester TEXT NOT NULL, src TEXT NOT NULL,"
  " dst TEXT NOT NULL, amount INTEGER NOT NULL CHECK(amount > 0),"
  " content TEXT NOT NULL, ts INTEGER NOT NULL,"
  " UNIQUE(requester, transfer_id));"
  "INSERT INTO transfers_v2(seq, transfer_id, kind, requester, src, dst,"
  " amount, content, ts) SELECT seq, transfer_id, kind, requester, src, dst,"
  " amount, requester || char(10) || content, ts FROM transfers;"
  "DROP TABLE transfers;"
  "ALTER TABLE transfers_v2 RENAME TO transfers;";

// Brings the file to the newest schema in one transaction: a crash part-way
// leaves the old version, which the next start migrates again.
caf::error migrate(database& db) {
  auto version = db.scalar("PRAGMA user_version");
  if (!version)
    return version.error();
  if (*version >= 2)
    return caf::none;
  // Dropping the old table would otherwise check (and fail) the postings'
  // references; they are checked as a whole before the commit instead.
  // The pragma only works outside a transaction.
  if (auto err = db.exec("PRAGMA foreign_keys = OFF"))
    return err;
  caf::error err = db.exec("BEGIN IMMEDIATE");
  if (!err && *version < 1)
    err = db.exec(schema_v1);
  if (!err)
    err = db.exec(schema_v2);
  if (!err) {
    auto dangling = db.scalar("SELECT COUNT(*) FROM pragma_foreign_key_check");
    if (!dangling)
      err = dangling.error();
    else if (*dangling > 0)
      err = make_error(errc::storage_failure,
                       "the ledger has postings without their transfer");
  }
  if (!err)
    err = db.exec("PRAGMA user_version = 2");
  if (!err)
    err = db.exec("COMMIT");
  if (err)
    db.exec("ROLLBACK");
  auto on = db.exec("PRAGMA foreign_keys = ON");
  return err ? err : on;
}

// Runs `sql` (?1 = user) and steps to the account's row, or fails with
// unknown_account.
caf::expected<statement> account_query(database& db, const char* sql,
                                     const std::string& user) {
  auto stmt = db.prepare(sql);
  if (!stmt)
    return stmt.error();
  stmt->bind(1, user);
  auto row = stmt->step();
  if (!row)
    return row.error();
  if (!*row)
    return make_error(errc::unknown_account, user);
  return stmt;
}

} // namespace

caf::expected<ledger> ledger::open(const std::string& path) {
  auto db = database::open(path);
  if (!db)
    return db.error();
  if (auto err = migrate(*db))
    return err;
  ledger result;
  result.db_ = std::move(*db);
  if (auto err = result.prepare_hot_path())
    return err;
  return result;
}

caf::error ledger::prepare_hot_path() {
  auto prep = [&](statement& out, const char* sql) -> caf::error {
    auto stmt = db_.prepare(sql);
    if (!stmt)
      return stmt.error();
    out = std::move(*stmt);
    return caf::none;
  };
  caf::error err;
  if ((err = prep(seen_, "SELECT COUNT(*) FROM transfers"
                         " WHERE requester = ?1 AND transfer_id = ?2"))
      || (err = prep(lookup_,
                     "SELECT balance, overdraft FROM accounts WHERE name = ?1"))
      || (err = prep(insert_,
                     "INSERT INTO transfers(transfer_id, kind, requester, src,"
                     " dst, amount, content, ts)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"))
      || (err = prep(post_, "INSERT INTO postings(seq, account, amount,"
                            " balance_after) VALUES(?1, ?2, ?3, ?4)"))
      || (err = prep(update_, "UPDATE accounts SET balance = ?1 WHERE name = ?2")))
    return err;
  return caf::none;
}

caf::error ledger::begin() {
  torn_ = false;
  return db_.exec("BEGIN IMMEDIATE");
}

caf::error ledger::tear(caf::error err) {
  // A failed write may have left part of the order (the transfer row, one
  // posting) in the transaction; whoever commits it must not.
  torn_ = true;
  return err;
}

caf::error ledger::commit() {
  return db_.exec("COMMIT");
}

void ledger::rollback() {
  torn_ = false;
  db_.exec("ROLLBACK");
}

caf::expected<int64_t> ledger::open_account(const std::string& user,
                                            const std::string& key_fp,
                                            bool& created) {
  created = false;
  auto known = account_key(user);
  if (known) {
    if (*known != key_fp)
      return make_error(errc::not_permitted,
                        "the account " + user + " belongs to another key");
    return balance(user);
  }
  auto ins = db_.prepare("INSERT INTO accounts(name, key_fp, opened)"
                         " VALUES(?1, ?2, strftime('%s'))");
  if (!ins)
    return ins.error();
  if (auto err = ins->bind(1, user).bind(2, key_fp).run())
    return err;
  created = true;
  return int64_t{0};
}

caf::expected<std::string> ledger::account_key(const std::string& user) {
  auto stmt = account_query(db_, "SELECT key_fp FROM accounts WHERE name = ?1",
                          user);
  if (!stmt)
    return stmt.error();
  return stmt->text_at(0);
}

caf::error ledger::allow_overdraft(const std::string& user, bool allow) {
  auto stmt = db_.prepare("UPDATE accounts SET overdraft = ?1 WHERE name = ?2");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, int64_t{allow ? 1 : 0}).bind(2, user).run();
}

caf::expected<transfer_receipt> ledger::replay(const transfer_order& order) {
  auto stmt = db_.prepare(
    "SELECT t.seq, t.kind, t.src, t.dst, t.amount, t.ts, t.content,"
    " p.balance_after FROM transfers t JOIN postings p ON p.seq = t.seq"
    " AND p.account = CASE t.kind WHEN 'issue' THEN t.dst ELSE t.src END"
    " WHERE t.requester = ?1 AND t.transfer_id = ?2");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, order.requester).bind(2, order.transfer_id);
  auto row = stmt->step();
  if (!row)
    return row.error();
  if (!*row)
    return make_error(errc::internal); // caller checked existence
  if (stmt->text_at(6) != order_content(order))
    return make_error(errc::conflicting_order,
                      "transfer " + order.transfer_id
                        + " was already used for a different order");
  transfer_receipt r;
  r.transfer_id = order.transfer_id;
  r.seq = static_cast<uint64_t>(stmt->int_at(0));
  r.kind = stmt->text_at(1);
  r.from = stmt->text_at(2);
  r.to = stmt->text_at(3);
  r.amount_minor = stmt->int_at(4);
  r.ts = stmt->int_at(5);
  r.balance_minor = stmt->int_at(7);
  r.replayed = true;
  return r;
}

caf::expected<transfer_receipt> ledger::apply(const transfer_order& order,
                                              int64_t now_ms) {
  if (order.transfer_id.empty() || order.transfer_id.size() > 64)
    return make_error(errc::bad_envelope, "transfer_id must be 1-64 chars");
  // The key comes first, so nobody else learns a receipt by replaying it.
  if (order.kind == "transfer") {
    auto owner = account_key(order.from);
    if (!owner)
      return owner.error();
    if (*owner != order.key_fp)
      return make_error(errc::not_permitted,
                        "the order was not signed by the account's key");
  } else if (order.kind != "issue") {
    return make_error(errc::unknown_type, order.kind);
  }
  seen_.bind(1, order.requester).bind(2, order.transfer_id);
  auto seen = seen_.step();
  auto known = seen && *seen && seen_.int_at(0) > 0;
  seen_.reset();
  if (!seen)
    return seen.error();
  if (known)
    return replay(order);
  if (order.amount_minor <= 0 || order.amount_minor > max_amount_minor)
    return make_error(errc::invalid_amount, format_amount(order.amount_minor));
  if (order.from == order.to)
    return make_error(errc::not_permitted, "a transfer to the same account");

  auto from = read_account(order.from);
  if (!from)
    return from.error();
  auto to = read_account(order.to);
  if (!to)
    return to.error();
  if (!from->overdraft && from->balance < order.amount_minor)
    return make_error(errc::insufficient_funds,
                      order.from + " has " + format_amount(from->balance));
  if (to->balance > std::numeric_limits<int64_t>::max() - order.amount_minor
      || from->balance
           < std::numeric_limits<int64_t>::min() + order.amount_minor)
    return make_error(errc::invalid_amount, "balance would overflow");
  auto from_after = from->balance - order.amount_minor;
  auto to_after = to->balance + order.amount_minor;
  insert_.bind(1, order.transfer_id).bind(2, order.kind);
  insert_.bind(3, order.requester).bind(4, order.from).bind(5, order.to);
  insert_.bind(6, order.amount_minor).bind(7, order_content(order));
  if (auto err = insert_.bind(8, now_ms).run())
    return tear(std::move(err));
  auto seq = db_.last_insert_id();
  if (auto err = post(seq, order.from, -order.amount_minor, from_after))
    return tear(std::move(err));
  if (auto err = post(seq, order.to, order.amount_minor, to_after))
    return tear(std::move(err));
  return transfer_receipt{order.transfer_id, order.kind, order.from, order.to,
                          order.amount_minor,
                          order.kind == "issue" ? to_after : from_after,
                          static_cast<uint64_t>(seq), now_ms, false};
}

caf::expected<ledger::account_state> ledger::read_account(
  const std::string& name) {
  lookup_.bind(1, name);
  auto row = lookup_.step();
  account_state result;
  if (row && *row)
    result = {lookup_.int_at(0), lookup_.int_at(1) != 0};
  lookup_.reset();
  if (!row)
    return row.error();
  if (!*row)
    return make_error(errc::unknown_account, name);
  return result;
}

caf::error ledger::post(int64_t seq, const std::string& account,
                        int64_t delta, int64_t balance_after) {
  if (auto err = post_.bind(1, seq).bind(2, account).bind(3, delta)
                   .bind(4, balance_after).run())
    return err;
  return update_.bind(1, balance_after).bind(2, account).run();
}

caf::expected<int64_t> ledger::balance(const std::string& user) {
  auto stmt = account_query(db_, "SELECT balance FROM accounts WHERE name = ?1",
                          user);
  if (!stmt)
    return stmt.error();
  return stmt->int_at(0);
}

caf::expected<std::vector<transfer_receipt>>
ledger::history(const std::string& user, uint32_t limit, uint64_t before) {
  auto stmt = db_.prepare(
    "SELECT t.seq, t.transfer_id, t.kind, t.src, t.dst, t.amount, t.ts,"
    " p.balance_after FROM postings p JOIN transfers t ON t.seq = p.seq"
    " WHERE p.account = ?1 AND p.seq < ?2 ORDER BY p.seq DESC LIMIT ?3");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, user);
  stmt->bind(2, before == 0 ? std::numeric_limits<int64_t>::max()
                            : static_cast<int64_t>(before));
  stmt->bind(3, static_cast<int64_t>(limit));
  std::vector<transfer_receipt> out;
  for (;;) {
    auto row = stmt->step();
    if (!row)
      return row.error();
    if (!*row)
      break;
    out.push_back({stmt->text_at(1), stmt->text_at(2), stmt->text_at(3),
                   stmt->text_at(4), stmt->int_at(5), stmt->int_at(7),
                   static_cast<uint64_t>(stmt->int_at(0)), stmt->int_at(6),
                   false});
  }
  return out;
}

caf::expected<audit_report> ledger::audit() {
  audit_report rep;
  auto get = [&](const char* sql, int64_t& out) -> caf::error {
    auto v = db_.scalar(sql);
    if (!v)
      return v.error();
    out = *v;
    return caf::none;
  };
  int64_t postings_sum = 0, bad_accounts = 0, bad_transfers = 0, negative = 0;
  caf::error err;
  if ((err = get("SELECT COALESCE(SUM(amount), 0) FROM transfers"
                 " WHERE kind = 'issue'", rep.total_issued))
      || (err = get("SELECT COALESCE(SUM(balance), 0) FROM accounts"
                    " WHERE name != '@issuance'", rep.total_balances))
      || (err = get("SELECT COUNT(*) FROM accounts WHERE name != '@issuance'",
                    rep.accounts))
      || (err = get("SELECT COUNT(*) FROM transfers", rep.transfers))
      || (err = get("SELECT COALESCE(SUM(amount), 0) FROM postings",
                    postings_sum))
      || (err = get("SELECT COUNT(*) FROM accounts a WHERE a.balance !="
                    " (SELECT COALESCE(SUM(amount), 0) FROM postings p"
                    "  WHERE p.account = a.name)", bad_accounts))
      || (err = get("SELECT COUNT(*) FROM transfers t WHERE"
                    " (SELECT COUNT(*) FROM postings p WHERE p.seq = t.seq) != 2"
                    " OR (SELECT SUM(amount) FROM postings p WHERE p.seq = t.seq)"
                    " != 0", bad_transfers))
      || (err = get("SELECT COUNT(*) FROM accounts WHERE overdraft = 0"
                    " AND balance < 0", negative)))
    return err;
  describe_problems(rep, postings_sum, bad_accounts, bad_transfers, negative);
  return rep;
}

} // namespace courier::bank
