// libFuzzer target: parse_payment_notice, run by every client on every
// message body a peer sends. What it accepts is in range and comes back
// unchanged through make_payment_notice.

#include <string>

#include "actors/client/payment_notice.hpp"
#include "actors/protocol/amount.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{fuzz::as_text(data, size)};
  auto n = parse_payment_notice(body);
  if (!n)
    return 0;
  fuzz::require(body.size() <= 256, "a long body taken for a notice");
  fuzz::require(n->amount_minor > 0 && n->amount_minor <= bank::max_amount_minor,
                "a notice's amount out of range");
  fuzz::require(!n->transfer_id.empty() && n->transfer_id.size() <= 64,
                "a notice without a sane transfer id");
  auto again = parse_payment_notice(make_payment_notice(*n));
  fuzz::require(again && again->transfer_id == n->transfer_id
                  && again->amount_minor == n->amount_minor,
                "a notice did not round-trip");
  return 0;
}
