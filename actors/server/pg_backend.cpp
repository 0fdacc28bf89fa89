#include "actors/server/pg_backend.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <iterator>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/postgres/pg_link.hpp"
#include "actors/protocol/limits.hpp"
#include "crypto/bytes.hpp"

namespace courier {

namespace {

namespace x3dh = protocol::x3dh;

// Any constant: routers migrating at the same time take turns.
constexpr int64_t migration_lock = 0x636f757269657231; // "courier1"

// One entry per schema version, applied in order; never edit a released
// one, add the next. Names avoid `user`, a reserved word in PostgreSQL.
const char* const migrations[] = {
  // 1: the directory (one row per name: the cluster-wide binding), the
  // devices and their one-time prekeys, the offline queues.
  "CREATE TABLE users("
  " name TEXT PRIMARY KEY, key BYTEA NOT NULL, created BIGINT NOT NULL);"
  "CREATE TABLE devices("
  " username TEXT NOT NULL, device BIGINT NOT NULL, cert TEXT NOT NULL,"
  " spk_id BIGINT NOT NULL, spk_key BYTEA NOT NULL, spk_sig BYTEA NOT NULL,"
  " updated BIGINT NOT NULL, PRIMARY KEY(username, device));"
  "CREATE TABLE one_time_prekeys("
  " username TEXT NOT NULL, device BIGINT NOT NULL, id BIGINT NOT NULL,"
  " key BYTEA NOT NULL, PRIMARY KEY(username, device, id));"
  "CREATE SEQUENCE queue_seq;"
  "CREATE TABLE queue("
  " recipient TEXT NOT NULL, seq BIGINT NOT NULL, sender TEXT NOT NULL,"
  " blob BYTEA NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY(recipient, seq));"
  // Expiry finds the oldest rows without a scan.
  "CREATE INDEX queue_by_ts ON queue(ts);",
  // 2: names per key are counted at every new name, cluster-wide.
  "CREATE INDEX users_by_key ON users USING hash (key);",
  // 3: names an operator blocked, and the record of what operators did
  // (courier-node admin, admin_store.hpp).
  "CREATE TABLE blocked("
  " name TEXT PRIMARY KEY, at BIGINT NOT NULL, done_by TEXT NOT NULL);"
  "CREATE TABLE admin_audit("
  " id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, done_by TEXT NOT NULL,"
  " action TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL);",
  // 4: new names per source address, counted for the whole cluster
  // (--registrations-per-minute); rows older than the window are deleted.
  "CREATE TABLE registrations(source BYTEA NOT NULL, at BIGINT NOT NULL);"
  "CREATE INDEX registrations_by_source ON registrations(source, at);"
  "CREATE INDEX registrations_by_at ON registrations(at);",
};

constexpr int64_t known_version
  = static_cast<int64_t>(sizeof(migrations) / sizeof(migrations[0]));

const pg_schema& store_schema() {
  static const pg_schema schema{"the database", "schema_version",
                                migration_lock,
                                {std::begin(migrations), std::end(migrations)}};
  return schema;
}

// The seqs the store picks start here, above every router's own (clock
// microseconds) and below 2^53, which a JSON number still holds exactly.
static_assert(shared_seq_base < (uint64_t{1} << 53));

int64_t recipient_key(const std::string& name) {
  return pg_queue_lock_key(name);
}

// The first key of the two-key advisory locks on a source's registrations
// (a key space apart from the one-key locks above and below).
constexpr int32_t registration_lock = 0x72656731; // "reg1"

pqxx::binarystring bytea(const std::string& s) {
  return pqxx::binarystring{s.data(), s.size()};
}

pqxx::binarystring bytea(const crypto::bytes& b) {
  return pqxx::binarystring{b.data(), b.size()};
}

std::string blob_of(const pqxx::field& f) {
  return pqxx::binarystring{f}.str();
}

crypto::bytes bytes_of(const pqxx::field& f) {
  auto s = blob_of(f);
  return {s.begin(), s.end()};
}

bool failed(const caf::error& x) {
  return static_cast<bool>(x);
}

template <class T>
bool failed(const caf::expected<T>& x) {
  return !x;
}

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch())
    .count();
}


