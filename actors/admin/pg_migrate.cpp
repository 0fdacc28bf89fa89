#include "actors/admin/pg_migrate.hpp"

#include <filesystem>
#include <set>

#include <pqxx/pqxx>

#include "actors/admin/admin_ops.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/postgres/pg_link.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::admin {

namespace {

// Any constant (a key apart from the routers' schema lock): two
// migrations into one store take turns.
constexpr int64_t migrate_lock = 0x636f757269657232; // "courier2"

// Conflicting names listed in the refusal; the rest are counted.
constexpr size_t names_listed = 20;

pqxx::binarystring bytea(const std::string& s) {
  return pqxx::binarystring{s.data(), s.size()};
}

// What names the folder in the store's audit: its router's key
// fingerprint, which stays the same wherever the folder is mounted (the
// folder's path for a folder without a key).
std::string folder_id(const std::string& data) {
  auto pem = read_file(data + "/router_key.pem");
  if (pem) {
    auto k = crypto::private_key_from_pem(*pem, "");
    if (k) {
      if (auto der = k->public_der())
        return "router " + crypto::fingerprint_of_der(*der);
    }
  }
  std::error_code ec;
  auto abs = std::filesystem::weakly_canonical(data, ec);
  return "folder " + (ec ? data : abs.string());
}

std::string conflict_sentence(const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < names_listed; ++i)
    list += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > names_listed)
    list += " and " + std::to_string(names.size() - names_listed) + " more";
  return std::to_string(names.size())
         + (names.size() == 1 ? " name is" : " names are")
         + " bound to another key in the PostgreSQL store than in this "
           "folder: "
         + list
         + "; nothing was copied. Settle each (courier-node admin --store "
           "... rebind NAME, or ask the user which key is theirs), then run "
           "migrate again";
}

