// Unit tests for the protocol pieces: length-prefixed framing, the envelope
// codec, the AEAD session channel and the authenticated handshake.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "actors/common/error.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"

using namespace courier;
using namespace courier::protocol;

namespace {

template <class T>
errc code(const caf::expected<T>& x) {
  return x ? errc::none : code_of(x.error());
}

errc code(const caf::error& err) {
  return code_of(err);
}

// -- shared keys (RSA generation is slow) -----------------------------------

const crypto::key& alice_key() {
  static crypto::key k = *crypto::generate_rsa(2048);
  return k;
}

const crypto::key& mallory_key() {
  static crypto::key k = *crypto::generate_rsa(2048);
  return k;
}

const crypto::key& server_key() {
  static crypto::key k = *crypto::generate_ed25519();
  return k;
}

const crypto::bytes& server_der() {
  static crypto::bytes der = *server_key().public_der();
  return der;
}

const crypto::key& other_server_key() {
  static crypto::key k = *crypto::generate_ed25519();
  return k;
}

const crypto::bytes& other_server_der() {
  static crypto::bytes der = *other_server_key().public_der();
  return der;
}

// ============================================================================
// frame_reader / append_frame
// ============================================================================

std::string framed(const std::string& payload) {
  std::vector<char> out;
  append_frame(out, payload);
  return {out.begin(), out.end()};
}

std::string header(uint32_t len) {
  return {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
          static_cast<char>(len >> 8), static_cast<char>(len)};
}

TEST(FrameReader, SingleFrame) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  auto wire = framed("hello");
  ASSERT_FALSE(rd.feed(wire.data(), wire.size(), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "hello");
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, SeveralFramesInOneFeed) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  std::string wire = framed("one") + framed("two") + framed(std::string(300, 'x'))
                     + framed("four");
  ASSERT_FALSE(rd.feed(wire.data(), wire.size(), out));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "one");
  EXPECT_EQ(out[1], "two");
  EXPECT_EQ(out[2], std::string(300, 'x'));
  EXPECT_EQ(out[3], "four");
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, FrameSplitByteByByte) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  std::string wire = framed("abcdef") + framed("g");
  size_t first_len = frame_header_size + 6;
  for (size_t i = 0; i < wire.size(); ++i) {
    ASSERT_FALSE(rd.feed(wire.data() + i, 1, out)) << "at byte " << i;
    if (i + 1 < first_len) {
      EXPECT_TRUE(out.empty()) << "at byte " << i;
      EXPECT_EQ(rd.pending(), i + 1);
    } else if (i + 1 == first_len) {
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(rd.pending(), 0u);
    }
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "abcdef");
  EXPECT_EQ(out[1], "g");
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, CompleteFrameThenPartial) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  std::string second = framed("0123456789");
  std::string wire = framed("first") + second.substr(0, 7);
  ASSERT_FALSE(rd.feed(wire.data(), wire.size(), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "first");
  EXPECT_EQ(rd.pending(), 7u); // 4 header bytes + 3 payload bytes
  ASSERT_FALSE(rd.feed(second.data() + 7, second.size() - 7, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], "0123456789");
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, PendingCountsPartialHeader) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  auto wire = framed("xyz");
  ASSERT_FALSE(rd.feed(wire.data(), 2, out));
  EXPECT_EQ(rd.pending(), 2u);
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(rd.feed(wire.data() + 2, 3, out));
  EXPECT_EQ(rd.pending(), 5u);
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(rd.feed(wire.data() + 5, wire.size() - 5, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "xyz");
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, ZeroLengthIsError) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  auto wire = header(0) + framed("after");
  auto err = rd.feed(wire.data(), wire.size(), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::oversize);
  EXPECT_TRUE(out.empty());
}

TEST(FrameReader, ZeroLengthAfterGoodFrameIsError) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  auto wire = framed("ok") + header(0);
  auto err = rd.feed(wire.data(), wire.size(), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::oversize);
}

