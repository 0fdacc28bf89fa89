#include "tests/bench/bench_common.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "actors/protocol/frame.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/random.hpp"
#include "tests/support/pg_server.hpp"

namespace courier::bench {

using namespace std::chrono;

// -- options -------------------------------------------------------------------

options::options(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      values_["?" + a] = "";
      continue;
    }
    a = a.substr(2);
    if (auto eq = a.find('='); eq != std::string::npos) {
      values_[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < argc && std::string{argv[i + 1]}.rfind("--", 0) != 0) {
      values_[a] = argv[++i];
    } else {
      values_[a] = "1";
    }
  }
}

bool options::flag(const std::string& name) const {
  used_[name] = true;
  return values_.count(name) > 0;
}

uint64_t options::num(const std::string& name, uint64_t fallback) const {
  used_[name] = true;
  auto it = values_.find(name);
  if (it == values_.end())
    return fallback;
  char* end = nullptr;
  auto v = std::strtoull(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0')
    throw std::runtime_error("--" + name + " needs a number, not '"
                             + it->second + "'");
  return v;
}

std::string options::str(const std::string& name,
                         const std::string& fallback) const {
  used_[name] = true;
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> options::unused() const {
  std::vector<std::string> res;
  for (auto& kv : values_)
    if (!used_.count(kv.first))
      res.push_back(kv.first[0] == '?' ? kv.first.substr(1) : "--" + kv.first);
  return res;
}

// -- result --------------------------------------------------------------------

void result::add(const std::string& key, double value, const std::string& unit) {
  entries_.push_back({key, value, unit});
}

void result::add(const std::string& key, int64_t value, const std::string& unit) {
  entries_.push_back({key, value, unit});
}

void result::add(const std::string& key, const std::string& text) {
  entries_.push_back({key, text, ""});
}

std::optional<double> result::get(const std::string& key) const {
  for (auto& e : entries_)
    if (e.key == key) {
      if (auto d = std::get_if<double>(&e.value))
        return *d;
      if (auto i = std::get_if<int64_t>(&e.value))
        return static_cast<double>(*i);
    }
  return std::nullopt;
}

namespace {

std::string fmt(double v) {
  std::ostringstream os;
  double a = std::fabs(v);
  if (a != 0 && a < 0.01)
    os << std::setprecision(3) << v;
  else if (a < 100)
    os << std::fixed << std::setprecision(2) << v;
  else
    os << std::fixed << std::setprecision(0) << v;
  return os.str();
}

} // namespace

void result::print(bool json) const {
  if (json) {
    boost::json::object obj;
    obj["scenario"] = scenario_;
    for (auto& e : entries_) {
      std::string key = e.key;
      if (!e.unit.empty())
        key += "_" + e.unit;
      std::visit([&](auto& v) { obj[key] = v; }, e.value);
    }
    if (!notes_.empty()) {
      std::string all;
      for (auto& n : notes_)
        all += (all.empty() ? "" : " | ") + n;
      obj["notes"] = all;
    }
    std::cout << boost::json::serialize(obj) << std::endl;
    return;
  }
  std::cout << "== " << scenario_ << " ==\n";
  size_t width = 0;
  for (auto& e : entries_)
    width = std::max(width, e.key.size());
  for (auto& e : entries_) {
    std::cout << "  " << std::left << std::setw(static_cast<int>(width) + 2)
              << e.key;
    std::visit(
      [&](auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>)
          std::cout << fmt(v);
        else
          std::cout << v;
      },
      e.value);
    if (!e.unit.empty())
      std::cout << " " << e.unit;
    std::cout << "\n";
  }
  for (auto& n : notes_)
    std::cout << "  note: " << n << "\n";
  std::cout << std::flush;
}

// -- /proc ---------------------------------------------------------------------

int64_t disk_write_bytes(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/io"};
  std::string key;
  int64_t value = 0;
  while (in >> key >> value)
    if (key == "write_bytes:")
      return value;
  return 0;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  // Fields after the name: state(3) ... utime(14) stime(15).
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime)
         / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int64_t rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoll(line.substr(6));
  return 0;
}

// -- children and guards ---------------------------------------------------------

namespace {

constexpr int max_children = 16;
std::atomic<pid_t> children[max_children];

void on_fatal_signal(int sig) {
  for (auto& c : children) {
    pid_t p = c.load();
    if (p > 0)
      ::kill(p, SIGKILL);
  }
  const char* msg = sig == SIGALRM
                      ? "courier-bench: time limit reached; children killed\n"
                      : "courier-bench: interrupted; children killed\n";
  auto ignored = ::write(STDERR_FILENO, msg, std::strlen(msg));
  (void) ignored;
  ::_exit(3);
}

} // namespace

void track_child(pid_t pid) {
  for (auto& c : children) {
    pid_t expected = 0;
    if (c.compare_exchange_strong(expected, pid))
      return;
  }
}