// -- prekeys ------------------------------------------------------------------

class pg_prekey_store : public prekey_store {
public:
  explicit pg_prekey_store(std::shared_ptr<pg_link> link)
    : link_(std::move(link)) {
    // nop
  }

  caf::expected<x3dh::bundle> take_bundle(const std::string& user) override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<x3dh::bundle> {
      pqxx::work tx{c};
      auto dev = tx.exec_params("SELECT device, cert, spk_id, spk_key, spk_sig"
                                " FROM devices WHERE username = $1"
                                " ORDER BY device LIMIT 1",
                                user);
      if (dev.empty())
        return make_error(errc::no_bundle, user);
      auto device = dev[0][0].as<int64_t>();
      auto cert = stored_certificate(dev[0][1].as<std::string>());
      if (!cert)
        return cert.error();
      x3dh::bundle b;
      b.device = std::move(*cert);
      b.signed_prekey.id = static_cast<uint32_t>(dev[0][2].as<int64_t>());
      b.signed_prekey.key = bytes_of(dev[0][3]);
      b.prekey_signature = bytes_of(dev[0][4]);
      // Handed out exactly once: a row another router is taking right now
      // is skipped, and the row is deleted by the statement that takes it.
      auto opk = tx.exec_params(
        "DELETE FROM one_time_prekeys WHERE (username, device, id) IN ("
        " SELECT username, device, id FROM one_time_prekeys"
        " WHERE username = $1 AND device = $2 ORDER BY id LIMIT 1"
        " FOR UPDATE SKIP LOCKED) RETURNING id, key",
        user, device);
      if (!opk.empty())
        b.one_time = x3dh::prekey{static_cast<uint32_t>(opk[0][0].as<int64_t>()),
                                  bytes_of(opk[0][1])};
      tx.commit();
      return b;
    });
  }

  caf::expected<uint32_t> count(const std::string& user) override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<uint32_t> {
      pqxx::nontransaction tx{c};
      return count_in(tx, user);
    });
  }

protected:
  caf::expected<uint32_t>
  store_verified(const std::string& user,
                 const protocol::prekey_upload& up) override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<uint32_t> {
      pqxx::work tx{c};
      // Two routers publishing for one user take turns.
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", user);
      if (auto err = store(tx, user, up))
        return err; // rolled back as `tx` goes
      auto n = count_in(tx, user);
      if (n > max_stored_prekeys)
        return prekey_refusal::too_many(n);
      tx.commit();
      return n;
    });
  }

