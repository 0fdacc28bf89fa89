#include "actors/client/device.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

#include "actors/common/crash_point.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "crypto/digest.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/x25519.hpp"

namespace courier {

namespace json = boost::json;
namespace x3dh = protocol::x3dh;
namespace ratchet = protocol::ratchet;

namespace {

constexpr const char* schema =
  "CREATE TABLE IF NOT EXISTS device_keys(id INTEGER PRIMARY KEY"
  " CHECK(id = 1), sealed BLOB NOT NULL, certificate TEXT NOT NULL);"
  // Signed ('spk') and one-time ('opk') prekeys; a retired signed prekey
  // still opens first messages for a while.
  "CREATE TABLE IF NOT EXISTS prekeys(kind TEXT NOT NULL, id INTEGER NOT"
  " NULL, sealed BLOB NOT NULL, pub BLOB NOT NULL, created_ms INTEGER NOT"
  " NULL, retired_ms INTEGER, PRIMARY KEY(kind, id));"
  "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY,"
  " value INTEGER NOT NULL);"
  // Ratchet sessions, each sealed whole (see `session_record`): only the
  // peer and the device, which name the row, are in clear.
  "CREATE TABLE IF NOT EXISTS ratchets(id INTEGER PRIMARY KEY,"
  " peer TEXT NOT NULL, device INTEGER NOT NULL, sealed BLOB NOT NULL);"
  "CREATE INDEX IF NOT EXISTS ratchets_by_peer ON ratchets(peer);"
  // Signed letters (bank orders and receipts) as they were signed, with
  // the certificate of the device that signed them: what shows a third
  // party who ordered a transfer, or that the bank confirmed it.
  "CREATE TABLE IF NOT EXISTS signed_letters(sender TEXT NOT NULL,"
  " recipient TEXT NOT NULL, ts INTEGER NOT NULL, msg_id TEXT NOT NULL,"
  " body TEXT NOT NULL, sig BLOB NOT NULL, certificate TEXT NOT NULL,"
  " PRIMARY KEY(sender, msg_id));"
  // Peers known to have letters v3 under the key of that fingerprint (a
  // verified bundle, or a letter v3 opened): a router that later says one
  // has no bundle is not believed (see `knows_v3`).
  "CREATE TABLE IF NOT EXISTS v3_peers(peer TEXT PRIMARY KEY,"
  " fingerprint TEXT NOT NULL);";

/// Sessions kept in memory for this many peers at most; the cache is
/// emptied past it (the database has them all).
constexpr size_t max_cached_peers = 4096;

std::string label_of(const char* kind, uint64_t id) {
  return std::string{kind} + " " + std::to_string(id);
}

// The label of a ratchet state sealed alone, in a database of version 0
// (read by the migration only).
std::string ratchet_label(const std::string& peer, uint32_t device) {
  return "ratchet " + peer + " " + std::to_string(device);
}

// The label of a session sealed whole: a record moved to a row of another
// peer or device does not open there. (Names have no spaces.)
std::string session_label(const std::string& peer, uint32_t device) {
  return "session " + peer + " " + std::to_string(device);
}

// The client database's schema version (PRAGMA user_version):
// 0: ratchet sessions kept their state sealed and the rest of the row
//    (associated data, the peer's certificate, the initiation, its
//    ephemeral key, the time of last use) in clear;
// 1: each session is one sealed record bound to its peer and device, so
//    that whoever can write the file cannot swap the certificate whose key
//    checks the peer's signed orders, nor the associated data;
// 2: the text of messages (history, inbox) is sealed too, each row under
//    its own label (`client_db::seal_clear_text`).
constexpr int64_t client_schema_version = 2;

// A session's fields in the order of its record.
enum session_field : size_t {
  f_state,
  f_ad,
  f_peer_cert,  // JSON
  f_initiation, // JSON, empty if none
  f_base,
  f_active_ms, // 8 bytes, big-endian
  session_fields
};

// A session record: a format byte, then each field as a 4-byte big-endian
// length and its bytes. Wiped when it goes away: it holds the state.
constexpr uint8_t session_record_format = 1;

crypto::secret session_record(const std::vector<crypto::byte_view>& fields) {
  size_t n = 1;
  for (auto& f : fields)
    n += 4 + f.size;
  crypto::secret out{n};
  auto* p = out.data();
  *p++ = session_record_format;
  for (auto& f : fields) {
    auto len = static_cast<uint32_t>(f.size);
    for (int shift = 24; shift >= 0; shift -= 8)
      *p++ = static_cast<uint8_t>(len >> shift);
    if (f.size > 0)
      p = std::copy(f.data, f.data + f.size, p);
  }
  return out;
}

// The fields of a session record; nothing if it is not one.
std::optional<std::vector<crypto::byte_view>>
session_fields_of(crypto::byte_view in) {
  if (in.size < 1 || in.data[0] != session_record_format)
    return std::nullopt;
  std::vector<crypto::byte_view> out;
  size_t at = 1;
  while (out.size() < session_fields) {
    if (in.size - at < 4)
      return std::nullopt;
    size_t len = 0;
    for (int i = 0; i < 4; ++i)
      len = (len << 8) | in.data[at + i];
    at += 4;
    if (in.size - at < len)
      return std::nullopt;
    out.emplace_back(in.data + at, len);
    at += len;
  }
  if (at != in.size)
    return std::nullopt;
  return out;
}

std::array<uint8_t, 8> big_endian(int64_t value) {
  std::array<uint8_t, 8> out{};
  auto v = static_cast<uint64_t>(value);
  for (size_t i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return out;
}

int64_t from_big_endian(crypto::byte_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < in.size; ++i)
    v = (v << 8) | in.data[i];
  return static_cast<int64_t>(v);
}

// Copies each session of a version-0 table into `ratchets_sealed`, sealed
// whole. (Its statements are done and returned before the old table goes.)
caf::error copy_sealed(database& db, const vault& v) {
  auto get = db.prepare("SELECT id, peer, device, state, ad, peer_cert,"
                        " initiation, base, active_ms FROM ratchets");
  auto put = db.prepare("INSERT INTO ratchets_sealed(id, peer, device,"
                        " sealed) VALUES(?1, ?2, ?3, ?4)");
  if (!get)
    return get.error();
  if (!put)
    return put.error();
  auto r = get->step();
  for (; r && *r; r = get->step()) {
    auto peer = get->text_at(1);
    auto device = static_cast<uint32_t>(get->int_at(2));
    auto state = v.open(ratchet_label(peer, device), get->blob_at(3));
    if (!state)
      continue;
    auto ad = get->blob_at(4);
    auto cert = get->text_at(5);
    auto init = get->text_at(6);
    auto base = get->blob_at(7);
    auto active = big_endian(get->int_at(8));
    auto record = session_record({*state, ad, cert, init, base,
                                  {active.data(), active.size()}});
    auto sealed = v.seal(session_label(peer, device), record);
    if (!sealed)
      return sealed.error();
    put->reset();
    put->bind(1, get->int_at(0))
      .bind(2, peer)
      .bind(3, int64_t{device})
      .bind_blob(4, sealed->data(), sealed->size());
    if (auto err = put->run())
      return err;
  }
  if (!r)
    return r.error();
  return caf::none;
}

// Brings a client database to the current version in one transaction (a
// crash part-way leaves the old version, migrated again at the next
// start). 0 to 1: each session's clear values are read once and written
// sealed with its state; a row whose state did not open was never used,
// and is dropped. 1 to 2: message text is sealed in place, and the file is
// checkpointed so that the clear text leaves the write-ahead log too.
caf::error migrate(client_db& cdb, const vault& v) {
  auto& db = cdb.sql();
  auto version = db.scalar("PRAGMA user_version");
  if (!version)
    return version.error();
  if (*version > client_schema_version)
    return make_error(errc::storage_failure,
                      "this client database was written by a newer version"
                      " of Courier; use that version");
  if (*version == client_schema_version)
    return caf::none;
  auto tx = transaction::begin(db);
  if (!tx)
    return tx.error();
  // A database made by this version has the new table already.
  auto old = db.scalar("SELECT COUNT(*) FROM pragma_table_info('ratchets')"
                       " WHERE name = 'peer_cert'");
  if (!old)
    return old.error();
  if (*version < 1 && *old > 0) {
    if (auto err = db.exec("CREATE TABLE ratchets_sealed(id INTEGER PRIMARY"
                           " KEY, peer TEXT NOT NULL, device INTEGER NOT"
                           " NULL, sealed BLOB NOT NULL)"))
      return err;
    if (auto err = copy_sealed(db, v))
      return err;
    if (auto err = db.exec("DROP TABLE ratchets;"
                           "ALTER TABLE ratchets_sealed RENAME TO ratchets;"
                           "CREATE INDEX ratchets_by_peer ON ratchets(peer)"))
      return err;
  }
  if (auto err = cdb.seal_clear_text())
    return err;
  if (auto err = db.exec("PRAGMA user_version = "
                         + std::to_string(client_schema_version)))
    return err;
  if (auto err = tx->commit())
    return err;
  // secure_delete zeroed the old cells in the new pages; copying them over
  // the file and emptying the log leaves the clear text nowhere.
  return db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// What identifies a letter v3 for the inbox: SHA-256 over the sender, the
// ratchet header and the ciphertext, each length-prefixed.
crypto::bytes letter_key(const std::string& from,
                         const protocol::ratchet_letter_blob& blob) {
  crypto::sha256_stream h;
  h.update_framed(from);
  h.update_framed(protocol::ratchet::encode(blob.message.head));
  h.update_framed(blob.message.ciphertext);
  return h.digest();
}

caf::error corrupt(const std::string& what) {
  return make_error(errc::storage_failure,
                    "the client database's " + what + " is damaged");
}

} // namespace

caf::expected<std::unique_ptr<device>>
device::open(std::shared_ptr<client_db> db, const std::string& user,
             const crypto::key& identity, int64_t now_ms) {
  auto& sql = db->sql();
  if (auto err = sql.exec(schema))
    return err;
  auto v = vault::open(sql, identity);
  if (!v)
    return v.error();
  db->unlock(*v);
  if (auto err = migrate(*db, *v))
    return err;
  std::unique_ptr<device> result{new device(std::move(db), std::move(*v))};
  if (auto err = result->load_keys(user, identity, now_ms))
    return err;
  // Past a signed prekey's life and grace, a replayed first message no
  // longer starts a session, so the record of what was opened can go.
  auto before = now_ms - opened_record_lifetime.count();
  if (auto err = result->db_->prune_opened(before))
    return err;
  return result;
}

caf::error device::load_keys(const std::string& user,
                             const crypto::key& identity, int64_t now_ms) {
  auto& sql = db_->sql();
  auto get = sql.prepare("SELECT sealed, certificate FROM device_keys");
  if (!get)
    return get.error();
  auto row = get->step();
  if (!row)
    return row.error();
  if (!*row) {
    // First start: make the device and its certificate.
    auto made = x3dh::make_device(identity, user, first_device_id, now_ms);
    if (!made)
      return made.error();
    auto ik = crypto::x25519_private_raw(made->first.identity);
    auto sk = crypto::ed25519_private_raw(made->first.signing);
    if (!ik || !sk)
      return make_error(errc::crypto_failure, "device keys");
    crypto::secret plain{ik->size() + sk->size()};
    std::copy(ik->data(), ik->data() + ik->size(), plain.data());
    std::copy(sk->data(), sk->data() + sk->size(), plain.data() + ik->size());
    auto sealed = vault_.seal("device", plain);
    if (!sealed)
      return sealed.error();
    auto cert_text = json::serialize(protocol::to_json(made->second));
    auto put = sql.prepare(
      "INSERT INTO device_keys(id, sealed, certificate) VALUES(1, ?1, ?2)");
    if (!put)
      return put.error();
    put->bind_blob(1, sealed->data(), sealed->size()).bind(2, cert_text);
    if (auto err = put->run())
      return err;
    keys_ = std::move(made->first);
    cert_ = std::move(made->second);
  } else {
    auto plain = vault_.open("device", get->blob_at(0));
    if (!plain || plain->size() != 64)
      return corrupt("device key");
    auto ik = crypto::x25519_private_from_raw({plain->data(), 32});
    auto sk = crypto::ed25519_private_from_raw({plain->data() + 32, 32});
    json::error_code ec;
    auto parsed = json::parse(get->text_at(1), ec);
    if (!ik || !sk || ec || !parsed.is_object())
      return corrupt("device key");
    auto cert = protocol::certificate_from_json(parsed.as_object());
    if (!cert)
      return corrupt("device certificate");
    if (cert->user != user)
      return make_error(errc::bad_key, "this client database is "
                                         + cert->user + "'s, not " + user
                                         + "'s");
    keys_ = x3dh::device_keys{std::move(*ik), std::move(*sk)};
    cert_ = std::move(*cert);
  }
  auto spk = sql.prepare("SELECT id, created_ms FROM prekeys WHERE kind ="
                         " 'spk' AND retired_ms IS NULL ORDER BY id DESC"
                         " LIMIT 1");
  if (!spk)
    return spk.error();
  if (auto r = spk->step(); r && *r) {
    spk_id_ = static_cast<uint32_t>(spk->int_at(0));
    spk_created_ms_ = spk->int_at(1);
  }
  auto pub = sql.prepare("SELECT value FROM counters WHERE name ="
                         " 'published_spk'");
  if (!pub)
    return pub.error();
  if (auto r = pub->step(); r && *r)
    published_spk_ = static_cast<uint32_t>(pub->int_at(0));
  return caf::none;
}

const std::string& device::fingerprint_of(const std::string& peer,
                                          const crypto::key& identity) {
  constexpr size_t max_peers = 4096; // a bank's customers: bounded memory
  auto it = fingerprints_.find(peer);
  if (it != fingerprints_.end() && it->second.first.get() == identity.get())
    return it->second.second;
  if (it == fingerprints_.end() && fingerprints_.size() >= max_peers)
    fingerprints_.clear();
  auto fp = crypto::fingerprint(identity);
  auto& slot = fingerprints_[peer];
  slot = {identity, fp ? *fp : std::string{}};
  return slot.second;
}

caf::error device::note_v3(const std::string& peer,
                           const crypto::key& their_identity) {
  const auto& fp = fingerprint_of(peer, their_identity);
  if (fp.empty())
    return caf::none;
  auto put = db_->sql().prepare(
    "INSERT OR REPLACE INTO v3_peers(peer, fingerprint) VALUES(?1, ?2)");
  if (!put)
    return put.error();
  return put->bind(1, peer).bind(2, fp).run();
}

bool device::knows_v3(const std::string& peer,
                      const crypto::key& their_identity) {
  const auto& fp = fingerprint_of(peer, their_identity);
  auto get = db_->sql().prepare(
    "SELECT fingerprint FROM v3_peers WHERE peer = ?1");
  if (fp.empty() || !get)
    return false;
  get->bind(1, peer);
  auto row = get->step();
  return row && *row && get->text_at(0) == fp;
}

caf::error device::check_certificate(const x3dh::device_certificate& cert,
                                     const crypto::key& their_identity,
                                     const std::string& user) {
  const auto& fp = fingerprint_of(user, their_identity);
  if (fp.empty()) { // no key to remember it under: check it every time
    ++certificate_checks_;
    return x3dh::verify(cert, their_identity, user);
  }
  // The signed part names the user and every key: a certificate with
  // another device key is another entry and is verified on its own.
  crypto::sha256_stream h;
  h.update_framed(fp);
  h.update_framed(x3dh::signed_part(cert));
  h.update_framed(cert.signature);
  auto key = h.digest();
  if (verified_certs_.count(key) != 0)
    return caf::none;
  if (auto it = refused_certs_.find(key); it != refused_certs_.end())
    return it->second;
  ++certificate_checks_;
  auto err = x3dh::verify(cert, their_identity, user);
  if (err) {
    if (refused_certs_.size() >= certificate_cache_size)
      refused_certs_.clear();
    refused_certs_.emplace(std::move(key), err);
  } else {
    if (verified_certs_.size() >= certificate_cache_size)
      verified_certs_.clear();
    verified_certs_.insert(std::move(key));
  }
  return err;
}

caf::expected<uint32_t> device::next_id(const char* counter) {
  auto& sql = db_->sql();
  auto get = sql.prepare("SELECT value FROM counters WHERE name = ?1");
  if (!get)
    return get.error();
  get->bind(1, std::string_view{counter});
  int64_t next = 1;
  if (auto r = get->step(); r && *r)
    next = get->int_at(0) + 1;
  if (next > static_cast<int64_t>(UINT32_MAX))
    return make_error(errc::storage_failure, "prekey ids are used up");
  auto put = sql.prepare(
    "INSERT OR REPLACE INTO counters(name, value) VALUES(?1, ?2)");
  if (!put)
    return put.error();
  put->bind(1, std::string_view{counter}).bind(2, next);
  if (auto err = put->run())
    return err;
  return static_cast<uint32_t>(next);
}

bool device::upload_due(std::chrono::milliseconds rotation,
                        int64_t now_ms) const {
  return spk_id_ == 0 || published_spk_ != spk_id_
         || now_ms - spk_created_ms_ >= rotation.count();
}

caf::error device::published(uint32_t spk_id) {
  auto put = db_->sql().prepare(
    "INSERT OR REPLACE INTO counters(name, value) VALUES('published_spk', ?1)");
  if (!put)
    return put.error();
  if (auto err = put->bind(1, int64_t{spk_id}).run())
    return err; // unchanged: the next sign-in publishes again
  published_spk_ = spk_id;
  return caf::none;
}

caf::expected<protocol::prekey_upload>
device::upload(size_t fresh, std::chrono::milliseconds rotation,
               int64_t now_ms) {
  auto& sql = db_->sql();
  auto tx = transaction::begin(sql);
  if (!tx)
    return tx.error();
  auto put = sql.prepare("INSERT INTO prekeys(kind, id, sealed, pub,"
                         " created_ms) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!put)
    return put.error();
  // Makes one prekey, stores its private half sealed.
  auto make = [&](const char* kind) -> caf::expected<x3dh::prekey> {
    auto id = next_id(kind);
    if (!id)
      return id.error();
    auto k = crypto::generate_x25519();
    if (!k)
      return k.error();
    auto priv = crypto::x25519_private_raw(*k);
    auto pub = crypto::x25519_public_raw(*k);
    if (!priv || !pub)
      return make_error(errc::crypto_failure, "prekey");
    auto sealed = vault_.seal(label_of(kind, *id), *priv);
    if (!sealed)
      return sealed.error();
    put->reset();
    put->bind(1, std::string_view{kind})
      .bind(2, int64_t{*id})
      .bind_blob(3, sealed->data(), sealed->size())
      .bind_blob(4, pub->data(), pub->size())
      .bind(5, now_ms);
    if (auto err = put->run())
      return err;
    return x3dh::prekey{*id, std::move(*pub)};
  };
  bool rotate = spk_id_ == 0 || now_ms - spk_created_ms_ >= rotation.count();
  x3dh::prekey spk;
  if (rotate) {
    auto made = make("spk");
    if (!made)
      return made.error();
    // The previous one keeps opening first messages for its grace period.
    auto retire = sql.prepare("UPDATE prekeys SET retired_ms = ?1 WHERE"
                              " kind = 'spk' AND retired_ms IS NULL"
                              " AND id <> ?2");
    if (!retire)
      return retire.error();
    if (auto err = retire->bind(1, now_ms).bind(2, int64_t{made->id}).run())
      return err;
    spk = std::move(*made);
  } else {
    auto get = sql.prepare(
      "SELECT pub FROM prekeys WHERE kind = 'spk' AND id = ?1");
    if (!get)
      return get.error();
    get->bind(1, int64_t{spk_id_});
    auto r = get->step();
    if (!r || !*r)
      return corrupt("signed prekey");
    auto pub = get->blob_at(0);
    spk = x3dh::prekey{spk_id_, crypto::bytes{pub.begin(), pub.end()}};
  }
  auto expired = sql.prepare("DELETE FROM prekeys WHERE kind = 'spk' AND"
                             " retired_ms IS NOT NULL AND retired_ms < ?1");
  if (!expired)
    return expired.error();
  if (auto err = expired->bind(1, now_ms - retired_prekey_grace.count()).run())
    return err;
  protocol::prekey_upload up;
  for (size_t i = 0; i < fresh; ++i) {
    auto made = make("opk");
    if (!made)
      return made.error();
    up.one_time.push_back(std::move(*made));
  }
  auto oldest = sql.prepare("DELETE FROM prekeys WHERE kind = 'opk' AND id"
                            " NOT IN (SELECT id FROM prekeys WHERE kind ="
                            " 'opk' ORDER BY id DESC LIMIT ?1)");
  if (!oldest)
    return oldest.error();
  if (auto err =
        oldest->bind(1, static_cast<int64_t>(max_kept_one_time_prekeys)).run())
    return err;
  auto sig = x3dh::sign_prekey(keys_, cert_, spk);
  if (!sig)
    return sig.error();
  if (auto err = tx->commit())
    return err;
  if (rotate) {
    spk_id_ = spk.id;
    spk_created_ms_ = now_ms;
  }
  up.device = cert_;
  up.signed_prekey = std::move(spk);
  up.prekey_signature = std::move(*sig);
  return up;
}

caf::error device::keep_signed(const protocol::letter& c,
                               const crypto::bytes& sig,
                               const x3dh::device_certificate& cert) {
  auto put = db_->sql().prepare(
    "INSERT OR IGNORE INTO signed_letters(sender, recipient, ts, msg_id,"
    " body, sig, certificate) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!put)
    return put.error();
  put->bind(1, c.from)
    .bind(2, c.to)
    .bind(3, c.ts)
    .bind(4, c.msg_id)
    .bind(5, c.body)
    .bind_blob(6, sig.data(), sig.size())
    .bind(7, json::serialize(protocol::to_json(cert)));
  return put->run();
}

caf::error device::delete_one_time(uint32_t id) {
  auto del = db_->sql().prepare(
    "DELETE FROM prekeys WHERE kind = 'opk' AND id = ?1");
  if (!del)
    return del.error();
  return del->bind(1, int64_t{id}).run();
}

caf::expected<crypto::key> device::prekey_private(const char* kind,
                                                  uint32_t id,
                                                  int64_t now_ms) {
  auto get = db_->sql().prepare("SELECT sealed, retired_ms FROM prekeys"
                                " WHERE kind = ?1 AND id = ?2");
  if (!get)
    return get.error();
  get->bind(1, std::string_view{kind}).bind(2, int64_t{id});
  auto r = get->step();
  if (!r)
    return r.error(); // storage_failure: the router keeps the letter
  if (!*r)
    return make_error(errc::decrypt_failed,
                      std::string{"the "}
                        + (kind == std::string_view{"opk"}
                             ? "one-time prekey this first message names was"
                               " used already or never made"
                             : "signed prekey this first message names is"
                               " unknown or expired"));
  auto retired = get->int_at(1);
  if (retired != 0 && now_ms - retired > retired_prekey_grace.count())
    return make_error(errc::decrypt_failed,
                      "the signed prekey this first message names expired");
  auto plain = vault_.open(label_of(kind, id), get->blob_at(0));
  if (!plain)
    return corrupt("prekey");
  auto k = crypto::x25519_private_from_raw(*plain);
  if (!k)
    return corrupt("prekey");
  return std::move(*k);
}

caf::expected<device::session_entry>
device::load_session(const std::string& peer, int64_t row, uint32_t dev,
                     crypto::byte_view sealed) const {
  // decrypt_failed, not storage_failure: the row stays unusable, so a
  // letter it was to open is dropped (with this sentence), not held.
  auto damaged = [&] {
    return make_error(errc::decrypt_failed,
                      "the stored session with " + peer + " (row "
                        + std::to_string(row)
                        + ") does not open: the client database was changed"
                          " or damaged. It is not used; a new session"
                          " starts with the next first message");
  };
  auto plain = vault_.open(session_label(peer, dev), sealed);
  if (!plain)
    return damaged();
  auto fields = session_fields_of(*plain);
  if (!fields || (*fields)[f_active_ms].size != 8)
    return damaged();
  auto& f = *fields;
  session_entry e;
  e.row = row;
  e.device = dev;
  auto state = ratchet::session::load(f[f_state]);
  if (!state)
    return damaged();
  e.state = std::move(*state);
  e.ad.assign(f[f_ad].data, f[f_ad].data + f[f_ad].size);
  auto text = [](crypto::byte_view v) {
    return std::string_view{reinterpret_cast<const char*>(v.data), v.size};
  };
  json::error_code ec;
  auto cert_json = json::parse(text(f[f_peer_cert]), ec);
  if (ec || !cert_json.is_object())
    return damaged();
  auto cert = protocol::certificate_from_json(cert_json.as_object());
  if (!cert)
    return damaged();
  e.peer = std::move(*cert);
  if (f[f_initiation].size > 0) {
    auto init_json = json::parse(text(f[f_initiation]), ec);
    if (ec || !init_json.is_object())
      return damaged();
    auto init = protocol::initiation_from_json(init_json.as_object());
    if (!init)
      return damaged();
    e.initiation = std::move(*init);
  }
  e.base.assign(f[f_base].data, f[f_base].data + f[f_base].size);
  e.active_ms = from_big_endian(f[f_active_ms]);
  return e;
}

caf::expected<device::entries*> device::sessions_of(const std::string& peer) {
  if (auto it = cache_.find(peer); it != cache_.end())
    return &it->second;
  if (cache_.size() >= max_cached_peers)
    forget_cached();
  auto get = db_->sql().prepare(
    "SELECT id, device, sealed FROM ratchets WHERE peer = ?1");
  if (!get)
    return get.error();
  get->bind(1, peer);
  entries list;
  damaged_.erase(peer);
  auto r = get->step();
  for (; r && *r; r = get->step()) {
    // A row that does not open is left out: its peer's next first message
    // makes a new session, and a letter on it fails with the reason.
    auto e = load_session(peer, get->int_at(0),
                          static_cast<uint32_t>(get->int_at(1)),
                          get->blob_at(2));
    if (!e) {
      damaged_[peer] = e.error();
      continue;
    }
    list.push_back(std::move(*e));
  }
  if (!r)
    return r.error(); // nothing cached: the next letter reads again
  return &(cache_[peer] = std::move(list));
}

caf::error device::save_session(const std::string& peer, session_entry& e) {
  auto& sql = db_->sql();
  auto state = e.state.save();
  if (!state)
    return state.error();
  auto cert = json::serialize(protocol::to_json(e.peer));
  auto init = e.initiation
                ? json::serialize(protocol::to_json(*e.initiation))
                : std::string{};
  auto active = big_endian(e.active_ms);
  auto record = session_record({*state, e.ad, cert, init, e.base,
                                {active.data(), active.size()}});
  auto sealed = vault_.seal(session_label(peer, e.device), record);
  if (!sealed)
    return sealed.error();
  auto stmt = e.row == 0
                ? sql.prepare("INSERT INTO ratchets(peer, device, sealed)"
                              " VALUES(?1, ?2, ?3)")
                : sql.prepare("UPDATE ratchets SET peer = ?1, device = ?2,"
                              " sealed = ?3 WHERE id = ?4");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, peer)
    .bind(2, int64_t{e.device})
    .bind_blob(3, sealed->data(), sealed->size());
  if (e.row != 0)
    stmt->bind(4, e.row);
  if (auto err = stmt->run())
    return err;
  if (e.row == 0)
    e.row = sql.last_insert_id();
  return caf::none;
}

caf::error device::trim_sessions(const std::string& peer, entries& list) {
  // The least recently used sessions beyond the limit go.
  std::sort(list.begin(), list.end(), [](auto& a, auto& b) {
    return a.active_ms > b.active_ms;
  });
  size_t kept = 0;
  auto del = db_->sql().prepare("DELETE FROM ratchets WHERE id = ?1");
  if (!del)
    return del.error();
  for (auto i = list.begin(); i != list.end();) {
    if (++kept <= max_sessions_per_peer) {
      ++i;
      continue;
    }
    del->reset();
    if (auto err = del->bind(1, i->row).run())
      return err;
    i = list.erase(i);
  }
  (void) peer;
  return caf::none;
}

caf::error device::end_sessions(const std::string& peer) {
  cache_.erase(peer);
  damaged_.erase(peer);
  auto del = db_->sql().prepare("DELETE FROM ratchets WHERE peer = ?1");
  if (!del)
    return del.error();
  return del->bind(1, peer).run();
}

bool device::has_session(const std::string& peer) {
  auto list = sessions_of(peer);
  return list && !(*list)->empty();
}

namespace {

// A time after every other session's, so that "the newest" is well
// defined even within one millisecond.
template <class List>
int64_t next_active(const List& list, int64_t now_ms) {
  int64_t t = now_ms;
  for (auto& e : list)
    t = std::max(t, e.active_ms + 1);
  return t;
}

} // namespace

caf::error device::start_session(const std::string& peer,
                                 const x3dh::bundle& theirs,
                                 const crypto::key& their_identity,
                                 int64_t now_ms) {
  auto started = x3dh::initiate(keys_, cert_, theirs, their_identity, peer);
  if (!started)
    return started.error();
  auto& [init, agreed] = *started;
  auto state = ratchet::session::init_alice(agreed.sk,
                                            theirs.signed_prekey.key);
  if (!state)
    return state.error();
  auto found = sessions_of(peer);
  if (!found)
    return found.error();
  auto* list = *found;
  session_entry e;
  e.device = theirs.device.device;
  e.state = std::move(*state);
  e.ad = agreed.ad;
  e.peer = theirs.device;
  e.base = init.ephemeral;
  e.initiation = std::move(init);
  e.active_ms = next_active(*list, now_ms);
  auto tx = transaction::begin(db_->sql());
  if (!tx)
    return tx.error();
  caf::error err = save_session(peer, e);
  if (!err)
    err = note_v3(peer, their_identity);
  if (!err) {
    list->push_back(std::move(e));
    err = trim_sessions(peer, *list);
  }
  if (!err)
    err = tx->commit();
  if (err)
    cache_.erase(peer);
  return err;
}

caf::expected<std::string> device::seal_letter(const protocol::letter& content,
                                               bool sign, int64_t) {
  auto found = sessions_of(content.to);
  if (!found)
    return found.error();
  auto* list = *found;
  if (list->empty())
    return make_error(errc::no_bundle, "no session with " + content.to);
  auto current = std::max_element(list->begin(), list->end(),
                                  [](auto& a, auto& b) {
                                    return a.active_ms < b.active_ms;
                                  });
  auto blob = protocol::seal_ratchet_letter(content, current->state,
                                            current->ad, id(), current->device,
                                            current->initiation,
                                            sign ? &keys_.signing : nullptr);
  if (!blob) {
    cache_.erase(content.to);
    return blob.error();
  }
  // The state is on disk before the blob leaves: its message key is never
  // used twice, whatever happens next.
  if (auto err = save_session(content.to, *current)) {
    cache_.erase(content.to);
    return err;
  }
  return blob;
}

caf::expected<device::session_entry>
device::respond(const std::string& from, uint32_t from_device,
                const x3dh::initiation& init,
                const crypto::key& their_identity, int64_t now_ms) {
  // X3DH section 3.4: the sender's device must be certified by the key
  // pinned for `from`, and the prekeys it names must be ours.
  if (init.sender.device != from_device)
    return make_error(errc::bad_signature,
                      "a first message from another device than it says");
  // One device per user today: a peer that certifies devices at will must
  // not grow this device's sessions without bound.
  if (from_device != first_device_id)
    return make_error(errc::bad_signature,
                      "a first message from a device id no client uses yet");
  if (auto err = check_certificate(init.sender, their_identity, from))
    return err;
  auto spk = prekey_private("spk", init.signed_prekey, now_ms);
  if (!spk)
    return spk.error();
  std::optional<crypto::key> opk;
  if (init.one_time) {
    auto k = prekey_private("opk", *init.one_time, now_ms);
    if (!k)
      return k.error();
    opk = std::move(*k);
  }
  auto agreed = x3dh::respond(keys_, cert_, *spk, opk, init);
  if (!agreed)
    return agreed.error();
  auto state = ratchet::session::init_bob(agreed->sk, *spk);
  if (!state)
    return state.error();
  session_entry e;
  e.device = from_device;
  e.state = std::move(*state);
  e.ad = std::move(agreed->ad);
  e.peer = init.sender;
  e.base = init.ephemeral;
  return e;
}

caf::expected<opened_v3> device::open_letter(const std::string& me,
                                             const std::string& from,
                                             const std::string& blob,
                                             const crypto::key& their_identity,
                                             int64_t accepted_ts,
                                             int64_t now_ms) {
  auto parsed = protocol::parse_ratchet_letter(blob);
  if (!parsed)
    return parsed.error();
  // The same letter again (a redelivery after a lost ack, or a replay):
  // its keys are spent, but its plaintext was kept with the state that
  // spent them. Known by the sender and what the ratchet authenticates, so
  // that a router that re-encodes the JSON or changes the initiation
  // cannot pass it off as new and start a second session with it.
  auto hash = letter_key(from, *parsed);
  if (auto known = db_->opened(hash)) {
    if (known->msg)
      known->msg->to = me;
    return opened_v3{std::move(known->msg), false};
  }
  if (parsed->to_device != id())
    return make_error(errc::bad_encoding, "a letter for another device");
  auto found = sessions_of(from);
  if (!found)
    return found.error();
  auto* list = *found;
  // Which sessions may open it: the one its initiation started, or, for a
  // later message, each of the sender device's sessions, newest first.
  std::vector<session_entry*> tries;
  std::optional<session_entry> fresh;
  auto& init = parsed->initiation;
  for (auto& e : *list)
    if (e.device == parsed->from_device
        && (!init || crypto::equal_ct(e.base, init->ephemeral)))
      tries.push_back(&e);
  std::sort(tries.begin(), tries.end(),
            [](auto* a, auto* b) { return a->active_ms > b->active_ms; });
  if (init && tries.empty()) {
    auto made = respond(from, parsed->from_device, *init, their_identity,
                        now_ms);
    if (!made)
      return made.error();
    fresh = std::move(*made);
    tries.push_back(&*fresh);
  }
  caf::error last = make_error(errc::decrypt_failed,
                               "no session with " + from + " opens it");
  if (auto it = damaged_.find(from); it != damaged_.end() && tries.empty())
    last = it->second; // the session it was meant for, most likely
  for (auto* e : tries) {
    auto opened = protocol::open_ratchet_letter(*parsed, e->state, e->ad,
                                                now_ms);
    if (!opened && code_of(opened.error()) == errc::decrypt_failed) {
      last = opened.error();
      continue; // the state is unchanged: try the next one
    }
    // Authentic: the session moved on, so it is stored whatever the inside
    // says.
    e->active_ms = next_active(*list, now_ms);
    if (!init)
      e->initiation.reset(); // the peer answered: it has the session
    caf::error bad;
    std::optional<inbound_message> msg;
    bool is_signed = false;
    if (!opened) {
      bad = opened.error();
    } else if (opened->content.from != from || opened->content.to != me) {
      bad = make_error(errc::bad_signature,
                       "a letter whose sender or recipient was changed");
    } else if (opened->signature
               && !(is_signed = protocol::verify_ratchet_letter(*opened,
                                                                e->peer))) {
      bad = make_error(errc::bad_signature, "a bad device signature");
    } else {
      auto& c = opened->content;
      msg = inbound_message{c.from, c.to, c.body, c.msg_id, c.ts, accepted_ts,
                            fingerprint_of(from, their_identity), true,
                            is_signed, c.control};
    }
    bool used_one_time = fresh.has_value() && init->one_time.has_value();
    auto tx = transaction::begin(db_->sql());
    if (!tx) {
      cache_.erase(from);
      return tx.error();
    }
    caf::error err = save_session(from, *e);
    if (!err && used_one_time)
      err = delete_one_time(*init->one_time);
    if (!err && msg)
      err = note_v3(from, their_identity);
    if (!err && msg && is_signed)
      err = keep_signed(opened->content, *opened->signature, e->peer);
    if (!err)
      err = db_->record_opened(hash, msg, now_ms);
    if (!err && fresh) {
      // Last: `e` may point into `fresh`, which moves into the list.
      list->push_back(std::move(*fresh));
      err = trim_sessions(from, *list);
    }
    crash_point("before_commit");
    if (!err)
      err = tx->commit();
    if (err) {
      cache_.erase(from);
      return err;
    }
    if (bad)
      return bad;
    return opened_v3{std::move(msg), used_one_time};
  }
  return last;
}

std::vector<caf::expected<std::string>>
device::seal_letters(const std::vector<outgoing_v3>& batch, int64_t now_ms) {
  std::vector<caf::expected<std::string>> out;
  out.reserve(batch.size());
  auto tx = transaction::begin(db_->sql());
  if (!tx) {
    for (size_t i = 0; i < batch.size(); ++i)
      out.emplace_back(tx.error());
    return out;
  }
  for (auto& o : batch)
    out.push_back(seal_letter(o.content, o.sign, now_ms));
  crash_point("seal_batch_commit");
  if (auto err = tx->commit()) {
    // The states in memory ran ahead of the disk: read them again, so the
    // next seal reuses no key that a blob of this batch used (none left).
    forget_cached();
    for (auto& r : out)
      r = err;
  }
  return out;
}

std::vector<caf::expected<opened_v3>>
device::open_letters(const std::string& me,
                     const std::vector<received_v3>& batch, int64_t now_ms) {
  std::vector<caf::expected<opened_v3>> out;
  out.reserve(batch.size());
  auto tx = transaction::begin(db_->sql());
  if (!tx) {
    for (size_t i = 0; i < batch.size(); ++i)
      out.emplace_back(tx.error());
    return out;
  }
  // Each `open_letter` runs in a savepoint of this transaction.
  for (auto& l : batch)
    out.push_back(open_letter(me, l.from, l.blob, l.their_identity,
                              l.accepted_ts, now_ms));
  crash_point("open_batch_commit");
  if (auto err = tx->commit()) {
    // Nothing of the batch is stored, so nothing may be acknowledged (a
    // letter refused as bad too: the router delivers it again).
    forget_cached();
    for (auto& r : out)
      r = err;
  }
  return out;
}

} // namespace courier
