#include "actors/server/directory.hpp"

#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/error.hpp"
#include "crypto/bytes.hpp"
#include "crypto/digest.hpp"

namespace courier {

namespace {

/// A new name waiting for its commit, and the logins that asked for the
/// same name with the same key meanwhile (they are not new).
struct pending_registration {
  std::string key;
  crypto::bytes digest;
  caf::typed_response_promise<bool> first;
  std::vector<caf::typed_response_promise<bool>> repeats;
};

} // namespace

struct directory_state {
  std::shared_ptr<database> db;
  /// Name -> SHA-256 of the key: enough to answer every login without a
  /// query, at 32 bytes a user instead of the whole key.
  std::unordered_map<std::string, crypto::bytes> digests;
  /// New names since the last commit; all of them share one commit.
  std::unordered_map<std::string, pending_registration> pending;
  /// SHA-256 of a key -> how many names it holds, pending ones included.
  std::unordered_map<std::string, uint32_t> names_of_key;
  directory_limits limits;
  caf::expected<statement> insert{caf::error{}};
  caf::expected<statement> select{caf::error{}};
  static inline const char* name = "directory";

  caf::error write_pending() {
    if (!insert)
      return insert.error();
    if (auto err = db->exec("BEGIN IMMEDIATE"))
      return err;
    for (auto& [user, p] : pending) {
      insert->bind(1, user).bind_blob(2, p.key.data(), p.key.size());
      if (auto err = insert->run()) {
        db->exec("ROLLBACK");
        return err;
      }
    }
    return db->exec("COMMIT");
  }

  static std::string key_of(const crypto::bytes& digest) {
    return std::string{digest.begin(), digest.end()};
  }

  void count_name(const crypto::bytes& digest) {
    ++names_of_key[key_of(digest)];
  }

  void forget_name(const crypto::bytes& digest) {
    if (auto it = names_of_key.find(key_of(digest));
        it != names_of_key.end() && --it->second == 0)
      names_of_key.erase(it);
  }

  bool key_is_full(const crypto::bytes& digest) const {
    if (limits.max_names_per_key == 0)
      return false;
    auto it = names_of_key.find(key_of(digest));
    return it != names_of_key.end() && it->second >= limits.max_names_per_key;
  }

  // Commits every pending name, then answers: a binding is confirmed only
  // once it is durable.
  void commit() {
    auto err = write_pending();
    for (auto& [user, p] : pending) {
      if (err) {
        forget_name(p.digest);
        p.first.deliver(err);
        for (auto& r : p.repeats)
          r.deliver(err);
        continue;
      }
      digests.emplace(user, std::move(p.digest));
      p.first.deliver(true);
      for (auto& r : p.repeats)
        r.deliver(false);
    }
    pending.clear();
  }
};

caf::expected<std::shared_ptr<database>>
open_directory_db(const std::string& path) {
  auto db = database::open(path, "CREATE TABLE IF NOT EXISTS users("
                                 " name TEXT PRIMARY KEY, key BLOB NOT NULL,"
                                 " created INTEGER NOT NULL)");
  if (!db)
    return db.error();
  return std::make_shared<database>(std::move(*db));
}

// The directory itself also tells itself to commit what it gathered.
using directory_impl = directory_actor::extend<caf::reacts_to<flush_atom>>;

using directory_ptr = directory_impl::stateful_pointer<directory_state>;

// Binds `user` to `key`; a name not bound yet only if `may_create`.
caf::result<bool> register_name(directory_ptr self, const std::string& user,
                                const std::string& key, bool may_create) {
  auto& st = self->state;
  auto digest = crypto::sha256(key);
  if (auto it = st.digests.find(user); it != st.digests.end()) {
    if (crypto::equal_ct(it->second, digest))
      return false;
    return make_error(errc::username_taken, user);
  }
  auto& pending = st.pending;
  if (auto it = pending.find(user); it != pending.end()) {
    if (!crypto::equal_ct(it->second.digest, digest))
      return make_error(errc::username_taken, user);
    auto rp = self->make_response_promise<bool>();
    it->second.repeats.push_back(rp);
    return rp;
  }
  if (!may_create)
    return make_error(errc::rate_limited,
                      "too many new usernames from this address; try again "
                      "in a few minutes");
  if (st.key_is_full(digest))
    return make_error(errc::too_many_names,
                      "at most " + std::to_string(st.limits.max_names_per_key)
                        + " per key");
  auto rp = self->make_response_promise<bool>();
  // Registrations that arrive before this message is handled share its
  // commit.
  if (pending.empty())
    self->send(self, flush_atom::value);
  st.count_name(digest);
  pending.emplace(user, pending_registration{key, std::move(digest), rp, {}});
  return rp;
}

directory_impl::behavior_type directory(directory_ptr self,
                                        std::shared_ptr<database> db,
                                        directory_limits limits) {
  auto& st = self->state;
  st.db = std::move(db);
  st.limits = limits;
  st.insert = st.db->prepare(
    "INSERT INTO users(name, key, created) VALUES(?1, ?2, strftime('%s'))");
  st.select = st.db->prepare("SELECT key FROM users WHERE name = ?1");
  if (auto all = self->state.db->prepare("SELECT name, key FROM users")) {
    while (auto row = all->step()) {
      if (!*row)
        break;
      auto digest = crypto::sha256(all->blob_at(1));
      self->state.count_name(digest);
      self->state.digests.emplace(all->text_at(0), std::move(digest));
    }
  }
  return {
    [=](register_atom, const std::string& user,
        const std::string& key) -> caf::result<bool> {
      return register_name(self, user, key, true);
    },
    [=](register_atom, const std::string& user, const std::string& key,
        bool may_create) -> caf::result<bool> {
      return register_name(self, user, key, may_create);
    },
    [=](flush_atom) { self->state.commit(); },
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
                                std::shared_ptr<database> db,
                                directory_limits limits) {
  return sys.spawn(directory, std::move(db), limits);
}

} // namespace courier
