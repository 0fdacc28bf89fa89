#include "actors/edge_listener.hpp"

#include <caf/io/system_messages.hpp>

#include "actors/connection.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace courier {

caf::behavior edge_listener(caf::io::stateful_broker<edge_listener_state>* self,
                            std::string host, uint16_t port,
                            session_context ctx) {
  auto bound = self->add_tcp_doorman(port, host.c_str(), true);
  if (bound)
    self->state.port = bound->second;
  else
    self->state.bind_error = bound.error();
  return {
    [=](caf::io::new_connection_msg& msg) {
      auto sys = &self->system();
      self->fork(connection, msg.handle, ctx.limits,
                 [sys, ctx](caf::actor conn) {
                   return caf::actor_cast<caf::actor>(
                     spawn_session(*sys, conn, ctx));
                 });
    },
    [=](status_atom) -> caf::result<uint16_t> {
      if (self->state.bind_error)
        return self->state.bind_error;
      return self->state.port;
    },
  };
}

} // namespace courier
