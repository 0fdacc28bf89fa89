// Unit tests for actors/protocol/envelope: the envelope codec and the
// username rule.

#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/limits.hpp"
#include "tests/support/protocol_helpers.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;

namespace {

errc parse_code(const std::string& text) {
  return code(parse_envelope(text));
}

TEST(Envelope, SendRoundTrip) {
  auto text = make_envelope("send", "r1", {{"to", "bob"}, {"blob", "AAAA"}});
  auto env = parse_envelope(text);
  ASSERT_TRUE(env) << explain(env.error());
  EXPECT_EQ(env->type, "send");
  EXPECT_EQ(env->id, "r1");
  EXPECT_EQ(env->str("to"), "bob");
  EXPECT_EQ(env->str("blob"), "AAAA");
  EXPECT_EQ(env->num("v"), 1);
}

TEST(Envelope, EveryTypeRoundTrips) {
  struct sample {
    std::string type;
    boost::json::object fields;
  };
  std::vector<sample> samples{
    {"send", {{"to", "bob"}, {"blob", std::string(60 * 1024, 'b')}}},
    {"receipt", {{"status", "stored"}, {"seq", 42}}},
    {"deliver", {{"from", "alice"}, {"blob", "eHl6"}, {"ts", 1700000000000}}},
    {"ack", {}},
    {"presence", {}},
    {"presence", {{"online", boost::json::array{"alice", "bob"}}}},
    {"presence", {{"online", boost::json::array{}}}},
    {"key_lookup", {{"user", "bob"}}},
    {"key_lookup", {{"user", "bob"}, {"key", "MIIBIjAN"}}},
    {"welcome", {{"user", "alice"}, {"server", "courier 0.1"}, {"new_user", 1}}},
    {"error", {{"code", "oversize"}, {"message", "too big"}}},
  };
  for (const auto& s : samples) {
    auto text = make_envelope(s.type, "id-" + s.type, s.fields);
    auto env = parse_envelope(text);
    ASSERT_TRUE(env) << s.type << ": " << explain(env.error());
    EXPECT_EQ(env->type, s.type);
    EXPECT_EQ(env->id, "id-" + s.type);
    for (const auto& kv : s.fields) {
      ASSERT_TRUE(env->has(kv.key())) << s.type << "." << kv.key();
      EXPECT_EQ(env->fields.at(kv.key()), kv.value())
        << s.type << "." << kv.key();
    }
    EXPECT_EQ(env->fields.size(), s.fields.size() + 3) << s.type;
  }
}

TEST(Envelope, AccessorsAndOptionalFields) {
  auto env = parse_envelope(make_envelope(
    "deliver", "", {{"from", "alice"}, {"blob", "x"}, {"ts", 123456789012}}));
  ASSERT_TRUE(env);
  EXPECT_EQ(env->id, "");
  EXPECT_FALSE(env->has("id"));
  EXPECT_EQ(env->num("ts"), 123456789012);
  EXPECT_EQ(env->str("from"), "alice");
  auto kl = parse_envelope(make_envelope("key_lookup", "k", {{"user", "bob"}}));
  ASSERT_TRUE(kl);
  EXPECT_TRUE(kl->has("user"));
  EXPECT_FALSE(kl->has("key"));
}

TEST(Envelope, ErrorEnvelopeRoundTrip) {
  auto text = make_error_envelope("req-7", errc::username_taken, "name in use");
  auto env = parse_envelope(text);
  ASSERT_TRUE(env) << explain(env.error());
  EXPECT_EQ(env->type, "error");
  EXPECT_EQ(env->id, "req-7");
  EXPECT_EQ(env->str("code"), "username_taken");
  EXPECT_EQ(errc_from_string(std::string{env->str("code")}),
            errc::username_taken);
  EXPECT_EQ(env->str("message"), "name in use");

  auto anon = parse_envelope(make_error_envelope("", errc::bad_frame, "x"));
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->id, "");
  EXPECT_EQ(anon->str("code"), "bad_frame");
}

