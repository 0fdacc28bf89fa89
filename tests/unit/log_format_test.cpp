// Log lines: JSON lines are one valid object each, with a level, a
// component and the message; text lines cannot be split or forged by what
// a message holds; SIGHUP's level file is read safely.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <boost/json.hpp>

#include "actors/common/log.hpp"
#include "tests/support/harness.hpp"

using namespace courier;

namespace {

std::string str(const boost::json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_string()
           ? std::string{it->value().get_string()}
           : std::string{};
}

} // namespace

TEST(log_format, json_lines_are_one_object_with_level_component_and_message) {
  std::string message = "peer \"B\" said \\ no\nfake line\x01 caf\xC3\xA9";
  auto line = format_log_line(log_format::json, spdlog::level::warn,
                              component::backbone, message);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line; // one line
  boost::json::error_code ec;
  auto v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  ASSERT_TRUE(v.is_object());
  auto& obj = v.as_object();
  EXPECT_EQ(str(obj, "level"), "warning");
  EXPECT_EQ(str(obj, "component"), "backbone");
  EXPECT_EQ(str(obj, "message"), message); // exactly, escapes undone
  auto time = str(obj, "time");
  ASSERT_EQ(time.size(), 24u) << time; // 2026-12-05T08:35:51.123Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(obj.size(), 4u);
}

TEST(log_format, bytes_that_are_not_utf8_still_make_valid_json) {
  auto line = format_log_line(log_format::json, spdlog::level::info,
                              component::edge, "bad \xFF\xC0\x80 end");
  boost::json::error_code ec;
  auto v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  EXPECT_EQ(str(v.as_object(), "message"),
            "bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(log_format, text_lines_show_level_and_component_and_escape_controls) {
  auto line = format_log_line(log_format::text, spdlog::level::err,
                              component::store, "a\nb\x1b[31m\\ \xFF");
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("] [error] [store] a\\nb\\x1b[31m\\\\ \\xff\n"),
            std::string::npos)
    << line;
}

TEST(log_format, options_name_formats_and_levels) {
  log_format f;
  EXPECT_TRUE(parse_log_format("json", f));
  EXPECT_EQ(f, log_format::json);
  EXPECT_FALSE(parse_log_format("JSON ", f));
  spdlog::level::level_enum l;
  EXPECT_TRUE(parse_log_level("warn", l));
  EXPECT_EQ(l, spdlog::level::warn);
  EXPECT_FALSE(parse_log_level("loud", l));
}

TEST(log_format, sighup_reads_the_level_file_or_goes_back_to_the_option) {
  test::temp_dir dir;
  auto file = dir / "log-level";
  configure_logging(log_format::text, spdlog::level::info, file);
  auto& log = logger(component::router);
  reload_log_level(); // no file: the option's level
  EXPECT_EQ(log.level(), spdlog::level::info);
  std::ofstream{file} << "  debug\n";
  reload_log_level();
  EXPECT_EQ(log.level(), spdlog::level::debug);
  EXPECT_EQ(logger(component::bank).level(), spdlog::level::debug);
  std::ofstream{file} << std::string(100000, 'x'); // not a level: no change
  reload_log_level();
  EXPECT_EQ(log.level(), spdlog::level::debug);
  std::remove(file.c_str());
  reload_log_level();
  EXPECT_EQ(log.level(), spdlog::level::info);
}