private:
  static uint32_t count_in(pqxx::transaction_base& tx, const std::string& user) {
    auto r = tx.exec_params(
      "SELECT COUNT(*) FROM one_time_prekeys WHERE username = $1", user);
    return static_cast<uint32_t>(r[0][0].as<int64_t>());
  }

  static caf::error store(pqxx::work& tx, const std::string& user,
                          const protocol::prekey_upload& up) {
    auto cert = stored_certificate_text(up.device);
    auto dev = tx.exec_params("SELECT cert, spk_id, spk_key FROM devices"
                              " WHERE username = $1 LIMIT 1",
                              user);
    if (!dev.empty()) {
      if (dev[0][0].as<std::string>() != cert) {
        // A new device (or new keys): what the old one published is useless.
        tx.exec_params("DELETE FROM devices WHERE username = $1", user);
        tx.exec_params("DELETE FROM one_time_prekeys WHERE username = $1",
                       user);
      } else if (dev[0][1].as<int64_t>() == up.signed_prekey.id
                 && !crypto::equal_ct(bytes_of(dev[0][2]),
                                      up.signed_prekey.key)) {
        // A session names its signed prekey by id: one id, one key.
        return prekey_refusal::signed_id_reused(up.signed_prekey.id);
      }
    }
    auto device = int64_t{up.device.device};
    tx.exec_params(
      "INSERT INTO devices(username, device, cert, spk_id, spk_key, spk_sig,"
      " updated) VALUES($1, $2, $3, $4, $5, $6, $7)"
      " ON CONFLICT (username, device) DO UPDATE SET cert = EXCLUDED.cert,"
      " spk_id = EXCLUDED.spk_id, spk_key = EXCLUDED.spk_key,"
      " spk_sig = EXCLUDED.spk_sig, updated = EXCLUDED.updated",
      user, device, cert, int64_t{up.signed_prekey.id},
      bytea(up.signed_prekey.key), bytea(up.prekey_signature), now_s());
    for (auto& k : up.one_time) {
      auto found = tx.exec_params("SELECT key FROM one_time_prekeys"
                                  " WHERE username = $1 AND device = $2"
                                  " AND id = $3",
                                  user, device, int64_t{k.id});
      // The same key again is a retried publish; another key under a
      // known id would hand two peers different keys for one id.
      if (!found.empty()) {
        if (!crypto::equal_ct(bytes_of(found[0][0]), k.key))
          return prekey_refusal::one_time_id_reused(k.id);
        continue;
      }
      tx.exec_params("INSERT INTO one_time_prekeys(username, device, id, key)"
                     " VALUES($1, $2, $3, $4)",
                     user, device, int64_t{k.id}, bytea(k.key));
    }
    return caf::none;
  }

  std::shared_ptr<pg_link> link_;
};

// -- directory ----------------------------------------------------------------

class pg_directory_backend : public directory_backend {
public:
  explicit pg_directory_backend(std::string conninfo)
    : link_(std::make_shared<pg_link>(std::move(conninfo), pg_store_role)),
      prekeys_(link_) {
    // nop
  }

  bool shared() const override {
    return true;
  }

  caf::error
  each_binding(const std::function<void(const std::string&,
                                        const std::string&)>& f) override {
    return link_->run([&](pqxx::connection& c) -> caf::error {
      pqxx::nontransaction tx{c};
      for (const auto& row : tx.exec("SELECT name, key FROM users"))
        f(row[0].as<std::string>(), blob_of(row[1]));
      return caf::none;
    });
  }

  caf::expected<std::optional<std::string>>
  key_of(const std::string& user) override {
    using result = caf::expected<std::optional<std::string>>;
    return link_->run([&](pqxx::connection& c) -> result {
      pqxx::nontransaction tx{c};
      auto r = tx.exec_params("SELECT key FROM users WHERE name = $1", user);
      if (r.empty())
        return std::optional<std::string>{};
      return std::optional<std::string>{blob_of(r[0][0])};
    });
  }

  caf::expected<std::vector<std::optional<std::string>>>
  bind(const std::vector<std::pair<std::string, std::string>>& batch) override {
    using result = caf::expected<std::vector<std::optional<std::string>>>;
    return link_->run([&](pqxx::connection& c) -> result {
      std::vector<std::optional<std::string>> out;
      out.reserve(batch.size());
      pqxx::work tx{c};
      for (auto& [user, key] : batch) {
        // The name is the primary key: of two routers binding it at once,
        // the second waits for the first and then finds its row.
        auto ins = tx.exec_params("INSERT INTO users(name, key, created)"
                                  " VALUES($1, $2, $3)"
                                  " ON CONFLICT (name) DO NOTHING RETURNING 1",
                                  user, bytea(key), now_s());
        if (!ins.empty()) {
          out.emplace_back();
          continue;
        }
        auto old = tx.exec_params("SELECT key FROM users WHERE name = $1",
                                  user);
        if (old.empty())
          return make_error(errc::storage_failure,
                            "a name neither bound nor free: " + user);
        out.emplace_back(blob_of(old[0][0]));
      }
      tx.commit();
      return out;
    });
  }

