#pragma once

// The channel between `courier-node admin` and a running router: a unix
// socket `admin.sock` in the router's data folder (0700), itself 0600, and
// a connection from any other user than the router's own (or root) is
// closed unanswered. A connection carries one command line (at most 64
// bytes, within 2 s) and gets one answer: "ok" or "error SENTENCE" on the
// first line, then the result's lines. One connection at a time, on a
// thread of its own.

#include <functional>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace courier::admin {

/// The socket of the router whose data folder is `data`.
std::string socket_path(const std::string& data);

/// Answers a command: the answer's lines, or an error with a sentence.
using command_handler
  = std::function<caf::expected<std::string>(const std::string& command)>;

/// Listens on `path` (a stale socket there is replaced: the caller holds
/// the data folder's lock) and serves `handler` on a detached thread for
/// the rest of the process.
caf::error serve(const std::string& path, command_handler handler);

/// Sends `command` to the socket at `path`: the answer's lines, or the
/// router's error, or `node_running`-free `io_error` when no router
/// listens there.
caf::expected<std::string> ask(const std::string& path,
                               const std::string& command);

} // namespace courier::admin
