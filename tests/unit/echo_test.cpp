// Unit tests for actors/protocol/echo: what of untrusted text an error
// message may repeat, and that every error answer stays readable for the
// client (issue 18: broken UTF-8 and oversized error replies).

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/echo.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/protocol/order.hpp"

using namespace courier;
using namespace courier::protocol;

namespace {

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

bool valid_utf8(const std::string& s) {
  // Boost.JSON rejects invalid UTF-8 inside a string.
  boost::json::error_code ec;
  std::string quoted = "\"" + s + "\"";
  boost::json::parse(quoted, ec);
  return !ec;
}

// The router's answer to a refused input, read back as a client reads it.
void expect_client_reads(const caf::error& err) {
  auto reply = make_error_envelope("r1", code_of(err), explain(err));
  auto env = parse_envelope(reply);
  ASSERT_TRUE(env) << "the client rejects the router's answer: "
                   << explain(env.error());
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->str("code"), to_string(code_of(err)));
}

TEST(Echo, ShortValidTextIsKept) {
  EXPECT_EQ(echo("bob"), "bob");
  EXPECT_EQ(echo("d\xc3\xa9j\xc3\xa0"), "d\xc3\xa9j\xc3\xa0");
  EXPECT_EQ(echo(""), "");
}

TEST(Echo, LongTextIsCutOnACharacterBoundary) {
  auto text = "a" + repeat("\xc3\xa9", 30); // 61 bytes
  auto out = echo(text);
  EXPECT_LE(out.size(), echo_max + 3);
  EXPECT_EQ(out.substr(out.size() - 3), "...");
  EXPECT_TRUE(valid_utf8(out)) << out;
  EXPECT_EQ(out, "a" + repeat("\xc3\xa9", 19) + "...");
}

TEST(Echo, InvalidBytesBecomeQuestionMarks) {
  EXPECT_EQ(echo("a\xff" "b"), "a?b");
  EXPECT_EQ(echo("\xc3"), "?");                  // truncated character
  EXPECT_EQ(echo("\xc0\xaf"), "??");             // overlong '/'
  EXPECT_EQ(echo("\xed\xa0\x80"), "???");        // a surrogate
  EXPECT_EQ(echo("\xf4\x90\x80\x80"), "????");   // above U+10FFFF
  EXPECT_EQ(echo("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"); // an emoji
}

TEST(Echo, Utf8PrefixNeverEndsInsideACharacter) {
  auto text = repeat("\xe2\x82\xac", 10); // 30 bytes of euro signs
  for (size_t max = 0; max <= 31; ++max) {
    auto p = std::string{utf8_prefix(text, max)};
    EXPECT_LE(p.size(), max);
    EXPECT_EQ(p.size() % 3, 0u) << max;
    EXPECT_GE(p.size() + 2, std::min<size_t>(max, 30)) << max;
  }
}

// The reproducer from issue 18: a hello whose user name is "a" and thirty
// "é". The old router cut it after 40 bytes, in the middle of a character.
TEST(ErrorReplies, AnInvalidUsernameWithAccentsIsAnswerable) {
  auto hello = R"({"v":1,"type":"client_hello","user":"a)"
               + repeat("\xc3\xa9", 30)
               + R"(","identity":"","eph":"","nonce":""})";
  auto parsed = parse_client_hello(hello);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(code_of(parsed.error()), errc::invalid_username);
  expect_client_reads(parsed.error());
}

// The other reproducer: a type name of 1,000 bytes used to be copied whole
// into an answer longer than the 1,024 bytes clients accept.
TEST(ErrorReplies, AnOversizedTypeNameIsNotEchoedWhole) {
  auto text = R"({"v":1,"type":")" + std::string(1000, 'a') + R"("})";
  auto env = parse_envelope(text);
  ASSERT_FALSE(env);
  EXPECT_EQ(code_of(env.error()), errc::unknown_type);
  EXPECT_LT(explain(env.error()).size(), 200u);
  expect_client_reads(env.error());
}

TEST(ErrorReplies, LongFieldNamesOrdersAndAmountsAreBounded) {
  auto unknown_field = R"({"v":1,"type":"ack","x)" + repeat("\xc3\xa9", 500)
                       + R"(":1})";
  auto env = parse_envelope(unknown_field);
  ASSERT_FALSE(env);
  expect_client_reads(env.error());
  auto order = bank::parse_order(R"({"bank":1,"type":"transfer","transfer_id":"t",)"
                           R"("to":")" + repeat("\xc3\xa9", 40)
                           + R"(","amount_minor":5})");
  ASSERT_FALSE(order);
  expect_client_reads(order.error());
  auto amount = bank::parse_amount(repeat("\xc3\xa9", 100));
  ASSERT_FALSE(amount);
  expect_client_reads(amount.error());
  EXPECT_TRUE(valid_utf8(explain(amount.error())));
}

TEST(ErrorReplies, AnyMessageIsCutToWhatClientsAccept) {
  auto reply = make_error_envelope("r1", errc::internal,
                                   repeat("\xe2\x82\xac", 2000));
  auto env = parse_envelope(reply);
  ASSERT_TRUE(env) << explain(env.error());
  EXPECT_LE(env->str("message").size(), 1024u);
}

} // namespace