  caf::expected<uint32_t> names_of(const std::string& key) override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<uint32_t> {
      pqxx::nontransaction tx{c};
      auto r = tx.exec_params("SELECT COUNT(*) FROM users WHERE key = $1",
                              bytea(key));
      return r[0][0].as<uint32_t>();
    });
  }

  caf::expected<bool> blocked(const std::string& user) override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<bool> {
      pqxx::nontransaction tx{c};
      return !tx.exec_params("SELECT 1 FROM blocked WHERE name = $1", user)
                .empty();
    });
  }

  caf::expected<bool> take_registration(const std::string& source,
                                        uint32_t limit,
                                        std::chrono::milliseconds window)
    override {
    return link_->run([&](pqxx::connection& c) -> caf::expected<bool> {
      pqxx::work tx{c};
      // Routers counting for one source take turns, so that two of them
      // never both take the last one.
      tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext(encode($2,"
                     " 'hex')))",
                     registration_lock, bytea(source));
      auto now = now_ms();
      // What fell out of the window counts no more, for any source: the
      // table stays as small as a minute of new names.
      tx.exec_params("DELETE FROM registrations WHERE at <= $1",
                     now - static_cast<int64_t>(window.count()));
      auto n = tx.exec_params("SELECT COUNT(*) FROM registrations"
                              " WHERE source = $1",
                              bytea(source))[0][0]
                 .as<int64_t>();
      bool took = n < static_cast<int64_t>(limit);
      if (took)
        tx.exec_params("INSERT INTO registrations(source, at) VALUES($1, $2)",
                       bytea(source), now);
      tx.commit();
      return took;
    });
  }

  caf::error refund_registration(const std::string& source) override {
    return link_->run([&](pqxx::connection& c) -> caf::error {
      pqxx::work tx{c};
      tx.exec_params("DELETE FROM registrations WHERE ctid IN ("
                     " SELECT ctid FROM registrations WHERE source = $1"
                     " ORDER BY at DESC LIMIT 1)",
                     bytea(source));
      tx.commit();
      return caf::none;
    });
  }

  caf::error unbind(const std::string& user) override {
    return link_->run([&](pqxx::connection& c) -> caf::error {
      pqxx::work tx{c};
      tx.exec_params("DELETE FROM users WHERE name = $1", user);
      tx.exec_params("DELETE FROM devices WHERE username = $1", user);
      tx.exec_params("DELETE FROM one_time_prekeys WHERE username = $1", user);
      tx.commit();
      return caf::none;
    });
  }

  prekey_store& prekeys() override {
    return prekeys_;
  }

private:
  std::shared_ptr<pg_link> link_;
  pg_prekey_store prekeys_;
};

// -- queue --------------------------------------------------------------------

class pg_queue_backend : public queue_backend {
public:
  explicit pg_queue_backend(std::string conninfo)
    : link_(std::move(conninfo), pg_store_role) {
    // nop
  }

  bool shared() const override {
    return true;
  }

  caf::error begin() override {
    locked_.clear();
    return link_.run([&](pqxx::connection& c) -> caf::error {
      tx_ = std::make_unique<pqxx::work>(c);
      return caf::none;
    });
  }

  caf::error commit() override {
    return in_tx([&](pqxx::work& tx) -> caf::error {
      tx.commit();
      tx_.reset();
      return caf::none;
    });
  }

  void rollback() override {
    tx_.reset(); // aborts
  }

