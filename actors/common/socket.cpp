#include "actors/common/socket.hpp"

#include <sys/socket.h>

namespace courier {

void hard_close(caf::io::broker* self, caf::io::connection_handle hdl) {
  auto fd = static_cast<int>(hdl.id());
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::shutdown(fd, SHUT_RDWR);
  self->close(hdl);
  self->quit(caf::exit_reason::user_shutdown);
}

} // namespace courier
