#include "actors/server/cluster/migrate.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/server/cluster/membership.hpp"
#include "actors/server/cluster/peer_link.hpp"
#include "actors/server/cluster/rendezvous.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/store.hpp"

namespace courier::cluster {

namespace {

/// One router's folder during the migration.
struct folder {
  std::string name;
  std::string dir;
  int lock = -1;
  std::shared_ptr<database> users;
  std::shared_ptr<database> queue;
};

struct user_row {
  std::string name;
  std::string key;
  int64_t created = 0;
};

struct locks {
  std::vector<folder>* folders;
  ~locks() {
    for (auto& f : *folders)
      unlock_data_dir(f.lock);
  }
};

caf::error refuse(const std::string& sentence) {
  return make_error(errc::membership_changed, sentence);
}

caf::error failed(const folder& f, const std::string& what,
                  const database& db) {
  return make_error(errc::storage_failure, what + " in " + f.dir + ": "
                                             + db.message());
}

// Runs `body` in one write transaction of `db`; rolls back on an error.
template <class F>
caf::error in_transaction(const folder& f, database& db, F body) {
  if (db.exec("BEGIN IMMEDIATE"))
    return failed(f, "cannot start a transaction", db);
  if (auto err = body()) {
    db.exec("ROLLBACK");
    return err;
  }
  if (db.exec("COMMIT")) {
    db.exec("ROLLBACK");
    return failed(f, "cannot commit", db);
  }
  return caf::none;
}

// Runs `sql` (?1 = each of `keys`) in one transaction of `db`.
template <class Keys>
caf::error delete_each(const folder& f, database& db, const char* sql,
                       const Keys& keys) {
  return in_transaction(f, db, [&]() -> caf::error {
    auto del = db.prepare(sql);
    if (!del)
      return del.error();
    for (auto& k : keys) {
      del->bind(1, k);
      if (auto err = del->run())
        return err;
      del->reset();
    }
    return caf::none;
  });
}

caf::expected<std::vector<user_row>> users_of(const folder& f) {
  std::vector<user_row> rows;
  auto stmt = f.users->prepare("SELECT name, key, created FROM users");
  if (!stmt)
    return stmt.error();
  for (;;) {
    auto row = stmt->step();
    if (!row)
      return row.error();
    if (!*row)
      break;
    rows.push_back({stmt->text_at(0), stmt->blob_at(1), stmt->int_at(2)});
  }
  return rows;
}

/// The key `name` has in `f`'s directory, or "" if none.
caf::expected<std::string> key_in(const folder& f, const std::string& name) {
  auto stmt = f.users->prepare("SELECT key FROM users WHERE name = ?1");
  if (!stmt)
    return stmt.error();
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row)
    return row.error();
  return *row ? stmt->blob_at(0) : std::string{};
}

// Checks the folders' records: each must be its router's, for `m.from`,
// or already on its way to (or at) `m.to`. New routers' folders may have
// no record if they hold no data.
caf::error check_records(const migration& m, std::vector<folder>& folders) {
  auto from = normalized(m.from);
  auto to = normalized(m.to);
  for (auto& f : folders) {
    auto rec = read_membership(f.dir);
    if (!rec)
      return rec.error();
    if (!*rec) {
      if (std::find(from.begin(), from.end(), f.name) != from.end())
        return refuse(f.dir + " has no record of its cluster: start router "
                      + f.name + " once with its current options, stop it, "
                                  "and migrate then");
      continue; // a new router's folder
    }
    auto& r = **rec;
    bool ours = r.self == f.name
                && ((r.routers == from
                     && (r.migrating_to.empty() || r.migrating_to == to))
                    || (r.routers == to && r.migrating_to.empty()));
    if (!ours)
      return refuse(f.dir + " belongs to router " + r.self + " of the routers "
                    + listed(r.routers)
                    + (r.migrating_to.empty()
                         ? ""
                         : " migrating to " + listed(r.migrating_to))
                    + ", not to router " + f.name + " of " + listed(from)
                    + "; check --from and the --data folders");
  }
  return caf::none;
}

caf::error mark_all(std::vector<folder>& folders, const migration& m,
                    bool done) {
  for (auto& f : folders) {
    membership rec{f.name, done ? normalized(m.to) : normalized(m.from),
                   done ? std::vector<std::string>{} : normalized(m.to)};
    if (!done) {
      // A folder that already records the new set stays as it is.
      auto cur = read_membership(f.dir);
      if (cur && *cur && (*cur)->routers == normalized(m.to))
        continue;
    }
    if (auto err = write_membership(f.dir, rec))
      return err;
  }
  return caf::none;
}

} // namespace

