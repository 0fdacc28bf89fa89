#include "actors/server/directory.hpp"

#include <map>
#include <unordered_map>
#include <vector>

#include <boost/json.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/error.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/common/log.hpp"
#include "actors/server/prekey_store.hpp"
#include "crypto/bytes.hpp"
#include "actors/protocol/json_object.hpp"
#include "crypto/digest.hpp"
#include "crypto/key.hpp"

namespace courier {

namespace {

/// A new name waiting for its commit, and the logins that asked for the
/// same name with the same key meanwhile (they are not new).
struct pending_registration {
  std::string key;
  crypto::bytes digest;
  caf::typed_response_promise<bool> first;
  std::vector<caf::typed_response_promise<bool>> repeats;
  /// The source charged for it in a shared store (given back if the name
  /// is not made), or empty.
  std::string source;
};

/// The directory in a router's own SQLite database: the only writer of its
/// names, so the directory's cache is complete.
class sqlite_directory_backend : public directory_backend {
public:
  explicit sqlite_directory_backend(std::shared_ptr<database> db)
    : db_(std::move(db)),
      insert_(db_->prepare("INSERT INTO users(name, key, created)"
                           " VALUES(?1, ?2, strftime('%s'))")),
      select_(db_->prepare("SELECT key FROM users WHERE name = ?1")),
      blocked_(db_->prepare("SELECT 1 FROM blocked WHERE name = ?1")),
      prekeys_(db_) {
    // nop
  }

  bool shared() const override {
    return false;
  }

  caf::error
  each_binding(const std::function<void(const std::string&,
                                        const std::string&)>& f) override {
    auto all = db_->prepare("SELECT name, key FROM users");
    if (!all)
      return std::move(all.error());
    return all->each_row([&](statement& r) {
      f(r.text_at(0), r.blob_at(1));
    });
  }

  caf::expected<std::optional<std::string>>
  key_of(const std::string& user) override {
    if (!select_)
      return select_.error();
    select_->bind(1, user);
    auto row = select_->step();
    auto key = row && *row ? std::optional<std::string>{select_->blob_at(0)}
                           : std::nullopt;
    select_->reset();
    if (!row)
      return std::move(row.error());
    return key;
  }

  caf::expected<std::vector<std::optional<std::string>>>
  bind(const std::vector<std::pair<std::string, std::string>>& batch) override {
    if (!insert_)
      return insert_.error();
    if (auto err = db_->exec("BEGIN IMMEDIATE"))
      return err;
    for (auto& [user, key] : batch) {
      insert_->bind(1, user).bind_blob(2, key.data(), key.size());
      if (auto err = insert_->run()) {
        db_->exec("ROLLBACK");
        return err;
      }
    }
    if (auto err = db_->exec("COMMIT"))
      return err;
    return std::vector<std::optional<std::string>>(batch.size());
  }

  caf::expected<bool> blocked(const std::string& user) override {
    if (!blocked_)
      return blocked_.error();
    blocked_->bind(1, user);
    auto row = blocked_->step();
    blocked_->reset();
    if (!row)
      return std::move(row.error());
    return *row;
  }

  caf::error unbind(const std::string& user) override {
    auto del = db_->prepare("DELETE FROM users WHERE name = ?1");
    if (!del)
      return std::move(del.error());
    return del->bind(1, user).run();
  }

  prekey_store& prekeys() override {
    return prekeys_;
  }

private:
  std::shared_ptr<database> db_;
  caf::expected<statement> insert_;
  caf::expected<statement> select_;
  caf::expected<statement> blocked_;
  sqlite_prekey_store prekeys_;
};

} // namespace

std::shared_ptr<directory_backend>
sqlite_directory(std::shared_ptr<database> db) {
  return std::make_shared<sqlite_directory_backend>(std::move(db));
}

struct directory_state {
  std::shared_ptr<directory_backend> db;
  /// Name -> the fingerprint of the only key that may hold it.
  std::map<std::string, std::string> reserved;
  /// Name -> SHA-256 of the key: enough to answer every login without a
  /// query, at 32 bytes a user instead of the whole key.
  std::unordered_map<std::string, crypto::bytes> digests;
  /// New names since the last commit; all of them share one commit.
  std::unordered_map<std::string, pending_registration> pending;
  /// SHA-256 of a key -> how many names it holds, pending ones included.
  std::unordered_map<std::string, uint32_t> names_of_key;
  directory_limits limits;
  static inline const char* name = "directory";

