#include "actors/bank/pg_ledger.hpp"

#include <chrono>
#include <exception>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include <pqxx/pqxx>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/postgres/pg_link.hpp"

namespace courier::bank {

namespace {

// One entry per schema version, applied in order; never edit a released
// one, add the next. The tables are the SQLite ledger's, so the audit reads
// the same on both; the routers' store uses other names.
// Any constant but the routers' ("courier1"): banks migrating at the
// same time take turns.
constexpr int64_t migration_lock = 0x636f757269657232; // "courier2"

const char* const migrations[] = {
  // 1: accounts, transfers (ids unique per requester) and their postings.
  "CREATE TABLE accounts("
  " name TEXT PRIMARY KEY, key_fp TEXT NOT NULL,"
  " balance BIGINT NOT NULL DEFAULT 0,"
  " overdraft BOOLEAN NOT NULL DEFAULT false, opened BIGINT NOT NULL);"
  "CREATE SEQUENCE transfer_seq;"
  "CREATE TABLE transfers("
  " seq BIGINT PRIMARY KEY, transfer_id TEXT NOT NULL,"
  " kind TEXT NOT NULL, requester TEXT NOT NULL, src TEXT NOT NULL,"
  " dst TEXT NOT NULL, amount BIGINT NOT NULL CHECK(amount > 0),"
  " content TEXT NOT NULL, ts BIGINT NOT NULL,"
  " UNIQUE(requester, transfer_id));"
  "CREATE TABLE postings("
  " seq BIGINT NOT NULL REFERENCES transfers(seq),"
  " account TEXT NOT NULL REFERENCES accounts(name),"
  " amount BIGINT NOT NULL, balance_after BIGINT NOT NULL,"
  " PRIMARY KEY(seq, account));"
  "CREATE INDEX postings_by_account ON postings(account, seq);"
  "INSERT INTO accounts(name, key_fp, overdraft, opened)"
  " VALUES('@issuance', '', true, 0);",
};

constexpr int64_t known_version
  = static_cast<int64_t>(sizeof(migrations) / sizeof(migrations[0]));

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch())
    .count();
}

// A PostgreSQL array literal of texts ({"a","b"}): every element quoted,
// so no name or id can end an element or the array early.
class text_array {
public:
  void add(const std::string& x) {
    out_ += out_.size() > 1 ? ",\"" : "\"";
    for (char c : x) {
      if (c == '"' || c == '\\')
        out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }

  std::string str() const {
    return out_ + "}";
  }

private:
  std::string out_ = "{";
};

// A PostgreSQL array literal of integers ({1,-2}).
class int_array {
public:
  void add(int64_t x) {
    out_ += (out_.size() > 1 ? "," : "") + std::to_string(x);
  }

  std::string str() const {
    return out_ + "}";
  }

private:
  std::string out_ = "{";
};

// What a transfer already in the books (or earlier in the batch) tells a
// retry of it.
struct known_transfer {
  transfer_receipt receipt; ///< with replayed = true
  std::string content;
  size_t fresh = 0; ///< 1 + its index among the batch's new rows; 0: stored
};

// What `apply_all` reads of an account.
struct account_row {
  std::string key_fp;
  int64_t balance = 0;
  bool overdraft = false;
  bool touched = false;
};

class pg_ledger_backend : public ledger_backend {
public:
  explicit pg_ledger_backend(std::string conninfo)
    // Durable before any receipt leaves, whatever the server's default.
    : link_(std::move(conninfo), pg_ledger_role,
            {"SET synchronous_commit TO on"}) {
    // nop
  }

  caf::error begin() override {
    torn_ = false;
    tx_.reset();
    return link_.run([&](pqxx::connection& c) -> caf::error {
      tx_ = std::make_unique<pqxx::work>(c);
      return caf::none;
    });
  }

  caf::error commit() override {
    if (!tx_)
      return make_error(errc::internal, "no transaction open");
    auto err = run([&]() -> caf::error {
      tx_->commit();
      return caf::none;
    });
    tx_.reset();
    return err;
  }

