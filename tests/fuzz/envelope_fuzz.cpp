// libFuzzer target: envelope parsing (parse_envelope, peek_id) and the
// JSON string writer the fast envelope builders use.

#include <string>

#include <boost/json/parse.hpp>

#include "actors/protocol/envelope.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto id = protocol::peek_id(text);
  if (auto env = protocol::parse_envelope(text)) {
    fuzz::require(id == env->id, "peek_id disagrees with the envelope");
    for (const auto& kv : env->fields) {
      (void) env->str(kv.key());
      (void) env->num(kv.key());
    }
    // What we parsed we must be able to write and read back.
    auto again = protocol::parse_envelope(
      protocol::make_envelope(env->type, env->id, env->fields));
    fuzz::require(static_cast<bool>(again), "an envelope did not round-trip");
    fuzz::require(again->type == env->type && again->id == env->id,
                  "an envelope changed in a round trip");
  }
  // Any bytes as a JSON string: what parses must be the bytes themselves.
  std::string quoted;
  protocol::append_json_string(quoted, text);
  boost::json::error_code ec;
  auto val = boost::json::parse(quoted, ec);
  if (!ec)
    fuzz::require(val.is_string() && val.get_string() == text,
                  "append_json_string changed the text");
  return 0;
}
