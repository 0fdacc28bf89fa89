#include "actors/server/cluster/membership.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "actors/server/cluster/peer_link.hpp"

namespace courier::cluster {

namespace {

constexpr const char* file_name = "/cluster-members";
constexpr const char* header = "# courier cluster members v1 (written by "
                               "courier-node; change it only with "
                               "'courier-node migrate')";

std::string joined(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : sep) + n;
  return out;
}

caf::error malformed(const std::string& path, const std::string& why) {
  return make_error(errc::bad_encoding, path + " is damaged (" + why
                                          + "); restore it from a backup");
}

// Writes `data` to `path` with fsync before and after the rename, so a
// crash leaves the old file or the new one, never a torn one.
caf::error write_whole(const std::string& dir, const std::string& path,
                       const std::string& data) {
  auto tmp = path + ".new";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  private_file_mode);
  if (fd < 0)
    return make_error(errc::io_error, "cannot write " + tmp + ": "
                                        + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ::close(fd);
      return make_error(errc::io_error, "cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error(errc::io_error, "cannot write " + path + ": "
                                        + std::strerror(errno));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return caf::none;
}

} // namespace

std::vector<std::string> normalized(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string listed(const std::vector<std::string>& names) {
  return joined(names, ", ");
}

caf::expected<std::optional<membership>>
read_membership(const std::string& dir) {
  auto path = dir + file_name;
  std::ifstream in{path};
  if (!in) {
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
      return std::optional<membership>{};
    return make_error(errc::io_error, "cannot read " + path);
  }
  membership m;
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    if (++lines > 16 || line.size() > 4096)
      return malformed(path, "too long");
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream words{line};
    std::string key;
    words >> key;
    std::vector<std::string> names;
    for (std::string w; words >> w;) {
      if (!valid_router_name(w))
        return malformed(path, "bad router name");
      names.push_back(w);
    }
    if (key == "self" && names.size() == 1)
      m.self = names[0];
    else if (key == "routers" && !names.empty())
      m.routers = normalized(names);
    else if (key == "migrating-to" && !names.empty())
      m.migrating_to = normalized(names);
    else
      return malformed(path, "unknown line '" + key + "'");
  }
  if (m.self.empty() || m.routers.empty())
    return malformed(path, "no self or routers line");
  return std::optional<membership>{std::move(m)};
}

caf::error write_membership(const std::string& dir, const membership& m) {
  std::string text = std::string{header} + "\nself " + m.self + "\nrouters "
                     + joined(normalized(m.routers), " ") + "\n";
  if (!m.migrating_to.empty())
    text += "migrating-to " + joined(normalized(m.migrating_to), " ") + "\n";
  return write_whole(dir, dir + file_name, text);
}

caf::error check_membership(const std::string& dir, const std::string& self,
                            const std::vector<std::string>& routers) {
  auto want = normalized(routers);
  auto rec = read_membership(dir);
  if (!rec)
    return rec.error();
  if (!*rec)
    return write_membership(dir, membership{self, want, {}});
  auto& m = **rec;
  auto folders = [&](const std::vector<std::string>& names) {
    std::string out;
    for (auto& n : names)
      out += " --data " + n + "=DIR_OF_" + n;
    return out;
  };
  if (!m.migrating_to.empty())
    return make_error(errc::membership_changed,
                      "a migration of " + dir + " from the routers "
                        + listed(m.routers) + " to " + listed(m.migrating_to)
                        + " did not finish; with every router stopped, run "
                          "the same 'courier-node migrate' command again");
  if (m.self == self && m.routers == want)
    return caf::none;
  auto all = normalized([&] {
    auto xs = m.routers;
    xs.insert(xs.end(), want.begin(), want.end());
    return xs;
  }());
  return make_error(
    errc::membership_changed,
    "the data in " + dir + " belongs to router " + m.self
      + " of the routers " + listed(m.routers)
      + ", but this router is configured as " + self + " of the routers "
      + listed(want)
      + ". Adding or removing a router moves users' homes, and their names "
        "and queued messages must move with them: stop every router and run "
        "'courier-node migrate --from "
      + joined(m.routers, ",") + " --to " + joined(want, ",") + folders(all)
      + "' on a machine that reaches every data folder, then start the "
        "routers with the new set (README: \"Adding or removing a "
        "router\"). To keep the old set, start this router with its old "
        "--name and --peer options");
}

caf::expected<int> lock_data_dir(const std::string& dir) {
  auto path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                  private_file_mode);
  if (fd < 0)
    return make_error(errc::io_error, "cannot open " + path + ": "
                                        + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto busy = errno == EWOULDBLOCK;
    ::close(fd);
    if (busy)
      return make_error(errc::io_error,
                        "another courier-node (a router or a migration) is "
                        "using " + dir + "; stop it first");
    return make_error(errc::io_error, "cannot lock " + path);
  }
  return fd;
}

void unlock_data_dir(int fd) {
  if (fd >= 0)
    ::close(fd); // closing drops the flock
}

} // namespace courier::cluster
