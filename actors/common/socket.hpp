#pragma once

#include <caf/io/broker.hpp>

namespace courier {

/// Closes a socket at once, discarding unsent data (SO_LINGER 0), so a peer
/// that never reads cannot keep it open; the broker quits.
void hard_close(caf::io::broker* self, caf::io::connection_handle hdl);

} // namespace courier
