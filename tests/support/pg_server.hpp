#pragma once

// A PostgreSQL 15 server of the test binary's own: initdb in a temporary
// folder, postgres on a unix socket in that folder only (no TCP port to
// collide with), run as the `postgres` user when the tests run as root
// (initdb refuses root). One per test binary, started at first use and
// stopped, with its folder removed, when the binary exits; a crashed test
// binary takes it down too (parent-death signal).

#include <cstdint>
#include <string>

namespace courier::test {

class pg_server {
public:
  /// The binary's server, started on first call. Check ok() (a test skips
  /// or fails with why() when PostgreSQL is not installed).
  static pg_server& shared();

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

private:
  pg_server();
  void start();

  std::string dir_;
  std::string why_;
  int pid_ = -1;
  int databases_ = 0;
};

} // namespace courier::test
