// libFuzzer target: the router's parse of a client hello, and its answer
// to any hello it accepts.

#include <string>

#include "actors/protocol/handshake.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& run = fuzz::handshake();
  std::string text{fuzz::as_text(data, size)};
  auto hello = protocol::parse_client_hello(text);
  if (!hello)
    return 0;
  fuzz::require(hello->text == text, "the transcript is not the frame");
  (void) protocol::answer_hello(*hello, run.server_key, run.server_der);
  return 0;
}
