#include "actors/edge_listener.hpp"

#include <caf/io/system_messages.hpp>


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
      start_session(self, msg.handle, ctx);
    },
    [=](status_atom) -> caf::result<uint16_t> {
      if (self->state.bind_error)
        return self->state.bind_error;
      return self->state.port;
    },
  };
}

} // namespace courier
