// libFuzzer target: what a router reads from a `prekeys_publish` envelope
// (actors/protocol/bundle: upload_from_json, after the envelope schema)
// and what a client reads from a `bundle_fetch` answer. What parses must
// write back and parse to the same values, within the limits.

#include <boost/json.hpp>

#include "actors/protocol/bundle.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/limits.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
using namespace courier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto env = parse_envelope(fuzz::as_text(data, size));
  if (!env)
    return 0;
  if (env->type == "prekeys_publish") {
    if (auto up = upload_from_json(env->fields)) {
      fuzz::require(up->one_time.size() <= max_publish_prekeys,
                    "an upload over the batch limit parsed");
      auto again = upload_from_json(to_json(*up));
      fuzz::require(static_cast<bool>(again), "an upload did not round-trip");
      fuzz::require(again->one_time.size() == up->one_time.size()
                      && again->signed_prekey.key == up->signed_prekey.key
                      && again->prekey_signature == up->prekey_signature
                      && again->device.signature == up->device.signature,
                    "an upload changed in a round trip");
    }
  } else if (env->type == "bundle_fetch" && env->has("bundle")) {
    if (auto b = bundle_from_json(env->fields.at("bundle").as_object())) {
      auto again = bundle_from_json(to_json(*b));
      fuzz::require(static_cast<bool>(again)
                      && again->one_time.has_value() == b->one_time.has_value(),
                    "a fetched bundle changed in a round trip");
    }
  }
  return 0;
}
