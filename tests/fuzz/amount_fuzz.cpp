// libFuzzer target: parse_amount; what it accepts is in range and formats
// back to the same number.

#include <string>

#include "actors/protocol/amount.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{fuzz::as_text(data, size)};
  auto minor = bank::parse_amount(text);
  if (!minor)
    return 0;
  fuzz::require(*minor > 0 && *minor <= bank::max_amount_minor,
                "an amount out of range");
  auto again = bank::parse_amount(bank::format_amount(*minor));
  fuzz::require(again && *again == *minor, "an amount did not round-trip");
  return 0;
}
