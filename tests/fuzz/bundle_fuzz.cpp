// libFuzzer target: the JSON forms of device certificates, prekey bundles
// and X3DH initiations (actors/protocol/bundle). What parses must write
// back and parse to the same values.

#include <boost/json.hpp>

#include "actors/protocol/bundle.hpp"
#include "actors/protocol/json_object.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
using namespace courier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto obj = parse_json_object(fuzz::as_text(data, size), errc::bad_envelope,
                               {});
  if (!obj)
    return 0;
  if (auto b = bundle_from_json(*obj)) {
    auto again = bundle_from_json(to_json(*b));
    fuzz::require(static_cast<bool>(again), "a bundle did not round-trip");
    fuzz::require(again->device.signature == b->device.signature
                    && again->signed_prekey.key == b->signed_prekey.key
                    && again->one_time.has_value() == b->one_time.has_value(),
                  "a bundle changed in a round trip");
  }
  if (auto i = initiation_from_json(*obj)) {
    auto again = initiation_from_json(to_json(*i));
    fuzz::require(static_cast<bool>(again), "an initiation did not round-trip");
    fuzz::require(again->ephemeral == i->ephemeral
                    && again->one_time == i->one_time,
                  "an initiation changed in a round trip");
  }
  if (auto c = certificate_from_json(*obj)) {
    auto again = certificate_from_json(to_json(*c));
    fuzz::require(static_cast<bool>(again) && again->user == c->user
                    && again->identity == c->identity,
                  "a certificate changed in a round trip");
  }
  return 0;
}
