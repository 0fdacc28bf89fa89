#pragma once

// Whole-process test harness: real courier-node and courier-cli processes on
// 127.0.0.1, temporary folders that are removed, and a raw edge client that
// can speak (or break) the protocol frame by frame.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/key.hpp"

namespace courier::test {

/// A temporary folder, removed with everything in it.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

/// A child process; stopped (SIGTERM, then SIGKILL after a while) and
/// reaped when it goes away. A sanitizer report in its log (a sanitizer
/// build of the node checks for leaks as it stops) fails the running test.
class process {
public:
  process() = default;
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  process(process&& other) noexcept;
  process& operator=(process&& other) noexcept;
  ~process();

  /// Starts `argv` with stdout+stderr going to `log_file`.
  static process start(const std::vector<std::string>& argv,
                       const std::string& log_file);

  /// SIGKILL and reap (no leak check runs).
  void kill_hard();
  /// SIGTERM and wait; true if it exited within the timeout.
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds{5});
  bool running();
  pid_t pid() const { return pid_; }

private:
  /// Fails the running test if the log holds a sanitizer report.
  void check_log();

  pid_t pid_ = -1;
  std::string log_;
};

/// A router process (on 127.0.0.1 unless told otherwise).
struct router_process {
  process proc;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string data;
  std::string log;
  std::string fingerprint;

  /// Starts a router on `host:port` (port 0: any) with `extra` options,
  /// the command line prefixed with `prefix` (e.g. `ip netns exec NS`);
  /// waits until it listens. Throws if it does not come up.
  static router_process start(const std::string& data_dir, uint16_t port = 0,
                              std::vector<std::string> extra = {},
                              std::vector<std::string> prefix = {},
                              std::string host = "127.0.0.1");
  std::string address() const { return host + ":" + std::to_string(port); }
};

/// How much slower than a normal build this one runs: `$COURIER_TIME_FACTOR`
/// (deploy/sanitize.sh sets it), else 1. Tight deadlines the tests give a
/// router are multiplied by it.
int time_factor();

/// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port();

/// How often `text` occurs in the file at `path`.
size_t count_in(const std::string& path, const std::string& text);

/// Waits until `path` contains `text` `count` times; false after `timeout`.
bool wait_for_count(const std::string& path, const std::string& text,
                    size_t count, std::chrono::milliseconds timeout);

/// Waits until `path` contains `text`; false after `timeout`.
bool wait_for_text(const std::string& path, const std::string& text,
                   std::chrono::milliseconds timeout = std::chrono::seconds{15});

/// What a finished command printed and returned.
struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs a command to completion (killed after `timeout`); `input` is fed
/// to its stdin.
run_result run(const std::vector<std::string>& argv,
               std::chrono::seconds timeout = std::chrono::seconds{30},
               const std::string& input = "");

/// Makes `user`'s identity under `home` with courier-cli: RSA-2048 without
/// a passphrase, quick to make and to open in tests.
run_result init_identity(const std::string& home, const std::string& user);

/// A courier-cli command line for `user` against `server`, home `home`.
std::vector<std::string> cli(const std::string& home, const std::string& server,
                             const std::string& user,
                             std::vector<std::string> args);

/// The fingerprint of `user`'s key under `home` (`courier-cli fingerprint`,
/// no passphrase); "" if that fails.
std::string user_fingerprint(const std::string& home, const std::string& user);

/// The bank's fingerprint from its data folder (`courier-node
/// bank-fingerprint`, which makes the key if need be); "" if that fails.
std::string bank_fingerprint(const std::string& data_dir);

/// Reads a whole file ("" if missing).
std::string slurp(const std::string& path);

/// The courier-node to start: `$COURIER_NODE_BIN` if set (to measure
/// another build with the same benchmark), else the one built here.
std::string node_binary();

/// The permission bits of a file or folder, e.g. 0600; -1 if missing.
int mode_of(const std::string& path);

/// A raw edge connection that speaks frames directly.
class raw_client {
public:
  /// Connects to 127.0.0.1:`port`, from `source` (e.g. 127.0.0.2) if given.
  explicit raw_client(uint16_t port, const std::string& source = "");
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// True once a read found the connection closed by the peer.
  bool peer_closed() const { return peer_closed_; }
  /// Writes raw bytes; false if the socket is gone.
  bool write_raw(const std::string& bytes);
  /// Writes one frame (length prefix + payload).
  bool write_frame(const std::string& payload);
  /// Reads one frame; nullopt on timeout or close.
  std::optional<std::string> read_frame(
    std::chrono::milliseconds timeout = std::chrono::seconds{5});
  /// True if the peer closed the connection within `timeout` (data that
  /// arrives first is discarded).
  bool closed_within(std::chrono::milliseconds timeout);

  /// Runs the handshake as `user` with `identity`; the welcome envelope.
  std::optional<std::string> login(const std::string& user,
                                   const crypto::key& identity);
  /// Seals the next envelope without sending it (the counter moves on).
  std::string seal(const std::string& envelope);
  /// Seals and writes an envelope after login; returns the sealed frame.
  std::string send_sealed(const std::string& envelope);
  /// Reads and opens one sealed frame.
  std::optional<std::string> read_sealed(
    std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Frames this client wrote, verbatim, for replay attacks.
  std::vector<std::string> written;
  /// The length of the last frame read (sealed, as on the wire).
  size_t last_frame_size = 0;

private:
  int fd_ = -1;
  bool peer_closed_ = false;
  std::string buf_;
  protocol::channel chan_;
};

/// One shared RSA-2048 identity per name, generated once per test binary.
const crypto::key& test_key(const std::string& name);

} // namespace courier::test