  /// Whether `user` is bound. A shared store is asked about names this
  /// directory has not seen bound: another router may have bound them.
  caf::expected<bool> known(const std::string& user) {
    if (digests.count(user) != 0)
      return true;
    if (!db->shared())
      return false;
    auto key = db->key_of(user);
    if (!key)
      return std::move(key.error());
    if (!*key)
      return false;
    auto digest = crypto::sha256(**key);
    count_name(digest);
    digests.emplace(user, std::move(digest));
    return true;
  }

  /// Refuses `user` if an operator blocked the name.
  caf::error check_blocked(const std::string& user) {
    auto b = db->blocked(user);
    if (!b)
      return std::move(b.error());
    if (*b)
      return make_error(errc::name_blocked,
                        "the name '" + user
                          + "' is blocked by this service's operator");
    return caf::none;
  }

  /// The key `user` is registered with (SPKI DER), or `unknown_user`
  /// (`name_blocked` if an operator blocked the name).
  caf::expected<std::string> key_of_user(const std::string& user) {
    auto bound = known(user);
    if (!bound)
      return std::move(bound.error());
    if (!*bound)
      return make_error(errc::unknown_user, user);
    if (auto err = check_blocked(user))
      return err;
    auto key = db->key_of(user);
    if (!key)
      return std::move(key.error());
    if (!*key)
      return make_error(errc::unknown_user, user);
    return std::move(**key);
  }

  /// Whether `user` is reserved for a key other than the one with SHA-256
  /// `digest` (a fingerprint is the hex of that digest).
  bool reserved_for_another(const std::string& user,
                            const crypto::bytes& digest) const {
    auto it = reserved.find(user);
    return it != reserved.end()
           && !same_fingerprint(it->second, crypto::to_hex(digest));
  }

  /// Drops bindings of reserved names to other keys, made before the name
  /// was reserved: the configuration says who owns the name.
  void release_squatted() {
    for (auto it = digests.begin(); it != digests.end();) {
      if (!reserved_for_another(it->first, it->second)) {
        ++it;
        continue;
      }
      if (!db->unbind(it->first)) {
        logger(component::directory)
          .warn("the reserved name '{}' was bound to another key; that "
                "binding is removed",
                it->first);
        it = digests.erase(it);
      } else {
        logger(component::directory)
          .error("could not remove the binding of the reserved name "
                 "'{}' to another key",
                 it->first);
        ++it;
      }
    }
  }


