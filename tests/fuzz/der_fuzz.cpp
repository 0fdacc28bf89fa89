// libFuzzer target: public_key_from_der (SubjectPublicKeyInfo DER, as in
// a client hello); a key it accepts writes DER that parses again.

#include "crypto/key.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto k = crypto::public_key_from_der(crypto::byte_view{data, size});
  if (!k)
    return 0;
  (void) k->kind();
  (void) k->bits();
  auto der = k->public_der();
  fuzz::require(der && crypto::public_key_from_der(*der),
                "a public key did not round-trip");
  return 0;
}
