#include "actors/server/prekey_store.hpp"

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/limits.hpp"
#include "crypto/bytes.hpp"

namespace courier {

namespace {

namespace x3dh = protocol::x3dh;

// Version 1: a device per user (its certificate as the JSON the router
// was given, checked, and its current signed prekey) and its one-time
// prekeys.
constexpr const char* schema_v1 =
  "CREATE TABLE IF NOT EXISTS users("
  " name TEXT PRIMARY KEY, key BLOB NOT NULL, created INTEGER NOT NULL);"
  "CREATE TABLE devices("
  " user TEXT NOT NULL, device INTEGER NOT NULL, cert TEXT NOT NULL,"
  " spk_id INTEGER NOT NULL, spk_key BLOB NOT NULL, spk_sig BLOB NOT NULL,"
  " updated INTEGER NOT NULL, PRIMARY KEY(user, device));"
  "CREATE TABLE one_time_prekeys("
  " user TEXT NOT NULL, device INTEGER NOT NULL, id INTEGER NOT NULL,"
  " key BLOB NOT NULL, PRIMARY KEY(user, device, id));";

// Version 2: names an operator blocked, and the record of what operators
// did (courier-node admin, actors/server/admin_store.hpp).
constexpr const char* schema_v2 =
  "CREATE TABLE blocked("
  " name TEXT PRIMARY KEY, at INTEGER NOT NULL, done_by TEXT NOT NULL);"
  "CREATE TABLE admin_audit("
  " id INTEGER PRIMARY KEY, at INTEGER NOT NULL, done_by TEXT NOT NULL,"
  " action TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL);";

constexpr const char* schemas[] = {schema_v1, schema_v2};

constexpr int64_t current_version = 2;

std::string blob_of(const crypto::bytes& b) {
  return {b.begin(), b.end()};
}

crypto::bytes bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

// Runs `body` in one write transaction: committed if it succeeds, rolled
// back (nothing written) if it fails.
template <class F>
auto in_transaction(database& db, F body) -> decltype(body()) {
  if (auto err = db.exec("BEGIN IMMEDIATE"))
    return err;
  auto res = body();
  if (!res) {
    db.exec("ROLLBACK");
    return res;
  }
  if (auto err = db.exec("COMMIT")) {
    db.exec("ROLLBACK");
    return err;
  }
  return res;
}

} // namespace

caf::error migrate_directory(database& db) {
  auto version = db.scalar("PRAGMA user_version");
  if (!version)
    return version.error();
  // One transaction per version: a crash part-way leaves the last version
  // that completed, migrated on from there at the next start.
  for (auto v = *version; v < current_version; ++v) {
    caf::error err = db.exec("BEGIN IMMEDIATE");
    if (!err)
      err = db.exec(schemas[v]);
    if (!err)
      err = db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (!err)
      err = db.exec("COMMIT");
    if (err) {
      db.exec("ROLLBACK");
      return err;
    }
  }
  return caf::none;
}

namespace prekey_refusal {

caf::error signed_id_reused(uint32_t id) {
  return make_error(errc::bad_envelope,
                    "signed prekey id " + std::to_string(id)
                      + " was published before with another key");
}

caf::error one_time_id_reused(uint32_t id) {
  return make_error(errc::bad_envelope,
                    "one-time prekey id " + std::to_string(id)
                      + " was published before with another key");
}

caf::error too_many(uint64_t n) {
  return make_error(errc::quota_exceeded,
                    "a device keeps at most "
                      + std::to_string(max_stored_prekeys)
                      + " one-time prekeys at its router; this publish"
                        " would leave it "
                      + std::to_string(n));
}

} // namespace prekey_refusal

caf::expected<x3dh::device_certificate>
stored_certificate(const std::string& json) {
  // Written by a router from a checked certificate; parsed again all the
  // same, so a damaged row is an error and not a crash.
  boost::json::error_code ec;
  auto cert_json = boost::json::parse(json, ec);
  if (ec || !cert_json.is_object())
    return make_error(errc::storage_failure, "a stored device certificate");
  auto cert = protocol::certificate_from_json(cert_json.get_object());
  if (!cert)
    return make_error(errc::storage_failure, "a stored device certificate");
  return std::move(*cert);
}

std::string stored_certificate_text(const x3dh::device_certificate& cert) {
  return boost::json::serialize(protocol::to_json(cert));
}

caf::expected<uint32_t> prekey_store::publish(const std::string& user,
                                              const crypto::key& identity,
                                              const protocol::prekey_upload& up) {
  // The checks cost a signature verification each and touch nothing.
  if (auto err = protocol::verify(up, identity, user))
    return err;
  return store_verified(user, up);
}

sqlite_prekey_store::sqlite_prekey_store(std::shared_ptr<database> db)
  : db_(std::move(db)) {
  // Nothing: the schema comes from migrate_directory.
}

caf::expected<uint32_t> sqlite_prekey_store::count_in_transaction(
  const std::string& user) {
  auto stmt = db_->prepare(
    "SELECT COUNT(*) FROM one_time_prekeys WHERE user = ?1");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, user);
  auto row = stmt->step();
  if (!row)
    return row.error();
  return static_cast<uint32_t>(*row ? stmt->int_at(0) : 0);
}