  caf::error insert(const std::string& to, stored_message& msg) override {
    return in_tx([&](pqxx::work& tx) -> caf::error {
      if (msg.seq == 0)
        lock(tx, to);
      // The notice goes out at commit, once per recipient and transaction
      // however many rows; an aborted write sends none.
      auto r = tx.exec_params(
        "INSERT INTO queue(recipient, seq, sender, blob, ts)"
        " SELECT $1::text,"
        " COALESCE(NULLIF($2::bigint, 0), nextval('queue_seq') + $6::bigint),"
        " $3::text, $4::bytea, $5::bigint"
        " FROM pg_notify('" + std::string{pg_queue_channel} + "', $1::text)"
        " RETURNING seq",
        to, static_cast<int64_t>(msg.seq), msg.from, bytea(msg.blob), msg.ts,
        static_cast<int64_t>(shared_seq_base));
      msg.seq = r[0][0].as<uint64_t>();
      return caf::none;
    });
  }

  caf::error insert_all(const std::string& to,
                        const std::vector<stored_message*>& msgs) override {
    return in_tx([&](pqxx::work& tx) -> caf::error {
      if (std::any_of(msgs.begin(), msgs.end(),
                      [](auto* m) { return m->seq == 0; }))
        lock(tx, to);
      for (size_t i = 0; i < msgs.size(); i += max_rows_per_statement) {
        auto n = std::min(max_rows_per_statement, msgs.size() - i);
        insert_rows(tx, to, msgs.data() + i, n);
      }
      return caf::none;
    });
  }

  caf::expected<std::vector<std::optional<uint64_t>>> remove_all(
    const std::vector<std::pair<std::string, uint64_t>>& rows) override {
    using result = caf::expected<std::vector<std::optional<uint64_t>>>;
    return in_tx([&](pqxx::work& tx) -> result {
      std::vector<std::optional<uint64_t>> sizes(rows.size());
      for (size_t i = 0; i < rows.size(); i += max_rows_per_statement) {
        auto n = std::min(max_rows_per_statement, rows.size() - i);
        std::string values;
        std::vector<std::string> args;
        args.reserve(2 * n);
        for (size_t k = 0; k < n; ++k) {
          auto p = std::to_string(2 * k + 1);
          auto q = std::to_string(2 * k + 2);
          values += (k ? ",($" : "($") + p + "::text,$" + q + "::bigint,"
                    + std::to_string(i + k) + ")";
          args.push_back(rows[i + k].first);
          args.push_back(std::to_string(static_cast<int64_t>(rows[i + k].second)));
        }
        auto r = tx.exec_params("DELETE FROM queue q USING (VALUES " + values
                                  + ") AS d(r, s, i) WHERE q.recipient = d.r"
                                    " AND q.seq = d.s"
                                    " RETURNING d.i, octet_length(q.blob)",
                                pqxx::prepare::make_dynamic_params(args));
        for (const auto& row : r)
          sizes[row[0].as<size_t>()] = row[1].as<uint64_t>();
      }
      return sizes;
    });
  }

  caf::expected<std::pair<uint64_t, uint64_t>>
  lock_usage(const std::string& to) override {
    using result = caf::expected<std::pair<uint64_t, uint64_t>>;
    return in_tx([&](pqxx::work& tx) -> result {
      lock(tx, to);
      auto r = tx.exec_params("SELECT COUNT(*),"
                              " COALESCE(SUM(octet_length(blob)), 0)"
                              " FROM queue WHERE recipient = $1",
                              to);
      return std::make_pair(r[0][0].as<uint64_t>(), r[0][1].as<uint64_t>());
    });
  }

  caf::expected<std::optional<uint64_t>>
  remove(const std::string& to, uint64_t seq) override {
    using result = caf::expected<std::optional<uint64_t>>;
    return in_tx([&](pqxx::work& tx) -> result {
      auto r = tx.exec_params("DELETE FROM queue WHERE recipient = $1"
                              " AND seq = $2 RETURNING octet_length(blob)",
                              to, static_cast<int64_t>(seq));
      if (r.empty())
        return std::optional<uint64_t>{};
      return std::optional<uint64_t>{r[0][0].as<uint64_t>()};
    });
  }

