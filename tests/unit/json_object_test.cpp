// Unit tests for the strict JSON-object reader every wire parser shares.

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/json_object.hpp"

using namespace courier;
using namespace courier::protocol;

namespace {

boost::json::object parse(const std::string& text) {
  auto obj = parse_json_object(text, errc::bad_envelope, {});
  EXPECT_TRUE(obj) << text;
  return obj ? *obj : boost::json::object{};
}

errc parse_code(const std::string& text, const json_limits& limits = {}) {
  auto obj = parse_json_object(text, errc::bad_encoding, {}, limits);
  return obj ? errc::none : code_of(obj.error());
}

} // namespace

TEST(JsonObject, ParsesObjectsOnly) {
  EXPECT_EQ(parse_code(R"({"a":1})"), errc::none);
  for (const char* text : {"", "nope", "[1]", "1", "\"x\"", "null", "{",
                           R"({"a":1}})", R"({"a":})"})
    EXPECT_EQ(parse_code(text), errc::bad_encoding) << text;
}

TEST(JsonObject, SizeAndDepthCapped) {
  std::string text = R"({"a":")" + std::string(100, 'x') + R"("})";
  EXPECT_EQ(parse_code(text, {text.size(), 8}), errc::none);
  EXPECT_EQ(parse_code(text, {text.size() - 1, 8}), errc::oversize);
  auto deep = R"({"a":)" + std::string(7, '[') + std::string(7, ']') + "}";
  EXPECT_EQ(parse_code(deep), errc::none);
  auto deeper = R"({"a":)" + std::string(8, '[') + std::string(8, ']') + "}";
  EXPECT_EQ(parse_code(deeper), errc::bad_encoding);
}

TEST(JsonObject, ContextPrefixesMessages) {
  auto obj = parse_json_object("[]", errc::bad_frame, "handshake: ");
  ASSERT_FALSE(obj);
  EXPECT_EQ(code_of(obj.error()), errc::bad_frame);
  EXPECT_NE(explain(obj.error()).find("handshake: not a JSON object"),
            std::string::npos)
    << explain(obj.error());
}

TEST(JsonObject, TypedGetters) {
  auto obj = parse(R"({"s":"hi","i":-7,"b":true,"o":{"x":1},"a":[1,2]})");
  json_object_reader r{obj, errc::bad_envelope};
  EXPECT_EQ(r.str("s"), "hi");
  EXPECT_EQ(r.int64("i"), -7);
  EXPECT_TRUE(r.boolean("b"));
  ASSERT_NE(r.object("o"), nullptr);
  ASSERT_NE(r.array("a"), nullptr);
  EXPECT_EQ(r.array("a")->size(), 2u);
  EXPECT_FALSE(r.opt_str("none"));
  EXPECT_FALSE(r.opt_int64("none"));
  EXPECT_EQ(r.opt_array("none"), nullptr);
  EXPECT_FALSE(r.finish());
}

// A flag is absent or true: `false` or any other value is refused, so a
// letter has one encoding.
TEST(JsonObject, FlagsAreAbsentOrTrue) {
  auto obj = parse(R"({"t":true,"f":false,"n":1})");
  json_object_reader r{obj, errc::bad_encoding};
  EXPECT_FALSE(r.flag("none"));
  EXPECT_TRUE(r.flag("t"));
  EXPECT_TRUE(r.ok());
  for (const char* name : {"f", "n"}) {
    json_object_reader bad{obj, errc::bad_encoding};
    EXPECT_FALSE(bad.flag(name)) << name;
    EXPECT_EQ(code_of(bad.error()), errc::bad_encoding) << name;
  }
}

TEST(JsonObject, MissingField) {
  auto obj = parse(R"({"s":"hi"})");
  json_object_reader r{obj, errc::bad_envelope};
  EXPECT_EQ(r.int64("n"), 0);
  EXPECT_FALSE(r.ok());
  auto err = r.finish();
  EXPECT_EQ(code_of(err), errc::bad_envelope);
  EXPECT_NE(explain(err).find("missing field 'n'"), std::string::npos)
    << explain(err);
}

TEST(JsonObject, WrongTypes) {
  auto obj = parse(R"({"s":1,"i":"1","f":1.5,"b":0,"o":[],"a":{}})");
  for (const char* name : {"s", "i", "f", "b", "o", "a"}) {
    json_object_reader r{obj, errc::bad_encoding};
    std::string n = name;
    if (n == "s")
      r.str(name);
    else if (n == "i" || n == "f")
      r.int64(name);
    else if (n == "b")
      r.boolean(name);
    else if (n == "o")
      EXPECT_EQ(r.object(name), nullptr);
    else
      EXPECT_EQ(r.array(name), nullptr);
    auto err = r.error();
    EXPECT_EQ(code_of(err), errc::bad_encoding) << name;
    EXPECT_NE(explain(err).find("has the wrong type"), std::string::npos)
      << explain(err);
  }
}

TEST(JsonObject, LengthLimits) {
  auto obj = parse(R"({"s":"abcd","a":[1,2,3]})");
  json_object_reader ok{obj, errc::bad_envelope};
  ok.str("s", 4);
  ok.array("a", 3);
  EXPECT_FALSE(ok.finish());
  json_object_reader long_str{obj, errc::bad_envelope};
  long_str.str("s", 3);
  EXPECT_EQ(code_of(long_str.finish()), errc::oversize);
  json_object_reader long_arr{obj, errc::bad_envelope};
  long_arr.opt_array("a", 2);
  EXPECT_EQ(code_of(long_arr.finish()), errc::oversize);
}

TEST(JsonObject, UnknownFieldsRefused) {
  auto obj = parse(R"({"a":1,"b":2,"c":3})");
  json_object_reader r{obj, errc::bad_envelope};
  r.int64("a");
  r.opt_int64("c");
  auto err = r.finish();
  EXPECT_EQ(code_of(err), errc::bad_envelope);
  EXPECT_NE(explain(err).find("unknown field 'b'"), std::string::npos)
    << explain(err);
  // Asking for a field with `field` counts too.
  json_object_reader all{obj, errc::bad_envelope};
  for (const char* name : {"a", "b", "c"})
    EXPECT_NE(all.field(name, true), nullptr);
  EXPECT_FALSE(all.finish());
}

TEST(JsonObject, FirstFailureWins) {
  auto obj = parse(R"({"a":"x","z":1})");
  json_object_reader r{obj, errc::bad_frame, "handshake: "};
  r.int64("a");     // wrong type: reported
  r.str("missing"); // missing: not reported, a failure is already there
  auto err = r.finish();
  EXPECT_EQ(code_of(err), errc::bad_frame);
  EXPECT_NE(explain(err).find("handshake: field 'a' has the wrong type"),
            std::string::npos)
    << explain(err);
  EXPECT_EQ(r.str("z"), "");
}

TEST(JsonObject, TooManyFieldsRefused) {
  boost::json::object obj;
  for (int i = 0; i < 65; ++i)
    obj["f" + std::to_string(i)] = i;
  json_object_reader r{obj, errc::bad_envelope};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(code_of(r.finish()), errc::bad_envelope);
  obj.erase("f64");
  json_object_reader fits{obj, errc::bad_envelope};
  for (int i = 0; i < 64; ++i)
    fits.int64("f" + std::to_string(i));
  EXPECT_FALSE(fits.finish());
}
