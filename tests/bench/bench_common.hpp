#pragma once

// Shared pieces of courier-bench: options, results, /proc readings, child
// process bookkeeping, and a fast edge connection for load generation.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "actors/protocol/channel.hpp"
#include "crypto/key.hpp"

namespace courier::bench {

using clock = std::chrono::steady_clock;

/// `--key value` / `--key=value` / `--flag` options after the scenario name.
class options {
public:
  options(int argc, char** argv, int first);
  bool flag(const std::string& name) const;
  uint64_t num(const std::string& name, uint64_t fallback) const;
  std::string str(const std::string& name, const std::string& fallback) const;
  /// Options that no scenario asked for (typos).
  std::vector<std::string> unused() const;

private:
  std::map<std::string, std::string> values_;
  mutable std::map<std::string, bool> used_;
};

/// One scenario's figures, printed as a table or one JSON object.
class result {
public:
  explicit result(std::string scenario) : scenario_(std::move(scenario)) {}
  void add(const std::string& key, double value, const std::string& unit = "");
  void add(const std::string& key, int64_t value, const std::string& unit = "");
  void add(const std::string& key, const std::string& text);
  void note(const std::string& text) { notes_.push_back(text); }
  void print(bool json) const;
  std::optional<double> get(const std::string& key) const;

private:
  struct entry {
    std::string key;
    std::variant<double, int64_t, std::string> value;
    std::string unit;
  };
  std::string scenario_;
  std::vector<entry> entries_;
  std::vector<std::string> notes_;
};

/// utime+stime of a process in seconds (from /proc/PID/stat).
double cpu_seconds(pid_t pid);
/// Bytes a process caused to be written to disk (/proc/PID/io).
int64_t disk_write_bytes(pid_t pid);
/// VmRSS of a process in KiB (from /proc/PID/status).
int64_t rss_kib(pid_t pid);

/// Children the bench started: killed by the signal/alarm handler.
void track_child(pid_t pid);
void untrack_child(pid_t pid);
/// Installs SIGINT/SIGTERM/SIGALRM handlers that kill tracked children
/// and exit, and arms an alarm of `seconds`.
void install_guards(unsigned seconds);
/// Raises RLIMIT_NOFILE (soft and, if allowed, hard) to at least `want`;
/// children inherit it. Returns the soft limit now in force.
uint64_t raise_nofile(uint64_t want);

/// Percentile (0..1) of sorted values.
double percentile(const std::vector<double>& sorted, double p);

/// A deadline helper.
inline bool past(clock::time_point deadline) { return clock::now() > deadline; }

/// One shared RSA-2048 identity for every bench user (directories allow
/// many names per key); generated once.
const crypto::key& bench_key();

/// A blocking edge connection with an efficient frame buffer: handshake,
/// per-frame AES-GCM session channel, batched writes.
class edge_conn {
public:
  edge_conn() = default;
  ~edge_conn();
  edge_conn(const edge_conn&) = delete;
  edge_conn& operator=(const edge_conn&) = delete;

  /// Connects to 127.0.0.1:port, optionally from source address `src`
  /// (e.g. "127.0.1.3"). False on failure (errno kept in `error`).
  bool connect(uint16_t port, const std::string& src = "");
  /// Full handshake as `user`; true once the welcome arrived.
  bool login(const std::string& user, const crypto::key& identity,
             std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Sends a client hello with no fields; true once the router's error
  /// envelope for it arrived.
  bool refused_hello(
    std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Sends `hello` as it is; true once the router answered it at all.
  bool answered_hello(
    const std::string& hello,
    std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Seals `envelope` and appends the frame to the pending output.
  void queue(const std::string& envelope);
  /// Writes all pending output (blocking). False if the socket failed.
  bool flush();
  /// Reads at least one complete frame (waits up to `timeout`), opens
  /// all complete frames into `out`. False on close, timeout or failure.
  bool read_some(std::vector<std::string>& out,
                 std::chrono::milliseconds timeout);
  /// Like read_some but never waits (0 frames is fine). False on close.
  bool poll_some(std::vector<std::string>& out);
  /// Waits (with microsecond precision) until data arrives or `until`;
  /// true if readable.
  bool wait_readable(clock::time_point until);
  int fd() const { return fd_; }
  void close();
  std::string error;

private:
  bool read_raw_frame(std::string& frame, std::chrono::milliseconds timeout);
  bool fill(int timeout_ms);
  /// fill() waiting at most until `deadline`; "timeout" after it.
  bool fill_before(clock::time_point deadline);
  bool extract(std::vector<std::string>& out);
  int fd_ = -1;
  std::string in_;
  size_t in_pos_ = 0;
  std::vector<char> out_;
  protocol::channel chan_;
  std::string sealed_, plain_;
};

/// Threads joined when it goes (a throw must not leave one running).
struct joiner {
  std::vector<std::thread> threads;
  ~joiner() { join(); }
  void join();
};

/// A printable opaque payload of `size` bytes; the first 16 characters
/// carry a send time once stamp() wrote it.
std::string make_blob(size_t size);
/// Writes `ns` (hex nanoseconds of the steady clock) into the blob.
void stamp(std::string& blob, int64_t ns);
/// The time stamp() wrote (0 if none).
int64_t unstamp(std::string_view blob);
/// Nanoseconds of the steady clock.
int64_t now_ns();

/// Where routers keep their state, from `--store`: "" (SQLite in their
/// data folders), a postgresql:// address as given (an empty database the
/// bench may use), or for `--store postgresql-temp` a fresh database in a
/// throwaway PostgreSQL server of the bench's own (fsync off: for checks
/// of the scenario, not for figures). Throws on anything else.
std::string store_of(const options& opts);
/// True for a postgresql:// address.
bool is_postgresql(const std::string& store);
/// A note saying where the routers kept their state.
std::string store_note(const std::string& store);
/// Six random hex digits, put in the bench's user names: a PostgreSQL
/// store the bench ran on before already binds the old names to the old
/// run's key.
std::string run_tag();

/// Finds `"key":"` in a JSON text and returns the string value after it
/// (no escapes expected: ids, names, hex blobs).
std::string_view json_str(std::string_view text, std::string_view key);


} // namespace courier::bench
