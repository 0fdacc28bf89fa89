#include "tests/support/harness.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "actors/protocol/envelope.hpp"

namespace courier::test {

namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

// How long a process may take to stop when it goes away: a node under
// LeakSanitizer scans its heap before it exits.
constexpr milliseconds graceful_stop = seconds{20};

} // namespace

// -- temp_dir ------------------------------------------------------------------

temp_dir::temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "courier-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// -- process -------------------------------------------------------------------

process::process(process&& other) noexcept
  : pid_(other.pid_), log_(std::move(other.log_)) {
  other.pid_ = -1;
  other.log_.clear();
}

process& process::operator=(process&& other) noexcept {
  if (this != &other) {
    stop(graceful_stop);
    pid_ = other.pid_;
    log_ = std::move(other.log_);
    other.pid_ = -1;
    other.log_.clear();
  }
  return *this;
}

process::~process() {
  stop(graceful_stop);
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd,
            int err_fd) {
  auto pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (in_fd >= 0)
      ::dup2(in_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

} // namespace

process process::start(const std::vector<std::string>& argv,
                       const std::string& log_file) {
  int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY);
  process p;
  p.log_ = log_file;
  p.pid_ = spawn(argv, null_fd, fd, fd);
  ::close(fd);
  ::close(null_fd);
  return p;
}

void process::kill_hard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  check_log();
}

bool process::stop(milliseconds timeout) {
  if (pid_ <= 0) {
    check_log();
    return true;
  }
  ::kill(pid_, SIGTERM);
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) != 0) { // exited, or reaped
      pid_ = -1;
      check_log();
      return true;
    }
    std::this_thread::sleep_for(milliseconds{20});
  }
  kill_hard();
  return false;
}

void process::check_log() {
  if (log_.empty())
    return;
  auto text = slurp(log_);
  for (auto marker : {"ERROR: LeakSanitizer", "ERROR: AddressSanitizer",
                      "WARNING: ThreadSanitizer", ": runtime error: "}) {
    if (auto at = text.find(marker); at != std::string::npos) {
      ADD_FAILURE() << "sanitizer report in " << log_ << ":\n"
                    << text.substr(at, 4000);
      break;
    }
  }
  log_.clear(); // reported once
}

bool process::running() {
  if (pid_ <= 0)
    return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == 0)
    return true;
  pid_ = -1; // exited (and reaped now)
  check_log();
  return false;
}

std::string slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int mode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return -1;
  return static_cast<int>(st.st_mode & 07777);
}

router_process router_process::start(const std::string& data_dir, uint16_t port,
                                     std::vector<std::string> extra,
                                     std::vector<std::string> prefix,
                                     std::string host) {
  router_process r;
  r.host = host;
  r.data = data_dir;
  r.log = data_dir + ".log";
  std::ofstream{r.log, std::ios::trunc};
  std::vector<std::string> argv = std::move(prefix);
  argv.insert(argv.end(), {node_binary(), "router",
                           "--edge=" + host + ":" + std::to_string(port),
                           "--data=" + data_dir});
  argv.insert(argv.end(), extra.begin(), extra.end());
  r.proc = process::start(argv, r.log);
  auto listening = "listening on " + host + ":";
  std::regex fp{R"(fingerprint: ([0-9a-f ]+))"};
  auto deadline = steady_clock::now() + seconds{15};
  while (steady_clock::now() < deadline) {
    auto text = slurp(r.log);
    std::smatch m;
    if (std::regex_search(text, m, fp))
      r.fingerprint = m[1];
    // Only a whole line: another thread's log line may flush a part of it.
    if (auto at = text.find(listening); at != std::string::npos
        && text.find('\n', at) != std::string::npos) {
      r.port = static_cast<uint16_t>(std::stoi(text.substr(at + listening.size())));
      return r;
    }
    if (!r.proc.running())
      throw std::runtime_error("router exited: " + text);
    std::this_thread::sleep_for(milliseconds{20});
  }
  throw std::runtime_error("router did not start: " + slurp(r.log));
}