TEST(Envelope, DeliverAndReceiptWrittenByHandParseAsTheSchemaSays) {
  // Quotes, backslashes, control characters and UTF-8 survive escaping.
  std::string blob = "a\"b\\c\n\x01\x1f\t \xc3\xa9 end";
  auto d = parse_envelope(make_deliver_envelope(42, "al.ice", blob, -7));
  ASSERT_TRUE(d) << to_string(d.error());
  EXPECT_EQ(d->type, "deliver");
  EXPECT_EQ(d->id, "42");
  EXPECT_EQ(d->str("from"), "al.ice");
  EXPECT_EQ(d->str("blob"), blob);
  EXPECT_EQ(d->num("ts"), -7);
  auto r = parse_envelope(make_receipt_envelope("r\"1", "accepted", 9));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->type, "receipt");
  EXPECT_EQ(r->id, "r\"1");
  EXPECT_EQ(r->str("status"), "accepted");
  EXPECT_EQ(r->num("seq"), 9);
  auto anon = parse_envelope(make_receipt_envelope("", "delivered", 1));
  ASSERT_TRUE(anon);
  EXPECT_TRUE(anon->id.empty());
  EXPECT_FALSE(anon->has("id"));
  // Every byte value: the escaped string parses back to the same bytes.
  std::string all;
  for (int c = 1; c < 128; ++c)
    all.push_back(static_cast<char>(c));
  std::string json;
  append_json_string(json, all);
  EXPECT_EQ(boost::json::parse(json).as_string(), all);
}

// A sender may write a newline as two bytes; the router's delivery must
// not make six of it, or a message that fit the sender's frame would not
// fit its reader's (and its queue would be stuck on it).
TEST(Envelope, ControlCharactersKeepTheirShortEscapes) {
  std::string json;
  append_json_string(json, "\n\t\r\b\f\x01");
  EXPECT_EQ(json, R"("\n\t\r\b\f\u0001")");
  std::string newlines(32000, '\n');
  auto sent = make_envelope("send", "s1", {{"to", "bob"}, {"blob", newlines}});
  auto delivered = make_deliver_envelope(1, "alice", newlines, 1);
  EXPECT_LT(delivered.size(), sent.size() + 100);
}

TEST(Envelope, SizesAreKnownBeforeWriting) {
  std::string all;
  for (int c = 1; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  for (auto s : {std::string{}, std::string{"plain"}, all,
                 std::string(1000, '"')}) {
    std::string json;
    append_json_string(json, s);
    EXPECT_EQ(json_string_size(s), json.size());
    // The longest numbers make the longest delivery; none is longer.
    EXPECT_EQ(max_deliver_envelope_size("al.ice", s),
              make_deliver_envelope(UINT64_MAX, "al.ice", s, INT64_MIN).size());
    EXPECT_GE(max_deliver_envelope_size("al.ice", s),
              make_deliver_envelope(7, "al.ice", s, 1733000000000).size());
  }
}

TEST(Envelope, NotJson) {
  EXPECT_EQ(parse_code("hello"), errc::bad_envelope);
  EXPECT_EQ(parse_code(""), errc::bad_envelope);
  EXPECT_EQ(parse_code(std::string("\0\1\2", 3)), errc::bad_envelope);
}

TEST(Envelope, NotAnObject) {
  EXPECT_EQ(parse_code(R"([{"v":1,"type":"ack"}])"), errc::bad_envelope);
  EXPECT_EQ(parse_code("42"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"("ack")"), errc::bad_envelope);
  EXPECT_EQ(parse_code("null"), errc::bad_envelope);
}

TEST(Envelope, Version) {
  EXPECT_EQ(parse_code(R"({"v":1,"type":"ack"})"), errc::none);
  EXPECT_EQ(parse_code(R"({"type":"ack"})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":2,"type":"ack"})"), errc::unsupported_version);
  EXPECT_EQ(parse_code(R"({"v":0,"type":"ack"})"), errc::unsupported_version);
  EXPECT_EQ(parse_code(R"({"v":-1,"type":"ack"})"), errc::unsupported_version);
  EXPECT_EQ(parse_code(R"({"v":"1","type":"ack"})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1.0,"type":"ack"})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":true,"type":"ack"})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":null,"type":"ack"})"), errc::bad_envelope);
}

TEST(Envelope, Type) {
  EXPECT_EQ(parse_code(R"({"v":1})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":7})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"launch_missiles"})"),
            errc::unknown_type);
  EXPECT_EQ(parse_code(R"({"v":1,"type":""})"), errc::unknown_type);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"ACK"})"), errc::unknown_type);
  // Handshake frames are not envelopes.
  EXPECT_EQ(parse_code(R"({"v":1,"type":"client_hello"})"), errc::unknown_type);
}

