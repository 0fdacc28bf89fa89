#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <caf/expected.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/network/native_socket.hpp>

namespace courier {

/// Adds a connection on `fd` to `self`, as `self->add_scribe(fd)` does, but
/// with a stream that frees itself after `halt`/`trigger` (see socket.cpp):
/// every broker that pauses reading must take its connections from here or
/// from `add_acceptor`.
caf::io::connection_handle add_stream(caf::io::abstract_broker* self,
                                      caf::io::network::native_socket fd);

/// Listens on `host:port` (0: any) for `self`, as `self->add_tcp_doorman`
/// does; every connection it accepts is made by `add_stream`. The handle
/// and the port bound.
caf::expected<std::pair<caf::io::accept_handle, uint16_t>>
add_acceptor(caf::io::abstract_broker* self, uint16_t port, const char* host,
             bool reuse_addr);

/// Closes a socket at once, discarding unsent data (SO_LINGER 0), so a peer
/// that never reads cannot keep it open; the broker quits.
void hard_close(caf::io::abstract_broker* self, caf::io::connection_handle hdl);

/// Stops reading from `hdl` and sends the broker `resume_atom` just after
/// `resume_at`; its handler restarts reading with `trigger`.
void pause_reading(caf::io::abstract_broker* self, caf::io::connection_handle hdl,
                   std::chrono::steady_clock::time_point resume_at,
                   std::chrono::steady_clock::time_point now);

/// Who a connection comes from, for per-address limits: the IPv4 address
/// (also when mapped into IPv6), or the /64 prefix of an IPv6 address,
/// which one holder usually has whole; as bytes. Empty if unknown.
std::string source_of(caf::io::connection_handle hdl);

/// The peer of a connection as people read it, e.g. `127.0.0.1:40123` or
/// `[::1]:40123`; `local` for a socket pair, `unknown` if it cannot tell.
std::string peer_address(caf::io::connection_handle hdl);

/// The process's soft limit on open descriptors (RLIMIT_NOFILE).
size_t descriptor_limit();

/// How many descriptors the process has open now.
size_t open_descriptors();

} // namespace courier
