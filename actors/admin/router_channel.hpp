#pragma once

// What `courier-node admin` may ask a running router over its admin socket
// (admin_socket.hpp): `sessions` (who is signed in), `drain [SECONDS]`
// (refuse new connections with `busy`, so clients move to their next
// router, while open sessions run on; with SECONDS, those end with `busy`
// after that long) and `block NAME` (the name was blocked in the
// store: its sessions end with `name_blocked` and the router forgets it
// knew the name).

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/server/router.hpp"

namespace courier::admin {

/// Serves the admin socket in the router's data folder `data`; `listener`
/// is its edge listener.
caf::error start_router_channel(caf::actor_system& sys, const std::string& data,
                                router_actor router, caf::actor listener);

} // namespace courier::admin
