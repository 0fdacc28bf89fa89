#include "actors/common/socket.hpp"

#include <sys/socket.h>

#include <caf/send.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

void hard_close(caf::io::abstract_broker* self, caf::io::connection_handle hdl) {
  auto fd = static_cast<int>(hdl.id());
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::shutdown(fd, SHUT_RDWR);
  self->close(hdl);
  self->quit(caf::exit_reason::user_shutdown);
}

void pause_reading(caf::io::abstract_broker* self, caf::io::connection_handle hdl,
                   std::chrono::steady_clock::time_point resume_at,
                   std::chrono::steady_clock::time_point now) {
  self->halt(hdl);
  auto left
    = std::chrono::duration_cast<std::chrono::milliseconds>(resume_at - now);
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                         left + std::chrono::milliseconds{1},
                         resume_atom::value);
}

} // namespace courier
