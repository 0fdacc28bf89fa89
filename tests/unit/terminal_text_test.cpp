// What the CLI prints of text a peer, a router or the bank wrote: control
// characters and bidi overrides become visible escapes.

#include <gtest/gtest.h>

#include "actors/cli/terminal_text.hpp"

using courier::cli::printable;

namespace {

TEST(TerminalText, PlainTextAndOtherUtf8AreKept) {
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("hello, world! 12.50 ~"), "hello, world! 12.50 ~");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); // café € 😀
  // A backslash is text like any other.
  EXPECT_EQ(printable("a\\nb"), "a\\nb");
}

TEST(TerminalText, NewlinesAndTabsAreEscaped) {
  EXPECT_EQ(printable("a\nb"), "a\\nb");
  EXPECT_EQ(printable("a\rb"), "a\\rb");
  EXPECT_EQ(printable("a\tb"), "a\\tb");
}

TEST(TerminalText, C0ControlsAndDelAreEscaped) {
  EXPECT_EQ(printable("\x1b[2K"), "\\x1b[2K");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("\x07\x08\x0b\x0c\x1f"), "\\x07\\x08\\x0b\\x0c\\x1f");
  EXPECT_EQ(printable("\x7f"), "\\x7f");
}

TEST(TerminalText, C1ControlsAreEscaped) {
  EXPECT_EQ(printable("\xc2\x9b" "2K"), "\\u009b2K"); // CSI
  EXPECT_EQ(printable("\xc2\x80\xc2\x85\xc2\x9f"), "\\u0080\\u0085\\u009f");
  // The first characters after the C1 range are ordinary.
  EXPECT_EQ(printable("\xc2\xa0\xc2\xa9"), "\xc2\xa0\xc2\xa9");
}

TEST(TerminalText, BidiControlsAndSeparatorsAreEscaped) {
  EXPECT_EQ(printable("\xe2\x80\xae" "cba"), "\\u202ecba"); // RLO
  EXPECT_EQ(printable("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
            "\\u202a\\u202b\\u202c\\u202d");
  EXPECT_EQ(printable("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
            "\\u2066\\u2067\\u2068\\u2069");
  EXPECT_EQ(printable("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
  // Neighbours of those ranges are kept.
  EXPECT_EQ(printable("\xe2\x80\xa9\xe2\x80\xaf"), "\\u2029\xe2\x80\xaf");
  EXPECT_EQ(printable("\xe2\x81\xa5\xe2\x81\xaa"), "\xe2\x81\xa5\xe2\x81\xaa");
}

TEST(TerminalText, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(printable("\x9b" "2K"), "\\x9b2K"); // CSI to an 8-bit terminal
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc0\x8a"), "\\xc0\\x8a"); // overlong newline
  EXPECT_EQ(printable("\xe0\x80\x8a"), "\\xe0\\x80\\x8a"); // overlong
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // surrogate
  EXPECT_EQ(printable("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
  EXPECT_EQ(printable("\xe2\x80"), "\\xe2\\x80"); // cut short
}

TEST(TerminalText, AFakeBankLineStaysOnTheSendersLine) {
  auto shown = printable("hi\n\x1b[2Kbank: you received 5000.00");
  EXPECT_EQ(shown, "hi\\n\\x1b[2Kbank: you received 5000.00");
  EXPECT_EQ(shown.find('\n'), std::string::npos);
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
}

} // namespace
