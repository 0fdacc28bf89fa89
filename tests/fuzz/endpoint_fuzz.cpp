// libFuzzer target: endpoint parsing (HOST:PORT and lists of them); an
// endpoint it accepts prints back to one that parses the same.

#include <string>
#include <vector>

#include "actors/common/endpoint.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  for (bool any_port : {false, true}) {
    auto e = parse_endpoint(text, any_port);
    if (!e)
      continue;
    fuzz::require(any_port || e->port != 0, "port 0 without any_port");
    auto again = parse_endpoint(e->to_string(), any_port);
    fuzz::require(again && again->host == e->host && again->port == e->port,
                  "an endpoint did not round-trip");
  }
  std::vector<endpoint> list;
  (void) parse_endpoints(std::string{text}, list);
  return 0;
}
