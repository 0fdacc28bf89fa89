#include "actors/client/client_db.hpp"

#include <algorithm>

#include <sqlite3.h>

#include "actors/client/control_letter.hpp"
#include "crypto/key.hpp"

namespace courier {

caf::expected<client_db> client_db::open(const std::string& path) {
  auto db = database::open(
    path,
    "CREATE TABLE IF NOT EXISTS pins(kind TEXT NOT NULL, name TEXT NOT NULL,"
    " key BLOB NOT NULL, verified INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, name));"
    "CREATE TABLE IF NOT EXISTS seen(sender TEXT NOT NULL, msg_id TEXT NOT NULL,"
    " PRIMARY KEY(sender, msg_id));"
    "CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY,"
    " peer TEXT NOT NULL, outgoing INTEGER NOT NULL, body TEXT NOT NULL,"
    " msg_id TEXT NOT NULL, ts INTEGER NOT NULL,"
    " delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS history_by_peer ON history(peer, id);"
    // A delivery notice names the message by its id: without this, each
    // notice read the whole history.
    "CREATE INDEX IF NOT EXISTS history_by_msg_id ON history(msg_id)"
    " WHERE outgoing = 1;"
    // Letters v3 as opened, by the hash of their blob: a redelivered blob
    // no longer opens (its key is spent), so its plaintext waits here
    // until the listener has dealt with it.
    "CREATE TABLE IF NOT EXISTS inbox(hash BLOB PRIMARY KEY,"
    " sender TEXT NOT NULL, msg_id TEXT NOT NULL, body TEXT NOT NULL,"
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
  // Read receipts (added later): databases made before have no column.
  bool has_read = false;
  {
    auto cols = db->prepare("SELECT 1 FROM pragma_table_info('history')"
                            " WHERE name = 'read'");
    if (!cols)
      return cols.error();
    auto row = cols->step();
    has_read = row && *row;
  }
  if (!has_read)
    if (auto err = db->exec("ALTER TABLE history ADD COLUMN"
                            " read INTEGER NOT NULL DEFAULT 0"))
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
  auto done = db_.prepare("UPDATE inbox SET handled = 1, body = ''"
                          " WHERE sender = ?1 AND msg_id = ?2");
  if (!done)
    return done.error();
  auto hist = db_.prepare("INSERT INTO history(peer, outgoing, body,"
                          " msg_id, ts) VALUES(?1, 0, ?2, ?3, ?4)");
  if (!hist)
    return hist.error();
  for (auto& msg : msgs) {
    if (auto err = seen->bind(1, msg.from).bind(2, msg.msg_id).run())
      return err;
    if (auto err = done->bind(1, msg.from).bind(2, msg.msg_id).run())
      return err;
    // Receipts and typing indicators are no messages: seen (so a
    // repeat is dropped) but never in the history.
    if (!keep_history || is_control_letter(msg.body))
      continue;
    if (auto err = hist->bind(1, msg.from)
                     .bind(2, msg.body)
                     .bind(3, msg.msg_id)
                     .bind(4, msg.sent_ts)
                     .run())
      return err;
  }
  return tx->commit();
}

std::optional<client_db::opened_letter>
client_db::opened(const crypto::bytes& hash) {
  auto stmt = db_.prepare("SELECT sender, msg_id, body, ts, accepted_ts,"
                          " sender_fp, signed, handled FROM inbox"
                          " WHERE hash = ?1");
  if (!stmt)
    return std::nullopt;
  stmt->bind_blob(1, hash.data(), hash.size());
  auto row = stmt->step();
  if (!row || !*row)
    return std::nullopt;
  opened_letter out;
  if (stmt->int_at(7) == 0)
    out.msg = inbound_message{stmt->text_at(0), {},
                              stmt->text_at(2), stmt->text_at(1),
                              stmt->int_at(3), stmt->int_at(4),
                              stmt->text_at(5), true, stmt->int_at(6) != 0};
  return out;
}

caf::error client_db::record_opened(const crypto::bytes& hash,
                                    const std::optional<inbound_message>& msg,
                                    int64_t now_ms) {
  auto stmt = db_.prepare(
    "INSERT OR REPLACE INTO inbox(hash, sender, msg_id, body, ts,"
    " accepted_ts, sender_fp, signed, handled, opened_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!stmt)
    return stmt.error();
  inbound_message none;
  auto& m = msg ? *msg : none;
  stmt->bind_blob(1, hash.data(), hash.size())
    .bind(2, m.from)
    .bind(3, m.msg_id)
    .bind(4, m.body)
    .bind(5, m.sent_ts)
    .bind(6, m.accepted_ts)
    .bind(7, m.sender_fp)
    .bind(8, int64_t{m.signed_by_sender ? 1 : 0})
    .bind(9, int64_t{msg ? 0 : 1})
    .bind(10, now_ms);
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
  auto stmt = db_.prepare("INSERT INTO history(peer, outgoing, body, msg_id,"
                          " ts, delivered) VALUES(?1, 1, ?2, ?3, ?4, ?5)");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, to)
    .bind(2, body)
    .bind(3, msg_id)
    .bind(4, ts)
    .bind(5, delivered ? 1 : 0)
    .run();
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
  // Only messages this user sent to `peer`, up to the one named: an id
  // that is unknown, incoming, or of a message to someone else is no row
  // of the subquery, and then nothing matches.
  auto stmt = db_.prepare(
    "UPDATE history SET read = 1, delivered = 1 WHERE peer = ?1"
    " AND outgoing = 1 AND read = 0 AND id <= (SELECT id FROM history"
    " WHERE peer = ?1 AND outgoing = 1 AND msg_id = ?2)");
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
    "SELECT peer, outgoing, body, msg_id, ts, delivered, read FROM"
    " (SELECT * FROM history WHERE peer = ?1 ORDER BY id DESC LIMIT ?2)"
    " ORDER BY id ASC");
  if (!stmt)
    return out;
  stmt->bind(1, peer).bind(2, static_cast<int64_t>(limit));
  for (auto row = stmt->step(); row && *row; row = stmt->step())
    out.push_back({stmt->text_at(0), stmt->int_at(1) != 0, stmt->text_at(2),
                   stmt->text_at(3), stmt->int_at(4), stmt->int_at(5) != 0,
                   stmt->int_at(6) != 0});
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
  // LIKE's wildcards in what the user typed are literal characters.
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\')
      pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  auto stmt = db_.prepare(
    "SELECT peer, outgoing, body, msg_id, ts, delivered, read FROM history"
    " WHERE (?1 = '' OR peer = ?1) AND body LIKE ?2 ESCAPE '\\'"
    " ORDER BY id DESC LIMIT ?3");
  if (!stmt)
    return out;
  stmt->bind(1, peer).bind(2, pattern).bind(
    3, static_cast<int64_t>(std::min<uint32_t>(limit, 200)));
  for (auto row = stmt->step(); row && *row; row = stmt->step())
    out.push_back({stmt->text_at(0), stmt->int_at(1) != 0, stmt->text_at(2),
                   stmt->text_at(3), stmt->int_at(4), stmt->int_at(5) != 0,
                   stmt->int_at(6) != 0});
  return out;
}

} // namespace courier
