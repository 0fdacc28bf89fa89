#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <caf/io/broker.hpp>

namespace courier {

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

/// The process's soft limit on open descriptors (RLIMIT_NOFILE).
size_t descriptor_limit();

/// How many descriptors the process has open now.
size_t open_descriptors();

} // namespace courier
