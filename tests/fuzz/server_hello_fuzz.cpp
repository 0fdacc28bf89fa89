// libFuzzer target: the client's check of a server hello (signature,
// pinned key, wrapped secret) within a real handshake.

#include <string>

#include "actors/protocol/handshake.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& run = fuzz::handshake();
  std::string text{fuzz::as_text(data, size)};
  auto done = protocol::finish_handshake(run.start, fuzz::fixture_key("alice"),
                                         text, run.server_der);
  // The signature covers the whole hello: only the real one may pass.
  if (done)
    fuzz::require(text == run.server_hello, "a forged server hello passed");
  return 0;
}