void untrack_child(pid_t pid) {
  for (auto& c : children) {
    pid_t expected = pid;
    if (c.compare_exchange_strong(expected, 0))
      return;
  }
}

void install_guards(unsigned seconds) {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGALRM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  ::alarm(seconds);
}

uint64_t raise_nofile(uint64_t want) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= want)
    return rl.rlim_cur;
  rlimit next = rl;
  next.rlim_cur = want;
  if (next.rlim_max < want)
    next.rlim_max = want;
  if (::setrlimit(RLIMIT_NOFILE, &next) != 0) {
    next.rlim_max = rl.rlim_max;
    next.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &next);
  }
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto idx = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  idx = idx == 0 ? 0 : idx - 1;
  return sorted[std::min(idx, sorted.size() - 1)];
}

const crypto::key& bench_key() {
  static std::once_flag once;
  static crypto::key k;
  std::call_once(once, [] {
    auto g = crypto::generate_rsa(2048);
    if (!g)
      throw std::runtime_error("cannot generate an RSA key");
    k = *g;
  });
  return k;
}

void joiner::join() {
  for (auto& t : threads)
    if (t.joinable())
      t.join();
}

std::string make_blob(size_t size) {
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto rnd = crypto::random_bytes(size);
  std::string blob(size, 'A');
  for (size_t i = 0; i < size; ++i)
    blob[i] = alphabet[static_cast<unsigned char>(rnd[i]) % 64];
  return blob;
}

void stamp(std::string& blob, int64_t ns) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, static_cast<uint64_t>(ns));
  std::copy(hex, hex + 16, blob.begin());
}

int64_t unstamp(std::string_view blob) {
  if (blob.size() < 16)
    return 0;
  return static_cast<int64_t>(
    std::strtoull(std::string{blob.substr(0, 16)}.c_str(), nullptr, 16));
}

int64_t now_ns() {
  return duration_cast<nanoseconds>(clock::now().time_since_epoch()).count();
}

// -- stores ----------------------------------------------------------------------

namespace {

// The database store_of() made in the bench's own server, if it did.
std::string temp_store;

} // namespace

bool is_postgresql(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0
         || store.rfind("postgres://", 0) == 0;
}

std::string store_of(const options& opts) {
  auto store = opts.str("store", "");
  if (store.empty() || store == "sqlite")
    return {};
  if (store == "postgresql-temp") {
    if (temp_store.empty()) {
      auto& pg = test::pg_server::shared();
      if (!pg.ok())
        throw std::runtime_error("cannot start PostgreSQL: " + pg.why());
      temp_store = pg.fresh_database();
      if (temp_store.empty())
        throw std::runtime_error("cannot create a database: " + pg.why());
    }
    return temp_store;
  }
  if (!is_postgresql(store))
    throw std::runtime_error("--store takes sqlite, postgresql-temp or a "
                             "postgresql://... address, not '" + store + "'");
  return store;
}

std::string store_note(const std::string& store) {
  if (store.empty())
    return "routers on SQLite in their data folders (WAL, synchronous=FULL, "
           "group commit)";
  if (store == temp_store)
    return "routers on a throwaway PostgreSQL server of the bench's own "
           "(fsync off, synchronous_commit off): the scenario works, the "
           "figures are not durable ones";
  return "routers on PostgreSQL (--store, one database for both routers)";
}

std::string run_tag() {
  static const std::string tag = [] {
    auto rnd = crypto::random_bytes(3);
    char hex[7];
    std::snprintf(hex, sizeof(hex), "%02x%02x%02x",
                  static_cast<unsigned>(static_cast<unsigned char>(rnd[0])),
                  static_cast<unsigned>(static_cast<unsigned char>(rnd[1])),
                  static_cast<unsigned>(static_cast<unsigned char>(rnd[2])));
    return std::string{hex};
  }();
  return tag;
}

std::string_view json_str(std::string_view text, std::string_view key) {
  std::string pat = "\"" + std::string{key} + "\":\"";
  auto pos = text.find(pat);
  if (pos == std::string_view::npos)
    return {};
  pos += pat.size();
  auto end = text.find('"', pos);
  if (end == std::string_view::npos)
    return {};
  return text.substr(pos, end - pos);
}

// -- edge_conn -------------------------------------------------------------------

edge_conn::~edge_conn() {
  close();
}

void edge_conn::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool edge_conn::connect(uint16_t port, const std::string& src) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = std::string{"socket: "} + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!src.empty()) {
    ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, src.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      error = "bind " + src + ": " + std::strerror(errno);
      close();
      return false;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error = std::string{"connect: "} + std::strerror(errno);
    close();
    return false;
  }
  return true;
}