  void rollback() override {
    torn_ = false;
    tx_.reset(); // aborts
  }

  bool torn() const override {
    return torn_;
  }

  caf::expected<int64_t> open_account(const std::string& user,
                                      const std::string& key_fp,
                                      bool& created) override {
    created = false;
    return in_tx([&](pqxx::transaction_base& tx) -> caf::expected<int64_t> {
      auto r = tx.exec_params("INSERT INTO accounts(name, key_fp, opened)"
                              " VALUES($1, $2, $3)"
                              " ON CONFLICT (name) DO NOTHING RETURNING 1",
                              user, key_fp, now_s());
      if (!r.empty()) {
        created = true;
        return int64_t{0};
      }
      auto old = tx.exec_params(
        "SELECT key_fp, balance FROM accounts WHERE name = $1", user);
      if (old.empty())
        return make_error(errc::storage_failure,
                          "an account neither open nor free: " + user);
      if (old[0][0].as<std::string>() != key_fp)
        return make_error(errc::not_permitted,
                          "the account " + user + " belongs to another key");
      return old[0][1].as<int64_t>();
    });
  }

  caf::expected<std::string> account_key(const std::string& user) override {
    return in_tx([&](pqxx::transaction_base& tx) -> caf::expected<std::string> {
      auto r = tx.exec_params("SELECT key_fp FROM accounts WHERE name = $1",
                              user);
      if (r.empty())
        return make_error(errc::unknown_account, user);
      return r[0][0].as<std::string>();
    });
  }

  caf::error allow_overdraft(const std::string& user, bool allow) override {
    return in_tx([&](pqxx::transaction_base& tx) -> caf::error {
      tx.exec_params("UPDATE accounts SET overdraft = $1 WHERE name = $2",
                     allow, user);
      return caf::none;
    });
  }

  caf::expected<transfer_receipt> apply(const transfer_order& order,
                                        int64_t now_ms) override {
    return std::move(apply_all({order}, now_ms).front());
  }

  std::vector<caf::expected<transfer_receipt>>
  apply_all(const std::vector<transfer_order>& orders,
            int64_t now_ms) override;

  caf::expected<int64_t> balance(const std::string& user) override {
    return in_tx([&](pqxx::transaction_base& tx) -> caf::expected<int64_t> {
      auto r = tx.exec_params("SELECT balance FROM accounts WHERE name = $1",
                              user);
      if (r.empty())
        return make_error(errc::unknown_account, user);
      return r[0][0].as<int64_t>();
    });
  }

  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, uint32_t limit, uint64_t before) override {
    using result = caf::expected<std::vector<transfer_receipt>>;
    return in_tx([&](pqxx::transaction_base& tx) -> result {
      auto r = tx.exec_params(
        "SELECT t.seq, t.transfer_id, t.kind, t.src, t.dst, t.amount, t.ts,"
        " p.balance_after FROM postings p JOIN transfers t ON t.seq = p.seq"
        " WHERE p.account = $1 AND p.seq < $2 ORDER BY p.seq DESC LIMIT $3",
        user,
        before == 0 || before > uint64_t{std::numeric_limits<int64_t>::max()}
          ? std::numeric_limits<int64_t>::max()
          : static_cast<int64_t>(before),
        static_cast<int64_t>(limit));
      std::vector<transfer_receipt> out;
      out.reserve(r.size());
      for (const auto& row : r)
        out.push_back({row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<std::string>(), row[4].as<std::string>(),
                       row[5].as<int64_t>(), row[7].as<int64_t>(),
                       row[0].as<uint64_t>(), row[6].as<int64_t>(), false});
      return out;
    });
  }

  caf::expected<audit_report> audit() override;

private:
  /// Runs `f` on the connection (see pg_link: a failure becomes a code,
  /// libpq's text goes to the log). The transaction goes before its
  /// connection when the connection is lost.
  template <class F>
  auto run(F f) -> decltype(f()) {
    return link_.run([&](pqxx::connection& c) {
      try {
        return f();
      } catch (const pqxx::broken_connection&) {
        tx_.reset();
        throw;
      } catch (const pqxx::in_doubt_error&) {
        tx_.reset();
        throw;
      } catch (...) {
        if (!c.is_open())
          tx_.reset();
        throw;
      }
    });
  }

