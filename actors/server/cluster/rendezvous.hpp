#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace courier::cluster {

/// The weight of `router` for `user` in rendezvous hashing: a 64-bit hash
/// that is the same on every machine and build (unlike std::hash).
uint64_t weight(std::string_view router, std::string_view user);

/// The index in `routers` of `user`'s home router: the router with the
/// highest weight. Every router must be configured with the same names;
/// their order does not matter. Removing a router moves only its own users.
/// `routers` must not be empty.
size_t home_index(const std::vector<std::string>& routers,
                  std::string_view user);

} // namespace courier::cluster
