// The admin store (admin_store.hpp) in a shared PostgreSQL store: schema
// version 2 of pg_backend.cpp. One connection for one operator command.

#include <memory>
#include <utility>

#include <pqxx/pqxx>

#include "actors/common/error.hpp"
#include "actors/server/admin_store.hpp"
#include "actors/postgres/pg_link.hpp"

namespace courier {

namespace {

class pg_admin : public admin_store {
public:
  explicit pg_admin(std::string conninfo)
    : link_(std::move(conninfo), pg_store_role) {
    // nop
  }

  caf::error
  each_user(const std::function<void(const user_entry&)>& f) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::nontransaction tx{c};
      for (const auto& row :
           tx.exec("SELECT u.name, u.key, u.created, b.name IS NOT NULL"
                   " FROM users u LEFT JOIN blocked b ON b.name = u.name"
                   " ORDER BY u.name"))
        f(user_entry{row[0].as<std::string>(),
                     pqxx::binarystring{row[1]}.str(), row[2].as<int64_t>(),
                     row[3].as<bool>()});
      return caf::none;
    });
  }

  caf::error rebind(const std::string& name, const std::string& key,
                    const audit_entry& why) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::work tx{c};
      // Serialized with the routers' own prekey publishes for the name.
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", name);
      auto r = tx.exec_params("UPDATE users SET key = $2, created = $3"
                              " WHERE name = $1 RETURNING 1",
                              name, pqxx::binarystring{key.data(), key.size()},
                              why.at);
      if (r.empty())
        return make_error(errc::unknown_user, name);
      tx.exec_params("DELETE FROM devices WHERE username = $1", name);
      tx.exec_params("DELETE FROM one_time_prekeys WHERE username = $1", name);
      insert_audit(tx, why);
      tx.commit();
      return caf::none;
    });
  }

  caf::error set_blocked(const std::string& name, bool blocked,
                         const audit_entry& why) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::work tx{c};
      if (blocked)
        tx.exec_params("INSERT INTO blocked(name, at, done_by)"
                       " VALUES($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                       name, why.at, why.by);
      else
        tx.exec_params("DELETE FROM blocked WHERE name = $1", name);
      insert_audit(tx, why);
      tx.commit();
      return caf::none;
    });
  }

  caf::error record(const audit_entry& what) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::work tx{c};
      insert_audit(tx, what);
      tx.commit();
      return caf::none;
    });
  }

  caf::error
  each_audit(const std::function<void(const audit_entry&)>& f) override {
    return link_.run([&](pqxx::connection& c) -> caf::error {
      pqxx::nontransaction tx{c};
      for (const auto& row : tx.exec("SELECT at, done_by, action, name, detail"
                                     " FROM admin_audit ORDER BY id"))
        f(audit_entry{row[0].as<int64_t>(), row[1].as<std::string>(),
                      row[2].as<std::string>(), row[3].as<std::string>(),
                      row[4].as<std::string>()});
      return caf::none;
    });
  }

private:
  static void insert_audit(pqxx::work& tx, const audit_entry& e) {
    tx.exec_params("INSERT INTO admin_audit(at, done_by, action, name, detail)"
                   " VALUES($1, $2, $3, $4, $5)",
                   e.at, e.by, e.action, e.name, e.detail);
  }

  /// Opened at first use; a libpq or SQL failure becomes a code, and
  /// libpq's text goes to the log.
  pg_link link_;
};

} // namespace

std::shared_ptr<admin_store> pg_admin_store(std::string conninfo) {
  return std::make_shared<pg_admin>(std::move(conninfo));
}

} // namespace courier