// Copies every row in one transaction of `tx`; fills `rep`.
caf::error copy(pqxx::work& tx, database& dir, database* queue,
                const std::string& marker, const std::string& by,
                migrate_report& rep) {
  // Names first: any conflict stops the migration before a row is written
  // (the transaction is not committed).
  std::set<std::string> fresh;
  std::vector<std::string> conflicts;
  auto users = dir.prepare("SELECT name, key, created FROM users"
                           " ORDER BY name");
  if (!users)
    return std::move(users.error());
  auto err = users->each_row([&](statement& r) {
    auto name = r.text_at(0);
    auto key = r.blob_at(1);
    auto ins = tx.exec_params("INSERT INTO users(name, key, created)"
                              " VALUES($1, $2, $3)"
                              " ON CONFLICT (name) DO NOTHING RETURNING 1",
                              name, bytea(key), r.int_at(2));
    if (!ins.empty()) {
      fresh.insert(name);
      ++rep.users;
      return;
    }
    auto old = tx.exec_params("SELECT key FROM users WHERE name = $1", name);
    auto old_key = old.empty() ? std::string{}
                               : pqxx::binarystring{old[0][0]}.str();
    if (crypto::equal_ct(crypto::bytes{old_key.begin(), old_key.end()},
                         crypto::bytes{key.begin(), key.end()}))
      ++rep.users_present;
    else
      conflicts.push_back(name);
  });
  if (err)
    return err;
  if (!conflicts.empty())
    return make_error(errc::store_conflict, conflict_sentence(conflicts));
  // Devices and prekeys of the names bound now; a name the store had may
  // have published there since, and its own are the newer.
  auto devices = dir.prepare("SELECT user, device, cert, spk_id, spk_key,"
                             " spk_sig, updated FROM devices");
  if (!devices)
    return std::move(devices.error());
  err = devices->each_row([&](statement& r) {
    if (fresh.count(r.text_at(0)) == 0)
      return;
    tx.exec_params("INSERT INTO devices(username, device, cert, spk_id,"
                   " spk_key, spk_sig, updated)"
                   " VALUES($1, $2, $3, $4, $5, $6, $7)"
                   " ON CONFLICT (username, device) DO NOTHING",
                   r.text_at(0), r.int_at(1), r.text_at(2), r.int_at(3),
                   bytea(r.blob_at(4)), bytea(r.blob_at(5)), r.int_at(6));
    ++rep.devices;
  });
  if (err)
    return err;
  auto prekeys = dir.prepare("SELECT user, device, id, key"
                             " FROM one_time_prekeys");
  if (!prekeys)
    return std::move(prekeys.error());
  err = prekeys->each_row([&](statement& r) {
    if (fresh.count(r.text_at(0)) == 0)
      return;
    tx.exec_params("INSERT INTO one_time_prekeys(username, device, id, key)"
                   " VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                   r.text_at(0), r.int_at(1), r.int_at(2),
                   bytea(r.blob_at(3)));
    ++rep.prekeys;
  });
  if (err)
    return err;
  auto blocked = dir.prepare("SELECT name, at, done_by FROM blocked");
  if (!blocked)
    return std::move(blocked.error());
  err = blocked->each_row([&](statement& r) {
    auto ins = tx.exec_params("INSERT INTO blocked(name, at, done_by)"
                              " VALUES($1, $2, $3)"
                              " ON CONFLICT (name) DO NOTHING RETURNING 1",
                              r.text_at(0), r.int_at(1), r.text_at(2));
    rep.blocked += ins.size();
  });
  if (err)
    return err;
  auto audit = dir.prepare("SELECT at, done_by, action, name, detail"
                           " FROM admin_audit ORDER BY id");
  if (!audit)
    return std::move(audit.error());
  err = audit->each_row([&](statement& r) {
    tx.exec_params("INSERT INTO admin_audit(at, done_by, action, name,"
                   " detail) VALUES($1, $2, $3, $4, $5)",
                   r.int_at(0), r.text_at(1), r.text_at(2), r.text_at(3),
                   r.text_at(4));
    ++rep.audit;
  });
  if (err)
    return err;
  // Messages, each recipient's in the order they were queued, numbered as
  // the store numbers what routers write (under the recipient's lock,
  // taken in name order like theirs) and announced at commit.
  if (queue != nullptr) {
    auto msgs = queue->prepare("SELECT recipient, sender, blob, ts FROM queue"
                               " ORDER BY recipient, seq");
    if (!msgs)
      return std::move(msgs.error());
    std::string locked;
    err = msgs->each_row([&](statement& r) {
      auto to = r.text_at(0);
      if (to != locked) {
        tx.exec_params("SELECT pg_advisory_xact_lock($1)",
                       pg_queue_lock_key(to));
        locked = to;
      }
      tx.exec_params("INSERT INTO queue(recipient, seq, sender, blob, ts)"
                     " SELECT $1::text, nextval('queue_seq') + $5::bigint,"
                     " $2::text, $3::bytea, $4::bigint"
                     " FROM pg_notify('"
                       + std::string{pg_queue_channel} + "', $1::text)",
                     to, r.text_at(1), bytea(r.blob_at(2)), r.int_at(3),
                     static_cast<int64_t>(shared_seq_base));
      ++rep.messages;
    });
    if (err)
      return err;
  }
  auto detail = marker + ": " + std::to_string(rep.users) + " names ("
                + std::to_string(rep.users_present) + " there already), "
                + std::to_string(rep.devices) + " devices, "
                + std::to_string(rep.prekeys) + " one-time prekeys, "
                + std::to_string(rep.messages) + " queued messages, "
                + std::to_string(rep.blocked) + " blocked names, "
                + std::to_string(rep.audit) + " audit rows";
  tx.exec_params("INSERT INTO admin_audit(at, done_by, action, name, detail)"
                 " VALUES($1, $2, 'migrate', '', $3)",
                 now_ms() / 1000, by, detail);
  return caf::none;
}

} // namespace

caf::expected<migrate_report> migrate_to_postgresql(const std::string& data,
                                                    const std::string& store,
                                                    const std::string& by) {
  auto folder = router_folder::open(data, true);
  if (!folder)
    return folder.error();
  if (auto err = open_postgresql_store(store))
    return err;
  // The audit row that records a migration begins with this: a second run
  // finds it and changes nothing (the messages delivered since must not
  // come again).
  auto marker = "from " + folder_id(data);
  migrate_report rep;
  pg_link link{store, pg_store_role};
  auto err = link.run([&](pqxx::connection& c) -> caf::error {
    pqxx::work tx{c};
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", migrate_lock);
    auto before = tx.exec_params("SELECT at, done_by FROM admin_audit"
                                 " WHERE action = 'migrate'"
                                 " AND starts_with(detail, $1)"
                                 " ORDER BY id LIMIT 1",
                                 marker + ":");
    if (!before.empty()) {
      rep.done_before = iso_time(before[0][0].as<int64_t>()) + " by "
                        + before[0][1].as<std::string>();
      return caf::none; // nothing written: the transaction is rolled back
    }
    if (auto err = copy(tx, *(*folder)->directory, (*folder)->queue.get(),
                        marker, by, rep))
      return err;
    tx.commit();
    return caf::none;
  });
  // PostgreSQL's own words went to the log (pg_link).
  if (code_of(err) == errc::storage_failure && err.context().empty())
    return make_error(errc::storage_failure,
                      "PostgreSQL refused the migration (the log says why), "
                      "so nothing was copied");
  if (err)
    return err;
  return rep;
}

} // namespace courier::admin
