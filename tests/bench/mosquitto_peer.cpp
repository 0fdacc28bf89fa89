// peer-mosquitto: the relay scenario against a mosquitto broker (TLS,
// QoS 1) next to Courier's figures with the same parameters.

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

#ifdef COURIER_HAVE_MOSQUITTO
#include <mosquitto.h>
#endif

namespace courier::bench {

using namespace std::chrono;

#ifdef COURIER_HAVE_MOSQUITTO

namespace {

constexpr const char* mosquitto_bin = "/usr/sbin/mosquitto";

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

int64_t now_ns() {
  return duration_cast<nanoseconds>(clock::now().time_since_epoch()).count();
}

// One MQTT client with libmosquitto's own network thread.
struct mq_client {
  mosquitto* m = nullptr;
  std::mutex mtx;
  std::condition_variable cv;
  bool connected = false;
  bool subscribed = false;
  int connect_rc = -1;
  // publisher side
  uint64_t acked = 0;
  // subscriber side
  uint64_t got = 0;
  bool record = false;
  std::vector<double> lat;
  clock::time_point last;

  ~mq_client() {
    if (m) {
      mosquitto_disconnect(m);
      mosquitto_loop_stop(m, true);
      mosquitto_destroy(m);
    }
  }
};

void on_connect(mosquitto*, void* obj, int rc) {
  auto c = static_cast<mq_client*>(obj);
  std::lock_guard<std::mutex> g{c->mtx};
  c->connected = rc == 0;
  c->connect_rc = rc;
  c->cv.notify_all();
}

void on_subscribe(mosquitto*, void* obj, int, int, const int*) {
  auto c = static_cast<mq_client*>(obj);
  std::lock_guard<std::mutex> g{c->mtx};
  c->subscribed = true;
  c->cv.notify_all();
}

void on_publish(mosquitto*, void* obj, int) {
  auto c = static_cast<mq_client*>(obj);
  std::lock_guard<std::mutex> g{c->mtx};
  ++c->acked;
  c->cv.notify_all();
}

void on_message(mosquitto*, void* obj, const mosquitto_message* msg) {
  auto now = now_ns();
  auto c = static_cast<mq_client*>(obj);
  std::lock_guard<std::mutex> g{c->mtx};
  ++c->got;
  c->last = clock::now();
  if (c->record && msg->payloadlen >= 16) {
    std::string hex{static_cast<const char*>(msg->payload), 16};
    auto sent = static_cast<int64_t>(std::strtoull(hex.c_str(), nullptr, 16));
    c->lat.push_back(static_cast<double>(now - sent) / 1000.0);
  }
  c->cv.notify_all();
}

std::unique_ptr<mq_client> make_client(const std::string& id, uint16_t port,
                                       const std::string& cafile,
                                       uint64_t window) {
  auto c = std::make_unique<mq_client>();
  c->m = mosquitto_new(id.c_str(), true, c.get());
  if (!c->m)
    throw std::runtime_error("mosquitto_new failed");
  mosquitto_connect_callback_set(c->m, on_connect);
  mosquitto_subscribe_callback_set(c->m, on_subscribe);
  mosquitto_publish_callback_set(c->m, on_publish);
  mosquitto_message_callback_set(c->m, on_message);
  mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_max_inflight_messages_set(c->m, static_cast<unsigned>(window));
  if (mosquitto_tls_set(c->m, cafile.c_str(), nullptr, nullptr, nullptr,
                        nullptr) != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("mosquitto_tls_set failed");
  // The certificate chain is checked against the throwaway CA file; the
  // host name check is skipped (loopback, self-signed).
  mosquitto_tls_insecure_set(c->m, true);
  if (auto rc = mosquitto_connect(c->m, "127.0.0.1", port, 60);
      rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error(std::string{"mosquitto_connect: "}
                             + mosquitto_strerror(rc));
  mosquitto_loop_start(c->m);
  std::unique_lock<std::mutex> lk{c->mtx};
  if (!c->cv.wait_for(lk, seconds{10}, [&] { return c->connect_rc >= 0; })
      || !c->connected)
    throw std::runtime_error("MQTT connect failed (rc "
                             + std::to_string(c->connect_rc) + ")");
  return c;
}

struct mq_stats {
  uint64_t delivered = 0;
  double elapsed = 0;
  double broker_cpu = 0;
  std::vector<double> lat;
};

mq_stats mq_run(std::vector<std::unique_ptr<mq_client>>& pubs,
                std::vector<std::unique_ptr<mq_client>>& subs, pid_t broker,
                const relay_params& p, uint64_t count, double rate,
                bool record) {
  mq_stats st;
  for (auto& s : subs) {
    std::lock_guard<std::mutex> g{s->mtx};
    s->got = 0;
    s->record = record;
    s->lat.clear();
  }
  for (auto& pb : pubs) {
    std::lock_guard<std::mutex> g{pb->mtx};
    pb->acked = 0;
  }
  auto cpu0 = cpu_seconds(broker);
  auto t0 = clock::now();
  auto deadline = t0 + seconds{p.timeout_s};
  std::vector<std::thread> ts;
  for (size_t i = 0; i < pubs.size(); ++i)
    ts.emplace_back([&, i] {
      auto& c = *pubs[i];
      std::string topic = "bench/" + std::to_string(i);
      std::string blob(p.size, 'x');
      auto gap = duration<double>(rate > 0 ? 1.0 / rate : 0);
      for (uint64_t k = 0; k < count && !past(deadline); ++k) {
        if (rate > 0)
          std::this_thread::sleep_until(
            t0 + duration_cast<clock::duration>(gap * k));
        else {
          std::unique_lock<std::mutex> lk{c.mtx};
          c.cv.wait_until(lk, deadline, [&] { return k - c.acked < p.window; });
        }
        if (record) {
          char hex[17];
          std::snprintf(hex, sizeof(hex), "%016" PRIx64,
                        static_cast<uint64_t>(now_ns()));
          std::copy(hex, hex + 16, blob.begin());
        }
        mosquitto_publish(c.m, nullptr, topic.c_str(),
                          static_cast<int>(blob.size()), blob.data(), 1, false);
      }
    });
  for (auto& t : ts)
    t.join();
  for (auto& s : subs) {
    std::unique_lock<std::mutex> lk{s->mtx};
    s->cv.wait_until(lk, deadline, [&] { return s->got >= count; });
  }
  auto t1 = t0;
  for (auto& s : subs) {
    std::lock_guard<std::mutex> g{s->mtx};
    st.delivered += s->got;
    t1 = std::max(t1, s->last);
    st.lat.insert(st.lat.end(), s->lat.begin(), s->lat.end());
  }
  st.elapsed = duration<double>(t1 - t0).count();
  st.broker_cpu = cpu_seconds(broker) - cpu0;
  std::sort(st.lat.begin(), st.lat.end());
  return st;
}

} // namespace

int run_peer_mosquitto(const options& opts, bool json) {
  auto p = relay_params::from(opts);
  if (::access(mosquitto_bin, X_OK) != 0) {
    std::cerr << "courier-bench: mosquitto is not installed (" << mosquitto_bin
              << " missing; apt-get install mosquitto)\n";
    return 2;
  }
  bool courier_ok = false;
  auto courier = relay_courier(p, courier_ok);
  test::temp_dir dir;
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  auto gen = test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"},
                       seconds{30});
  if (gen.exit_code != 0)
    throw std::runtime_error("openssl req failed: " + gen.err);
  // mosquitto started as root drops to its own user: let it read the
  // throwaway certificate and key.
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(cert.c_str(), 0644);
  ::chmod(key.c_str(), 0644);
  auto port = free_port();
  auto conf = dir / "mosquitto.conf";
  {
    std::ofstream out{conf};
    out << "listener " << port << " 127.0.0.1\n"
        << "certfile " << cert << "\nkeyfile " << key << "\n"
        << "allow_anonymous true\npersistence false\n"
        << "max_inflight_messages " << p.window << "\n"
        << "max_queued_messages 0\nlog_dest stderr\n";
  }
  auto broker = test::process::start({mosquitto_bin, "-c", conf},
                                     dir / "mosquitto.log");
  track_child(broker.pid());
  auto deadline = clock::now() + seconds{10};
  while (!port_open(port)) {
    if (past(deadline) || !broker.running())
      throw std::runtime_error("mosquitto did not start: "
                               + test::slurp(dir / "mosquitto.log"));
    std::this_thread::sleep_for(milliseconds{20});
  }
  mosquitto_lib_init();
  mq_stats tp, lat;
  uint64_t per_sender = std::max<uint64_t>(1, p.latency_messages / p.pairs);
  {
    std::vector<std::unique_ptr<mq_client>> subs, pubs;
    for (uint64_t i = 0; i < p.pairs; ++i) {
      subs.push_back(make_client("sub" + std::to_string(i), port, cert, p.window));
      auto& s = *subs.back();
      auto topic = "bench/" + std::to_string(i);
      mosquitto_subscribe(s.m, nullptr, topic.c_str(), 1);
      std::unique_lock<std::mutex> lk{s.mtx};
      if (!s.cv.wait_for(lk, seconds{10}, [&] { return s.subscribed; }))
        throw std::runtime_error("MQTT subscribe timed out");
    }
    for (uint64_t i = 0; i < p.pairs; ++i)
      pubs.push_back(make_client("pub" + std::to_string(i), port, cert, p.window));
    tp = mq_run(pubs, subs, broker.pid(), p, p.messages, 0, false);
    lat = mq_run(pubs, subs, broker.pid(), p, per_sender,
                 static_cast<double>(p.rate) / static_cast<double>(p.pairs),
                 true);
    pubs.clear();
    subs.clear();
  }
  mosquitto_lib_cleanup();
  untrack_child(broker.pid());
  broker.kill_hard();
  result m{"relay-mosquitto"};
  m.add("pairs", static_cast<int64_t>(p.pairs));
  m.add("messages_per_sender", static_cast<int64_t>(p.messages));
  m.add("size", static_cast<int64_t>(p.size), "B");
  m.add("delivered", static_cast<int64_t>(tp.delivered));
  m.add("elapsed", tp.elapsed, "s");
  double n = static_cast<double>(std::max<uint64_t>(1, tp.delivered));
  m.add("throughput", n / tp.elapsed, "msgs_per_s");
  m.add("goodput", n * static_cast<double>(p.size) / tp.elapsed / 1e6,
        "MB_per_s");
  m.add("broker_cpu_per_msg", tp.broker_cpu / n * 1e6, "us");
  m.add("latency_rate", static_cast<int64_t>(p.rate), "msgs_per_s");
  m.add("latency_delivered", static_cast<int64_t>(lat.delivered));
  m.add("latency_p50", percentile(lat.lat, 0.50), "us");
  m.add("latency_p99", percentile(lat.lat, 0.99), "us");
  m.add("latency_p999", percentile(lat.lat, 0.999), "us");
  m.note("mosquitto 2.0 (Debian) with TLS (self-signed P-256 certificate from "
         "the openssl CLI), MQTT 3.1.1 QoS 1 both ways, persistence off (it "
         "keeps messages in memory; Courier answers once a message is in "
         "SQLite or acked by its recipient), "
         "max_inflight_messages " + std::to_string(p.window)
         + "; clients are libmosquitto with its network thread");
  bool mq_ok = tp.delivered == p.pairs * p.messages
               && lat.delivered == p.pairs * per_sender;
  if (!mq_ok)
    m.note("NOT every message arrived");
  result cmp{"relay-vs-mosquitto"};
  auto ct = courier.get("throughput").value_or(0);
  auto mt = n / tp.elapsed;
  cmp.add("courier_msgs_per_s", ct);
  cmp.add("mosquitto_msgs_per_s", mt);
  cmp.add("throughput_ratio", mt > 0 ? ct / mt : 0.0);
  auto cp = courier.get("latency_p99").value_or(0);
  auto mp = percentile(lat.lat, 0.99);
  cmp.add("courier_p99", cp, "us");
  cmp.add("mosquitto_p99", mp, "us");
  cmp.add("courier_cpu_per_msg", courier.get("router_cpu_per_msg").value_or(0),
          "us");
  cmp.add("mosquitto_cpu_per_msg", tp.broker_cpu / n * 1e6, "us");
  cmp.note("ratio = Courier msgs/s / mosquitto msgs/s with the same pairs, "
           "messages and payload size in this invocation");
  courier.print(json);
  m.print(json);
  cmp.print(json);
  return courier_ok && mq_ok ? 0 : 1;
}

#else

int run_peer_mosquitto(const options&, bool) {
  std::cerr << "courier-bench: built without libmosquitto (install "
               "libmosquitto-dev and mosquitto, then rebuild)\n";
  return 2;
}

#endif

} // namespace courier::bench