  /// Runs `f` in the open transaction, or alone without one. A failure
  /// inside the transaction aborts it in PostgreSQL: it is torn.
  template <class F>
  auto in_tx(F f) -> decltype(f(std::declval<pqxx::transaction_base&>())) {
    using result = decltype(f(std::declval<pqxx::transaction_base&>()));
    if (!tx_)
      return link_.run([&](pqxx::connection& c) -> result {
        pqxx::nontransaction tx{c};
        return f(tx);
      });
    return run([&]() -> result {
      try {
        return f(*tx_);
      } catch (...) {
        torn_ = true;
        throw;
      }
    });
  }

  pg_link link_;
  std::unique_ptr<pqxx::work> tx_; ///< declared after link_: goes first
  bool torn_ = false;
};

std::vector<caf::expected<transfer_receipt>>
pg_ledger_backend::apply_all(const std::vector<transfer_order>& orders,
                             int64_t now_ms) {
  using result_list = std::vector<caf::expected<transfer_receipt>>;
  result_list out;
  out.reserve(orders.size());
  if (!tx_) {
    for (size_t i = 0; i < orders.size(); ++i)
      out.emplace_back(make_error(errc::internal, "no transaction open"));
    return out;
  }
  // Everything the batch needs is read with two statements, the rules
  // run here, and everything it writes goes with four: a batch costs a
  // few round trips, not a few per order.
  auto res = in_tx([&](pqxx::transaction_base& tx) -> caf::error {
    text_array names, requesters, ids;
    std::set<std::string> named;
    for (auto& o : orders) {
      for (auto* n : {&o.from, &o.to})
        if (named.insert(*n).second)
          names.add(*n);
      requesters.add(o.requester);
      ids.add(o.transfer_id);
    }
    // Locked in name order: a second bank that is active by mistake
    // waits here rather than writing beside this one.
    std::map<std::string, account_row> accounts;
    for (const auto& row : tx.exec_params(
           "SELECT name, key_fp, balance, overdraft FROM accounts"
           " WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE",
           names.str()))
      accounts[row[0].as<std::string>()] = {row[1].as<std::string>(),
                                            row[2].as<int64_t>(),
                                            row[3].as<bool>(), false};
    std::map<std::pair<std::string, std::string>, known_transfer> known;
    for (const auto& row : tx.exec_params(
           "SELECT t.requester, t.transfer_id, t.seq, t.kind, t.src, t.dst,"
           " t.amount, t.ts, t.content, p.balance_after"
           " FROM unnest($1::text[], $2::text[]) AS k(requester, id)"
           " JOIN transfers t ON t.requester = k.requester"
           " AND t.transfer_id = k.id"
           " JOIN postings p ON p.seq = t.seq"
           " AND p.account = CASE t.kind WHEN 'issue' THEN t.dst ELSE t.src END",
           requesters.str(), ids.str())) {
      known_transfer k;
      k.receipt.transfer_id = row[1].as<std::string>();
      k.receipt.seq = row[2].as<uint64_t>();
      k.receipt.kind = row[3].as<std::string>();
      k.receipt.from = row[4].as<std::string>();
      k.receipt.to = row[5].as<std::string>();
      k.receipt.amount_minor = row[6].as<int64_t>();
      k.receipt.ts = row[7].as<int64_t>();
      k.receipt.balance_minor = row[9].as<int64_t>();
      k.receipt.replayed = true;
      k.content = row[8].as<std::string>();
      known.emplace(std::make_pair(row[0].as<std::string>(),
                                   k.receipt.transfer_id),
                    std::move(k));
    }
    // The same rules in the same order as the SQLite ledger's apply.
    struct fresh_row {
      size_t index; ///< in `orders`
      int64_t from_after;
      int64_t to_after;
    };
    std::vector<fresh_row> rows;
    std::vector<size_t> fresh_of(orders.size(), 0); // as known_transfer::fresh
    for (size_t i = 0; i < orders.size(); ++i) {
      auto& o = orders[i];
      auto decide = [&]() -> caf::expected<transfer_receipt> {
        if (o.transfer_id.empty() || o.transfer_id.size() > 64)
          return make_error(errc::bad_envelope,
                            "transfer_id must be 1-64 chars");
        if (o.kind == "transfer") {
          auto owner = accounts.find(o.from);
          if (owner == accounts.end())
            return make_error(errc::unknown_account, o.from);
          if (owner->second.key_fp != o.key_fp)
            return make_error(errc::not_permitted,
                              "the order was not signed by the account's key");
        } else if (o.kind != "issue") {
          return make_error(errc::unknown_type, o.kind);
        }
        auto content = order_content(o);
        auto key = std::make_pair(o.requester, o.transfer_id);
        if (auto k = known.find(key); k != known.end()) {
          if (k->second.content != content)
            return make_error(errc::conflicting_order,
                              "transfer " + o.transfer_id
                                + " was already used for a different order");
          fresh_of[i] = k->second.fresh;
          return k->second.receipt;
        }
        if (o.amount_minor <= 0 || o.amount_minor > max_amount_minor)
          return make_error(errc::invalid_amount,
                            format_amount(o.amount_minor));
        if (o.from == o.to)
          return make_error(errc::not_permitted,
                            "a transfer to the same account");
        auto from = accounts.find(o.from);
        if (from == accounts.end())
          return make_error(errc::unknown_account, o.from);
        auto to = accounts.find(o.to);
        if (to == accounts.end())
          return make_error(errc::unknown_account, o.to);
        auto& src = from->second;
        auto& dst = to->second;
        if (!src.overdraft && src.balance < o.amount_minor)
          return make_error(errc::insufficient_funds,
                            o.from + " has " + format_amount(src.balance));
        if (dst.balance > std::numeric_limits<int64_t>::max() - o.amount_minor
            || src.balance
                 < std::numeric_limits<int64_t>::min() + o.amount_minor)
          return make_error(errc::invalid_amount, "balance would overflow");
        src.balance -= o.amount_minor;
        dst.balance += o.amount_minor;
        src.touched = dst.touched = true;
        rows.push_back({i, src.balance, dst.balance});
        fresh_of[i] = rows.size();
        transfer_receipt r{o.transfer_id, o.kind, o.from, o.to,
                           o.amount_minor,
                           o.kind == "issue" ? dst.balance : src.balance,
                           0, now_ms, false};
        // A retry later in the batch replays this one.
        auto replay = r;
        replay.replayed = true;
        known.emplace(key, known_transfer{replay, content, rows.size()});
        return r;
      };
      out.push_back(decide());
    }
    if (rows.empty())
      return caf::none;
    // Numbers in the batch's order, one round trip for all of them.
    std::vector<int64_t> seqs;
    seqs.reserve(rows.size());
    for (const auto& row :
         tx.exec_params("SELECT nextval('transfer_seq') FROM"
                        " generate_series(1, $1::bigint) ORDER BY 1",
                        static_cast<int64_t>(rows.size())))
      seqs.push_back(row[0].as<int64_t>());
    if (seqs.size() != rows.size())
      throw std::runtime_error("the transfer sequence gave too few numbers");
    for (size_t i = 0; i < orders.size(); ++i)
      if (fresh_of[i] > 0 && out[i])
        out[i]->seq = static_cast<uint64_t>(seqs[fresh_of[i] - 1]);
    int_array t_seq, t_amount, p_seq, p_amount, p_after, a_balance;
    text_array t_id, t_kind, t_req, t_src, t_dst, t_content, p_account, a_name;
    for (size_t n = 0; n < rows.size(); ++n) {
      auto& o = orders[rows[n].index];
      t_seq.add(seqs[n]);
      t_id.add(o.transfer_id);
      t_kind.add(o.kind);
      t_req.add(o.requester);
      t_src.add(o.from);
      t_dst.add(o.to);
      t_amount.add(o.amount_minor);
      t_content.add(order_content(o));
      p_seq.add(seqs[n]);
      p_account.add(o.from);
      p_amount.add(-o.amount_minor);
      p_after.add(rows[n].from_after);
      p_seq.add(seqs[n]);
      p_account.add(o.to);
      p_amount.add(o.amount_minor);
      p_after.add(rows[n].to_after);
    }
    for (auto& [name, acc] : accounts)
      if (acc.touched) {
        a_name.add(name);
        a_balance.add(acc.balance);
      }
    // From here on a failure leaves part of the batch: in_tx tears it.
    tx.exec_params(
      "INSERT INTO transfers(seq, transfer_id, kind, requester, src, dst,"
      " amount, content, ts) SELECT s, i, k, r, f, t, a, c, $9::bigint"
      " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
      " $5::text[], $6::text[], $7::bigint[], $8::text[])"
      " AS v(s, i, k, r, f, t, a, c)",
      t_seq.str(), t_id.str(), t_kind.str(), t_req.str(), t_src.str(),
      t_dst.str(), t_amount.str(), t_content.str(), now_ms);
    tx.exec_params("INSERT INTO postings(seq, account, amount, balance_after)"
                   " SELECT * FROM unnest($1::bigint[], $2::text[],"
                   " $3::bigint[], $4::bigint[])",
                   p_seq.str(), p_account.str(), p_amount.str(),
                   p_after.str());
    tx.exec_params("UPDATE accounts a SET balance = v.b"
                   " FROM unnest($1::text[], $2::bigint[]) AS v(n, b)"
                   " WHERE a.name = v.n",
                   a_name.str(), a_balance.str());
    return caf::none;
  });
  if (res) {
    // Nothing the batch decided may be used: the transaction is gone.
    torn_ = true;
    out.clear();
    for (size_t i = 0; i < orders.size(); ++i)
      out.emplace_back(res);
  }
  return out;
}

