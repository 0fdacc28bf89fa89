// libFuzzer target: parse_control_letter, which every client runs on every
// message body a peer sends. What it accepts is small, well-formed and
// comes back unchanged through make_control_letter.

#include <string>

#include "actors/client/control_letter.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{fuzz::as_text(data, size)};
  auto c = parse_control_letter(body);
  if (!c)
    return 0;
  fuzz::require(body.size() <= 128, "a long body taken for a control letter");
  fuzz::require(c->what == control_letter::kind::typing
                  || (!c->up_to.empty() && c->up_to.size() <= 64),
                "a read receipt without a sane msg_id");
  auto again = parse_control_letter(make_control_letter(*c));
  fuzz::require(again && again->what == c->what && again->up_to == c->up_to,
                "a control letter did not round-trip");
  return 0;
}
