#pragma once

#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace courier {

/// The parts of a node that log; each line names its component.
enum class component : uint8_t {
  node,      ///< the program: start, stop, options
  edge,      ///< the edge listener and its sessions
  router,    ///< who is online, relaying
  directory, ///< names and keys
  store,     ///< offline queues and their database
  backbone,  ///< links between routers
  bank,      ///< the bank's order handler
};

/// The name a component's lines carry, e.g. "router".
const char* to_string(component c);

/// How log lines are written.
enum class log_format : uint8_t {
  text, ///< `[time] [level] [component] message`, one line each
  json, ///< one JSON object a line: time, level, component, message
};

/// The logger of component `c`; every component's logger writes to the
/// same sinks with the same format and level. Made on first use.
spdlog::logger& logger(component c);

/// Parses `text` or `json`.
bool parse_log_format(std::string_view text, log_format& out);

/// Parses a level name (trace, debug, info, warn, error, critical, off).
bool parse_log_level(std::string_view text, spdlog::level::level_enum& out);

/// Sets the format and level of every component's lines. `level_file`, if
/// not empty, is what reload_log_level() reads. Called once at start,
/// before any other thread logs.
void configure_logging(log_format format, spdlog::level::level_enum level,
                       std::string level_file = {});

/// The format configure_logging set (text until it is called).
log_format configured_log_format();

/// Reads the level from the level file given to configure_logging (one
/// word, e.g. `debug`), or goes back to the configured level if the file
/// is missing or empty, and logs the level now in force. A file with
/// anything else leaves the level as it is and says so.
void reload_log_level();

/// Writes one log line of `component`, `level` and `message` in `format`
/// (a newline at the end), as the sinks would: for tests.
std::string format_log_line(log_format format,
                            spdlog::level::level_enum level,
                            component c, std::string_view message);

} // namespace courier
