#include "actors/admin/admin_socket.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "actors/common/error.hpp"

namespace courier::admin {

namespace {

constexpr size_t max_command = 64;

bool make_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

void set_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    done += static_cast<size_t>(n);
  }
}

// One connection: check who it is, read one line, answer.
void serve_one(int fd, const command_handler& handler) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0
      || (cred.uid != ::geteuid() && cred.uid != 0)) {
    spdlog::warn("admin: refused a connection to the admin socket from uid "
                 "{}",
                 cred.uid);
    return;
  }
  set_timeout(fd, 2);
  std::string line;
  char c = 0;
  while (line.size() <= max_command && ::recv(fd, &c, 1, 0) == 1 && c != '\n')
    line += c;
  if (line.size() > max_command || line.empty())
    return write_all(fd, "error not a command\n");
  auto answer = handler(line);
  if (!answer) {
    const auto& ctx = answer.error().context();
    auto sentence = ctx.size() > 0 && ctx.match_element<std::string>(0)
                      ? ctx.get_as<std::string>(0)
                      : explain(answer.error());
    return write_all(fd, "error " + sentence + "\n");
  }
  write_all(fd, "ok\n" + *answer);
}

} // namespace

std::string socket_path(const std::string& data) {
  return data + "/admin.sock";
}

caf::error serve(const std::string& path, command_handler handler) {
  sockaddr_un addr;
  if (!make_address(path, addr))
    return make_error(errc::io_error, "the admin socket path " + path
                                        + " is too long for a unix socket");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return make_error(errc::io_error, std::string{"admin socket: "}
                                        + std::strerror(errno));
  ::unlink(path.c_str());
  // Made 0600 by the umask while it is bound, so it is never open wider.
  auto old = ::umask(077);
  auto rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 4) != 0) {
    auto why = std::strerror(errno);
    ::close(fd);
    return make_error(errc::io_error, "cannot listen on " + path + ": " + why);
  }
  std::thread{[fd, handler = std::move(handler)] {
    for (;;) {
      int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        spdlog::error("admin: the admin socket stopped: {}",
                      std::strerror(errno));
        return;
      }
      serve_one(conn, handler);
      ::close(conn);
    }
  }}.detach();
  return caf::none;
}

caf::expected<std::string> ask(const std::string& path,
                               const std::string& command) {
  sockaddr_un addr;
  if (!make_address(path, addr))
    return make_error(errc::io_error, path + " is too long for a unix socket");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return make_error(errc::io_error, std::strerror(errno));
  set_timeout(fd, 10);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return make_error(errc::io_error,
                      "no router is running on this data folder (nothing "
                      "answers at " + path + ")");
  }
  write_all(fd, command + "\n");
  std::string answer;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > (1u << 26))
      break; // a router never says this much
  }
  ::close(fd);
  if (answer.rfind("ok\n", 0) == 0)
    return answer.substr(3);
  if (answer.rfind("error ", 0) == 0) {
    auto sentence = answer.substr(6);
    while (!sentence.empty() && sentence.back() == '\n')
      sentence.pop_back();
    return make_error(errc::io_error, sentence);
  }
  return make_error(errc::io_error, "the router did not answer");
}

} // namespace courier::admin
