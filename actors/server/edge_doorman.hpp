#pragma once

#include <cstdint>
#include <utility>

#include <caf/expected.hpp>
#include <caf/io/abstract_broker.hpp>
#include <caf/io/accept_handle.hpp>

namespace courier {

/// Opens a listening socket on `host:port` (port 0 picks one) for `self`,
/// like `add_tcp_doorman`, but one that backs off when the process is out
/// of descriptors. CAF 0.17's acceptor leaves the socket in the event loop
/// when accept() fails with EMFILE or ENFILE, so the I/O thread spins on a
/// connection it can never take. This one stops watching the socket
/// instead and sends `self` an `(exhausted_atom)`; `self` calls
/// `trigger(handle)` to accept again (pending connections wait in the
/// kernel's backlog meanwhile). It does the same, closing the connection it
/// just took, when fewer than 8 descriptors would be left below the
/// current RLIMIT_NOFILE: the rest of the process needs some.
caf::expected<std::pair<caf::io::accept_handle, uint16_t>>
add_edge_doorman(caf::io::abstract_broker* self, uint16_t port,
                 const char* host);

} // namespace courier