TEST(FrameReader, OverCapIsErrorBeforePayloadArrives) {
  frame_reader rd{100};
  std::vector<std::string> out;
  auto wire = header(101);
  auto err = rd.feed(wire.data(), wire.size(), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::oversize);
  EXPECT_TRUE(out.empty());
}

TEST(FrameReader, HugeLengthIsError) {
  frame_reader rd{1 << 20};
  std::vector<std::string> out;
  auto wire = header(0xFFFFFFFFu) + std::string(10, 'a');
  auto err = rd.feed(wire.data(), wire.size(), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::oversize);
}

TEST(FrameReader, ExactlyAtCapAccepted) {
  frame_reader rd{100};
  std::vector<std::string> out;
  std::string payload(100, 'z');
  auto wire = framed(payload);
  ASSERT_FALSE(rd.feed(wire.data(), wire.size(), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], payload);
  auto over = framed(std::string(101, 'z'));
  auto err = rd.feed(over.data(), over.size(), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::oversize);
}

TEST(FrameReader, ShrinkKeepsState) {
  frame_reader rd{1024};
  std::vector<std::string> out;
  auto wire = framed("abc");
  ASSERT_FALSE(rd.feed(wire.data(), 5, out));
  rd.shrink(); // not idle: must keep the partial bytes
  EXPECT_EQ(rd.pending(), 5u);
  ASSERT_FALSE(rd.feed(wire.data() + 5, wire.size() - 5, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "abc");
  rd.shrink();
  EXPECT_EQ(rd.pending(), 0u);
}

TEST(FrameReader, ReadHandsOutViewsAndKeepsTheRest) {
  std::vector<char> wire;
  append_frame(wire, "first");
  append_frame(wire, "second");
  append_frame(wire, "third");
  frame_reader r{1024};
  std::vector<std::string> seen;
  // Stop after the first frame: the rest stays for the next read.
  auto stop_after_one = [&](std::string_view f) {
    seen.emplace_back(f);
    return false;
  };
  ASSERT_FALSE(r.read(wire.data(), wire.size() - 2, stop_after_one));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "first");
  auto all = [&](std::string_view f) {
    seen.emplace_back(f);
    return true;
  };
  ASSERT_FALSE(r.read(wire.data() + wire.size() - 2, 2, all));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1], "second");
  EXPECT_EQ(seen[2], "third");
  EXPECT_EQ(r.pending(), 0u);
  // A bad length is an error whichever path it takes.
  char zero[4] = {0, 0, 0, 0};
  EXPECT_TRUE(r.read(zero, sizeof(zero), all));
}

TEST(AppendFrame, BigEndianPrefix) {
  std::vector<char> out{'p'}; // appends, keeps what is there
  std::string payload(0x010203, 'q');
  append_frame(out, payload);
  ASSERT_EQ(out.size(), 1 + frame_header_size + payload.size());
  EXPECT_EQ(out[0], 'p');
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x00);
  EXPECT_EQ(static_cast<uint8_t>(out[2]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(out[3]), 0x02);
  EXPECT_EQ(static_cast<uint8_t>(out[4]), 0x03);
  EXPECT_EQ(std::string(out.begin() + 5, out.end()), payload);

  std::vector<char> small;
  append_frame(small, "hi");
  ASSERT_EQ(small.size(), 6u);
  EXPECT_EQ(std::string(small.begin(), small.end()),
            std::string("\0\0\0\2hi", 6));
}

TEST(AppendFrame, RoundTripsThroughReader) {
  std::vector<std::string> payloads{"a", std::string(255, 'b'),
                                    std::string(256, 'c'),
                                    std::string("bin\0ary\xff", 8),
                                    std::string(70000, 'd')};
  std::vector<char> wire;
  for (const auto& p : payloads)
    append_frame(wire, p);
  frame_reader rd{1 << 20};
  std::vector<std::string> out;
  // Feed in odd-sized chunks.
  for (size_t pos = 0; pos < wire.size(); pos += 977) {
    auto n = std::min<size_t>(977, wire.size() - pos);
    ASSERT_FALSE(rd.feed(wire.data() + pos, n, out));
  }
  EXPECT_EQ(out, payloads);
  EXPECT_EQ(rd.pending(), 0u);
}