  caf::expected<std::vector<stored_message>>
  fetch(const std::string& to, uint64_t after, uint32_t limit,
        int64_t cutoff) override {
    // A read is safe to repeat: a connection found lost (PostgreSQL
    // restarted meanwhile) is opened again at once rather than leaving the
    // recipient's backlog to the next ack or sign-in.
    auto res = fetch_once(to, after, limit, cutoff);
    if (!res && code_of(res.error()) == errc::store_unavailable)
      res = fetch_once(to, after, limit, cutoff);
    return res;
  }

  caf::expected<std::vector<stored_message>>
  fetch_once(const std::string& to, uint64_t after, uint32_t limit,
             int64_t cutoff) {
    using result = caf::expected<std::vector<stored_message>>;
    return link_.run([&](pqxx::connection& c) -> result {
      pqxx::nontransaction tx{c};
      auto r = tx.exec_params("SELECT seq, sender, blob, ts FROM queue"
                              " WHERE recipient = $1 AND seq > $2"
                              " AND ts >= $4 ORDER BY seq LIMIT $3",
                              to, static_cast<int64_t>(after),
                              static_cast<int64_t>(limit), cutoff);
      std::vector<stored_message> rows;
      rows.reserve(r.size());
      for (const auto& row : r)
        rows.push_back({row[0].as<uint64_t>(), row[1].as<std::string>(),
                        blob_of(row[2]), row[3].as<int64_t>()});
      return rows;
    });
  }

  caf::expected<std::vector<std::pair<std::string, uint64_t>>>
  purge(int64_t cutoff, uint32_t batch) override {
    using result
      = caf::expected<std::vector<std::pair<std::string, uint64_t>>>;
    return link_.run([&](pqxx::connection& c) -> result {
      pqxx::work tx{c};
      // Routers purging at once skip each other's rows.
      auto r = tx.exec_params(
        "DELETE FROM queue WHERE (recipient, seq) IN ("
        " SELECT recipient, seq FROM queue WHERE ts < $1 ORDER BY ts"
        " LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING recipient, octet_length(blob)",
        cutoff, static_cast<int64_t>(batch));
      tx.commit();
      std::vector<std::pair<std::string, uint64_t>> gone;
      for (const auto& row : r)
        gone.emplace_back(row[0].as<std::string>(), row[1].as<uint64_t>());
      return gone;
    });
  }

  caf::error
  each_queue(const std::function<void(const std::string&, uint64_t,
                                      uint64_t)>& f) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::nontransaction tx{c};
      for (const auto& row :
           tx.exec("SELECT recipient, COUNT(*), SUM(octet_length(blob))"
                   " FROM queue GROUP BY recipient"))
        f(row[0].as<std::string>(), row[1].as<uint64_t>(),
          row[2].as<uint64_t>());
      return caf::none;
    });
  }

  caf::expected<uint64_t> max_seq() override {
    return link_.run([&](pqxx::connection& c) -> caf::expected<uint64_t> {
      pqxx::nontransaction tx{c};
      // Only the routers' own numbers: those the store picks are above.
      auto r = tx.exec_params("SELECT COALESCE(MAX(seq), 0) FROM queue"
                              " WHERE seq < $1",
                              static_cast<int64_t>(shared_seq_base));
      return r[0][0].as<uint64_t>();
    });
  }

