#include "tests/support/pg_server.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

namespace courier::test {

namespace {

constexpr const char* bin_dir = "/usr/lib/postgresql/15/bin";
// Names the socket file; TCP only for a server in a namespace of its own.
constexpr int port = 5432;
using clock_type = std::chrono::steady_clock;

/// Forks and runs `argv` with output to `log`, as `pw` if set (the tests
/// run as root), in `cwd`. Everything the child needs is built before the
/// fork: only system calls after it.
int spawn(const std::vector<std::string>& args, const std::string& log,
          const std::string& cwd, const passwd* pw, bool die_with_parent) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  uid_t uid = pw ? pw->pw_uid : 0;
  gid_t gid = pw ? pw->pw_gid : 0;
  auto parent = ::getpid();
  auto pid = ::fork();
  if (pid != 0)
    return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  if (pw != nullptr
      && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0
          || ::setuid(uid) != 0))
    ::_exit(126);
  // After setuid, which clears it: the server goes when the test binary
  // does, crashed or not.
  if (die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent)
      ::_exit(1);
  }
  if (::chdir(cwd.c_str()) != 0)
    ::_exit(126);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

/// Waits for `pid` at most `limit`: its exit status, or -1 on timeout.
int wait_for(int pid, std::chrono::milliseconds limit) {
  auto deadline = clock_type::now() + limit;
  for (;;) {
    int status = 0;
    auto r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (r < 0)
      return 128;
    if (clock_type::now() > deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

std::string tail_of(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

} // namespace

pg_server& pg_server::shared() {
  // Destroyed at exit: the server stops with the test binary.
  static pg_server instance;
  return instance;
}

pg_server::pg_server() {
  start();
}

pg_server::pg_server(std::vector<std::string> prefix, std::string address,
                     std::string trusted)
  : prefix_(std::move(prefix)),
    host_(std::move(address)),
    trusted_(std::move(trusted)) {
  start();
}

std::unique_ptr<pg_server>
pg_server::in_namespace(std::vector<std::string> prefix, std::string address,
                        std::string trusted) {
  return std::unique_ptr<pg_server>{
    new pg_server(std::move(prefix), std::move(address), std::move(trusted))};
}

pg_server::~pg_server() {
  stop();
}

void pg_server::start() {
  auto initdb = std::string{bin_dir} + "/initdb";
  if (::access(initdb.c_str(), X_OK) != 0) {
    why_ = "PostgreSQL 15 is not installed (" + initdb
           + "); deploy/install-deps.sh installs it";
    return;
  }
  char tmpl[] = "/tmp/courier-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    why_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  const passwd* pw = nullptr;
  if (::geteuid() == 0) {
    pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      why_ = "running as root, and there is no postgres user to run "
             "PostgreSQL as";
      return;
    }
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      why_ = "cannot hand " + dir_ + " to the postgres user";
      return;
    }
  }
  auto log = dir_ + "/server.log";
  auto data = dir_ + "/data";
  // No fsync: a test server's data need not survive a power cut.
  auto pid = spawn({initdb, "-D", data, "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8", "--locale=C"},
                   log, dir_, pw, true);
  if (pid < 0 || wait_for(pid, std::chrono::seconds{60}) != 0) {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      wait_for(pid, std::chrono::seconds{5});
    }
    why_ = "initdb failed: " + tail_of(log);
    return;
  }
  if (!trusted_.empty()) {
    std::ofstream hba{data + "/pg_hba.conf", std::ios::app};
    hba << "host all all " << trusted_ << " trust\n";
    if (!hba) {
      why_ = "cannot write pg_hba.conf";
      return;
    }
  }
  launch();
}

void pg_server::launch() {
  auto postgres = std::string{bin_dir} + "/postgres";
  auto log = dir_ + "/server.log";
  auto data = dir_ + "/data";
  const passwd* pw = ::geteuid() == 0 ? ::getpwnam("postgres") : nullptr;
  std::vector<std::string> argv;
  if (!prefix_.empty()) {
    // Entering a namespace needs root: the prefix runs as root, and
    // setpriv becomes postgres (keeping the parent-death signal, which a
    // change of user clears).
    argv = prefix_;
    if (pw != nullptr)
      argv.insert(argv.end(),
                  {"/usr/bin/setpriv", "--reuid=" + std::to_string(pw->pw_uid),
                   "--regid=" + std::to_string(pw->pw_gid), "--clear-groups",
                   "--pdeathsig=SIGQUIT"});
  }
  argv.insert(argv.end(),
              {postgres, "-D", data, "-k", dir_, "-p", std::to_string(port),
               "-c", "listen_addresses=" + host_, "-c", "fsync=off", "-c",
               "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
               "shared_buffers=16MB", "-c", "max_connections=60"});
  pid_ = spawn(argv, log, dir_, prefix_.empty() ? pw : nullptr, true);
  if (pid_ < 0) {
    why_ = "fork failed";
    return;
  }
  auto admin = conninfo("postgres");
  auto deadline = clock_type::now() + std::chrono::seconds{30};
  while (PQping(admin.c_str()) != PQPING_OK) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why_ = "postgres exited: " + tail_of(log);
      return;
    }
    if (clock_type::now() > deadline) {
      why_ = "postgres was not ready within 30 s: " + tail_of(log);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

std::string pg_server::conninfo(const std::string& db) const {
  // Over TCP a machine cut off the network must not wait minutes to
  // connect.
  if (!host_.empty())
    return "postgresql://postgres@" + host_ + ":" + std::to_string(port) + "/"
           + db + "?connect_timeout=3";
  return "postgresql://postgres@/" + db + "?host=" + dir_
         + "&port=" + std::to_string(port);
}

std::string pg_server::fresh_database() {
  if (!ok())
    return {};
  auto name = "t" + std::to_string(++databases_);
  auto admin = conninfo("postgres");
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn{PQconnectdb(admin.c_str()),
                                                  &PQfinish};
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    why_ = PQerrorMessage(conn.get());
    return {};
  }
  auto sql = "CREATE DATABASE " + name;
  std::unique_ptr<PGresult, void (*)(PGresult*)> res{
    PQexec(conn.get(), sql.c_str()), &PQclear};
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    why_ = PQerrorMessage(conn.get());
    return {};
  }
  return conninfo(name);
}

int64_t pg_server::scalar(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn{PQconnectdb(conninfo.c_str()),
                                                  &PQfinish};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return -1;
  std::unique_ptr<PGresult, void (*)(PGresult*)> res{
    PQexec(conn.get(), sql.c_str()), &PQclear};
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) < 1
      || PQgetisnull(res.get(), 0, 0))
    return -1;
  return std::strtoll(PQgetvalue(res.get(), 0, 0), nullptr, 10);
}

bool pg_server::halt() {
  if (pid_ <= 0)
    return false;
  // SIGINT is PostgreSQL's fast shutdown (pg_ctl stop -m fast).
  ::kill(pid_, SIGINT);
  if (wait_for(pid_, std::chrono::seconds{10}) < 0)
    return false;
  pid_ = -1;
  return true;
}

bool pg_server::resume() {
  if (pid_ > 0 || dir_.empty())
    return false;
  why_.clear();
  launch();
  return ok();
}

void pg_server::stop() {
  if (pid_ > 0) {
    // Fast shutdown: sessions are ended, nothing is flushed we care about.
    ::kill(pid_, SIGINT);
    if (wait_for(pid_, std::chrono::seconds{10}) < 0) {
      ::kill(pid_, SIGKILL);
      wait_for(pid_, std::chrono::seconds{5});
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

} // namespace courier::test
