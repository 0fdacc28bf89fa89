// Unit tests for control letters (actors/client/control_letter): read
// receipts, typing indicators and the payment notice a payer's client
// sends the payee. Round trips, and hostile or ordinary bodies that must
// stay messages: a body taken for a control letter is never shown.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actors/client/control_letter.hpp"

using namespace courier;

TEST(PaymentNoticeTest, RoundTrips) {
  auto body = make_payment_notice({"t-1.x_2", 1234});
  EXPECT_EQ(body, R"({"v":1,"type":"payment_notice","transfer_id":"t-1.x_2",)"
                  R"("amount_minor":1234})");
  auto n = parse_payment_notice(body);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->transfer_id, "t-1.x_2");
  EXPECT_EQ(n->amount_minor, 1234);
}

TEST(PaymentNoticeTest, AnythingElseIsAMessage) {
  for (std::string body : {
         "", "hello", "{", "[]", "{}", "null",
         // a field missing, one too many, wrong types or values
         R"({"v":1,"type":"payment_notice","transfer_id":"a"})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":1,"x":0})",
         R"({"v":2,"type":"payment_notice","transfer_id":"a","amount_minor":1})",
         R"({"v":1,"type":"payment","transfer_id":"a","amount_minor":1})",
         R"({"v":1,"type":"payment_notice","transfer_id":"","amount_minor":1})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a b","amount_minor":1})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":0})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":-5})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":1.5})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":"1"})",
         R"({"v":1,"type":"payment_notice","transfer_id":"a","amount_minor":100000000000000001})",
       })
    EXPECT_FALSE(parse_payment_notice(body)) << body;
  // Too long a transfer id, and too long a body.
  EXPECT_FALSE(parse_payment_notice(make_payment_notice({std::string(65, 'a'), 1})));
  auto padded = make_payment_notice({"a", 1});
  padded.insert(1, 300, ' ');
  EXPECT_FALSE(parse_payment_notice(padded));
  // A notice is a control letter of its own kind, and other kinds are no
  // notice.
  auto c = parse_control_letter(make_payment_notice({"t-9", 75}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->what, control_letter::kind::payment);
  EXPECT_EQ(c->payment.transfer_id, "t-9");
  EXPECT_EQ(c->payment.amount_minor, 75);
  EXPECT_FALSE(parse_payment_notice(R"({"v":1,"type":"typing"})"));
}

TEST(ControlLetterTest, RoundTrips) {
  auto read = make_control_letter(
    control_letter::read("0b7e7e2c-3c1f-4f55-9c1a-2d1b3a4c5d6e"));
  EXPECT_EQ(read, R"({"v":1,"type":"read","up_to":"0b7e7e2c-3c1f-4f55-9c1a-2d1b3a4c5d6e"})");
  auto c = parse_control_letter(read);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->what, control_letter::kind::read);
  EXPECT_EQ(c->up_to, "0b7e7e2c-3c1f-4f55-9c1a-2d1b3a4c5d6e");
  auto typing = make_control_letter(control_letter::typing());
  EXPECT_EQ(typing, R"({"v":1,"type":"typing"})");
  c = parse_control_letter(typing);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->what, control_letter::kind::typing);
}

// What decides is the letter's mark, never the text: a person who types
// a control letter's JSON sends a message.
TEST(ControlLetterTest, OnlyAMarkedLetterIsOne) {
  inbound_message msg;
  msg.body = make_control_letter(control_letter::typing());
  EXPECT_FALSE(control_of(msg));
  msg.control = true;
  auto c = control_of(msg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->what, control_letter::kind::typing);
  msg.body = "hello"; // a kind this client does not know: still no message
  EXPECT_FALSE(control_of(msg));
}

TEST(ControlLetterTest, AnythingElseIsAMessage) {
  for (std::string body : std::vector<std::string>{
         "typing", "", "{}", R"({"v":1,"type":"typing","x":1})",
         R"({"v":2,"type":"typing"})", R"({"v":1,"type":"read"})",
         R"({"v":1,"type":"read","up_to":""})",
         R"({"v":1,"type":"read","up_to":5})",
         R"({"v":1,"type":"read","up_to":"a b"})",
         R"({"v":1,"type":"read","up_to":"x%"})",
         R"({"v":1,"type":"typing","up_to":"m1"})",
         R"({"v":1,"type":"read","up_to":"m1","more":true})",
         R"({"v":1,"type":"payment_notice","transfer_id":"t"})",
         R"({"v":1,"type":"typing","transfer_id":"t","amount_minor":1})",
         // A NUL inside an id (JSON allows it escaped).
         R"({"v":1,"type":"read","up_to":"m\u00001"})",
         R"({"v":1,"type":"payment_notice","transfer_id":"t\u0000","amount_minor":1})",
         "{\"v\":1,\"type\":\"read\",\"up_to\":\"" + std::string(65, 'a')
           + "\"}",
         "{\"v\":1,\"type\":\"typing\"}" + std::string(240, ' '),
       })
    EXPECT_FALSE(parse_control_letter(body)) << body;
}
