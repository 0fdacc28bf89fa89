#include "actors/server/edge_listener.hpp"

#include <algorithm>
#include <sys/socket.h>

#include <caf/actor_cast.hpp>
#include <caf/io/system_messages.hpp>
#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/common/socket.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/server/edge_doorman.hpp"

#include "actors/common/socket.hpp"

namespace courier {

namespace {

using clock = std::chrono::steady_clock;
using listener_ptr = caf::io::stateful_broker<edge_listener_state>*;

// Sources kept for their token buckets alone; past this, those with a
// full bucket (nothing to remember) go, then the others.
constexpr size_t max_idle_sources = 65536;

constexpr std::chrono::milliseconds first_backoff{50};
constexpr std::chrono::milliseconds max_backoff{1000};

// Tells every session whose deadline has passed; it ignores the deadline if it
// is signed in by then.
void sweep(listener_ptr self) {
  auto& deadlines = self->state.deadlines;
  auto now = clock::now();
  while (!deadlines.empty() && deadlines.front().first <= now) {
    if (auto alive = deadlines.front().second.lock())
      caf::anon_send(caf::actor_cast<session_actor>(std::move(alive)),
                     deadline_atom::value, uint64_t{0});
    deadlines.pop_front();
  }
}

// Wakes the listener at the oldest deadline, but no sooner than
// `sweep_slack` from now: one timer for a burst of connections.
void schedule_sweep(listener_ptr self) {
  auto& st = self->state;
  if (st.sweep_pending || st.deadlines.empty())
    return;
  auto left = std::max(
    std::chrono::ceil<std::chrono::milliseconds>(st.deadlines.front().first
                                                 - clock::now()),
    sweep_slack);
  st.sweep_pending = true;
  self->delayed_send(self, left, deadline_atom::value);
}

// -- new names per address: token buckets -------------------------------------

double bucket_size(const admission_limits& limits) {
  return static_cast<double>(limits.registrations_per_minute);
}

// Adds what the time since the last refill earned, up to a full bucket.
void refill(edge_source& src, const admission_limits& limits,
            clock::time_point now) {
  auto minutes = std::chrono::duration<double>(now - src.refilled).count()
                 / 60.0;
  src.tokens = std::min(bucket_size(limits),
                        src.tokens + minutes * bucket_size(limits));
  src.refilled = now;
}

// The record of `key`, made with a full bucket.
edge_source& source(listener_ptr self, const std::string& key,
                    clock::time_point now) {
  auto& st = self->state;
  auto [it, added] = st.sources.try_emplace(key);
  if (added) {
    it->second.tokens = bucket_size(st.limits);
    it->second.refilled = now;
  }
  return it->second;
}

// Forgets sources without connections while there are too many: first
// those with a full bucket, then any (an address with that many peers
// gets around a bucket anyway).
void prune_sources(listener_ptr self, clock::time_point now) {
  auto& st = self->state;
  if (st.sources.size() <= st.sessions.size() + max_idle_sources)
    return;
  for (bool any : {false, true})
    for (auto it = st.sources.begin(); it != st.sources.end();) {
      if (st.sources.size() <= st.sessions.size() + max_idle_sources / 2)
        return;
      refill(it->second, st.limits, now);
      if (it->second.connections == 0
          && (any || it->second.tokens >= bucket_size(st.limits)))
        it = st.sources.erase(it);
      else
        ++it;
    }
}

// A session asks for a new-name token for its address.
bool take_token(listener_ptr self) {
  auto& st = self->state;
  if (st.limits.registrations_per_minute == 0)
    return true;
  auto who = st.sessions.find(
    caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (who == st.sessions.end())
    return false;
  auto& src = source(self, who->second, clock::now());
  refill(src, st.limits, clock::now());
  if (src.tokens < 1.0)
    return false;
  src.tokens -= 1.0;
  return true;
}

void refund_token(listener_ptr self) {
  auto& st = self->state;
  if (st.limits.registrations_per_minute == 0)
    return;
  auto who = st.sessions.find(
    caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (who == st.sessions.end())
    return;
  if (auto it = st.sources.find(who->second); it != st.sources.end())
    it->second.tokens = std::min(bucket_size(st.limits),
                                 it->second.tokens + 1.0);
}

// -- connections --------------------------------------------------------------

// The error frame a refused connection gets, made once per code.
const std::string& refusal_frame(errc code) {
  auto make = [](errc x) {
    std::vector<char> buf;
    protocol::append_frame(buf, protocol::make_error_envelope("", x,
                                                              describe(x)));
    return std::string{buf.begin(), buf.end()};
  };
  static const std::string busy = make(errc::busy);
  static const std::string too_many = make(errc::too_many_connections);
  return code == errc::busy ? busy : too_many;
}

// Closes a connection at once, after one error frame if the socket takes
// it without waiting: no session, no timer, no buffer.
void refuse(listener_ptr self, caf::io::connection_handle hdl, errc code) {
  auto& frame = refusal_frame(code);
  (void) ::send(static_cast<int>(hdl.id()), frame.data(), frame.size(),
                MSG_DONTWAIT | MSG_NOSIGNAL);
  self->close(hdl);
  if (auto m = router_metrics_of(self->system()))
    (code == errc::busy ? m->refused_busy : m->refused_per_address)
      .Increment();
  if (self->state.refused++ % 1000 == 0)
    logger(component::edge).warn("refused a connection ({}); {} refused so far",
                 to_string(code), self->state.refused);
}

void on_connection(listener_ptr self, caf::io::connection_handle hdl,
                   const session_context& ctx) {
  auto& st = self->state;
  auto now = clock::now();
  // Accepting works again: the next shortage starts from a short pause.
  st.backoff = std::chrono::milliseconds{0};
  auto& limits = st.limits;
  if (st.draining
      || (limits.max_connections > 0
          && st.sessions.size() >= limits.max_connections))
    return refuse(self, hdl, errc::busy);
  auto key = source_of(hdl);
  prune_sources(self, now);
  auto& src = source(self, key, now);
  if (limits.max_connections_per_address > 0
      && src.connections >= limits.max_connections_per_address)
    return refuse(self, hdl, errc::too_many_connections);
  auto session = start_session(self, hdl, ctx);
  ++src.connections;
  st.sessions.emplace(session.address(), std::move(key));
  self->monitor(session);
  st.deadlines.emplace_back(now + ctx.limits.handshake_timeout,
                            caf::actor_cast<caf::weak_actor_ptr>(session));
  schedule_sweep(self);
}

void on_session_down(listener_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.sessions.find(who);
  if (it == st.sessions.end())
    return;
  if (auto src = st.sources.find(it->second); src != st.sources.end()) {
    auto& rec = src->second;
    if (rec.connections > 0)
      --rec.connections;
    refill(rec, st.limits, clock::now());
    if (rec.connections == 0 && rec.tokens >= bucket_size(st.limits))
      st.sources.erase(src);
  }
  st.sessions.erase(it);
}

// The drain's grace is over: every open session ends with `busy`, which
// clients take as "use another router" (they connect again and, this one
// refusing, go to the next of their list).
void close_sessions(listener_ptr self) {
  auto why = make_error(errc::busy,
                        "this router is going down for maintenance; "
                        "connect to another router of the service");
  size_t n = 0;
  for (auto& kv : self->state.sessions)
    if (auto alive = caf::actor_cast<caf::strong_actor_ptr>(kv.first)) {
      caf::anon_send(caf::actor_cast<session_actor>(std::move(alive)),
                     kick_atom::value, why);
      ++n;
    }
  logger(component::edge).info("drain: closed {} open sessions (busy)", n);
}

// Out of descriptors: the doorman stopped; try again after a pause that
// grows while the shortage lasts.
void on_exhausted(listener_ptr self) {
  auto& st = self->state;
  st.backoff = std::clamp(st.backoff * 2, first_backoff, max_backoff);
  logger(component::edge)
    .warn("out of file descriptors with {} connections; accepting "
          "again in {} ms",
          st.sessions.size(), st.backoff.count());
  self->delayed_send(self, st.backoff, resume_atom::value);
}

} // namespace

caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx, admission_limits limits) {
  self->state.limits = limits;
  auto bound = add_edge_doorman(self, port, host.c_str());
  if (bound) {
    self->state.doorman = bound->first;
    self->state.port = bound->second;
  } else {
    self->state.bind_error = bound.error();
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    on_session_down(self, dm.source);
  });
  return {
    [=](caf::io::new_connection_msg& msg) {
      on_connection(self, msg.handle, ctx);
    },
    [=](deadline_atom) {
      self->state.sweep_pending = false;
      sweep(self);
      schedule_sweep(self);
    },
    [=](name_token_atom) { return take_token(self); },
    [=](refund_atom) { refund_token(self); },
    [=](exhausted_atom) { on_exhausted(self); },
    [=](resume_atom) { self->trigger(self->state.doorman); },
    [=](stop_atom) -> size_t {
      self->state.draining = true;
      return self->state.sessions.size();
    },
    [=](stop_atom, uint32_t close_after_seconds) -> size_t {
      self->state.draining = true;
      self->delayed_send(self, std::chrono::seconds{close_after_seconds},
                         close_atom::value);
      return self->state.sessions.size();
    },
    [=](close_atom) { close_sessions(self); },
    [=](status_atom) -> caf::result<uint16_t> {
      if (self->state.bind_error)
        return self->state.bind_error;
      return self->state.port;
    },
  };
}

} // namespace courier