caf::error sqlite_prekey_store::store(const std::string& user,
                               const protocol::prekey_upload& up) {
  auto cert = stored_certificate_text(up.device);
  auto dev = db_->prepare("SELECT cert, spk_id, spk_key FROM devices"
                          " WHERE user = ?1");
  if (!dev)
    return dev.error();
  dev->bind(1, user);
  auto row = dev->step();
  if (!row)
    return row.error();
  bool exists = *row;
  auto old_cert = exists ? dev->text_at(0) : std::string{};
  auto old_spk_id = exists ? dev->int_at(1) : int64_t{-1};
  auto old_spk = exists ? dev->blob_at(2) : std::string{};
  dev->reset();
  if (exists && old_cert != cert) {
    // A new device (or new keys): what the old one published is useless.
    for (auto sql : {"DELETE FROM devices WHERE user = ?1",
                     "DELETE FROM one_time_prekeys WHERE user = ?1"}) {
      auto del = db_->prepare(sql);
      if (!del)
        return del.error();
      if (auto err = del->bind(1, user).run())
        return err;
    }
  } else if (exists && old_spk_id == up.signed_prekey.id
             && !crypto::equal_ct(bytes_of(old_spk), up.signed_prekey.key)) {
    // A session names its signed prekey by id: one id, one key.
    return prekey_refusal::signed_id_reused(up.signed_prekey.id);
  }
  auto put = db_->prepare(
    "INSERT OR REPLACE INTO devices(user, device, cert, spk_id, spk_key,"
    " spk_sig, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, strftime('%s'))");
  if (!put)
    return put.error();
  auto spk = blob_of(up.signed_prekey.key);
  auto sig = blob_of(up.prekey_signature);
  put->bind(1, user)
    .bind(2, int64_t{up.device.device})
    .bind(3, cert)
    .bind(4, int64_t{up.signed_prekey.id})
    .bind_blob(5, spk.data(), spk.size())
    .bind_blob(6, sig.data(), sig.size());
  if (auto err = put->run())
    return err;
  auto find = db_->prepare("SELECT key FROM one_time_prekeys"
                           " WHERE user = ?1 AND device = ?2 AND id = ?3");
  auto add = db_->prepare("INSERT INTO one_time_prekeys(user, device, id, key)"
                          " VALUES(?1, ?2, ?3, ?4)");
  if (!find)
    return find.error();
  if (!add)
    return add.error();
  for (auto& k : up.one_time) {
    find->bind(1, user).bind(2, int64_t{up.device.device}).bind(3, int64_t{k.id});
    auto found = find->step();
    auto same = found && *found && crypto::equal_ct(bytes_of(find->blob_at(0)), k.key);
    bool known = found && *found;
    find->reset();
    if (!found)
      return found.error();
    // The same key again is a retried publish; another key under a known
    // id would hand two peers different keys for one id.
    if (known && !same)
      return prekey_refusal::one_time_id_reused(k.id);
    if (known)
      continue;
    auto key = blob_of(k.key);
    add->bind(1, user)
      .bind(2, int64_t{up.device.device})
      .bind(3, int64_t{k.id})
      .bind_blob(4, key.data(), key.size());
    if (auto err = add->run())
      return err;
  }
  return caf::none;
}

caf::expected<uint32_t>
sqlite_prekey_store::store_verified(const std::string& user,
                                    const protocol::prekey_upload& up) {
  return in_transaction(*db_, [&]() -> caf::expected<uint32_t> {
    if (auto err = store(user, up))
      return err;
    auto n = count_in_transaction(user);
    if (n && *n > max_stored_prekeys)
      return prekey_refusal::too_many(*n);
    return n;
  });
}

caf::expected<x3dh::bundle> sqlite_prekey_store::take_bundle(const std::string& user) {
  return in_transaction(*db_, [&]() -> caf::expected<x3dh::bundle> {
    auto dev = db_->prepare("SELECT device, cert, spk_id, spk_key, spk_sig"
                            " FROM devices WHERE user = ?1"
                            " ORDER BY device LIMIT 1");
    if (!dev)
      return dev.error();
    dev->bind(1, user);
    auto row = dev->step();
    if (!row)
      return row.error();
    if (!*row)
      return make_error(errc::no_bundle, user);
    auto device = dev->int_at(0);
    x3dh::bundle b;
    auto cert = stored_certificate(dev->text_at(1));
    if (!cert)
      return cert.error();
    b.device = std::move(*cert);
    b.signed_prekey.id = static_cast<uint32_t>(dev->int_at(2));
    b.signed_prekey.key = bytes_of(dev->blob_at(3));
    b.prekey_signature = bytes_of(dev->blob_at(4));
    auto opk = db_->prepare("SELECT id, key FROM one_time_prekeys"
                            " WHERE user = ?1 AND device = ?2"
                            " ORDER BY id LIMIT 1");
    if (!opk)
      return opk.error();
    opk->bind(1, user).bind(2, device);
    auto has = opk->step();
    if (!has)
      return has.error();
    if (!*has)
      return b;
    x3dh::prekey k{static_cast<uint32_t>(opk->int_at(0)),
                   bytes_of(opk->blob_at(1))};
    opk->reset();
    // Handed out once: deleted in the transaction that hands it out.
    auto del = db_->prepare("DELETE FROM one_time_prekeys"
                            " WHERE user = ?1 AND device = ?2 AND id = ?3");
    if (!del)
      return del.error();
    if (auto err = del->bind(1, user).bind(2, device).bind(3, int64_t{k.id}).run())
      return err;
    b.one_time = std::move(k);
    return b;
  });
}

caf::expected<uint32_t> sqlite_prekey_store::count(const std::string& user) {
  return count_in_transaction(user);
}

} // namespace courier