TEST(Envelope, MissingRequiredField) {
  EXPECT_EQ(parse_code(R"({"v":1,"type":"send","blob":"x"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"send","to":"bob"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"receipt","status":"ok"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"deliver","from":"a","blob":"x"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"key_lookup"})"), errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"welcome","user":"a","server":"s"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"error","code":"x"})"),
            errc::bad_envelope);
}

TEST(Envelope, WrongFieldType) {
  EXPECT_EQ(parse_code(R"({"v":1,"type":"send","to":5,"blob":"x"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"send","to":"bob","blob":null})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"receipt","status":"ok","seq":"1"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"receipt","status":"ok","seq":1.5})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"presence","online":"alice"})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"presence","online":["a",1]})"),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(R"({"v":1,"type":"ack","id":7})"), errc::bad_envelope);
}

TEST(Envelope, PresenceListsAreBounded) {
  // Asking about, and answering for, at most max_presence_names names.
  for (auto field : {"users", "online"}) {
    boost::json::array names;
    for (size_t i = 0; i < max_presence_names; ++i)
      names.emplace_back("user" + std::to_string(i));
    auto text = make_envelope("presence", "p", {{field, names}});
    EXPECT_TRUE(parse_envelope(text)) << field;
    names.emplace_back("one-more");
    text = make_envelope("presence", "p", {{field, names}});
    EXPECT_EQ(parse_code(text), errc::oversize) << field;
    // Each entry is a username's length at most.
    text = make_envelope("presence", "p",
                         {{field, boost::json::array{std::string(33, 'a')}}});
    EXPECT_EQ(parse_code(text), errc::bad_envelope) << field;
  }
}

TEST(Envelope, PrekeyTypesHaveTheirSchema) {
  // The nested objects are checked by protocol/bundle; the envelope checks
  // their kinds, the batch size and the plain fields.
  boost::json::object obj{{"id", 1}, {"key", "AAAA"}};
  boost::json::object publish{{"device", boost::json::object{}},
                              {"spk", obj},
                              {"spk_sig", "AAAA"},
                              {"opks", boost::json::array{obj, obj}}};
  EXPECT_TRUE(parse_envelope(make_envelope("prekeys_publish", "1", publish)));
  boost::json::array batch(max_publish_prekeys, obj);
  publish["opks"] = batch;
  EXPECT_TRUE(parse_envelope(make_envelope("prekeys_publish", "1", publish)));
  batch.push_back(obj);
  publish["opks"] = batch;
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::oversize);
  publish["opks"] = boost::json::array{obj, "x"};
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::bad_envelope);
  publish["opks"] = obj;
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::bad_envelope);
  publish.erase("opks");
  publish["device"] = "x";
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::bad_envelope);
  publish["device"] = boost::json::object{};
  publish["spk_sig"] = std::string(89, 'A');
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::oversize);
  publish.erase("spk");
  publish["spk_sig"] = "AAAA";
  EXPECT_EQ(parse_code(make_envelope("prekeys_publish", "1", publish)),
            errc::bad_envelope);
  EXPECT_TRUE(parse_envelope(
    make_envelope("bundle_fetch", "2", {{"user", "bob"}})));
  EXPECT_TRUE(parse_envelope(make_envelope(
    "bundle_fetch", "2", {{"user", "bob"}, {"bundle", boost::json::object{}}})));
  EXPECT_EQ(parse_code(make_envelope("bundle_fetch", "2",
                                     {{"user", "bob"}, {"bundle", "x"}})),
            errc::bad_envelope);
  EXPECT_EQ(parse_code(make_envelope("bundle_fetch", "2", {})),
            errc::bad_envelope);
  EXPECT_TRUE(parse_envelope(make_envelope("prekeys_count", "3", {})));
  EXPECT_TRUE(
    parse_envelope(make_envelope("prekeys_count", "3", {{"count", 7}})));
  EXPECT_EQ(parse_code(make_envelope("prekeys_count", "3", {{"count", "7"}})),
            errc::bad_envelope);
}

TEST(Envelope, UnknownExtraField) {
  EXPECT_EQ(parse_code(R"({"v":1,"type":"ack","extra":1})"), errc::bad_envelope);
  EXPECT_EQ(
    parse_code(R"({"v":1,"type":"send","to":"bob","blob":"x","cc":"eve"})"),
    errc::bad_envelope);
  // A field of another type is unknown here.
  EXPECT_EQ(parse_code(R"({"v":1,"type":"ack","blob":"x"})"),
            errc::bad_envelope);
}

