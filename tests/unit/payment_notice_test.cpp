// Unit tests for the payment notice a payer's client sends the payee: a
// round trip, and hostile or ordinary bodies that must stay messages.

#include <gtest/gtest.h>

#include <string>

#include "actors/client/payment_notice.hpp"

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
}