caf::expected<audit_report> pg_ledger_backend::audit() {
  return in_tx([&](pqxx::transaction_base& tx) -> caf::expected<audit_report> {
    audit_report rep;
    auto get = [&](const char* sql) {
      return tx.exec(sql)[0][0].as<int64_t>();
    };
    rep.total_issued = get("SELECT COALESCE(SUM(amount), 0) FROM transfers"
                           " WHERE kind = 'issue'");
    rep.total_balances = get("SELECT COALESCE(SUM(balance), 0) FROM accounts"
                             " WHERE name != '@issuance'");
    rep.accounts = get("SELECT COUNT(*) FROM accounts"
                       " WHERE name != '@issuance'");
    rep.transfers = get("SELECT COUNT(*) FROM transfers");
    auto postings_sum = get("SELECT COALESCE(SUM(amount), 0) FROM postings");
    auto bad_accounts = get(
      "SELECT COUNT(*) FROM accounts a WHERE a.balance !="
      " (SELECT COALESCE(SUM(amount), 0) FROM postings p"
      "  WHERE p.account = a.name)");
    auto bad_transfers = get(
      "SELECT COUNT(*) FROM transfers t WHERE"
      " (SELECT COUNT(*) FROM postings p WHERE p.seq = t.seq) != 2"
      " OR (SELECT SUM(amount) FROM postings p WHERE p.seq = t.seq) != 0");
    auto negative = get("SELECT COUNT(*) FROM accounts WHERE NOT overdraft"
                        " AND balance < 0");
    describe_problems(rep, postings_sum, bad_accounts, bad_transfers,
                      negative);
    return rep;
  });
}

} // namespace

int64_t pg_ledger_schema_version() {
  return known_version;
}

caf::error migrate_pg_ledger(const std::string& conninfo) {
  static const pg_schema schema{"the ledger", "ledger_schema_version",
                                migration_lock,
                                {std::begin(migrations), std::end(migrations)}};
  return migrate_pg_schema(conninfo, schema, pg_ledger_role);
}

std::unique_ptr<ledger_backend> pg_ledger(std::string conninfo) {
  return std::make_unique<pg_ledger_backend>(std::move(conninfo));
}

} // namespace courier::bank
