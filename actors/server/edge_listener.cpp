#include "actors/server/edge_listener.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/io/system_messages.hpp>

#include "actors/common/socket.hpp"

namespace courier {

namespace {

using clock = std::chrono::steady_clock;
using listener_ptr = caf::io::stateful_broker<edge_listener_state>*;

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

} // namespace

caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx) {
  auto bound = add_acceptor(self, port, host.c_str(), true);
  if (bound)
    self->state.port = bound->second;
  else
    self->state.bind_error = bound.error();
  return {
    [=](caf::io::new_connection_msg& msg) {
      auto session = start_session(self, msg.handle, ctx);
      auto& st = self->state;
      st.deadlines.emplace_back(clock::now() + ctx.limits.handshake_timeout,
                                caf::actor_cast<caf::weak_actor_ptr>(session));
      schedule_sweep(self);
    },
    [=](deadline_atom) {
      self->state.sweep_pending = false;
      sweep(self);
      schedule_sweep(self);
    },
    [=](status_atom) -> caf::result<uint16_t> {
      if (self->state.bind_error)
        return self->state.bind_error;
      return self->state.port;
    },
  };
}

} // namespace courier
