// libFuzzer target: the router's and the bank's answers to what they
// refuse. Every input goes through each parser whose errors are sent back
// (envelopes, hellos, bank orders, amounts); the error answer built from
// the refusal must then pass the client's own envelope parser: valid UTF-8
// JSON within the client's limits, whatever the attacker sent.

#include <string>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/protocol/order.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

namespace {

void check_answer(const caf::error& err, const std::string& input) {
  auto reply = protocol::make_error_envelope(protocol::peek_id(input),
                                             code_of(err), explain(err));
  auto env = protocol::parse_envelope(reply);
  fuzz::require(static_cast<bool>(env),
                "the client cannot read an error answer");
  fuzz::require(env->type == "error", "an error answer changed its type");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{fuzz::as_text(data, size)};
  if (auto env = protocol::parse_envelope(text); !env)
    check_answer(env.error(), text);
  if (auto hello = protocol::parse_client_hello(text); !hello)
    check_answer(hello.error(), text);
  if (auto order = bank::parse_order(text); !order)
    check_answer(order.error(), text);
  if (auto amount = bank::parse_amount(text); !amount)
    check_answer(amount.error(), text);
  return 0;
}
