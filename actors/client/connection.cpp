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

// Splits bytes into frames for the owner and enforces the frame rate.
void consume(caf::io::stateful_broker<connection_state>* self,
             caf::io::connection_handle hdl, const char* data, size_t size) {
  auto& st = self->state;
  st.frames.clear();
  if (auto err = st.reader.feed(data, size, st.frames)) {
    hard_close(self, hdl);
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (now - st.window_start >= std::chrono::seconds{1}) {
    st.window_start = now;
    st.frames_this_second = 0;
  }
  st.frames_this_second += static_cast<uint32_t>(st.frames.size());
  for (auto& f : st.frames)
    self->send(st.owner, frame_atom::value, std::move(f));
  st.reader.shrink();
  if (st.frames_this_second >= st.limits.max_frames_per_second) {
    // Over the rate: stop reading until the second is over. A fast client
    // is slowed down, not cut off, and a flood costs one read burst.
    st.paused = true;
    self->halt(hdl);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.window_start + std::chrono::seconds{1} - now);
    caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                           left + std::chrono::milliseconds{1},
                           resume_atom::value);
  }
}

} // namespace

caf::behavior connection(caf::io::stateful_broker<connection_state>* self,
                         caf::io::connection_handle hdl, edge_limits limits,
                         owner_factory make_owner) {
  auto& st = self->state;
  st.limits = limits;
  st.reader = protocol::frame_reader{limits.max_frame};
  st.window_start = std::chrono::steady_clock::now();
  st.owner = make_owner(caf::actor_cast<caf::actor>(self));
  self->monitor(st.owner);
  self->set_down_handler([=](caf::down_msg&) { hard_close(self, hdl); });
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
  return {
    [=](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      if (st.paused) {
        // CAF finishes its current burst of reads after halt(); keep those
        // bytes (at most one burst) for when reading resumes.
        st.held.append(msg.buf.data(), msg.buf.size());
        if (st.held.size() > max_held)
          hard_close(self, hdl);
        return;
      }
      consume(self, hdl, msg.buf.data(), msg.buf.size());
    },
    [=](resume_atom) {
      auto& st = self->state;
      st.paused = false;
      st.window_start = std::chrono::steady_clock::now();
      st.frames_this_second = 0;
      self->trigger(hdl);
      if (!st.held.empty()) {
        std::string held;
        held.swap(st.held);
        consume(self, hdl, held.data(), held.size());
      }
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