bool edge_conn::fill(int timeout_ms) {
  if (fd_ < 0)
    return false;
  if (timeout_ms >= 0) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0)
      return false;
    if (r < 0)
      return false;
  }
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (1u << 16)) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  auto old = in_.size();
  in_.resize(old + (1u << 16));
  auto n = ::recv(fd_, in_.data() + old, 1u << 16, timeout_ms < 0 ? MSG_DONTWAIT : 0);
  if (n <= 0) {
    in_.resize(old);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    error = n == 0 ? "closed by the router" : std::strerror(errno);
    close();
    return false;
  }
  in_.resize(old + static_cast<size_t>(n));
  return true;
}

bool edge_conn::read_raw_frame(std::string& frame, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    if (in_.size() - in_pos_ >= 4) {
      size_t len = protocol::frame_length(in_.data() + in_pos_);
      if (in_.size() - in_pos_ >= 4 + len) {
        frame.assign(in_, in_pos_ + 4, len);
        in_pos_ += 4 + len;
        return true;
      }
    }
    if (!fill_before(deadline))
      return false;
  }
}

bool edge_conn::login(const std::string& user, const crypto::key& identity,
                      milliseconds timeout) {
  auto start = protocol::start_handshake(user, identity);
  if (!start) {
    error = "start_handshake failed";
    return false;
  }
  out_.clear();
  protocol::append_frame(out_, start->hello.text);
  if (!flush())
    return false;
  std::string frame;
  if (!read_raw_frame(frame, timeout))
    return false;
  auto res = protocol::finish_handshake(*start, identity, frame, {});
  if (!res) {
    error = "server hello refused: " + frame.substr(0, 200);
    return false;
  }
  chan_ = protocol::channel{std::move(res->keys)};
  protocol::append_frame(out_, res->finish_text);
  if (!flush())
    return false;
  if (!read_raw_frame(frame, timeout))
    return false;
  if (chan_.open(frame, plain_)) {
    error = "welcome did not open: " + frame.substr(0, 200);
    return false;
  }
  if (plain_.find("\"welcome\"") == std::string::npos) {
    error = "no welcome: " + plain_.substr(0, 200);
    return false;
  }
  return true;
}

bool edge_conn::answered_hello(const std::string& hello,
                               milliseconds timeout) {
  out_.clear();
  protocol::append_frame(out_, hello);
  std::string frame;
  return flush() && read_raw_frame(frame, timeout);
}

bool edge_conn::refused_hello(milliseconds timeout) {
  out_.clear();
  protocol::append_frame(out_, R"({"v":1,"type":"client_hello"})");
  if (!flush())
    return false;
  std::string frame;
  if (!read_raw_frame(frame, timeout))
    return false;
  if (frame.find(R"("type":"error")") == std::string::npos) {
    error = "no error for a bad hello: " + frame.substr(0, 200);
    return false;
  }
  return true;
}

void edge_conn::queue(const std::string& envelope) {
  chan_.seal(envelope, sealed_);
  protocol::append_frame(out_, sealed_);
}

bool edge_conn::flush() {
  size_t off = 0;
  while (off < out_.size()) {
    auto n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      error = std::string{"send: "} + std::strerror(errno);
      close();
      return false;
    }
    off += static_cast<size_t>(n);
  }
  out_.clear();
  return true;
}

bool edge_conn::extract(std::vector<std::string>& out) {
  for (;;) {
    if (in_.size() - in_pos_ < 4)
      return true;
    size_t len = protocol::frame_length(in_.data() + in_pos_);
    if (in_.size() - in_pos_ < 4 + len)
      return true;
    sealed_.assign(in_, in_pos_ + 4, len);
    in_pos_ += 4 + len;
    if (chan_.open(sealed_, plain_)) {
      error = "a frame from the router did not open";
      close();
      return false;
    }
    out.push_back(plain_);
  }
}

bool edge_conn::fill_before(clock::time_point deadline) {
  auto left = duration_cast<milliseconds>(deadline - clock::now()).count();
  if (left <= 0) {
    error = "timeout";
    return false;
  }
  return fill(static_cast<int>(left));
}

bool edge_conn::read_some(std::vector<std::string>& out, milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  auto before = out.size();
  for (;;) {
    if (!extract(out))
      return false;
    if (out.size() > before)
      return true;
    if (!fill_before(deadline))
      return false;
  }
}

bool edge_conn::wait_readable(clock::time_point until) {
  if (fd_ < 0)
    return false;
  if (in_.size() - in_pos_ >= 4)
    return true;
  auto left = duration_cast<nanoseconds>(until - clock::now()).count();
  if (left < 0)
    left = 0;
  timespec ts{static_cast<time_t>(left / 1000000000),
              static_cast<long>(left % 1000000000)};
  pollfd p{fd_, POLLIN, 0};
  return ::ppoll(&p, 1, &ts, nullptr) == 1;
}

bool edge_conn::poll_some(std::vector<std::string>& out) {
  if (!fill(-1))
    return false;
  return extract(out);
}

} // namespace courier::bench
