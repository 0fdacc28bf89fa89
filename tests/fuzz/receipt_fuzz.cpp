// libFuzzer target: the client's receipt parser (parse_receipt); a receipt
// it accepts must survive make_receipt and parse to the same text again.

#include <string>

#include "actors/protocol/receipt.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{fuzz::as_text(data, size)};
  auto r = bank::parse_receipt(text);
  if (!r)
    return 0;
  auto written = bank::make_receipt(*r);
  auto again = bank::parse_receipt(written);
  fuzz::require(static_cast<bool>(again), "a receipt did not round-trip");
  fuzz::require(bank::make_receipt(*again) == written,
                "a receipt changed in a round trip");
  return 0;
}
