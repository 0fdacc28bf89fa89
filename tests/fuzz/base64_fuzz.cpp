// libFuzzer target: strict base64 decoding; what decodes encodes back to
// the same text.

#include "crypto/bytes.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  crypto::bytes out;
  if (crypto::from_base64(text, out))
    fuzz::require(crypto::to_base64(out) == text, "base64 not canonical");
  return 0;
}
