#include "actors/client/client_db.hpp"

#include <algorithm>

#include <sqlite3.h>

#include "actors/common/error.hpp"
#include "crypto/key.hpp"

namespace courier {

namespace {

// The label a history body is sealed under: a body moved to another row,
// conversation or direction does not open there. (Names have no spaces.)
std::string history_label(int64_t id, const std::string& peer, bool outgoing) {
  return "history " + std::to_string(id) + " " + peer
         + (outgoing ? " out" : " in");
}

// The label of an inbox body: the letter's hash, which keys its row.
std::string inbox_label(crypto::byte_view hash) {
  return "inbox " + crypto::to_hex(hash);
}

std::string text_of(const crypto::secret& plain) {
  return std::string{reinterpret_cast<const char*>(plain.data()),
                     plain.size()};
}

caf::error locked() {
  return make_error(errc::internal, "the client database is not unlocked");
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool contains_any_case(const std::string& hay, const std::string& lower) {
  auto it = std::search(hay.begin(), hay.end(), lower.begin(), lower.end(),
                        [](char a, char b) { return ascii_lower(a) == b; });
  return it != hay.end();
}

caf::expected<int64_t> count_of(database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  if (!stmt)
    return stmt.error();
  auto row = stmt->step();
  if (!row)
    return row.error();
  return *row ? stmt->int_at(0) : 0;
}

} // namespace

caf::expected<client_db> client_db::open(const std::string& path) {
  auto db = database::open(
    path,
    "CREATE TABLE IF NOT EXISTS pins(kind TEXT NOT NULL, name TEXT NOT NULL,"
    " key BLOB NOT NULL, verified INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, name));"
    "CREATE TABLE IF NOT EXISTS seen(sender TEXT NOT NULL, msg_id TEXT NOT NULL,"
    " PRIMARY KEY(sender, msg_id));"
    // The body is sealed under the row's id, peer and direction (see
    // `history_label`); the rest is in clear, to find and order rows.
    "CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY,"
    " peer TEXT NOT NULL, outgoing INTEGER NOT NULL, sealed BLOB NOT NULL,"
    " msg_id TEXT NOT NULL, ts INTEGER NOT NULL,"
    " delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS history_by_peer ON history(peer, id);"
    // A delivery notice names the message by its id: without this, each
    // notice read the whole history.
    "CREATE INDEX IF NOT EXISTS history_by_msg_id ON history(msg_id)"
    " WHERE outgoing = 1;"
    // Letters v3 as opened, by the hash of their blob: a redelivered blob
    // no longer opens (its key is spent), so its plaintext waits here
    // until the listener has dealt with it (sealed under its hash; empty
    // once dealt with).
    "CREATE TABLE IF NOT EXISTS inbox(hash BLOB PRIMARY KEY,"
    " sender TEXT NOT NULL, msg_id TEXT NOT NULL, sealed BLOB NOT NULL,"
    " ts INTEGER NOT NULL, accepted_ts INTEGER NOT NULL,"
    " sender_fp TEXT NOT NULL, signed INTEGER NOT NULL,"
    " handled INTEGER NOT NULL, opened_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS inbox_by_message ON inbox(sender, msg_id);");
  if (!db)
    return db.error();
  // Every letter v3 sent or opened writes its session's state, so a sync
  // to the disk for each would cap a client (and the bank's) at a few
  // hundred letters a second. In WAL mode NORMAL loses nothing when the
  // process dies, only the last commits when the machine loses power; the
  // bank's ledger, which holds the money, stays synchronous=FULL.
  if (auto err = db->exec("PRAGMA synchronous=NORMAL"))
    return err;
  // What is deleted or overwritten (a forgotten conversation, text sealed
  // by the migration) is zeroed in the file rather than left in free pages.
  if (auto err = db->exec("PRAGMA secure_delete=ON"))
    return err;
  // Read receipts (added later): databases made before have no column.
  auto has_read = db->scalar("SELECT COUNT(*) FROM pragma_table_info('history')"
                             " WHERE name = 'read'");
  if (!has_read)
    return has_read.error();
  if (*has_read == 0)
    if (auto err = db->exec("ALTER TABLE history ADD COLUMN"
                            " read INTEGER NOT NULL DEFAULT 0"))
      return err;
  // Control letters are marked in their letter (added later): an opened
  // one waiting for the listener must stay one.
  auto has_control = db->scalar("SELECT COUNT(*) FROM"
                                " pragma_table_info('inbox')"
                                " WHERE name = 'control'");
  if (!has_control)
    return has_control.error();
  if (*has_control == 0)
    if (auto err = db->exec("ALTER TABLE inbox ADD COLUMN"
                            " control INTEGER NOT NULL DEFAULT 0"))
      return err;
  // A receipt touches only the unread messages it covers: a peer who
  // sends receipts all day costs a few index rows each, not a scan of
  // the conversation.
  if (auto err = db->exec("CREATE INDEX IF NOT EXISTS history_unread ON"
                          " history(peer, id) WHERE outgoing = 1 AND read = 0"))
    return err;
  client_db result;
  result.db_ = std::move(*db);
  return result;
}

std::optional<std::string> client_db::pinned(const std::string& kind,
                                             const std::string& name) {
  auto stmt = db_.prepare("SELECT key FROM pins WHERE kind = ?1 AND name = ?2");
  if (!stmt)
    return std::nullopt;
  stmt->bind(1, kind).bind(2, name);
  auto row = stmt->step();
  if (!row || !*row)
    return std::nullopt;
  return stmt->blob_at(0);
}

caf::error client_db::pin(const std::string& kind, const std::string& name,
                          const std::string& der) {
  // A new key starts unverified.
  auto stmt = db_.prepare(
    "INSERT OR REPLACE INTO pins(kind, name, key, verified) VALUES(?1, ?2, ?3, 0)");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, kind).bind(2, name).bind_blob(3, der.data(), der.size());
  return stmt->run();
}

bool client_db::seen(const std::string& from, const std::string& msg_id) {
  auto stmt = db_.prepare("SELECT 1 FROM seen WHERE sender = ?1 AND msg_id = ?2");
  if (!stmt)
    return false;
  stmt->bind(1, from).bind(2, msg_id);
  auto row = stmt->step();
  return row && *row;
}

caf::error client_db::record_inbound(const inbound_message& msg,
                                     bool keep_history) {
  return record_inbound(std::vector<inbound_message>{msg}, keep_history);
}

caf::error client_db::record_inbound(const std::vector<inbound_message>& msgs,
                                     bool keep_history) {
  auto tx = transaction::begin(db_);
  if (!tx)
    return tx.error();
  auto seen = db_.prepare("INSERT OR IGNORE INTO seen(sender, msg_id)"
                          " VALUES(?1, ?2)");
  if (!seen)
    return seen.error();
  auto done = db_.prepare("UPDATE inbox SET handled = 1, sealed = X''"
                          " WHERE sender = ?1 AND msg_id = ?2");
  if (!done)
    return done.error();
  for (auto& msg : msgs) {
    if (auto err = seen->bind(1, msg.from).bind(2, msg.msg_id).run())
      return err;
    if (auto err = done->bind(1, msg.from).bind(2, msg.msg_id).run())
      return err;
    // Receipts and typing indicators are no messages: seen (so a
    // repeat is dropped) but never in the history.
    if (!keep_history || msg.control)
      continue;
    if (auto err = insert_history(msg.from, false, msg.body, msg.msg_id,
                                  msg.sent_ts, false))
      return err;
  }
  return tx->commit();
}

std::optional<client_db::opened_letter>
client_db::opened(const crypto::bytes& hash) {
  auto stmt = db_.prepare("SELECT sender, msg_id, sealed, ts, accepted_ts,"
                          " sender_fp, signed, handled, control FROM inbox"
                          " WHERE hash = ?1");
  if (!stmt)
    return std::nullopt;
  stmt->bind_blob(1, hash.data(), hash.size());
  auto row = stmt->step();
  if (!row || !*row)
    return std::nullopt;
  opened_letter out;
  if (stmt->int_at(7) == 0) {
    // A body that does not open (no vault, or moved from another row) is
    // as good as no record: the letter is opened again, or fails to.
    if (!vault_)
      return std::nullopt;
    auto body = vault_->open(inbox_label(hash), stmt->blob_at(2));
    if (!body)
      return std::nullopt;
    out.msg = inbound_message{stmt->text_at(0), {},
                              text_of(*body), stmt->text_at(1),
                              stmt->int_at(3), stmt->int_at(4),
                              stmt->text_at(5), true, stmt->int_at(6) != 0,
                              stmt->int_at(8) != 0};
  }
  return out;
}

caf::error client_db::record_opened(const crypto::bytes& hash,
                                    const std::optional<inbound_message>& msg,
                                    int64_t now_ms) {
  if (!vault_)
    return locked();
  crypto::bytes sealed;
  if (msg) {
    auto s = vault_->seal(inbox_label(hash), msg->body);
    if (!s)
      return s.error();
    sealed = std::move(*s);
  }
  auto stmt = db_.prepare(
    "INSERT OR REPLACE INTO inbox(hash, sender, msg_id, sealed, ts,"
    " accepted_ts, sender_fp, signed, handled, opened_ms, control)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!stmt)
    return stmt.error();
  inbound_message none;
  auto& m = msg ? *msg : none;
  stmt->bind_blob(1, hash.data(), hash.size())
    .bind(2, m.from)
    .bind(3, m.msg_id)
    // (A null pointer would bind NULL, not an empty value.)
    .bind_blob(4, sealed.empty() ? "" : static_cast<const void*>(sealed.data()),
               sealed.size())
    .bind(5, m.sent_ts)
    .bind(6, m.accepted_ts)
    .bind(7, m.sender_fp)
    .bind(8, int64_t{m.signed_by_sender ? 1 : 0})
    .bind(9, int64_t{msg ? 0 : 1})
    .bind(10, now_ms)
    .bind(11, int64_t{m.control ? 1 : 0});
  return stmt->run();
}

caf::error client_db::prune_opened(int64_t before_ms) {
  auto stmt = db_.prepare(
    "DELETE FROM inbox WHERE handled = 1 AND opened_ms < ?1");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, before_ms).run();
}

caf::error client_db::record_outbound(const std::string& to,
                                      const std::string& body,
                                      const std::string& msg_id, int64_t ts,
                                      bool delivered) {
  auto tx = transaction::begin(db_);
  if (!tx)
    return tx.error();
  if (auto err = insert_history(to, true, body, msg_id, ts, delivered))
    return err;
  return tx->commit();
}

caf::error client_db::insert_history(const std::string& peer, bool outgoing,
                                     const std::string& body,
                                     const std::string& msg_id, int64_t ts,
                                     bool delivered) {
  if (!vault_)
    return locked();
  // The id is chosen first, to seal the body under it (the caller's
  // transaction holds the write lock).
  auto id = count_of(db_, "SELECT COALESCE(MAX(id), 0) + 1 FROM history");
  if (!id)
    return id.error();
  auto sealed = vault_->seal(history_label(*id, peer, outgoing), body);
  if (!sealed)
    return sealed.error();
  auto stmt = db_.prepare("INSERT INTO history(id, peer, outgoing, sealed,"
                          " msg_id, ts, delivered)"
                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, *id)
    .bind(2, peer)
    .bind(3, int64_t{outgoing ? 1 : 0})
    .bind_blob(4, sealed->data(), sealed->size())
    .bind(5, msg_id)
    .bind(6, ts)
    .bind(7, int64_t{delivered ? 1 : 0})
    .run();
}

std::optional<std::string>
client_db::open_history(int64_t id, const std::string& peer, bool outgoing,
                        const std::string& sealed) const {
  if (!vault_)
    return std::nullopt;
  auto plain = vault_->open(history_label(id, peer, outgoing), sealed);
  if (!plain)
    return std::nullopt;
  return text_of(*plain);
}

caf::error client_db::seal_clear_text() {
  if (!vault_)
    return locked();
  auto has_body = [this](const char* table) {
    return count_of(db_, std::string{"SELECT COUNT(*) FROM pragma_table_info('"}
                           + table + "') WHERE name = 'body'");
  };
  auto old_history = has_body("history");
  if (!old_history)
    return old_history.error();
  if (*old_history > 0) {
    if (auto err = db_.exec("ALTER TABLE history RENAME COLUMN body TO sealed"))
      return err;
    // Read first, then write: no statement reads the table it updates.
    std::vector<std::pair<int64_t, crypto::bytes>> rows;
    auto get = db_.prepare("SELECT id, peer, outgoing, sealed FROM history");
    if (!get)
      return get.error();
    auto err = get->each_row([&](statement& r) {
      auto id = r.int_at(0);
      auto sealed = vault_->seal(history_label(id, r.text_at(1),
                                               r.int_at(2) != 0),
                                 r.text_at(3));
      if (sealed)
        rows.emplace_back(id, std::move(*sealed));
    });
    if (err)
      return err;
    auto put = db_.prepare("UPDATE history SET sealed = ?1 WHERE id = ?2");
    if (!put)
      return put.error();
    for (auto& [id, sealed] : rows)
      if (auto err = put->bind_blob(1, sealed.data(), sealed.size())
                       .bind(2, id)
                       .run())
        return err;
  }
  auto old_inbox = has_body("inbox");
  if (!old_inbox)
    return old_inbox.error();
  if (*old_inbox > 0) {
    if (auto err = db_.exec("ALTER TABLE inbox RENAME COLUMN body TO sealed;"
                            "UPDATE inbox SET sealed = X'' WHERE handled = 1"))
      return err;
    std::vector<std::pair<std::string, crypto::bytes>> rows;
    auto get = db_.prepare("SELECT hash, sealed FROM inbox WHERE handled = 0");
    if (!get)
      return get.error();
    auto err = get->each_row([&](statement& r) {
      auto hash = r.blob_at(0);
      auto sealed = vault_->seal(inbox_label(hash), r.text_at(1));
      if (sealed)
        rows.emplace_back(std::move(hash), std::move(*sealed));
    });
    if (err)
      return err;
    auto put = db_.prepare("UPDATE inbox SET sealed = ?1 WHERE hash = ?2");
    if (!put)
      return put.error();
    for (auto& [hash, sealed] : rows)
      if (auto err = put->bind_blob(1, sealed.data(), sealed.size())
                       .bind_blob(2, hash.data(), hash.size())
                       .run())
        return err;
  }
  return caf::none;
}

caf::error client_db::mark_delivered(const std::string& msg_id) {
  auto stmt = db_.prepare(
    "UPDATE history SET delivered = 1 WHERE msg_id = ?1 AND outgoing = 1");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, msg_id).run();
}