int time_factor() {
  static const int factor = [] {
    auto text = std::getenv("COURIER_TIME_FACTOR");
    int f = text ? std::atoi(text) : 1;
    return f >= 1 ? f : 1;
  }();
  return factor;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

size_t count_in(const std::string& path, const std::string& text) {
  auto all = slurp(path);
  size_t n = 0;
  for (auto at = all.find(text); at != std::string::npos;
       at = all.find(text, at + 1))
    ++n;
  return n;
}

bool wait_for_count(const std::string& path, const std::string& text,
                    size_t count, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (count_in(path, text) < count) {
    if (steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(milliseconds{20});
  }
  return true;
}

bool wait_for_text(const std::string& path, const std::string& text,
                   milliseconds timeout) {
  return wait_for_count(path, text, 1, timeout);
}

run_result run(const std::vector<std::string>& argv, seconds timeout,
               const std::string& input) {
  temp_dir io;
  auto out_path = io / "out", err_path = io / "err", in_path = io / "in";
  std::ofstream{in_path} << input;
  int in_fd = ::open(in_path.c_str(), O_RDONLY);
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto pid = spawn(argv, in_fd, out_fd, err_fd);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  run_result res;
  auto deadline = steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      break;
    if (steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      res.err = "killed after timeout\n";
      break;
    }
    std::this_thread::sleep_for(milliseconds{5});
  }
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  res.out = slurp(out_path);
  res.err += slurp(err_path);
  return res;
}

run_result init_identity(const std::string& home, const std::string& user) {
  return run({COURIER_CLI, "--home", home, "--user", user, "--no-passphrase",
              "init", "--bits", "2048"});
}

std::vector<std::string> cli(const std::string& home, const std::string& server,
                             const std::string& user,
                             std::vector<std::string> args) {
  std::vector<std::string> argv{COURIER_CLI,   "--home", home,
                                "--server",    server,   "--user",
                                user,          "--no-passphrase"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string user_fingerprint(const std::string& home, const std::string& user) {
  auto r = run({COURIER_CLI, "--home", home, "--user", user, "fingerprint"});
  auto colon = r.out.find(": ");
  if (r.exit_code != 0 || colon == std::string::npos)
    return {};
  auto fp = r.out.substr(colon + 2);
  return fp.substr(0, fp.find('\n'));
}

std::string bank_fingerprint(const std::string& data_dir) {
  auto r = run({node_binary(), "bank-fingerprint", "--data=" + data_dir});
  if (r.exit_code != 0)
    return {};
  return r.out.substr(0, r.out.find('\n'));
}

// -- raw_client ------------------------------------------------------------------

raw_client::raw_client(uint16_t port, const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1
        || ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

raw_client::~raw_client() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_client::write_raw(const std::string& bytes) {
  if (fd_ < 0)
    return false;
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
         == static_cast<ssize_t>(bytes.size());
}

bool raw_client::write_frame(const std::string& payload) {
  std::vector<char> buf;
  protocol::append_frame(buf, payload);
  written.push_back(payload);
  return write_raw({buf.begin(), buf.end()});
}

std::optional<std::string> raw_client::read_frame(milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  for (;;) {
    if (buf_.size() >= protocol::frame_header_size) {
      size_t len = protocol::frame_length(buf_.data());
      if (buf_.size() >= 4 + len) {
        auto frame = buf_.substr(4, len);
        buf_.erase(0, 4 + len);
        last_frame_size = len;
        return frame;
      }
    }
    if (fd_ < 0)
      return std::nullopt;
    // Rounded up, with one look at what waits even when the time is up.
    // Rounded down, a 1 ms read was a 0 ms one that returned before it
    // looked: the soak's legitimate pair read nothing while it sent, and
    // the router cut it once its answers filled the socket buffers and the
    // write-buffer cap (the long soak's silent cut).
    auto left = ceil<milliseconds>(deadline - steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)))
        != 1)
      return std::nullopt;
    char tmp[65536];
    auto n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      peer_closed_ = true;
      return std::nullopt;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

bool raw_client::closed_within(milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left = ceil<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1)
      return false;
    char tmp[4096];
    auto n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0)
      return true;
  }
  return true;
}

std::optional<std::string> raw_client::login(const std::string& user,
                                             const crypto::key& identity) {
  auto start = protocol::start_handshake(user, identity);
  if (!start || !write_frame(start->hello.text))
    return std::nullopt;
  auto server_hello = read_frame();
  if (!server_hello)
    return std::nullopt;
  auto res = protocol::finish_handshake(*start, identity, *server_hello, {});
  if (!res)
    return std::nullopt;
  chan_ = protocol::channel{std::move(res->keys)};
  if (!write_frame(res->finish_text))
    return std::nullopt;
  return read_sealed();
}

std::string raw_client::seal(const std::string& envelope) {
  std::string sealed;
  chan_.seal(envelope, sealed);
  return sealed;
}

std::string raw_client::send_sealed(const std::string& envelope) {
  auto sealed = seal(envelope);
  write_frame(sealed);
  return sealed;
}

std::optional<std::string> raw_client::read_sealed(milliseconds timeout) {
  auto frame = read_frame(timeout);
  if (!frame)
    return std::nullopt;
  std::string plain;
  if (chan_.open(*frame, plain))
    return std::nullopt;
  return plain;
}

const crypto::key& test_key(const std::string& name) {
  static std::map<std::string, crypto::key> keys;
  auto& k = keys[name];
  if (!k)
    k = *crypto::generate_rsa(2048);
  return k;
}

std::string node_binary() {
  auto env = std::getenv("COURIER_NODE_BIN");
  return env && *env ? env : COURIER_NODE;
}

} // namespace courier::test
