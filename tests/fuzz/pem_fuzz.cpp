// libFuzzer target: private_key_from_pem with an empty passphrase (an
// encrypted PEM fails on the passphrase; its KDF would make runs slow).

#include <string>

#include "crypto/key.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string pem{fuzz::as_text(data, size)};
  auto k = crypto::private_key_from_pem(pem, "");
  if (k)
    fuzz::require(static_cast<bool>(k->public_der()), "no public half");
  return 0;
}