caf::expected<uint64_t> client_db::mark_read(const std::string& peer,
                                             const std::string& msg_id) {
  // Only messages this user sent to `peer`, up to the one named (before
  // it here, or sent in the same millisecond: the reader may have had
  // those in either order): an id that is unknown, incoming, or of a
  // message to someone else is no row of the subquery, and then nothing
  // matches.
  auto stmt = db_.prepare(
    "UPDATE history SET read = 1, delivered = 1 WHERE peer = ?1"
    " AND outgoing = 1 AND read = 0 AND EXISTS (SELECT 1 FROM history h"
    " WHERE h.peer = ?1 AND h.outgoing = 1 AND h.msg_id = ?2"
    " AND (history.id <= h.id OR history.ts <= h.ts))");
  if (!stmt)
    return stmt.error();
  if (auto err = stmt->bind(1, peer).bind(2, msg_id).run())
    return err;
  return static_cast<uint64_t>(sqlite3_changes(db_.get()));
}

std::vector<history_entry> client_db::history(const std::string& peer,
                                              uint32_t limit) {
  std::vector<history_entry> out;
  auto stmt = db_.prepare(
    "SELECT id, outgoing, sealed, msg_id, ts, delivered, read FROM"
    " (SELECT * FROM history WHERE peer = ?1 ORDER BY id DESC LIMIT ?2)"
    " ORDER BY id ASC");
  if (!stmt)
    return out;
  stmt->bind(1, peer).bind(2, static_cast<int64_t>(limit));
  for (auto row = stmt->step(); row && *row; row = stmt->step()) {
    bool outgoing = stmt->int_at(1) != 0;
    // A row that does not open (damaged, or moved here) is left out.
    auto body = open_history(stmt->int_at(0), peer, outgoing,
                             stmt->blob_at(2));
    if (!body)
      continue;
    out.push_back({peer, outgoing, std::move(*body), stmt->text_at(3),
                   stmt->int_at(4), stmt->int_at(5) != 0,
                   stmt->int_at(6) != 0});
  }
  return out;
}

