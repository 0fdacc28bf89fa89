// libFuzzer target: the router's check of a client finish (proof of key
// possession) within a real handshake.

#include <string>

#include "actors/protocol/handshake.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& run = fuzz::handshake();
  std::string text{fuzz::as_text(data, size)};
  auto err = protocol::verify_finish(run.hello, run.pending, text);
  // Unlike the hello, a finish is a JSON text: only its signature counts,
  // so a reordered or respaced real finish may pass; a new signature not.
  (void) err;
  return 0;
}
