// libFuzzer target: the strict JSON reader (parse_json_object under tight
// limits, then json_object_reader with every kind of getter).

#include "actors/protocol/json_object.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
using namespace courier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto obj = parse_json_object(fuzz::as_text(data, size), errc::bad_envelope,
                               "fuzz: ", json_limits{4096, 4});
  if (!obj)
    return 0;
  json_object_reader r{*obj, errc::bad_envelope, "fuzz: "};
  (void) r.opt_str("s", 8);
  (void) r.opt_int64("i");
  if (r.field("b", false))
    (void) r.boolean("b");
  if (r.field("o", false))
    (void) r.object("o");
  (void) r.opt_array("a", 4);
  auto err = r.finish();
  // Only the fields asked for may be there when the reader is satisfied.
  if (!err)
    fuzz::require(obj->size() <= 5, "finish accepted an unknown field");
  return 0;
}