// ============================================================================
// envelope codec
// ============================================================================

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

// ============================================================================
// channel
// ============================================================================

struct channel_pair {
  crypto::secret k1 = crypto::random_secret(32);
  crypto::secret k2 = crypto::random_secret(32);
  channel a{traffic_keys{k1, k2}};
  channel b{traffic_keys{k2, k1}};

  channel fresh_b() const { return channel{traffic_keys{k2, k1}}; }
};

std::string seal(channel& ch, const std::string& msg) {
  std::string out;
  auto err = ch.seal(msg, out);
  EXPECT_FALSE(err) << explain(err);
  return out;
}

TEST(Channel, ManyFramesInOrderBothWays) {
  channel_pair p;
  ASSERT_TRUE(p.a.ready());
  ASSERT_TRUE(p.b.ready());
  for (int i = 0; i < 200; ++i) {
    auto msg = "a->b #" + std::to_string(i) + std::string(i, '.');
    auto sealed = seal(p.a, msg);
    EXPECT_EQ(sealed.find("a->b #"), std::string::npos); // not plaintext
    EXPECT_EQ(sealed.size(), msg.size() + 16);
    std::string got;
    ASSERT_FALSE(p.b.open(sealed, got)) << i;
    EXPECT_EQ(got, msg);
    auto back = "b->a #" + std::to_string(i);
    std::string got2;
    ASSERT_FALSE(p.a.open(seal(p.b, back), got2)) << i;
    EXPECT_EQ(got2, back);
  }
  std::string got;
  ASSERT_FALSE(p.b.open(seal(p.a, ""), got));
  EXPECT_EQ(got, "");
}

TEST(Channel, SealFrameAppendsAFrameTheReaderSplits) {
  channel_pair p;
  std::vector<char> wire{'x'}; // what was in the buffer stays
  ASSERT_FALSE(p.a.seal_frame("one", wire));
  ASSERT_FALSE(p.a.seal_frame(std::string(3000, 'z'), wire));
  EXPECT_EQ(wire.front(), 'x');
  frame_reader r{64 * 1024};
  std::vector<std::string> frames;
  ASSERT_FALSE(r.feed(wire.data() + 1, wire.size() - 1, frames));
  ASSERT_EQ(frames.size(), 2u);
  std::string got;
  ASSERT_FALSE(p.b.open(frames[0], got));
  EXPECT_EQ(got, "one");
  ASSERT_FALSE(p.b.open(frames[1], got));
  EXPECT_EQ(got, std::string(3000, 'z'));
  // A channel that is not ready leaves the buffer as it was.
  channel none;
  auto before = wire.size();
  EXPECT_TRUE(none.seal_frame("x", wire));
  EXPECT_EQ(wire.size(), before);
}

TEST(Channel, SameMessageSealsDifferently) {
  channel_pair p;
  auto s1 = seal(p.a, "same");
  auto s2 = seal(p.a, "same");
  EXPECT_NE(s1, s2);
}

TEST(Channel, ReplayFails) {
  channel_pair p;
  auto f1 = seal(p.a, "pay bob 10");
  std::string got;
  ASSERT_FALSE(p.b.open(f1, got));
  auto err = p.b.open(f1, got);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::decrypt_failed);
  EXPECT_FALSE(p.b.ready());
}

TEST(Channel, ReorderFails) {
  channel_pair p;
  auto f1 = seal(p.a, "first");
  auto f2 = seal(p.a, "second");
  std::string got;
  EXPECT_TRUE(p.b.open(f2, got));
  // Even the right frame is refused afterwards.
  EXPECT_TRUE(p.b.open(f1, got));
  // A fresh receiver shows both frames were fine in order.
  auto b2 = p.fresh_b();
  ASSERT_FALSE(b2.open(f1, got));
  EXPECT_EQ(got, "first");
  ASSERT_FALSE(b2.open(f2, got));
  EXPECT_EQ(got, "second");
}

