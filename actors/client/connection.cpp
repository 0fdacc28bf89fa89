#include "actors/client/connection.hpp"

#include <sys/socket.h>

#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/io/typed_broker.hpp>

#include "actors/common/socket.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/frame_pump.hpp"

namespace courier {

namespace {

// Small enough that an idle connection stays cheap; frames larger than
// this arrive in several reads.
constexpr size_t read_chunk = 1024;

// CAF reads at most 50 times per socket event after a halt().
constexpr size_t max_deferred = 64 * read_chunk;

/// State of one connection broker.
struct connection_state {
  frame_sink owner;
  edge_limits limits;
  /// Framing, the frame rate and the bytes deferred while paused.
  protocol::frame_pump pump;
  std::vector<std::string> frames; ///< reused between reads
  static inline const char* name = "connection";
};

/// The owner's interface plus the socket's events and the end of a pause.
using connection_broker = connection_actor::extend<
  caf::reacts_to<resume_atom>, caf::reacts_to<caf::io::new_data_msg>,
  caf::reacts_to<caf::io::connection_closed_msg>>;

using connection_ptr
  = caf::stateful_actor<connection_state, connection_broker::broker_base>*;

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

connection_broker::behavior_type
connection(connection_ptr self, int fd, edge_limits limits, frame_sink owner) {
  auto hdl = add_stream(self, fd);
  auto& st = self->state;
  st.limits = limits;
  st.pump = protocol::frame_pump{limits, max_deferred,
                                 std::chrono::steady_clock::now()};
  st.owner = std::move(owner);
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

} // namespace

connection_actor spawn_connection(caf::actor_system& sys, int fd,
                                  edge_limits limits, frame_sink owner) {
  return sys.middleman().spawn_broker(connection, fd, limits,
                                      std::move(owner));
}

} // namespace courier
