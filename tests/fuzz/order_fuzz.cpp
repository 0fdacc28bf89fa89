// libFuzzer target: the bank's order parser (is_order, parse_order); an
// order it accepts must survive make_order and parse again unchanged.

#include <string>

#include "actors/protocol/order.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{fuzz::as_text(data, size)};
  bool looks = bank::is_order(body);
  auto o = bank::parse_order(body);
  if (!o)
    return 0;
  fuzz::require(looks, "parse_order took what is_order refused");
  auto again = bank::parse_order(bank::make_order(*o));
  fuzz::require(static_cast<bool>(again), "an order did not round-trip");
  fuzz::require(again->type == o->type && again->transfer_id == o->transfer_id
                  && again->to == o->to
                  && again->amount_minor == o->amount_minor
                  && again->limit == o->limit && again->before == o->before,
                "an order changed in a round trip");
  return 0;
}