TEST(Channel, DroppedFrameFails) {
  channel_pair p;
  seal(p.a, "lost");
  auto f2 = seal(p.a, "second");
  std::string got;
  EXPECT_TRUE(p.b.open(f2, got));
}

TEST(Channel, AnyFlippedBitFails) {
  channel_pair p;
  auto sealed = seal(p.a, "attack at dawn");
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    auto bad = sealed;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    auto rx = p.fresh_b();
    std::string got;
    auto err = rx.open(bad, got);
    ASSERT_TRUE(err) << "bit " << i;
    EXPECT_EQ(code_of(err), errc::decrypt_failed) << "bit " << i;
  }
  auto rx = p.fresh_b();
  std::string got;
  ASSERT_FALSE(rx.open(sealed, got));
  EXPECT_EQ(got, "attack at dawn");
}

TEST(Channel, TruncatedFrameFails) {
  channel_pair p;
  auto sealed = seal(p.a, "some payload");
  for (size_t n = 0; n < sealed.size(); ++n) {
    auto rx = p.fresh_b();
    std::string got;
    EXPECT_TRUE(rx.open(sealed.substr(0, n), got)) << n;
  }
  auto rx = p.fresh_b();
  std::string got;
  EXPECT_TRUE(rx.open(sealed + "x", got)); // extended fails too
}

TEST(Channel, FailsClosed) {
  channel_pair p;
  auto f1 = seal(p.a, "one");
  auto f2 = seal(p.a, "two");
  auto bad = f1;
  bad[0] = static_cast<char>(bad[0] ^ 1);
  std::string got;
  ASSERT_TRUE(p.b.open(bad, got));
  EXPECT_FALSE(p.b.ready());
  // Neither the frame for slot 0 nor for slot 1 opens any more.
  auto err = p.b.open(f1, got);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), errc::not_authenticated);
  EXPECT_TRUE(p.b.open(f2, got));
  // The broken side does not seal either.
  std::string out;
  EXPECT_EQ(code_of(p.b.seal("x", out)), errc::not_authenticated);
}

TEST(Channel, ReflectionFails) {
  channel_pair p;
  auto f = seal(p.a, "to b");
  std::string got;
  EXPECT_TRUE(p.a.open(f, got));
}

TEST(Channel, DifferentKeysFail) {
  channel_pair p, q;
  auto f = seal(p.a, "hi");
  std::string got;
  EXPECT_TRUE(q.b.open(f, got));
  // The frame itself is fine: its real receiver opens it.
  auto rx = p.fresh_b();
  EXPECT_FALSE(rx.open(f, got));
}

TEST(Channel, ReleasedContextsComeBackWithTheSameCounters) {
  channel_pair p;
  auto f0 = seal(p.a, "before");
  std::string got;
  ASSERT_FALSE(p.b.open(f0, got));
  p.a.release();
  p.b.release();
  EXPECT_FALSE(p.a.holds_contexts());
  EXPECT_TRUE(p.a.ready());
  // The counters carry on: the next frame opens, a replay still fails.
  auto f1 = seal(p.a, "after");
  EXPECT_TRUE(p.a.holds_contexts());
  ASSERT_FALSE(p.b.open(f1, got));
  EXPECT_EQ(got, "after");
  p.b.release();
  EXPECT_EQ(code_of(p.b.open(f1, got)), errc::decrypt_failed);
  // A receiver that never released agrees on the stream.
  auto rx = p.fresh_b();
  ASSERT_FALSE(rx.open(f0, got));
  ASSERT_FALSE(rx.open(f1, got));
  EXPECT_EQ(got, "after");
}

TEST(Channel, HalfTheKeysIsNotReady) {
  channel half{traffic_keys{crypto::random_secret(32), crypto::secret{}}};
  EXPECT_FALSE(half.ready());
  channel short_key{traffic_keys{crypto::random_secret(5),
                                 crypto::random_secret(32)}};
  std::string out;
  EXPECT_TRUE(short_key.seal("x", out));
}

