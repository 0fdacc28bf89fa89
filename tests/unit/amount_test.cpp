// Unit tests for the bank's amount parsing and formatting.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"

using namespace courier;
using namespace courier::bank;

namespace {

TEST(ParseAmount, AcceptsWellFormedPositiveAmounts) {
  struct good {
    const char* text;
    int64_t minor;
  };
  for (auto [text, minor] : std::vector<good>{
         {"12.50", 1250},
         {"12.5", 1250},
         {"3", 300},
         {"0.01", 1},
         {"0.1", 10},
         {"007", 700},
         {"1000000000000.00", max_amount_minor},
         {"1000000000000", max_amount_minor},
         {"999999999999.99", max_amount_minor - 1},
       }) {
    auto got = parse_amount(text);
    ASSERT_TRUE(got) << "'" << text << "' refused: " << explain(got.error());
    EXPECT_EQ(*got, minor) << "'" << text << "'";
  }
}

TEST(ParseAmount, MaxConstantIsOneTrillionUnits) {
  EXPECT_EQ(max_amount_minor, int64_t{1'000'000'000'000} * 100);
}

TEST(ParseAmount, RefusesMalformedOrOutOfRange) {
  for (std::string text : {"", "0", "0.00", "0.0", "00", "-1", "+1", "1.234",
                           "1.", ".5", ".", "1e3", " 1", "1 ", "abc", "1,50",
                           "12.5x", "1.5.0", "--1", "0x10", "1000000000001",
                           "1000000000000.01", "1000000000000.99",
                           "99999999999999",
                           "123456789012345678901234567890",
                           "123456789012345678901234567890.00"}) {
    auto got = parse_amount(text);
    ASSERT_FALSE(got) << "'" << text << "' accepted as " << *got;
    EXPECT_EQ(code_of(got.error()), errc::invalid_amount) << "'" << text << "'";
  }
}

TEST(ParseAmount, RefusesEmbeddedNul) {
  auto got = parse_amount(std::string{"1\0", 2});
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), errc::invalid_amount);
}

TEST(FormatAmount, TwoDecimalsAndSign) {
  EXPECT_EQ(format_amount(1250), "12.50");
  EXPECT_EQ(format_amount(5), "0.05");
  EXPECT_EQ(format_amount(50), "0.50");
  EXPECT_EQ(format_amount(0), "0.00");
  EXPECT_EQ(format_amount(100), "1.00");
  EXPECT_EQ(format_amount(-305), "-3.05");
  EXPECT_EQ(format_amount(-5), "-0.05");
  EXPECT_EQ(format_amount(max_amount_minor), "1000000000000.00");
}

TEST(FormatAmount, ExtremesDoNotOverflow) {
  EXPECT_EQ(format_amount(std::numeric_limits<int64_t>::min()),
            "-92233720368547758.08");
  EXPECT_EQ(format_amount(std::numeric_limits<int64_t>::max()),
            "92233720368547758.07");
}

TEST(AmountRoundTrip, ParseOfFormatIsIdentity) {
  std::vector<int64_t> values{1,   2,    9,    10,   11,   99,
                              100, 101,  109,  110,  999,  1000,
                              1250, 123456, 99999999, max_amount_minor - 1,
                              max_amount_minor};
  for (int64_t v = 1; v <= 2500; ++v)
    values.push_back(v);
  for (int64_t v = 7; v < max_amount_minor; v = v * 3 + 1)
    values.push_back(v);
  for (auto v : values) {
    auto text = format_amount(v);
    auto back = parse_amount(text);
    ASSERT_TRUE(back) << v << " -> '" << text << "' refused: "
                      << explain(back.error());
    ASSERT_EQ(*back, v) << "'" << text << "'";
  }
}

TEST(AmountRoundTrip, FormatOfParseIsCanonical) {
  auto p = parse_amount("12.5");
  ASSERT_TRUE(p);
  EXPECT_EQ(format_amount(*p), "12.50");
  p = parse_amount("3");
  ASSERT_TRUE(p);
  EXPECT_EQ(format_amount(*p), "3.00");
}

} // namespace
