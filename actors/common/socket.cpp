#include "actors/common/socket.hpp"

#include <cstring>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <caf/send.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

void hard_close(caf::io::abstract_broker* self, caf::io::connection_handle hdl) {
  auto fd = static_cast<int>(hdl.id());
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::shutdown(fd, SHUT_RDWR);
  self->close(hdl);
  self->quit(caf::exit_reason::user_shutdown);
}

void pause_reading(caf::io::abstract_broker* self, caf::io::connection_handle hdl,
                   std::chrono::steady_clock::time_point resume_at,
                   std::chrono::steady_clock::time_point now) {
  self->halt(hdl);
  auto left
    = std::chrono::duration_cast<std::chrono::milliseconds>(resume_at - now);
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                         left + std::chrono::milliseconds{1},
                         resume_atom::value);
}

std::string source_of(caf::io::connection_handle hdl) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(static_cast<int>(hdl.id()),
                    reinterpret_cast<sockaddr*>(&addr), &len)
      != 0)
    return {};
  if (addr.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    return std::string{reinterpret_cast<const char*>(&in.sin_addr), 4};
  }
  if (addr.ss_family == AF_INET6) {
    auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    auto bytes = reinterpret_cast<const char*>(&in6.sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr))
      return std::string{bytes + 12, 4};
    return std::string{bytes, 8};
  }
  return {};
}

size_t descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return SIZE_MAX;
  return static_cast<size_t>(rl.rlim_cur);
}

size_t open_descriptors() {
  size_t n = 0;
  if (auto dir = ::opendir("/proc/self/fd")) {
    while (auto entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        ++n;
    ::closedir(dir);
    if (n > 0)
      --n; // the one opendir itself used
  }
  return n;
}

} // namespace courier
