#include "actors/client_db.hpp"

namespace courier {

caf::expected<client_db> client_db::open(const std::string& path) {
  auto db = database::open(path);
  if (!db)
    return db.error();
  auto err = db->exec(
    "CREATE TABLE IF NOT EXISTS pins(kind TEXT NOT NULL, name TEXT NOT NULL,"
    " key BLOB NOT NULL, PRIMARY KEY(kind, name));"
    "CREATE TABLE IF NOT EXISTS seen(sender TEXT NOT NULL, msg_id TEXT NOT NULL,"
    " PRIMARY KEY(sender, msg_id));"
    "CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY,"
    " peer TEXT NOT NULL, outgoing INTEGER NOT NULL, body TEXT NOT NULL,"
    " msg_id TEXT NOT NULL, ts INTEGER NOT NULL);");
  if (err)
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
  auto stmt = db_.prepare(
    "INSERT OR REPLACE INTO pins(kind, name, key) VALUES(?1, ?2, ?3)");
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

caf::error client_db::record_inbound(const inbound_message& msg) {
  if (auto err = db_.exec("BEGIN IMMEDIATE"))
    return err;
  auto seen = db_.prepare("INSERT OR IGNORE INTO seen(sender, msg_id)"
                          " VALUES(?1, ?2)");
  auto hist = db_.prepare("INSERT INTO history(peer, outgoing, body, msg_id, ts)"
                          " VALUES(?1, 0, ?2, ?3, ?4)");
  caf::error err;
  if (!seen)
    err = seen.error();
  else if (!hist)
    err = hist.error();
  else if (!(err = seen->bind(1, msg.from).bind(2, msg.msg_id).run()))
    err = hist->bind(1, msg.from)
            .bind(2, msg.body)
            .bind(3, msg.msg_id)
            .bind(4, msg.sent_ts)
            .run();
  if (err) {
    db_.exec("ROLLBACK");
    return err;
  }
  return db_.exec("COMMIT");
}

caf::error client_db::record_outbound(const std::string& to,
                                      const std::string& body,
                                      const std::string& msg_id, int64_t ts) {
  auto stmt = db_.prepare("INSERT INTO history(peer, outgoing, body, msg_id, ts)"
                          " VALUES(?1, 1, ?2, ?3, ?4)");
  if (!stmt)
    return stmt.error();
  return stmt->bind(1, to).bind(2, body).bind(3, msg_id).bind(4, ts).run();
}

} // namespace courier
