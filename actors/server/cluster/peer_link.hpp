#pragma once

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/common/endpoint.hpp"
#include "actors/server/router.hpp"

namespace courier::cluster {

/// Another router of the cluster, as configured: `NAME@HOST:PORT`.
struct peer_address {
  std::string name;
  endpoint backbone;
};

/// A router name: 1-32 of [A-Za-z0-9_.-].
bool valid_router_name(const std::string& name);

/// Parses `NAME@HOST:PORT`; the name is 1-32 of [A-Za-z0-9_.-].
caf::expected<peer_address> parse_peer(const std::string& text);

/// How a peer link retries.
struct link_timing {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds first_retry{200};
  std::chrono::milliseconds max_retry{10000};
};

/// True if the router `self_name` dials `peer_name` (the smaller name
/// dials), so that each pair of routers shares exactly one connection.
bool dials(const std::string& self_name, const std::string& peer_name);

/// Keeps the router `self_name` connected to one peer router: connects
/// through `mm` (the TLS middleman, or the plain one in development) with
/// a timeout, checks that the peer speaks the same router interface under
/// the expected name, introduces the two routers to each other (peer_up
/// to both), watches the peer and connects again with jittered
/// exponential backoff when it goes.
caf::actor spawn_peer_link(caf::actor_system& sys, std::string self_name,
                           peer_address peer, caf::io::middleman_actor mm,
                           router_actor router, link_timing timing = {});

} // namespace courier::cluster
