#include "actors/admin/admin_ops.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <pwd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "actors/client/identity.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/server/cluster/membership.hpp"
#include "actors/server/directory.hpp"
#include "actors/server/pg_backend.hpp"
#include "actors/server/router_store.hpp"
#include "actors/server/store.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::admin {

namespace {

/// Public key files are a few hundred bytes; anything much larger is not one.
constexpr size_t max_key_file = 64 * 1024;

int64_t now_s() {
  return now_ms() / 1000;
}

// Writes the audit row's twin to the log: every admin action is logged.
void log_action(const audit_entry& e) {
  spdlog::info("admin: {} '{}' by {}{}{}", e.action, e.name, e.by,
               e.detail.empty() ? "" : ": ", e.detail);
}

audit_entry entry(const std::string& action, const std::string& name,
                  const std::string& by, std::string detail) {
  return audit_entry{now_s(), by, action, name, std::move(detail)};
}

} // namespace

router_folder::~router_folder() {
  cluster::unlock_data_dir(lock_);
}

caf::expected<std::unique_ptr<router_folder>>
router_folder::open(const std::string& data, bool lock,
                    const std::string& what) {
  if (!std::filesystem::exists(data + "/directory.db"))
    return make_error(errc::io_error, "no router data in " + data
                                        + " (no directory.db): give "
                                        + what);
  std::unique_ptr<router_folder> f{new router_folder};
  if (lock) {
    auto fd = cluster::lock_data_dir(data);
    if (!fd)
      return make_error(errc::node_running,
                        "a router (or another admin command) is using " + data
                          + "; stop it first (systemctl stop "
                            "courier-router), then run this again");
    f->lock_ = *fd;
  }
  auto files = open_router_files(data);
  if (!files)
    return files.error();
  f->directory = std::move(files->directory);
  f->queue = std::move(files->queue);
  return f;
}

target::~target() {
  // The folder's lock goes with folder_.
}

caf::expected<std::unique_ptr<target>>
target::open(const std::string& data, const std::string& store, bool write) {
  std::unique_ptr<target> t{new target};
  if (!store.empty()) {
    if (auto err = open_postgresql_store(store))
      return err;
    t->directory = pg_directory(store);
    t->queue = pg_queue(store);
    t->admin = pg_admin_store(store);
    return t;
  }
  auto folder = router_folder::open(data, write,
                                    "the router's --data folder or its "
                                    "--store");
  if (!folder)
    return folder.error();
  t->directory = sqlite_directory((*folder)->directory);
  t->admin = sqlite_admin_store((*folder)->directory);
  t->queue = sqlite_queue((*folder)->queue);
  t->folder_ = std::move(*folder);
  return t;
}

caf::expected<std::vector<user_report>> list_users(target& t) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> queues;
  auto err = t.queue->each_queue(
    [&](const std::string& to, uint64_t n, uint64_t bytes) {
      queues[to] = {n, bytes};
    });
  if (err)
    return err;
  std::vector<user_report> out;
  err = t.admin->each_user([&](const user_entry& u) {
    user_report r{u, 0, 0};
    if (auto it = queues.find(u.name); it != queues.end()) {
      r.queued = it->second.first;
      r.queued_bytes = it->second.second;
    }
    out.push_back(std::move(r));
  });
  if (err)
    return err;
  return out;
}

caf::expected<std::pair<uint64_t, uint64_t>> queue_of(target& t,
                                                      const std::string& name) {
  if (auto key = current_key(t, name); !key)
    return key.error();
  std::pair<uint64_t, uint64_t> found{0, 0};
  auto err = t.queue->each_queue(
    [&](const std::string& to, uint64_t n, uint64_t bytes) {
      if (to == name)
        found = {n, bytes};
    });
  if (err)
    return err;
  return found;
}

caf::expected<uint64_t> purge_expired(target& t,
                                      std::chrono::milliseconds expiry,
                                      const std::string& by) {
  constexpr uint32_t batch = 1000;
  auto cutoff = now_ms() - static_cast<int64_t>(expiry.count());
  uint64_t total = 0;
  for (;;) {
    auto gone = t.queue->purge(cutoff, batch);
    if (!gone)
      return gone.error();
    total += gone->size();
    if (gone->size() < batch)
      break;
  }
  auto days = expiry.count() / (24 * 3600 * 1000);
  auto e = entry("purge", "", by,
                 std::to_string(total) + " messages older than "
                   + std::to_string(days) + " days deleted");
  if (auto err = t.admin->record(e))
    return err;
  log_action(e);
  return total;
}

caf::expected<std::string> read_public_key(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return make_error(errc::io_error, "cannot read " + path);
  if (size > max_key_file)
    return make_error(errc::bad_key, path + " is not a public key file");
  auto text = read_file(path);
  if (!text)
    return make_error(errc::io_error, "cannot read " + path);
  const std::string begin = "-----BEGIN PUBLIC KEY-----";
  const std::string end = "-----END PUBLIC KEY-----";
  auto b = text->find(begin);
  auto e = text->find(end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    return make_error(errc::bad_key,
                      path + " holds no PUBLIC KEY block; ask the user for "
                             "the output of `courier-cli --user NAME "
                             "public-key`");
  std::string b64;
  for (auto i = b + begin.size(); i < e; ++i)
    if (!std::isspace(static_cast<unsigned char>((*text)[i])))
      b64 += (*text)[i];
  crypto::bytes der;
  if (!crypto::from_base64(b64, der))
    return make_error(errc::bad_key, path + " holds a damaged public key");
  auto k = crypto::public_key_from_der(der);
  if (!k || !crypto::is_rsa_identity(*k))
    return make_error(errc::bad_key, path
                                       + " holds no Courier identity key "
                                         "(RSA 2048, 3072 or 4096 bits)");
  return std::string{der.begin(), der.end()};
}

caf::expected<std::string> current_key(target& t, const std::string& name) {
  auto key = t.directory->key_of(name);
  if (!key)
    return key.error();
  if (!*key)
    return make_error(errc::unknown_user,
                      "no user '" + name + "' in this router's store");
  return std::move(**key);
}

caf::error rebind(target& t, const std::string& name, const std::string& key,
                  const std::string& by) {
  auto old = current_key(t, name);
  if (!old)
    return old.error();
  auto e = entry("rebind", name, by,
                 "old key " + crypto::fingerprint_of_der(*old) + ", new key "
                   + crypto::fingerprint_of_der(key));
  if (auto err = t.admin->rebind(name, key, e))
    return err;
  log_action(e);
  return caf::none;
}

caf::error set_blocked(target& t, const std::string& name, bool blocked,
                       const std::string& by) {
  if (auto key = current_key(t, name); !key)
    return key.error();
  auto e = entry(blocked ? "block" : "unblock", name, by, "");
  if (auto err = t.admin->set_blocked(name, blocked, e))
    return err;
  log_action(e);
  return caf::none;
}

std::string operator_name() {
  if (auto sudo = std::getenv("SUDO_USER"); sudo && *sudo)
    return sudo;
  if (auto pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
    return pw->pw_name;
  return "uid " + std::to_string(::geteuid());
}

std::string iso_time(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace courier::admin
