#include "actors/protocol/amount.hpp"

#include "actors/common/error.hpp"
#include "actors/protocol/echo.hpp"

namespace courier::bank {

caf::expected<int64_t> parse_amount(const std::string& text) {
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_amount, "'" + protocol::echo(text) + "': " + why);
  };
  if (text.empty())
    return bad("empty");
  int64_t units = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return bad(text[i] == '-' ? "must be positive" : "not a number");
    units = units * 10 + (text[i] - '0');
    if (units > max_amount_minor / 100)
      return bad("too large");
  }
  if (i == 0)
    return bad("not a number");
  int64_t cents = 0;
  if (i < text.size()) {
    auto decimals = text.size() - i - 1;
    if (decimals == 0)
      return bad("not a number");
    if (decimals > 2)
      return bad("at most two decimals");
    for (size_t j = i + 1; j < text.size(); ++j) {
      if (text[j] < '0' || text[j] > '9')
        return bad("not a number");
      cents = cents * 10 + (text[j] - '0');
    }
    if (decimals == 1)
      cents *= 10;
  }
  auto minor = units * 100 + cents;
  if (minor == 0)
    return bad("must be more than zero");
  if (minor > max_amount_minor)
    return bad("too large");
  return minor;
}

std::string format_amount(int64_t minor) {
  std::string sign = minor < 0 ? "-" : "";
  // Negate in unsigned arithmetic so INT64_MIN cannot overflow.
  uint64_t abs = minor < 0 ? 0 - static_cast<uint64_t>(minor)
                           : static_cast<uint64_t>(minor);
  auto cents = abs % 100;
  return sign + std::to_string(abs / 100) + "." + (cents < 10 ? "0" : "")
         + std::to_string(cents);
}

} // namespace courier::bank