  /// In a shared store, reads the key of a cached name again: an operator
  /// may have re-bound it (courier-node admin rebind) while this router
  /// runs, and the lost key must not sign in after that. A router on
  /// SQLite is stopped for a re-bind and reads its names at start.
  caf::error refresh(const std::string& user) {
    auto it = digests.find(user);
    if (!db->shared() || it == digests.end())
      return caf::none;
    auto key = db->key_of(user);
    if (!key)
      return std::move(key.error());
    if (!*key) {
      forget_name(it->second);
      digests.erase(it);
      return caf::none;
    }
    auto digest = crypto::sha256(**key);
    if (!crypto::equal_ct(digest, it->second)) {
      forget_name(it->second);
      count_name(digest);
      it->second = std::move(digest);
    }
    return caf::none;
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

  /// A shared store: the names bound to `key` as the database has them
  /// (every router's), with this directory's pending ones. On failure the
  /// count kept here stands.
  void recount_names(const std::string& key, const crypto::bytes& digest) {
    auto bound = db->names_of(key);
    if (!bound)
      return;
    uint32_t n = *bound;
    for (auto& kv : pending)
      if (crypto::equal_ct(kv.second.digest, digest))
        ++n;
    if (n == 0)
      names_of_key.erase(key_of(digest));
    else
      names_of_key[key_of(digest)] = n;
  }

  bool key_is_full(const crypto::bytes& digest) const {
    if (limits.max_names_per_key == 0)
      return false;
    auto it = names_of_key.find(key_of(digest));
    return it != names_of_key.end() && it->second >= limits.max_names_per_key;
  }

  // Commits every pending name, then answers: a binding is confirmed only
  // once it is durable.
  // A name another router bound meanwhile (shared store) is that router's:
  // the same key makes it not new, another key is `username_taken`.
  void commit() {
    std::vector<std::pair<std::string, std::string>> batch;
    batch.reserve(pending.size());
    for (auto& [user, p] : pending)
      batch.emplace_back(user, p.key);
    auto bound = db->bind(batch);
    size_t i = 0;
    for (auto& [user, p] : pending) {
      caf::error err;
      bool fresh = true;
      if (!bound) {
        err = bound.error();
      } else if (auto& before = (*bound)[i]; before) {
        fresh = false;
        if (!crypto::equal_ct(crypto::sha256(*before), p.digest))
          err = make_error(errc::username_taken, user);
      }
      ++i;
      if (err) {
        if (!p.source.empty())
          (void) db->refund_registration(p.source); // at worst counted once
        forget_name(p.digest);
        p.first.deliver(err);
        for (auto& r : p.repeats)
          r.deliver(err);
        continue;
      }
      digests.emplace(user, std::move(p.digest));
      p.first.deliver(fresh);
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
  if (auto err = migrate_directory(*db))
    return err;
  return std::make_shared<database>(std::move(*db));
}

// The directory itself also tells itself to commit what it gathered.
using directory_impl = directory_actor::extend<caf::reacts_to<flush_atom>>;

using directory_ptr = directory_impl::stateful_pointer<directory_state>;

// Binds `user` to `key`; a name not bound yet only if `may_create` and,
// on a shared store, if `source` has a new name left this minute.
caf::result<bool> register_name(directory_ptr self, const std::string& user,
                                const std::string& key, bool may_create,
                                const std::string& source = {}) {
  auto& st = self->state;
  auto digest = crypto::sha256(key);
  if (st.reserved_for_another(user, digest))
    return make_error(errc::name_reserved,
                      "the name '" + user
                        + "' is reserved for another key on this service; "
                          "choose another name");
  if (auto err = st.check_blocked(user))
    return err;
  if (auto err = st.refresh(user))
    return err;
  if (auto bound = st.known(user); !bound)
    return std::move(bound.error());
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
  auto too_fast = [] {
    return make_error(errc::rate_limited,
                      "too many new usernames from this address; try again "
                      "in a few minutes");
  };
  if (!may_create)
    return too_fast();
  if (st.limits.max_names_per_key != 0 && st.db->shared())
    st.recount_names(key, digest);
  if (st.key_is_full(digest))
    return make_error(errc::too_many_names,
                      "at most " + std::to_string(st.limits.max_names_per_key)
                        + " per key");
  // Last: a source is charged only for a name that may be made. The edge
  // listener's bucket counts this router's sign-ins; the store counts them
  // for every router that shares it.
  std::string charged;
  if (!source.empty() && st.limits.registrations_per_minute != 0
      && st.db->shared()) {
    auto took = st.db->take_registration(
      source, st.limits.registrations_per_minute, std::chrono::minutes{1});
    if (!took)
      return std::move(took.error());
    if (!*took)
      return too_fast();
    charged = source;
  }
  auto rp = self->make_response_promise<bool>();
  // Registrations that arrive before this message is handled share its
  // commit.
  if (pending.empty())
    self->send(self, flush_atom::value);
  st.count_name(digest);
  pending.emplace(user, pending_registration{key, std::move(digest), rp, {},
                                             std::move(charged)});
  return rp;
}

// Checks and stores what a device of `user` publishes (`upload`: the JSON
// of a prekey_upload, parsed again here since it may come from another
// router).
caf::result<uint32_t> publish_prekeys(directory_state& st,
                                      const std::string& user,
                                      const std::string& upload) {
  auto obj = protocol::parse_json_object(upload, errc::bad_envelope, "prekeys: ");
  if (!obj)
    return obj.error();
  auto up = protocol::upload_from_json(*obj);
  if (!up)
    return up.error();
  auto der = st.key_of_user(user);
  if (!der)
    return der.error();
  auto identity = crypto::public_key_from_der(*der);
  if (!identity)
    return identity.error();
  auto n = st.db->prekeys().publish(user, *identity, *up);
  if (!n)
    return n.error();
  return *n;
}

directory_impl::behavior_type directory(directory_ptr self,
                                        std::shared_ptr<directory_backend> db,
                                        directory_limits limits,
                                        std::map<std::string, std::string> reserved) {
  auto& st = self->state;
  st.db = std::move(db);
  st.limits = limits;
  st.reserved = std::move(reserved);
  auto loaded = st.db->each_binding(
    [&st](const std::string& user, const std::string& key) {
      auto digest = crypto::sha256(key);
      st.count_name(digest);
      st.digests.emplace(user, std::move(digest));
    });
  if (loaded)
    logger(component::directory)
      .error("the directory could not read its names: {}",
             to_string(loaded));
  st.release_squatted();
  return {
    [=](register_atom, const std::string& user,
        const std::string& key) -> caf::result<bool> {
      return register_name(self, user, key, true);
    },
    [=](register_atom, const std::string& user, const std::string& key,
        bool may_create) -> caf::result<bool> {
      return register_name(self, user, key, may_create);
    },
    [=](register_atom, const std::string& user, const std::string& key,
        bool may_create, const std::string& source) -> caf::result<bool> {
      return register_name(self, user, key, may_create, source);
    },
    [=](flush_atom) { self->state.commit(); },
    [=](lookup_atom, const std::string& user) -> caf::result<std::string> {
      auto key = self->state.key_of_user(user);
      if (!key)
        return key.error();
      return std::move(*key);
    },
    [=](prekeys_atom, const std::string& user,
        const std::string& upload) -> caf::result<uint32_t> {
      return publish_prekeys(self->state, user, upload);
    },
    [=](prekeys_atom, const std::string& user) -> caf::result<uint32_t> {
      auto n = self->state.db->prekeys().count(user);
      if (!n)
        return n.error();
      return *n;
    },
    [=](bundle_atom, const std::string& user) -> caf::result<std::string> {
      auto bound = self->state.known(user);
      if (!bound)
        return std::move(bound.error());
      if (!*bound)
        return make_error(errc::unknown_user, user);
      if (auto err = self->state.check_blocked(user))
        return err;
      auto b = self->state.db->prekeys().take_bundle(user);
      if (!b)
        return b.error();
      return boost::json::serialize(protocol::to_json(*b));
    },
  };
}

directory_actor
spawn_directory(caf::actor_system& sys, std::shared_ptr<directory_backend> db,
                directory_limits limits,
                std::map<std::string, std::string> reserved) {
  return sys.spawn(directory, std::move(db), limits, std::move(reserved));
}

directory_actor
spawn_directory(caf::actor_system& sys, std::shared_ptr<database> db,
                directory_limits limits,
                std::map<std::string, std::string> reserved) {
  return spawn_directory(sys, sqlite_directory(std::move(db)), limits,
                         std::move(reserved));
}

} // namespace courier