std::vector<contact_key> client_db::contacts() {
  std::vector<contact_key> out;
  auto stmt = db_.prepare(
    "SELECT name, key, verified FROM pins WHERE kind = 'user'"
    " UNION SELECT DISTINCT peer, NULL, 0 FROM history"
    " WHERE peer NOT IN (SELECT name FROM pins WHERE kind = 'user')"
    " ORDER BY 1");
  if (!stmt)
    return out;
  for (auto row = stmt->step(); row && *row; row = stmt->step()) {
    auto der = stmt->blob_at(1);
    out.push_back({stmt->text_at(0),
                   der.empty() ? std::string{} : crypto::fingerprint_of_der(der),
                   false, stmt->int_at(2) != 0});
  }
  return out;
}

bool client_db::set_verified(const std::string& user, bool verified) {
  auto stmt = db_.prepare(
    "UPDATE pins SET verified = ?1 WHERE kind = 'user' AND name = ?2");
  if (!stmt)
    return false;
  if (stmt->bind(1, int64_t{verified ? 1 : 0}).bind(2, user).run())
    return false;
  return sqlite3_changes(db_.get()) > 0;
}

bool client_db::verified(const std::string& user) {
  auto stmt = db_.prepare(
    "SELECT verified FROM pins WHERE kind = 'user' AND name = ?1");
  if (!stmt)
    return false;
  stmt->bind(1, user);
  auto row = stmt->step();
  return row && *row && stmt->int_at(0) != 0;
}

