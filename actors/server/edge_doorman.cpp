#include "actors/server/edge_doorman.hpp"

#include <cerrno>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/send.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/socket.hpp"

namespace courier {

namespace {

namespace net = caf::io::network;

// Descriptors the edge leaves free for the rest of the process: SQLite's
// journal and temporary files, backbone links, the log, /proc reads, and
// the sanitizer runtimes, which probe memory through a pipe (with none
// left, UBSan takes every object for one with an invalid vptr). The node
// caps connections 16 below its limit at start, so that a connection past
// the cap can still be told `busy`; this is the last line, for a limit
// lowered later or descriptors something else took.
constexpr long spare_descriptors = 8;

// Whether socket `fd`, just accepted, eats into the spare descriptors.
// Linux hands out the lowest free number, so every number below `fd` is
// open: a number this close to the limit means that few are left.
bool into_the_spare(net::native_socket fd) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return false;
  return static_cast<rlim_t>(fd) + spare_descriptors >= rl.rlim_cur;
}

class edge_doorman;

// How the acceptor takes a connection: like CAF's TCP policy, except that
// running out of descriptors (or kernel memory) pauses the doorman.
class backoff_accept {
public:
  explicit backoff_accept(edge_doorman* owner) : owner_(owner) {
    // nop
  }

  bool try_accept(net::native_socket& result, net::native_socket fd);

private:
  edge_doorman* owner_;
};

class edge_doorman : public caf::io::doorman {
public:
  edge_doorman(net::default_multiplexer& mpx, net::native_socket fd)
    : caf::io::doorman(net::accept_hdl_from_socket(fd)),
      acceptor_(mpx, fd, this) {
    // nop
  }

  // The acceptor took a socket: hand it to the broker as a new scribe.
  bool new_connection() override {
    if (detached())
      return false; // the broker let go of this doorman already
    auto& mpx = acceptor_.backend();
    // A stream that frees itself when halted and closed in one loop cycle
    // (actors/common/socket.cpp); CAF's own would leak.
    auto hdl = add_stream(parent(), acceptor_.accepted_socket());
    return caf::io::doorman::new_connection(&mpx, hdl);
  }

  // No descriptor for the next connection: stop watching the socket (it
  // stays readable, which would wake the loop at once, again and again)
  // and let the broker decide when to try again.
  void out_of_descriptors() {
    if (detached())
      return;
    halt();
    caf::anon_send(caf::actor_cast<caf::actor>(parent()),
                   exhausted_atom::value);
  }

  void graceful_shutdown() override {
    acceptor_.graceful_shutdown();
    detach(&acceptor_.backend(), false);
  }

  void launch() override {
    acceptor_.start(this);
  }

  std::string addr() const override {
    auto x = net::local_addr_of_fd(acceptor_.fd());
    return x ? std::move(*x) : std::string{};
  }

  uint16_t port() const override {
    auto x = net::local_port_of_fd(acceptor_.fd());
    return x ? *x : uint16_t{0};
  }

  void add_to_loop() override {
    acceptor_.activate(this);
  }

  void remove_from_loop() override {
    acceptor_.passivate();
  }

private:
  net::acceptor_impl<backoff_accept> acceptor_;
};

bool backoff_accept::try_accept(net::native_socket& result,
                                net::native_socket fd) {
  result = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (result != net::invalid_native_socket && into_the_spare(result)) {
    // Closed before it costs anything; the client may try again later.
    ::close(result);
    result = net::invalid_native_socket;
    owner_->out_of_descriptors();
    return true;
  }
  if (result != net::invalid_native_socket)
    return true;
  auto err = errno;
  if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
    owner_->out_of_descriptors();
  // Otherwise (EAGAIN, a connection reset before it was taken, a signal)
  // there is nothing to take now; the loop says when there is.
  return true;
}

} // namespace

caf::expected<std::pair<caf::io::accept_handle, uint16_t>>
add_edge_doorman(caf::io::abstract_broker* self, uint16_t port,
                 const char* host) {
  auto fd = net::new_tcp_acceptor_impl(port, host, true);
  if (!fd)
    return std::move(fd.error());
  auto& mpx = static_cast<net::default_multiplexer&>(self->backend());
  auto ptr = caf::make_counted<edge_doorman>(mpx, *fd);
  auto bound = ptr->port();
  auto hdl = ptr->hdl();
  self->add_doorman(std::move(ptr));
  return std::make_pair(hdl, bound);
}

} // namespace courier
