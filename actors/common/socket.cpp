#include "actors/common/socket.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/scribe_impl.hpp>
#include <caf/make_counted.hpp>
#include <caf/send.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

namespace {

namespace net = caf::io::network;

// CAF 0.17's stream holds its reader, the scribe that owns it, until the
// multiplexer reports the socket out of the read set. `trigger` queues "add
// to the read set" until the end of the loop cycle; a `halt` or `close` in
// the same cycle (a resumed session that breaks or pauses again) squashes
// both into nothing, and the report never comes. Stream and scribe then
// keep each other alive for ever, with the read and write buffers (up to
// the write-buffer cap) and the socket; a paused stream also never reads
// again. This scribe makes the report itself when the multiplexer will not:
// when the socket is not in the applied read set.
class stream_scribe final : public net::scribe_impl {
public:
  using net::scribe_impl::scribe_impl;

  void remove_from_loop() override {
    net::scribe_impl::remove_from_loop();
    if ((stream_.eventbf() & net::input_mask) == 0)
      stream_.removed_from_loop(net::operation::read);
  }
};

/// Makes `stream_scribe`s for the connections it accepts.
class stream_doorman final : public net::doorman_impl {
public:
  using net::doorman_impl::doorman_impl;

  bool new_connection() override {
    if (detached()) // closed, with accepts still in the poll set
      return false;
    auto& mpx = acceptor_.backend();
    auto hdl = add_stream(parent(), acceptor_.accepted_socket());
    return doorman::new_connection(&mpx, hdl);
  }
};

} // namespace

caf::io::connection_handle add_stream(caf::io::abstract_broker* self,
                                      net::native_socket fd) {
  auto mpx = dynamic_cast<net::default_multiplexer*>(&self->backend());
  if (!mpx) // a test multiplexer has no real streams
    return self->add_scribe(fd);
  // As CAF's own scribes: a dead peer is noticed even on an idle link.
  net::keepalive(fd, true);
  auto ptr = caf::make_counted<stream_scribe>(*mpx, fd);
  auto hdl = ptr->hdl();
  self->add_scribe(std::move(ptr));
  return hdl;
}

caf::expected<std::pair<caf::io::accept_handle, uint16_t>>
add_acceptor(caf::io::abstract_broker* self, uint16_t port, const char* host,
             bool reuse_addr) {
  auto mpx = dynamic_cast<net::default_multiplexer*>(&self->backend());
  if (!mpx)
    return self->add_tcp_doorman(port, host, reuse_addr);
  auto fd = net::new_tcp_acceptor_impl(port, host, reuse_addr);
  if (!fd)
    return std::move(fd.error());
  auto ptr = caf::make_counted<stream_doorman>(*mpx, *fd);
  auto bound = ptr->port();
  auto hdl = ptr->hdl();
  self->add_doorman(std::move(ptr));
  return std::make_pair(hdl, bound);
}

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

std::string peer_address(caf::io::connection_handle hdl) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(static_cast<int>(hdl.id()),
                    reinterpret_cast<sockaddr*>(&addr), &len)
      != 0)
    return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    if (!::inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text)))
      return "unknown";
    return std::string{text} + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    if (!::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text)))
      return "unknown";
    return "[" + std::string{text}
           + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  if (addr.ss_family == AF_UNIX)
    return "local";
  return "unknown";
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
