#pragma once

// A PostgreSQL 15 server of the test binary's own: initdb in a temporary
// folder, postgres on a unix socket in that folder only (no TCP port to
// collide with), run as the `postgres` user when the tests run as root
// (initdb refuses root). One per test binary, started at first use and
// stopped, with its folder removed, when the binary exits; a crashed test
// binary takes it down too (parent-death signal).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace courier::test {

class pg_server {
public:
  /// The binary's server, started on first call. Check ok() (a test skips
  /// or fails with why() when PostgreSQL is not installed).
  static pg_server& shared();

  /// A server of its own for one test, run inside a network namespace
  /// (`prefix` runs a command there, e.g. `ip netns exec NS`; needs root):
  /// it listens on TCP `address` only and trusts clients from `trusted`
  /// (a CIDR such as 10.1.2.0/24). Stopped when destroyed.
  static std::unique_ptr<pg_server>
  in_namespace(std::vector<std::string> prefix, std::string address,
               std::string trusted);

  pg_server(const pg_server&) = delete;
  pg_server& operator=(const pg_server&) = delete;
  ~pg_server();

  bool ok() const {
    return pid_ > 0 && why_.empty();
  }

  /// Why the server did not start.
  const std::string& why() const {
    return why_;
  }

  /// A new empty database: its connection string (postgresql://...), or
  /// empty on failure (with why() set).
  std::string fresh_database();

  /// The connection string of database `db`.
  std::string conninfo(const std::string& db) const;

  /// The first column of the first row of `sql` on `conninfo`, as a
  /// number; -1 on any failure.
  static int64_t scalar(const std::string& conninfo, const std::string& sql);

  /// Stops the server (fast shutdown, then SIGKILL after a few seconds)
  /// and removes its folder.
  void stop();

  /// Shuts the server down as `pg_ctl stop -m fast` does (every session
  /// ended), keeping its data; true once it has exited.
  bool halt();

  /// Starts a halted server again on the same data, socket and databases;
  /// true once it answers.
  bool resume();

private:
  pg_server();
  pg_server(std::vector<std::string> prefix, std::string address,
            std::string trusted);
  void start();
  /// Runs postgres on the initialized data folder and waits until it
  /// answers; sets why() if not.
  void launch();

  std::vector<std::string> prefix_; ///< empty: the test binary's namespace
  std::string host_; ///< the TCP address; empty: the unix socket only
  std::string trusted_;
  std::string dir_;
  std::string why_;
  int pid_ = -1;
  int databases_ = 0;
};

} // namespace courier::test