caf::expected<migration_report> migrate(const migration& m) {
  auto from = normalized(m.from);
  auto to = normalized(m.to);
  if (from.size() != m.from.size() || to.size() != m.to.size() || from.empty()
      || to.empty())
    return refuse("--from and --to each list every router of a set once");
  std::set<std::string> all{from.begin(), from.end()};
  all.insert(to.begin(), to.end());
  for (auto& n : all)
    if (!valid_router_name(n))
      return refuse("a router name is 1-32 of A-Z a-z 0-9 _ . -, not '" + n
                    + "'");
  std::vector<folder> folders;
  std::set<std::string> dirs;
  for (auto& n : all) {
    auto it = m.folders.find(n);
    if (it == m.folders.end())
      return refuse("no data folder for router " + n + ": give --data " + n
                    + "=DIR for every router of both sets");
    auto canonical = std::filesystem::weakly_canonical(it->second).string();
    if (!dirs.insert(canonical).second)
      return refuse(it->second + " is given for two routers");
    folder f;
    f.name = n;
    f.dir = it->second;
    folders.push_back(std::move(f));
  }
  for (auto& [n, dir] : m.folders)
    if (all.count(n) == 0)
      return refuse("router " + n + " (--data " + n + "=" + dir
                    + ") is in neither --from nor --to");
  locks held{&folders};
  for (auto& f : folders) {
    bool is_new = std::find(from.begin(), from.end(), f.name) == from.end();
    if (!is_new && !std::filesystem::is_directory(f.dir))
      return refuse("router " + f.name + "'s data folder " + f.dir
                    + " does not exist");
    if (auto err = make_private_dir(f.dir))
      return err;
    auto lock = lock_data_dir(f.dir);
    if (!lock)
      return lock.error();
    f.lock = *lock;
  }
  if (auto err = check_records(m, folders))
    return err;
  for (auto& f : folders) {
    auto users = open_directory_db(f.dir + "/directory.db");
    if (!users)
      return users.error();
    auto queue = open_store_db(f.dir + "/queue.db");
    if (!queue)
      return queue.error();
    f.users = *users;
    f.queue = *queue;
  }
  auto index_of = [&](const std::string& user) -> size_t {
    auto& home = to[home_index(to, user)];
    for (size_t i = 0; i < folders.size(); ++i)
      if (folders[i].name == home)
        return i;
    return 0; // unreachable: every router of `to` has a folder
  };
  // Directory rows that move, by their new home; a name bound to two
  // different keys stops everything before anything is written.
  std::vector<std::vector<user_row>> incoming(folders.size());
  for (size_t i = 0; i < folders.size(); ++i) {
    auto rows = users_of(folders[i]);
    if (!rows)
      return rows.error();
    for (auto& row : *rows) {
      auto home = index_of(row.name);
      if (home == i)
        continue;
      auto there = key_in(folders[home], row.name);
      if (!there)
        return there.error();
      if (!there->empty() && *there != row.key)
        return refuse("the name '" + row.name + "' is registered with one key "
                      "in " + folders[i].dir + " and another in "
                      + folders[home].dir + "; nothing was changed. Delete "
                      "the wrong entry from its directory.db and run the "
                      "migration again");
      incoming[home].push_back(std::move(row));
    }
  }
  if (auto err = mark_all(folders, m, false))
    return err;
  migration_report report;
  // Copy: each new home takes its rows in one transaction.
  for (size_t t = 0; t < folders.size(); ++t) {
    auto& dst = folders[t];
    auto err = in_transaction(dst, *dst.users, [&]() -> caf::error {
      auto ins = dst.users->prepare(
        "INSERT OR IGNORE INTO users(name, key, created) VALUES(?1, ?2, ?3)");
      if (!ins)
        return ins.error();
      for (auto& row : incoming[t]) {
        ins->bind(1, row.name).bind_blob(2, row.key.data(), row.key.size());
        ins->bind(3, row.created);
        if (auto err = ins->run())
          return err;
        ins->reset();
        ++report.users;
      }
      return caf::none;
    });
    if (err)
      return err;
    err = in_transaction(dst, *dst.queue, [&]() -> caf::error {
      auto seen = dst.queue->prepare(
        "SELECT 1 FROM queue WHERE recipient = ?1 AND sender = ?2"
        " AND ts = ?3 AND blob = ?4");
      auto ins = dst.queue->prepare(
        "INSERT INTO queue(recipient, sender, blob, ts) VALUES(?1, ?2, ?3, ?4)");
      if (!seen)
        return seen.error();
      if (!ins)
        return ins.error();
      for (size_t s = 0; s < folders.size(); ++s) {
        if (s == t)
          continue;
        // In seq order, so each recipient's messages keep their order.
        auto rows = folders[s].queue->prepare(
          "SELECT recipient, sender, blob, ts FROM queue ORDER BY seq");
        if (!rows)
          return rows.error();
        for (;;) {
          auto row = rows->step();
          if (!row)
            return row.error();
          if (!*row)
            break;
          auto to_user = rows->text_at(0);
          if (index_of(to_user) != t)
            continue;
          auto sender = rows->text_at(1);
          auto blob = rows->blob_at(2);
          auto ts = rows->int_at(3);
          seen->bind(1, to_user).bind(2, sender).bind(3, ts);
          seen->bind_blob(4, blob.data(), blob.size());
          auto dup = seen->step();
          if (!dup)
            return dup.error();
          seen->reset();
          if (*dup)
            continue; // copied by an earlier, interrupted run
          ins->bind(1, to_user).bind(2, sender);
          ins->bind_blob(3, blob.data(), blob.size()).bind(4, ts);
          if (auto err = ins->run())
            return err;
          ins->reset();
          ++report.messages;
        }
      }
      return caf::none;
    });
    if (err)
      return err;
  }
  // Every copy is committed: each old home lets go of what left it.
  for (size_t s = 0; s < folders.size(); ++s) {
    auto& src = folders[s];
    std::vector<std::string> gone_users;
    std::set<std::string> gone_recipients;
    {
      auto rows = users_of(src);
      if (!rows)
        return rows.error();
      for (auto& row : *rows)
        if (index_of(row.name) != s)
          gone_users.push_back(row.name);
      auto recips = src.queue->prepare("SELECT DISTINCT recipient FROM queue");
      if (!recips)
        return recips.error();
      for (;;) {
        auto row = recips->step();
        if (!row)
          return row.error();
        if (!*row)
          break;
        auto r = recips->text_at(0);
        if (index_of(r) != s)
          gone_recipients.insert(std::move(r));
      }
    }
    if (auto err = delete_each(src, *src.users,
                               "DELETE FROM users WHERE name = ?1", gone_users))
      return err;
    if (auto err = delete_each(src, *src.queue,
                               "DELETE FROM queue WHERE recipient = ?1",
                               gone_recipients))
      return err;
  }
  if (auto err = mark_all(folders, m, true))
    return err;
  return report;
}

} // namespace courier::cluster