TEST(Channel, DefaultChannelRefuses) {
  channel ch;
  EXPECT_FALSE(ch.ready());
  std::string out;
  EXPECT_EQ(code_of(ch.seal("x", out)), errc::not_authenticated);
  EXPECT_EQ(code_of(ch.open(std::string(20, 'x'), out)),
            errc::not_authenticated);
}

// ============================================================================
// handshake
// ============================================================================

/// Everything one run of the handshake produces.
struct run {
  client_start start;
  client_hello hello; ///< as the server parsed it
  std::string server_hello;
  server_pending pending;
};

run begin(const std::string& user, const crypto::key& identity) {
  run r;
  auto st = start_handshake(user, identity);
  EXPECT_TRUE(st) << explain(st.error());
  r.start = *st;
  auto hello = parse_client_hello(st->hello.text);
  EXPECT_TRUE(hello) << explain(hello.error());
  r.hello = *hello;
  auto ans = answer_hello(*hello, server_key(), server_der());
  EXPECT_TRUE(ans) << explain(ans.error());
  r.server_hello = ans->first;
  r.pending = ans->second;
  return r;
}

boost::json::object as_object(const std::string& text) {
  return boost::json::parse(text).as_object();
}

std::string get_field(const std::string& text, const char* name) {
  return std::string{as_object(text).at(name).as_string()};
}

template <class T>
std::string with_field(const std::string& text, const char* name,
                       const T& value) {
  auto obj = as_object(text);
  obj[name] = value;
  return boost::json::serialize(obj);
}

/// Replaces one base64 character in the middle of the field with another
/// alphabet character, so that the decoded bytes change.
std::string tamper_b64(const std::string& text, const char* name) {
  auto s = get_field(text, name);
  EXPECT_GT(s.size(), 8u);
  auto i = s.size() / 2;
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return with_field(text, name, s);
}

void expect_channels_interoperate(channel& client, channel& server) {
  for (int i = 0; i < 5; ++i) {
    std::string got;
    auto up = "c2s " + std::to_string(i);
    ASSERT_FALSE(server.open(seal(client, up), got));
    EXPECT_EQ(got, up);
    auto down = "s2c " + std::to_string(i);
    ASSERT_FALSE(client.open(seal(server, down), got));
    EXPECT_EQ(got, down);
  }
}

TEST(Handshake, HappyPath) {
  auto st = start_handshake("alice", alice_key());
  ASSERT_TRUE(st) << explain(st.error());
  auto hello = parse_client_hello(st->hello.text);
  ASSERT_TRUE(hello) << explain(hello.error());
  EXPECT_EQ(hello->user, "alice");
  EXPECT_EQ(hello->identity, *alice_key().public_der());
  EXPECT_EQ(hello->eph, st->hello.eph);
  EXPECT_EQ(hello->eph.size(), 32u);
  EXPECT_EQ(hello->nonce, st->hello.nonce);
  EXPECT_EQ(hello->nonce.size(), 32u);
  EXPECT_EQ(hello->text, st->hello.text);
  EXPECT_EQ(hello->identity_key.kind(), crypto::key_kind::rsa);

  auto ans = answer_hello(*hello, server_key(), server_der());
  ASSERT_TRUE(ans) << explain(ans.error());
  auto& [server_hello, pending] = *ans;
  EXPECT_EQ(pending.transcript.size(), 32u);

  auto res = finish_handshake(*st, alice_key(), server_hello, {});
  ASSERT_TRUE(res) << explain(res.error());
  EXPECT_EQ(res->server_key, server_der());

  auto err = verify_finish(*hello, pending, res->finish_text);
  ASSERT_FALSE(err) << explain(err);

  // Client send == server receive and vice versa.
  EXPECT_TRUE(crypto::equal_ct(res->keys.send, pending.keys.receive));
  EXPECT_TRUE(crypto::equal_ct(res->keys.receive, pending.keys.send));
  EXPECT_FALSE(crypto::equal_ct(res->keys.send, res->keys.receive));

  channel client{res->keys};
  channel server{pending.keys};
  expect_channels_interoperate(client, server);
}

