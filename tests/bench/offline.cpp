// offline: K senders store M messages each for K recipients who are signed
// out; then the recipients sign in and take them all. The store's write
// and read path, SQLite or PostgreSQL (--store).

#include <algorithm>
#include <atomic>
#include <mutex>

#include <boost/json.hpp>

#include "tests/bench/scenarios.hpp"
#include "tests/support/harness.hpp"

namespace courier::bench {

using namespace std::chrono;

namespace {

struct phase_stats {
  uint64_t done = 0; ///< stored (answered "accepted") or delivered
  uint64_t errors = 0;
  double elapsed = 0;
  double router_cpu = 0;
  int64_t disk_bytes = 0;
  std::string problem;
};

// Asks through `c` until none of `names` is signed in anywhere: the
// routers ended their sessions. False at `deadline`.
bool wait_offline(edge_conn& c, const std::vector<std::string>& names,
                  clock::time_point deadline) {
  uint64_t id = 0;
  for (;;) {
    bool anyone = false;
    // A presence request names at most 64 users.
    for (size_t at = 0; at < names.size(); at += 64) {
      boost::json::array users;
      for (size_t i = at; i < std::min(names.size(), at + 64); ++i)
        users.emplace_back(names[i]);
      boost::json::object req{{"v", 1},
                              {"type", "presence"},
                              {"id", "p" + std::to_string(++id)},
                              {"users", std::move(users)}};
      c.queue(boost::json::serialize(req));
      std::vector<std::string> frames;
      if (!c.flush() || !c.read_some(frames, milliseconds{2000}))
        return false;
      for (auto& f : frames) {
        boost::json::error_code ec;
        auto v = boost::json::parse(f, ec);
        if (ec || !v.is_object())
          return false;
        auto online = v.as_object().if_contains("online");
        anyone = anyone || (online && online->is_array()
                            && !online->as_array().empty());
      }
    }
    if (!anyone)
      return true;
    if (past(deadline))
      return false;
    std::this_thread::sleep_for(milliseconds{20});
  }
}

// Runs `body(i)` on one thread per index, i < k, and measures the routers
// around it into `st`; the phase ends when the last thread does.
template <class F>
void measure(phase_stats& st, size_t k, const std::vector<pid_t>& pids,
             F body) {
  std::vector<clock::time_point> done_at(k);
  double cpu0 = 0;
  int64_t disk0 = 0;
  for (auto pid : pids) {
    cpu0 += cpu_seconds(pid);
    disk0 += disk_write_bytes(pid);
  }
  auto t0 = clock::now();
  {
    joiner threads;
    for (size_t i = 0; i < k; ++i)
      threads.threads.emplace_back([&, i] {
        body(i);
        done_at[i] = clock::now();
      });
  }
  st.elapsed =
    duration<double>(*std::max_element(done_at.begin(), done_at.end()) - t0)
      .count();
  for (auto pid : pids) {
    st.router_cpu += cpu_seconds(pid);
    st.disk_bytes += disk_write_bytes(pid);
  }
  st.router_cpu -= cpu0;
  st.disk_bytes -= disk0;
}

} // namespace

int run_offline(const options& opts, bool json) {
  auto p = relay_params::from(opts);
  auto pairs = std::max<uint64_t>(1, opts.num("pairs", 1));
  auto count = std::max<uint64_t>(1, opts.num("messages", 10000));
  test::temp_dir dir;
  // No queue quota: the scenario fills one queue per recipient.
  std::vector<std::string> extra{"--max-frames-per-second=10000000",
                                 "--idle-timeout-ms=3600000", "--sender-rate=0",
                                 "--queue-max-messages=0", "--queue-max-mib=0"};
  extra.insert(extra.end(), p.router_args.begin(), p.router_args.end());
  bench_routers cluster;
  start_routers(cluster, dir, p.routers, p.store, extra);
  auto pids = cluster.pids();
  // With two routers senders use A; recipients are homed at B and sign
  // in there, so that what A stored is handed out by B.
  const std::vector<std::string> names{"A", "B"};
  auto sender_port = cluster.routers.front().port;
  auto receiver_port = cluster.routers.back().port;
  auto& key = bench_key();
  std::vector<std::string> receiver_names;
  for (uint64_t i = 0; i < pairs; ++i) {
    auto base = "o" + std::to_string(i) + "-" + run_tag() + "-";
    receiver_names.push_back(p.routers == 2 ? test::homed_at(base, "B", names)
                                            : base);
    // One sign-in registers the name (unknown recipients are refused).
    edge_conn c;
    if (!c.connect(receiver_port) || !c.login(receiver_names.back(), key))
      throw std::runtime_error("recipient login failed: " + c.error);
  }
  std::vector<std::unique_ptr<edge_conn>> senders;
  for (uint64_t i = 0; i < pairs; ++i) {
    senders.push_back(std::make_unique<edge_conn>());
    auto& c = *senders.back();
    auto name = "i" + std::to_string(i) + "-" + run_tag() + "-";
    if (p.routers == 2)
      name = test::homed_at(name, "A", names);
    if (!c.connect(sender_port) || !c.login(name, key))
      throw std::runtime_error("sender login failed: " + c.error);
  }
  auto limit = seconds{p.timeout_s};
  if (!wait_offline(*senders.front(), receiver_names, clock::now() + limit))
    throw std::runtime_error("the recipients stayed signed in: "
                             + senders.front()->error);
  std::mutex mtx;
  auto problem = [&](phase_stats& st, const std::string& text) {
    std::lock_guard<std::mutex> g{mtx};
    if (st.problem.empty())
      st.problem = text;
  };
  std::atomic<uint64_t> stored{0}, store_errors{0};
  phase_stats put;
  measure(put, pairs, pids, [&](size_t i) {
    auto& c = *senders[i];
    auto blob = make_blob(p.size);
    const auto& to = receiver_names[i];
    auto deadline = clock::now() + limit;
    std::vector<std::string> frames;
    uint64_t sent = 0, answered = 0;
    while (answered < count && !past(deadline)) {
      while (sent < count && sent - answered < p.window)
        c.queue("{\"v\":1,\"type\":\"send\",\"id\":\"" + std::to_string(sent++)
                + "\",\"to\":\"" + to + "\",\"blob\":\"" + blob + "\"}");
      if (!c.flush())
        break;
      frames.clear();
      if (!c.read_some(frames, milliseconds{500}) && c.fd() < 0)
        break;
      for (auto& f : frames) {
        ++answered;
        // The recipient is signed out: every answer is "accepted", i.e.
        // the message is in the store.
        if (f.find("\"status\":\"accepted\"") != std::string::npos) {
          ++stored;
          continue;
        }
        ++store_errors;
        problem(put, "sender " + std::to_string(i) + ": " + f.substr(0, 200));
      }
    }
    if (c.fd() < 0)
      problem(put, "sender " + std::to_string(i) + ": " + c.error);
  });
  put.done = stored;
  put.errors = store_errors;
  std::atomic<uint64_t> delivered{0}, deliver_errors{0};
  phase_stats get;
  measure(get, pairs, pids, [&](size_t i) {
    edge_conn c;
    if (!c.connect(receiver_port) || !c.login(receiver_names[i], key)) {
      problem(get, "recipient " + std::to_string(i) + ": " + c.error);
      return;
    }
    auto deadline = clock::now() + limit;
    std::vector<std::string> frames;
    uint64_t got = 0;
    while (got < count && !past(deadline)) {
      frames.clear();
      if (!c.read_some(frames, milliseconds{500})) {
        if (c.fd() < 0)
          break;
        continue;
      }
      for (auto& f : frames) {
        if (f.find("\"type\":\"deliver\"") == std::string::npos) {
          ++deliver_errors;
          problem(get, "recipient " + std::to_string(i) + ": "
                         + f.substr(0, 200));
          continue;
        }
        c.queue("{\"v\":1,\"type\":\"ack\",\"id\":\""
                + std::string{json_str(f, "id")} + "\"}");
        ++got;
      }
      if (!c.flush())
        break;
    }
    delivered += got;
    if (c.fd() < 0)
      problem(get, "recipient " + std::to_string(i) + ": " + c.error);
  });
  get.done = delivered;
  get.errors = deliver_errors;
  senders.clear();

  result r{"offline"};
  r.add("routers", static_cast<int64_t>(p.routers));
  r.add("store", std::string{p.store.empty() ? "sqlite" : "postgresql"});
  r.add("pairs", static_cast<int64_t>(pairs));
  r.add("messages_per_sender", static_cast<int64_t>(count));
  r.add("size", static_cast<int64_t>(p.size), "B");
  auto per = [](double x, uint64_t n) {
    return x / static_cast<double>(std::max<uint64_t>(1, n));
  };
  r.add("stored", static_cast<int64_t>(put.done));
  r.add("store_elapsed", put.elapsed, "s");
  r.add("stored_per_s", static_cast<double>(put.done) / put.elapsed,
        "msgs_per_s");
  r.add("store_router_cpu_per_msg", per(put.router_cpu, put.done) * 1e6, "us");
  r.add("store_router_disk_bytes_per_msg",
        per(static_cast<double>(put.disk_bytes), put.done), "B");
  r.add("delivered", static_cast<int64_t>(get.done));
  r.add("deliver_elapsed", get.elapsed, "s");
  r.add("delivered_per_s", static_cast<double>(get.done) / get.elapsed,
        "msgs_per_s");
  r.add("deliver_router_cpu_per_msg", per(get.router_cpu, get.done) * 1e6,
        "us");
  r.add("errors", static_cast<int64_t>(put.errors + get.errors));
  r.note("store: each sender keeps up to --window sends in flight to its "
         "signed-out recipient; counted when the router answers "
         "\"accepted\" (the message is committed to the store)");
  r.note("deliver: from the recipients' sign-in (handshake included) until "
         "each has every message; they ack each delivery as it comes (the "
         "router pushes up to 256 unacknowledged)");
  r.note(store_note(p.store));
  if (p.routers == 2)
    r.note("two routers: senders connected to A, recipients homed at and "
           "signing in at B; router figures are the sum of both processes");
  if (!p.store.empty())
    r.note("the routers' disk writes exclude PostgreSQL's own");
  if (!put.problem.empty())
    r.note("store phase: " + put.problem);
  if (!get.problem.empty())
    r.note("deliver phase: " + get.problem);
  bool ok = put.done == pairs * count && get.done == pairs * count
            && put.errors + get.errors == 0;
  if (!ok)
    r.note("NOT every message was stored and delivered: "
           + std::to_string(put.done) + " and " + std::to_string(get.done)
           + " of " + std::to_string(pairs * count));
  r.print(json);
  return ok ? 0 : 1;
}

} // namespace courier::bench
