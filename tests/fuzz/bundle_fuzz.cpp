// libFuzzer target: the JSON forms of end-to-end v2: device certificates,
// prekey bundles, X3DH initiations (actors/protocol/bundle) and ratchet
// letters. What parses must write back and parse to the same values.

#include <boost/json.hpp>

#include "actors/protocol/bundle.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "actors/protocol/json_object.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
using namespace courier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{fuzz::as_text(data, size)};
  if (auto l = parse_ratchet_letter(text)) {
    auto again = parse_ratchet_letter(write_ratchet_letter(*l));
    fuzz::require(static_cast<bool>(again)
                    && again->message.ciphertext == l->message.ciphertext
                    && again->message.head.n == l->message.head.n
                    && again->initiation.has_value()
                         == l->initiation.has_value(),
                  "a ratchet letter changed in a round trip");
  }
  (void) letter_version(text);
  auto obj = parse_json_object(text, errc::bad_envelope, {});
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