TEST(Handshake, PinnedKeyMatches) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello,
                              server_der());
  ASSERT_TRUE(res) << explain(res.error());
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

TEST(Handshake, SessionsDiffer) {
  auto r1 = begin("alice", alice_key());
  auto r2 = begin("alice", alice_key());
  EXPECT_NE(r1.pending.transcript, r2.pending.transcript);
  EXPECT_FALSE(crypto::equal_ct(r1.pending.keys.send, r2.pending.keys.send));
}

TEST(Handshake, TamperedServerHelloFails) {
  auto r = begin("alice", alice_key());
  for (const char* field : {"sig", "eph", "wrapped_secret", "nonce"}) {
    auto bad = tamper_b64(r.server_hello, field);
    ASSERT_NE(bad, r.server_hello);
    auto res = finish_handshake(r.start, alice_key(), bad, {});
    ASSERT_FALSE(res) << field;
    EXPECT_EQ(code(res), errc::bad_signature) << field;
  }
  // The untouched hello still works (the loop did not break anything).
  EXPECT_TRUE(finish_handshake(r.start, alice_key(), r.server_hello, {}));
}

TEST(Handshake, MalformedServerHelloFails) {
  auto r = begin("alice", alice_key());
  EXPECT_FALSE(finish_handshake(r.start, alice_key(), "garbage", {}));
  EXPECT_FALSE(finish_handshake(r.start, alice_key(), r.start.hello.text, {}));
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "v", 2), {})),
            errc::unsupported_version);
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "sig", "!!"), {})),
            errc::bad_frame);
  auto obj = as_object(r.server_hello);
  obj.erase("wrapped_secret");
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  boost::json::serialize(obj), {})),
            errc::bad_frame);
}

TEST(Handshake, PinnedKeyMismatch) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello,
                              other_server_der());
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::key_changed);
}

TEST(Handshake, ServerImpersonationFails) {
  auto r = begin("alice", alice_key());
  // Claim another server key but keep the real server's signature.
  auto bad = with_field(r.server_hello, "server_key",
                        crypto::to_base64(other_server_der()));
  auto res = finish_handshake(r.start, alice_key(), bad, {});
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::bad_signature);
  // Pinning the impostor's key does not help it either.
  auto pinned = finish_handshake(r.start, alice_key(), bad, other_server_der());
  ASSERT_FALSE(pinned);
  EXPECT_EQ(code(pinned), errc::bad_signature);
  // A hello fully produced by another server key is signed correctly but
  // must not pass a pin on the real key.
  auto ans = answer_hello(r.hello, other_server_key(), other_server_der());
  ASSERT_TRUE(ans);
  EXPECT_TRUE(finish_handshake(r.start, alice_key(), ans->first, {}));
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(), ans->first,
                                  server_der())),
            errc::key_changed);
}

TEST(Handshake, ServerHelloForAnotherClientFails) {
  auto r1 = begin("alice", alice_key());
  auto r2 = begin("alice", alice_key());
  auto res = finish_handshake(r2.start, alice_key(), r1.server_hello, {});
  ASSERT_FALSE(res);
  EXPECT_EQ(code(res), errc::bad_signature);
}

