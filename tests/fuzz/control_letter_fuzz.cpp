// libFuzzer target: parse_control_letter, which every client runs on every
// marked letter a peer sends (read receipts, typing, payment notices).
// What it accepts is small, in range, and comes back unchanged through
// make_control_letter.

#include <string>

#include "actors/client/control_letter.hpp"
#include "actors/protocol/amount.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

namespace {

bool sane_id(const std::string& id) {
  return !id.empty() && id.size() <= 64;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{fuzz::as_text(data, size)};
  auto c = parse_control_letter(body);
  if (!c)
    return 0;
  using kind = control_letter::kind;
  fuzz::require(body.size() <= 256, "a long body taken for a control letter");
  fuzz::require(c->what != kind::read || sane_id(c->up_to),
                "a read receipt without a sane msg_id");
  fuzz::require(c->what != kind::payment
                  || (sane_id(c->payment.transfer_id)
                      && c->payment.amount_minor > 0
                      && c->payment.amount_minor <= bank::max_amount_minor),
                "a payment notice out of range");
  auto again = parse_control_letter(make_control_letter(*c));
  fuzz::require(again && again->what == c->what && again->up_to == c->up_to
                  && again->payment.transfer_id == c->payment.transfer_id
                  && again->payment.amount_minor == c->payment.amount_minor,
                "a control letter did not round-trip");
  return 0;
}
