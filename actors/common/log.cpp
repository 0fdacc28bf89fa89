#include "actors/common/log.hpp"

#include <array>
#include <atomic>
#include <ctime>
#include <fstream>
#include <memory>

#include <boost/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

namespace courier {

namespace {

using level_enum = spdlog::level::level_enum;

constexpr size_t component_count = 7;

constexpr std::array<const char*, component_count> component_names{
  "node", "edge", "router", "directory", "store", "backbone", "bank"};

// Written before other threads start (configure_logging), read after.
log_format configured_format = log_format::text;
level_enum configured_level = spdlog::level::info;
std::string configured_file;

// The length of the valid UTF-8 sequence at `s[i]`, 0 if there is none.
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  auto cont = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  auto c = byte(i);
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    auto lo = c == 0xE0 ? 0xA0u : 0x80u;
    auto hi = c == 0xED ? 0x9Fu : 0xBFu;
    return byte(i + 1) >= lo && byte(i + 1) <= hi && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    auto lo = c == 0xF0 ? 0x90u : 0x80u;
    auto hi = c == 0xF4 ? 0x8Fu : 0xBFu;
    return byte(i + 1) >= lo && byte(i + 1) <= hi && cont(i + 2)
               && cont(i + 3)
             ? 4
             : 0;
  }
  return 0;
}

// A message as one line of text: control characters and bytes that are
// not UTF-8 become visible escapes, so that text from the network (a
// certificate's name, an error from a peer) cannot forge a line.
std::string escaped_text(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    auto n = utf8_length(s, i);
    if (n > 1 || (n == 1 && c >= 0x20 && c != 0x7f && c != '\\')) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\\')
      out += "\\\\";
    else
      out.append({'\\', 'x', hex[c >> 4], hex[c & 0xF]});
    ++i;
  }
  return out;
}

// Valid UTF-8 for a JSON string: a byte that starts no valid sequence
// becomes U+FFFD; the serializer escapes control characters.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (auto n = utf8_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// 2026-12-05T08:35:51.123Z
std::string utc_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string{buf, n} + frac;
}

std::string_view level_name(level_enum level) {
  auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

std::string make_line(log_format format, level_enum level,
                      std::string_view name, std::string_view message,
                      std::chrono::system_clock::time_point at) {
  // Lines of the default logger (no component) are the program's.
  if (name.empty())
    name = component_names[0];
  if (format == log_format::json) {
    boost::json::object obj;
    obj["time"] = utc_time(at);
    obj["level"] = level_name(level);
    obj["component"] = valid_utf8(name);
    obj["message"] = valid_utf8(message);
    return boost::json::serialize(obj) + "\n";
  }
  std::string line = "[" + utc_time(at) + "] [";
  line += level_name(level);
  line += "] [";
  line += escaped_text(name);
  line += "] ";
  line += escaped_text(message);
  line += "\n";
  return line;
}

/// Writes every line of every component in one format.
class line_formatter final : public spdlog::formatter {
public:
  explicit line_formatter(log_format format) : format_(format) {
  }

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    auto line = make_line(format_, msg.level,
                          {msg.logger_name.data(), msg.logger_name.size()},
                          {msg.payload.data(), msg.payload.size()}, msg.time);
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(format_);
  }

private:
  log_format format_;
};

using logger_table
  = std::array<std::shared_ptr<spdlog::logger>, component_count>;

// One logger per component over the default logger's sinks, so that
// their lines interleave whole and share one format.
logger_table& loggers() {
  static logger_table table = [] {
    logger_table t;
    auto& sinks = spdlog::default_logger()->sinks();
    for (size_t i = 0; i < component_count; ++i) {
      t[i] = std::make_shared<spdlog::logger>(component_names[i],
                                              sinks.begin(), sinks.end());
      t[i]->set_level(spdlog::default_logger()->level());
    }
    return t;
  }();
  return table;
}

void set_level_everywhere(level_enum level) {
  spdlog::default_logger()->set_level(level);
  for (auto& l : loggers())
    l->set_level(level);
}

} // namespace

const char* to_string(component c) {
  auto i = static_cast<size_t>(c);
  return i < component_count ? component_names[i] : "node";
}

spdlog::logger& logger(component c) {
  auto i = static_cast<size_t>(c);
  return *loggers()[i < component_count ? i : 0];
}

bool parse_log_format(std::string_view text, log_format& out) {
  if (text == "text")
    out = log_format::text;
  else if (text == "json")
    out = log_format::json;
  else
    return false;
  return true;
}

bool parse_log_level(std::string_view text, level_enum& out) {
  static constexpr std::pair<std::string_view, level_enum> names[] = {
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
    {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
    {"critical", spdlog::level::critical}, {"off", spdlog::level::off}};
  for (auto& [name, level] : names)
    if (text == name) {
      out = level;
      return true;
    }
  return false;
}

void configure_logging(log_format format, level_enum level,
                       std::string level_file) {
  configured_format = format;
  configured_level = level;
  configured_file = std::move(level_file);
  for (auto& sink : spdlog::default_logger()->sinks())
    sink->set_formatter(std::make_unique<line_formatter>(format));
  set_level_everywhere(level);
}

log_format configured_log_format() {
  return configured_format;
}

void reload_log_level() {
  auto& log = logger(component::node);
  auto level = configured_level;
  std::string word;
  if (!configured_file.empty()) {
    // One short word: a hostile or huge file costs nothing.
    std::ifstream in{configured_file};
    char buf[32] = {};
    in.read(buf, sizeof buf - 1);
    std::string_view text{buf, static_cast<size_t>(in.gcount())};
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos) {
      text.remove_prefix(first);
      word = std::string{text.substr(0, text.find_first_of(" \t\r\n"))};
    }
  }
  if (!word.empty() && !parse_log_level(word, level)) {
    log.error("the log level file {} says '{}', which is not one of trace, "
              "debug, info, warn, error, critical, off; the level stays {}",
              configured_file, word, level_name(log.level()));
    return;
  }
  set_level_everywhere(level);
  // At the new level if that hides info lines: the operator asked.
  log.log(std::max(spdlog::level::info, level), "log level now {} ({})",
          level_name(level),
          word.empty() ? "the --log-level option" : configured_file);
}

std::string format_log_line(log_format format, level_enum level, component c,
                            std::string_view message) {
  return make_line(format, level, to_string(c), message,
                   std::chrono::system_clock::now());
}

} // namespace courier