TEST(Handshake, ClientImpersonationFails) {
  // Mallory sends a hello naming alice with alice's public key; she cannot
  // unwrap the secret, and her own signature must not pass.
  auto r = begin("alice", alice_key());
  crypto::bytes msg{'c', 'o', 'u', 'r', 'i', 'e', 'r', ' ', 'c', 'l', 'i',
                    'e', 'n', 't', ' ', 'f', 'i', 'n', 'i', 's', 'h', ' ',
                    'v', '1', 0};
  msg.insert(msg.end(), r.pending.transcript.begin(),
             r.pending.transcript.end());
  // Sanity: alice's own signature over this message is accepted, so the
  // message layout above is the real one.
  auto good_sig = crypto::sign(alice_key(), msg);
  ASSERT_TRUE(good_sig);
  boost::json::object fin{{"v", 1},
                          {"type", "client_finish"},
                          {"sig", crypto::to_base64(*good_sig)}};
  EXPECT_FALSE(verify_finish(r.hello, r.pending, boost::json::serialize(fin)));

  auto mallory_sig = crypto::sign(mallory_key(), msg);
  ASSERT_TRUE(mallory_sig);
  fin["sig"] = crypto::to_base64(*mallory_sig);
  auto err = verify_finish(r.hello, r.pending, boost::json::serialize(fin));
  ASSERT_TRUE(err);
  EXPECT_EQ(code(err), errc::bad_signature);

  // Finishing with the wrong private key fails already at the unwrap.
  EXPECT_FALSE(finish_handshake(r.start, mallory_key(), r.server_hello, {}));
}

TEST(Handshake, ReplayedFinishFails) {
  auto r1 = begin("alice", alice_key());
  auto res1 = finish_handshake(r1.start, alice_key(), r1.server_hello, {});
  ASSERT_TRUE(res1);
  ASSERT_FALSE(verify_finish(r1.hello, r1.pending, res1->finish_text));
  // A second session of the same user: the captured finish is useless.
  auto r2 = begin("alice", alice_key());
  auto err = verify_finish(r2.hello, r2.pending, res1->finish_text);
  ASSERT_TRUE(err);
  EXPECT_EQ(code(err), errc::bad_signature);
  // Replaying the whole client hello too does not help: the server picks
  // fresh randomness, so the transcript changes.
  auto ans = answer_hello(r1.hello, server_key(), server_der());
  ASSERT_TRUE(ans);
  EXPECT_EQ(code(verify_finish(r1.hello, ans->second, res1->finish_text)),
            errc::bad_signature);
}

TEST(Handshake, MalformedFinishFails) {
  auto r = begin("alice", alice_key());
  auto res = finish_handshake(r.start, alice_key(), r.server_hello, {});
  ASSERT_TRUE(res);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending, "nope")), errc::bad_frame);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "type",
                                          "client_hello"))),
            errc::bad_frame);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "v", 2))),
            errc::unsupported_version);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               tamper_b64(res->finish_text, "sig"))),
            errc::bad_signature);
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

// -- parse_client_hello rejections ------------------------------------------

const std::string& good_hello_text() {
  static std::string text = start_handshake("alice", alice_key())->hello.text;
  return text;
}

errc hello_code(const std::string& text) {
  return code(parse_client_hello(text));
}

TEST(ClientHello, GoodOneParses) {
  EXPECT_EQ(hello_code(good_hello_text()), errc::none);
}

TEST(ClientHello, InvalidUsername) {
  for (const char* user : {"", "Alice", "al ice", "ali/ce",
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_EQ(hello_code(with_field(good_hello_text(), "user", user)),
              errc::invalid_username)
      << user;
  }
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "user", 5)),
            errc::bad_frame);
  // start_handshake does not check the name; the server must.
  auto st = start_handshake("Mallory", alice_key());
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::invalid_username);
}

TEST(ClientHello, IdentityNotRsa) {
  auto text = with_field(good_hello_text(), "identity",
                         crypto::to_base64(server_der()));
  EXPECT_EQ(hello_code(text), errc::bad_key);
  // Nor an Ed25519 key through start_handshake.
  auto st = start_handshake("alice", server_key());
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::bad_key);
}

TEST(ClientHello, IdentityNotDer) {
  auto text = with_field(good_hello_text(), "identity",
                         crypto::to_base64(crypto::random_bytes(294)));
  EXPECT_EQ(hello_code(text), errc::bad_key);
}

