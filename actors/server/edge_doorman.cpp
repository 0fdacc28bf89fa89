#include "actors/server/edge_doorman.hpp"

#include <cerrno>
#include <sys/socket.h>

#include <caf/actor_cast.hpp>
#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/send.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

namespace {

namespace net = caf::io::network;

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
    auto scribe = mpx.new_scribe(acceptor_.accepted_socket());
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
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