caf::expected<uint64_t> client_db::forget(const std::string& peer) {
  auto stmt = db_.prepare("DELETE FROM history WHERE peer = ?1");
  if (!stmt)
    return stmt.error();
  if (auto err = stmt->bind(1, peer).run())
    return err;
  return static_cast<uint64_t>(sqlite3_changes(db_.get()));
}

std::vector<history_entry> client_db::search(const std::string& peer,
                                             const std::string& text,
                                             uint32_t limit) {
  std::vector<history_entry> out;
  if (text.empty() || text.size() > max_search_text || limit == 0)
    return out;
  // The bodies are sealed: SQL picks the newest rows of each conversation
  // (bounded), and they are opened and matched here.
  auto stmt = db_.prepare(
    "SELECT id, peer, outgoing, sealed, msg_id, ts, delivered, read FROM"
    " (SELECT *, ROW_NUMBER() OVER (PARTITION BY peer ORDER BY id DESC)"
    " AS nth FROM history WHERE (?1 = '' OR peer = ?1))"
    " WHERE nth <= ?2 ORDER BY id DESC LIMIT ?3");
  if (!stmt)
    return out;
  stmt->bind(1, peer)
    .bind(2, int64_t{max_search_rows_per_peer})
    .bind(3, int64_t{max_search_rows});
  std::string lower;
  for (char c : text)
    lower += ascii_lower(c);
  auto wanted = std::min<uint32_t>(limit, 200);
  for (auto row = stmt->step(); row && *row && out.size() < wanted;
       row = stmt->step()) {
    auto who = stmt->text_at(1);
    bool outgoing = stmt->int_at(2) != 0;
    auto body = open_history(stmt->int_at(0), who, outgoing, stmt->blob_at(3));
    if (!body || !contains_any_case(*body, lower))
      continue;
    out.push_back({std::move(who), outgoing, std::move(*body),
                   stmt->text_at(4), stmt->int_at(5), stmt->int_at(6) != 0,
                   stmt->int_at(7) != 0});
  }
  return out;
}

} // namespace courier
