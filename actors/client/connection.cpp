#include "actors/client/connection.hpp"

#include <sys/socket.h>

#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>

#include "actors/common/atoms.hpp"

namespace courier {

namespace {

// Small enough that an idle connection stays cheap; frames larger than
// this arrive in several reads.
constexpr size_t read_chunk = 1024;

// CAF reads at most 50 times per socket event after a halt().
constexpr size_t max_held = 64 * read_chunk;

using connection_ptr = caf::io::stateful_broker<connection_state>*;

// Sends the owner the frames the pump split off, unless the stream broke
// (then none of this read's frames go out), and does what it asks of the
// socket. `feed` runs the pump with a callback that collects the frames.
template <class Feed>
void pump(connection_ptr self, caf::io::connection_handle hdl, Feed feed) {
  auto& st = self->state;
  st.frames.clear();
  auto now = std::chrono::steady_clock::now();
  auto res = feed(now, [&st](std::string_view frame) {
    st.frames.emplace_back(frame);
    return true;
  });
  if (res.status == protocol::pump_status::error
      || res.status == protocol::pump_status::overflow) {
    hard_close(self, hdl);
    return;
  }
  for (auto& f : st.frames)
    self->send(st.owner, frame_atom::value, std::move(f));
  if (res.status == protocol::pump_status::pause)
    pause_reading(self, hdl, res.resume_at, now);
}

} // namespace

caf::behavior connection(caf::io::stateful_broker<connection_state>* self,
                         caf::io::connection_handle hdl, edge_limits limits,
                         owner_factory make_owner) {
  auto& st = self->state;
  st.limits = limits;
  st.pump = protocol::frame_pump{limits, max_held,
                                 std::chrono::steady_clock::now()};
  st.owner = make_owner(caf::actor_cast<caf::actor>(self));
  self->monitor(st.owner);
  self->set_down_handler([=](caf::down_msg&) { hard_close(self, hdl); });
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
  return {
    [=](caf::io::new_data_msg& msg) {
      pump(self, hdl, [&](auto now, auto on_frame) {
        return self->state.pump.feed(msg.buf.data(), msg.buf.size(), now,
                                     on_frame);
      });
    },
    [=](resume_atom) {
      self->trigger(hdl);
      pump(self, hdl, [=](auto now, auto on_frame) {
        return self->state.pump.resume(now, on_frame);
      });
    },
    [=](write_atom, const std::string& payload) {
      auto& buf = self->wr_buf(hdl);
      if (buf.size() + payload.size() > self->state.limits.max_write_buffer) {
        // A reader this slow loses its connection, not its messages:
        // they stay queued in the store.
        hard_close(self, hdl);
        return;
      }
      protocol::append_frame(buf, payload);
      self->flush(hdl);
    },
    [=](close_atom) {
      self->flush(hdl);
      self->close(hdl);
      self->quit(caf::exit_reason::user_shutdown);
    },
    [=](caf::io::connection_closed_msg&) {
      self->quit(caf::exit_reason::user_shutdown);
    },
  };
}

} // namespace courier
