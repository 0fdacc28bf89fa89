// libFuzzer target: open_letter with the fixed recipient key ("bob"), and
// the signature check of whatever opens.

#include <string>

#include "actors/protocol/letter.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string blob{fuzz::as_text(data, size)};
  auto opened = protocol::open_letter(blob, "bob", fuzz::fixture_key("bob"));
  if (opened)
    (void) protocol::verify_letter(*opened, fuzz::fixture_key("alice"));
  return 0;
}
