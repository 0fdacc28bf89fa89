// libFuzzer target: a letter for the fixed reader "bob" from "alice",
// checked with alice's key before bob's private key is used.

#include <string>

#include "actors/protocol/letter.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string blob{fuzz::as_text(data, size)};
  (void) protocol::open_letter(blob, "bob", "alice",
                               fuzz::fixture_key("alice"),
                               fuzz::fixture_key("bob"));
  return 0;
}
