#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace courier {

/// A TCP address, `HOST:PORT`.
struct endpoint {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

/// Parses `HOST:PORT`: a non-empty host and a decimal port 1-65535 (0 too
/// if `any_port`, for "pick one" when listening); nothing else.
std::optional<endpoint> parse_endpoint(std::string_view text,
                                       bool any_port = false);

/// Parses `H:P[,H:P...]`; false on a malformed list.
bool parse_endpoints(const std::string& text, std::vector<endpoint>& out);

} // namespace courier