TEST(ClientHello, Rsa1024Rejected) {
  EXPECT_FALSE(crypto::generate_rsa(1024));
  EVP_PKEY* raw = EVP_RSA_gen(1024);
  ASSERT_NE(raw, nullptr);
  crypto::key small{raw};
  ASSERT_EQ(small.bits(), 1024);
  auto der = small.public_der();
  ASSERT_TRUE(der);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "identity",
                                  crypto::to_base64(*der))),
            errc::bad_key);
  auto st = start_handshake("alice", small);
  ASSERT_TRUE(st);
  EXPECT_EQ(hello_code(st->hello.text), errc::bad_key);
}

TEST(ClientHello, EphWrongSize) {
  for (size_t n : {0u, 1u, 31u, 33u, 64u}) {
    auto text = with_field(good_hello_text(), "eph",
                           crypto::to_base64(crypto::random_bytes(n)));
    EXPECT_EQ(hello_code(text), errc::bad_frame) << n;
  }
  for (size_t n : {31u, 33u}) {
    auto text = with_field(good_hello_text(), "nonce",
                           crypto::to_base64(crypto::random_bytes(n)));
    EXPECT_EQ(hello_code(text), errc::bad_frame) << n;
  }
}

TEST(ClientHello, BadBase64) {
  for (const char* field : {"identity", "eph", "nonce"}) {
    auto s = get_field(good_hello_text(), field);
    auto bad_char = s;
    bad_char[3] = '*';
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field, bad_char)),
              errc::bad_frame)
      << field;
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field,
                                    s.substr(0, s.size() - 1))),
              errc::bad_frame)
      << field;
    EXPECT_EQ(hello_code(with_field(good_hello_text(), field, 12)),
              errc::bad_frame)
      << field;
    auto obj = as_object(good_hello_text());
    obj.erase(field);
    EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame)
      << field;
  }
}

TEST(ClientHello, WrongType) {
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "type", "client_finish")),
            errc::bad_frame);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "type", 1)),
            errc::bad_frame);
  auto obj = as_object(good_hello_text());
  obj.erase("type");
  EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame);
}

TEST(ClientHello, UnknownFieldRefused) {
  // Our own clients never send more than the schema; anything else is
  // refused, like in every other message.
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "extra", 1)),
            errc::bad_frame);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "server", "x")),
            errc::bad_frame);
}

TEST(Handshake, UnknownFieldsRefused) {
  auto r = begin("alice", alice_key());
  EXPECT_EQ(code(finish_handshake(r.start, alice_key(),
                                  with_field(r.server_hello, "extra", true),
                                  {})),
            errc::bad_frame);
  auto res = finish_handshake(r.start, alice_key(), r.server_hello, {});
  ASSERT_TRUE(res);
  EXPECT_EQ(code(verify_finish(r.hello, r.pending,
                               with_field(res->finish_text, "extra", 1))),
            errc::bad_frame);
  EXPECT_FALSE(verify_finish(r.hello, r.pending, res->finish_text));
}

TEST(ClientHello, Version) {
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "v", 2)),
            errc::unsupported_version);
  EXPECT_EQ(hello_code(with_field(good_hello_text(), "v", "1")),
            errc::bad_frame);
  auto obj = as_object(good_hello_text());
  obj.erase("v");
  EXPECT_EQ(hello_code(boost::json::serialize(obj)), errc::bad_frame);
}

TEST(ClientHello, Garbage) {
  EXPECT_EQ(hello_code(""), errc::bad_frame);
  EXPECT_EQ(hello_code("garbage"), errc::bad_frame);
  EXPECT_EQ(hello_code("[1,2,3]"), errc::bad_frame);
  EXPECT_EQ(hello_code(std::string("\x00\xff\x10", 3)), errc::bad_frame);
  EXPECT_EQ(hello_code(good_hello_text().substr(0, 40)), errc::bad_frame);
}

TEST(ClientHello, ServerHelloIsNotClientHello) {
  auto r = begin("alice", alice_key());
  EXPECT_EQ(hello_code(r.server_hello), errc::bad_frame);
}

} // namespace