TEST(Envelope, OversizeField) {
  std::string at_cap(60 * 1024, 'A');
  EXPECT_EQ(parse_code(make_envelope("send", "1", {{"to", "bob"},
                                                   {"blob", at_cap}})),
            errc::none);
  EXPECT_EQ(parse_code(make_envelope("send", "1", {{"to", "bob"},
                                                   {"blob", at_cap + "A"}})),
            errc::oversize);
  EXPECT_EQ(parse_code(make_envelope(
              "send", "1", {{"to", std::string(33, 'a')}, {"blob", "x"}})),
            errc::oversize);
  EXPECT_EQ(parse_code(make_envelope(
              "error", "1", {{"code", "x"}, {"message", std::string(1025, 'm')}})),
            errc::oversize);
}

TEST(Envelope, IdLength) {
  EXPECT_EQ(parse_code(make_envelope("ack", std::string(64, 'i'))), errc::none);
  EXPECT_EQ(parse_code(make_envelope("ack", std::string(65, 'i'))),
            errc::bad_envelope);
}

TEST(Envelope, DeepNestingRejected) {
  auto nested = [](size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  // Top-level object is depth 1, so 7 arrays inside reach depth 8: the
  // parser accepts it and the schema then rejects the unknown field.
  auto at_limit = R"({"v":1,"type":"ack","x":)" + nested(7) + "}";
  auto r1 = parse_envelope(at_limit);
  ASSERT_FALSE(r1);
  EXPECT_EQ(code_of(r1.error()), errc::bad_envelope);
  EXPECT_EQ(explain(r1.error()).find("not JSON"), std::string::npos)
    << explain(r1.error());
  // One level deeper: the parser itself refuses.
  for (size_t depth : {8u, 9u, 50u, 100000u}) {
    auto text = R"({"v":1,"type":"ack","x":)" + nested(depth) + "}";
    auto r = parse_envelope(text);
    ASSERT_FALSE(r) << depth;
    EXPECT_EQ(code_of(r.error()), errc::bad_envelope) << depth;
    EXPECT_NE(explain(r.error()).find("not JSON"), std::string::npos)
      << depth << ": " << explain(r.error());
  }
}

TEST(Envelope, TruncatedJson) {
  auto text = make_envelope("send", "1", {{"to", "bob"}, {"blob", "xyz"}});
  ASSERT_EQ(parse_code(text), errc::none);
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_EQ(parse_code(text.substr(0, n)), errc::bad_envelope) << n;
  // Trailing garbage is not an envelope either.
  EXPECT_EQ(parse_code(text + "}"), errc::bad_envelope);
}

TEST(Envelope, ValidUsername) {
  EXPECT_TRUE(valid_username("alice"));
  EXPECT_TRUE(valid_username("a.b-c_1"));
  EXPECT_TRUE(valid_username("a"));
  EXPECT_TRUE(valid_username("0123456789"));
  EXPECT_TRUE(valid_username(std::string(32, 'z')));
  EXPECT_FALSE(valid_username(""));
  EXPECT_FALSE(valid_username(std::string(33, 'z')));
  EXPECT_FALSE(valid_username("Alice"));
  EXPECT_FALSE(valid_username("al ice"));
  EXPECT_FALSE(valid_username("ali/ce"));
  EXPECT_FALSE(valid_username("ali\\ce"));
  EXPECT_FALSE(valid_username("al\xc3\xaf" "ce")); // "alïce" in UTF-8
  EXPECT_FALSE(valid_username("\xe2\x80\x8b" "alice")); // zero-width space
  EXPECT_FALSE(valid_username(std::string("ali\0ce", 6)));
  EXPECT_FALSE(valid_username("alice\n"));
}

// A username is a folder name on clients: `.` and `..` would be the data
// home itself or its parent, a leading '.' hides the folder and a leading
// '-' reads as an option on a command line.
TEST(Envelope, UsernameIsASafeFolderName) {
  EXPECT_FALSE(valid_username("."));
  EXPECT_FALSE(valid_username(".."));
  EXPECT_FALSE(valid_username("..."));
  EXPECT_FALSE(valid_username(".alice"));
  EXPECT_FALSE(valid_username("-alice"));
  EXPECT_FALSE(valid_username("-"));
  // Inside or at the end the same characters are fine.
  EXPECT_TRUE(valid_username("alice."));
  EXPECT_TRUE(valid_username("alice-"));
  EXPECT_TRUE(valid_username("a..b"));
  EXPECT_TRUE(valid_username("_alice"));
}
} // namespace
