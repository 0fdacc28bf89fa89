#pragma once

#include <string>

#include <caf/actor_addr.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"

namespace courier::cluster {

/// Tells a router which router's certificate stands behind a backbone
/// handle: the name on the verified TLS certificate of the connection that
/// the handle's node came in on. Refuses (errc::peer_refused) a handle
/// without such a connection. Local to one process.
using peer_identity_actor = caf::typed_actor<
  caf::replies_to<identify_atom, caf::actor_addr>::with<std::string>>;

} // namespace courier::cluster