private:
  /// Rows one statement writes at most (PostgreSQL takes 65,535
  /// parameters).
  static constexpr size_t max_rows_per_statement = 1000;

  /// Takes `to`'s write lock once per transaction. Numbers for one
  /// recipient are taken in commit order: a writer holds the recipient's
  /// lock from its number to its commit, so a reader past some number
  /// never sees a lower one appear later.
  void lock(pqxx::work& tx, const std::string& to) {
    if (locked_.insert(to).second)
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", recipient_key(to));
  }

  /// Writes msgs[0..n) for `to` in one statement, seqs taken in order.
  /// Parameters go as text: a blob in bytea's hex form.
  void insert_rows(pqxx::work& tx, const std::string& to,
                   stored_message* const* msgs, size_t n) {
    std::string values;
    std::vector<std::string> args{to, std::to_string(static_cast<int64_t>(
                                        shared_seq_base))};
    args.reserve(2 + 4 * n);
    for (size_t k = 0; k < n; ++k) {
      auto& m = *msgs[k];
      auto at = [&](size_t j) { return "$" + std::to_string(3 + 4 * k + j); };
      values += (k ? ",(" : "(") + at(0) + "::bigint," + at(1) + "::text,"
                + at(2) + "::bytea," + at(3) + "::bigint," + std::to_string(k)
                + ")";
      args.push_back(std::to_string(static_cast<int64_t>(m.seq)));
      args.push_back(m.from);
      args.push_back("\\x" + crypto::to_hex(m.blob));
      args.push_back(std::to_string(m.ts));
    }
    // The numbers follow the rows' order (a volatile nextval is evaluated
    // after the sort); the notice goes out at commit, once per recipient
    // and transaction however many rows, and an aborted write sends none.
    auto r = tx.exec_params(
      "WITH v AS MATERIALIZED (SELECT i, COALESCE(NULLIF(s, 0),"
      " nextval('queue_seq') + $2::bigint) AS seq, f, b, t FROM (VALUES "
        + values
        + ") AS r(s, f, b, t, i) ORDER BY i),"
          " w AS (INSERT INTO queue(recipient, seq, sender, blob, ts)"
          " SELECT $1::text, seq, f, b, t FROM v, pg_notify('"
        + std::string{pg_queue_channel}
        + "', $1::text))"
          " SELECT i, seq FROM v",
      pqxx::prepare::make_dynamic_params(args));
    for (const auto& row : r)
      msgs[row[0].as<size_t>()]->seq = row[1].as<uint64_t>();
  }

  /// Runs `f` in the open transaction; a failure ends it.
  template <class F>
  auto in_tx(F f) -> decltype(f(std::declval<pqxx::work&>())) {
    if (!tx_)
      return make_error(errc::internal, "no transaction open");
    // The transaction goes before its connection if the connection is lost.
    auto res = link_.run([&](pqxx::connection&) {
      try {
        return f(*tx_);
      } catch (...) {
        tx_.reset();
        throw;
      }
    });
    if (failed(res) && tx_) {
      tx_.reset();
      link_.reset(); // the transaction's connection may be half gone
    }
    return res;
  }

  pg_link link_;
  std::unique_ptr<pqxx::work> tx_;
  /// Recipients whose lock the open transaction holds.
  std::set<std::string> locked_;
};

} // namespace

// FNV-1a: the same key for a name in every router (std::hash may differ
// between builds).
int64_t pg_queue_lock_key(const std::string& recipient) {
  uint64_t h = 0xcbf29ce484222325;
  for (unsigned char c : recipient) {
    h ^= c;
    h *= 0x100000001b3;
  }
  // Not the migration lock's key space: those are single constants.
  return static_cast<int64_t>(h);
}

int64_t pg_schema_version() {
  return known_version;
}

caf::error migrate_postgresql(const std::string& conninfo) {
  return migrate_pg_schema(conninfo, store_schema(), pg_store_role);
}

caf::error open_postgresql_store(const std::string& store) {
  if (!is_postgresql_address(store))
    return make_error(errc::bad_store_address,
                      "--store takes a PostgreSQL address "
                      "(postgresql://...); without --store the SQLite files "
                      "in the router's --data folder are used");
  if (auto err = check_postgresql_address(store))
    return err;
  return migrate_postgresql(store);
}

std::shared_ptr<directory_backend> pg_directory(std::string conninfo) {
  return std::make_shared<pg_directory_backend>(std::move(conninfo));
}

std::shared_ptr<queue_backend> pg_queue(std::string conninfo) {
  return std::make_shared<pg_queue_backend>(std::move(conninfo));
}

} // namespace courier
