#include "actors/directory.hpp"

#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"

namespace courier {

struct directory_state {
  std::shared_ptr<database> db;
  /// Name -> SHA-256 of the key: enough to answer every login without a
  /// query, at 32 bytes a user instead of the whole key.
  std::unordered_map<std::string, crypto::bytes> digests;
  caf::expected<statement> insert{caf::error{}};
  caf::expected<statement> select{caf::error{}};
  static inline const char* name = "directory";
};

caf::expected<std::shared_ptr<database>>
open_directory_db(const std::string& path) {
  auto db = database::open(path);
  if (!db)
    return db.error();
  if (auto err = db->exec("CREATE TABLE IF NOT EXISTS users("
                          " name TEXT PRIMARY KEY, key BLOB NOT NULL,"
                          " created INTEGER NOT NULL)"))
    return err;
  return std::make_shared<database>(std::move(*db));
}

directory_actor::behavior_type
directory(directory_actor::stateful_pointer<directory_state> self,
          std::shared_ptr<database> db) {
  auto& st = self->state;
  st.db = std::move(db);
  st.insert = st.db->prepare(
    "INSERT INTO users(name, key, created) VALUES(?1, ?2, strftime('%s'))");
  st.select = st.db->prepare("SELECT key FROM users WHERE name = ?1");
  if (auto all = self->state.db->prepare("SELECT name, key FROM users")) {
    while (auto row = all->step()) {
      if (!*row)
        break;
      self->state.digests.emplace(all->text_at(0),
                                  crypto::sha256(all->blob_at(1)));
    }
  }
  return {
    [=](register_atom, const std::string& user,
        const std::string& key) -> caf::result<bool> {
      auto& digests = self->state.digests;
      auto digest = crypto::sha256(key);
      if (auto it = digests.find(user); it != digests.end()) {
        if (crypto::equal_ct(it->second, digest))
          return false;
        return make_error(errc::username_taken, user);
      }
      auto& ins = self->state.insert;
      if (!ins)
        return ins.error();
      ins->bind(1, user).bind_blob(2, key.data(), key.size());
      if (auto err = ins->run())
        return err;
      digests.emplace(user, std::move(digest));
      return true;
    },
    [=](lookup_atom, const std::string& user) -> caf::result<std::string> {
      if (self->state.digests.count(user) == 0)
        return make_error(errc::unknown_user, user);
      auto& sel = self->state.select;
      if (!sel)
        return sel.error();
      sel->bind(1, user);
      auto row = sel->step();
      auto key = row && *row ? sel->blob_at(0) : std::string{};
      sel->reset();
      if (!row)
        return row.error();
      if (!*row)
        return make_error(errc::unknown_user, user);
      return key;
    },
  };
}

directory_actor spawn_directory(caf::actor_system& sys,
                                std::shared_ptr<database> db) {
  return sys.spawn(directory, std::move(db));
}

} // namespace courier
