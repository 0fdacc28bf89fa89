// libFuzzer target: parse_amount; what it accepts is in range and formats
// back to the same number. The first eight bytes, read as minor units,
// also go through format_amount and back.

#include <cstring>
#include <string>

#include "actors/protocol/amount.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

namespace {

/// format_amount then parse_amount gives back `minor`.
bool round_trips(int64_t minor) {
  auto again = bank::parse_amount(bank::format_amount(minor));
  return again && *again == minor;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto minor = bank::parse_amount(std::string{fuzz::as_text(data, size)})) {
    fuzz::require(*minor > 0 && *minor <= bank::max_amount_minor,
                  "an amount out of range");
    fuzz::require(round_trips(*minor), "a parsed amount did not round-trip");
  }
  int64_t raw = 0;
  if (size >= sizeof raw) {
    std::memcpy(&raw, data, sizeof raw);
    if (raw > 0 && raw <= bank::max_amount_minor)
      fuzz::require(round_trips(raw), "a formatted amount did not parse");
  }
  return 0;
}
