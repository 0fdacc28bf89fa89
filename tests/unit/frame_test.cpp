// Unit tests for actors/protocol/frame: the length-prefixed frame reader and
// append_frame.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "actors/common/error.hpp"
#include "actors/protocol/frame.hpp"
#include "tests/support/protocol_helpers.hpp"

using namespace courier;
using namespace courier::protocol;
using namespace courier::test;

namespace {

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
} // namespace
