#pragma once

#include <chrono>

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

} // namespace courier
