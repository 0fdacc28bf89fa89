#include "actors/common/endpoint.hpp"

#include <charconv>

#include "actors/common/error.hpp"

namespace courier {

std::optional<endpoint> parse_endpoint(std::string_view text, bool any_port) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return std::nullopt;
  auto digits = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                   port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()
      || port > 65535 || (port == 0 && !any_port))
    return std::nullopt;
  return endpoint{std::string{text.substr(0, colon)},
                  static_cast<uint16_t>(port)};
}

bool parse_endpoints(const std::string& text, std::vector<endpoint>& out) {
  out.clear();
  std::string_view rest{text};
  for (;;) {
    auto comma = rest.find(',');
    auto ep = parse_endpoint(rest.substr(0, comma));
    if (!ep)
      return false;
    out.push_back(std::move(*ep));
    if (comma == std::string_view::npos)
      return true;
    rest.remove_prefix(comma + 1);
  }
}

} // namespace courier
