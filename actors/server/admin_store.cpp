#include "actors/server/admin_store.hpp"

#include "actors/common/error.hpp"

namespace courier {

namespace {

/// The admin store in a router's own directory database (schema version 2,
/// see migrate_directory).
class sqlite_admin : public admin_store {
public:
  explicit sqlite_admin(std::shared_ptr<database> db) : db_(std::move(db)) {
    // nop
  }

  caf::error
  each_user(const std::function<void(const user_entry&)>& f) override {
    auto all = db_->prepare("SELECT u.name, u.key, u.created,"
                            " b.name IS NOT NULL FROM users u"
                            " LEFT JOIN blocked b ON b.name = u.name"
                            " ORDER BY u.name");
    if (!all)
      return std::move(all.error());
    return all->each_row([&](statement& r) {
      f(user_entry{r.text_at(0), r.blob_at(1), r.int_at(2),
                   r.int_at(3) != 0});
    });
  }

  caf::error rebind(const std::string& name, const std::string& key,
                    const audit_entry& why) override {
    auto tx = transaction::begin(*db_);
    if (!tx)
      return std::move(tx.error());
    auto upd = db_->prepare("UPDATE users SET key = ?2, created = ?3"
                            " WHERE name = ?1 RETURNING 1");
    if (!upd)
      return std::move(upd.error());
    upd->bind(1, name).bind_blob(2, key.data(), key.size()).bind(3, why.at);
    auto found = upd->step();
    if (!found)
      return std::move(found.error());
    if (!*found)
      return make_error(errc::unknown_user, name);
    upd->reset();
    // A certificate names the old key: bundles made from it would fail at
    // every contact, so the device publishes again after its next sign-in.
    for (auto sql : {"DELETE FROM devices WHERE user = ?1",
                     "DELETE FROM one_time_prekeys WHERE user = ?1"}) {
      auto del = db_->prepare(sql);
      if (!del)
        return std::move(del.error());
      if (auto err = del->bind(1, name).run())
        return err;
    }
    if (auto err = insert_audit(why))
      return err;
    return tx->commit();
  }

  caf::error set_blocked(const std::string& name, bool blocked,
                         const audit_entry& why) override {
    auto tx = transaction::begin(*db_);
    if (!tx)
      return std::move(tx.error());
    auto stmt = db_->prepare(
      blocked ? "INSERT INTO blocked(name, at, done_by) VALUES(?1, ?2, ?3)"
                " ON CONFLICT(name) DO NOTHING"
              : "DELETE FROM blocked WHERE name = ?1");
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, name);
    if (blocked)
      stmt->bind(2, why.at).bind(3, why.by);
    if (auto err = stmt->run())
      return err;
    if (auto err = insert_audit(why))
      return err;
    return tx->commit();
  }

  caf::error record(const audit_entry& what) override {
    return insert_audit(what);
  }

  caf::error
  each_audit(const std::function<void(const audit_entry&)>& f) override {
    auto all = db_->prepare("SELECT at, done_by, action, name, detail"
                            " FROM admin_audit ORDER BY id");
    if (!all)
      return std::move(all.error());
    return all->each_row([&](statement& r) {
      f(audit_entry{r.int_at(0), r.text_at(1), r.text_at(2),
                    r.text_at(3), r.text_at(4)});
    });
  }

private:
  caf::error insert_audit(const audit_entry& e) {
    auto ins = db_->prepare("INSERT INTO admin_audit(at, done_by, action,"
                            " name, detail) VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!ins)
      return std::move(ins.error());
    return ins->bind(1, e.at)
      .bind(2, e.by)
      .bind(3, e.action)
      .bind(4, e.name)
      .bind(5, e.detail)
      .run();
  }

  std::shared_ptr<database> db_;
};

} // namespace

std::shared_ptr<admin_store> sqlite_admin_store(std::shared_ptr<database> db) {
  return std::make_shared<sqlite_admin>(std::move(db));
}

} // namespace courier
