#include "actors/server/queue_listener.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <set>
#include <utility>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <pqxx/pqxx>

#include "actors/common/log.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/server/pg_backend.hpp"

namespace courier {

namespace {

/// Collects the recipients named by the notices of one wait.
class collector : public pqxx::notification_receiver {
public:
  collector(pqxx::connection_base& c, std::set<std::string>& names,
            bool& overflow, size_t max_names)
    : pqxx::notification_receiver(c, pg_queue_channel),
      names_(names),
      overflow_(overflow),
      max_names_(max_names) {
    // nop
  }

  void operator()(const std::string& payload, int) override {
    if (overflow_)
      return;
    if (names_.size() >= max_names_ && names_.count(payload) == 0) {
      overflow_ = true; // bounded: "all" costs one fetch per live user
      names_.clear();
      return;
    }
    names_.insert(payload);
  }

private:
  std::set<std::string>& names_;
  bool& overflow_;
  size_t max_names_;
};

using std::chrono::milliseconds;

} // namespace

struct queue_listener_state {
  std::string conninfo;
  queue_notice_sink sink;
  size_t max_names = 0;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<collector> receiver; ///< before `conn` goes
  std::set<std::string> names;
  bool overflow = false;
  milliseconds backoff{0};
  int pid = 0; ///< the server process behind `conn`, to spot a reconnect
  static inline const char* name = "queue_listener";

  void drop() {
    receiver.reset();
    conn.reset();
  }

  /// One wait for notices; tells the sink of what came. Returns how long
  /// to pause before the next wait.
  milliseconds wait() {
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(conninfo);
        receiver = std::make_unique<collector>(*conn, names, overflow,
                                               max_names);
        conn->get_notifs(); // issues the LISTEN
        if (backoff.count() > 0) {
          // Writes while we were away sent notices nobody heard.
          logger(component::store).info("queue notices: listening again");
          overflow = true;
        }
        backoff = milliseconds{0};
      }
      if (!overflow && names.empty())
        conn->await_notification(0, 250000);
      conn->get_notifs(); // what came meanwhile joins this burst
      // libpqxx may have opened the connection again on its own (and
      // LISTENed again): notices sent in between were lost.
      auto now_pid = conn->backendpid();
      if (pid != 0 && now_pid != pid)
        overflow = true;
      pid = now_pid;
    } catch (const std::exception& e) {
      drop();
      if (backoff.count() == 0)
        logger(component::store)
          .warn("queue notices: lost the PostgreSQL connection ({}); "
                "trying again",
                e.what());
      backoff = std::min(milliseconds{5000},
                         std::max(milliseconds{250}, backoff * 2));
      return backoff;
    }
    if (overflow || !names.empty()) {
      std::vector<std::string> out;
      if (!overflow)
        out.assign(names.begin(), names.end());
      caf::anon_send(sink, queued_atom::value, std::move(out));
      names.clear();
      overflow = false;
    }
    return milliseconds{0};
  }
};

namespace {

queue_listener_actor::behavior_type
queue_listener(queue_listener_actor::stateful_pointer<queue_listener_state> self,
               std::string conninfo, queue_notice_sink sink,
               size_t max_names) {
  auto& st = self->state;
  st.conninfo = std::move(conninfo);
  st.sink = std::move(sink);
  st.max_names = std::max<size_t>(1, max_names);
  self->send(self, tick_atom::value);
  return {
    // Each wait is short, so the actor still sees an exit in time.
    [=](tick_atom) {
      auto pause = self->state.wait();
      // Its connection is the router's steady look at PostgreSQL.
      report_ready(self->system(), readiness::store,
                   self->state.conn != nullptr);
      if (pause.count() == 0)
        self->send(self, tick_atom::value);
      else
        self->delayed_send(self, pause, tick_atom::value);
    },
  };
}

} // namespace

queue_listener_actor spawn_queue_listener(caf::actor_system& sys,
                                          std::string conninfo,
                                          queue_notice_sink sink,
                                          size_t max_names) {
  // Detached: the wait blocks a thread, which must not be the scheduler's.
  return sys.spawn<caf::detached>(queue_listener, std::move(conninfo),
                                  std::move(sink), max_names);
}

} // namespace courier
