#include "actors/session.hpp"

#include <charconv>
#include <chrono>

#include <boost/json.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/bytes.hpp"

namespace courier {

namespace {

enum class phase { hello, finish, registering, open };

using clock = std::chrono::steady_clock;

} // namespace

struct session_state {
  caf::actor connection;
  session_context ctx;
  phase at = phase::hello;
  protocol::client_hello hello;
  protocol::server_pending pending;
  protocol::channel chan;
  std::string user;
  clock::time_point last_activity = clock::now();
  std::string scratch;
  uint64_t tick_gen = 0; ///< the live timer; older ones are ignored
  static inline const char* name = "session";
};

namespace {

using session_ptr = session_actor::stateful_pointer<session_state>;

void write_plain(session_ptr self, std::string text) {
  caf::anon_send(self->state.connection, write_atom::value, std::move(text));
}

// Starts a new timer; any earlier one is ignored when it fires.
void schedule_tick(session_ptr self, clock::duration after) {
  caf::delayed_anon_send(
    self, std::chrono::duration_cast<std::chrono::milliseconds>(after),
    tick_atom::value, ++self->state.tick_gen);
}

// Traffic on a released channel keys its contexts again: check for quiet
// sooner than the idle deadline the last tick aimed at.
void waking(session_ptr self) {
  auto& st = self->state;
  if (st.at == phase::open && !st.chan.holds_contexts())
    schedule_tick(self, st.ctx.limits.quiet_after);
}

// Frees what a quiet session need not hold: the cipher contexts (keyed
// again by the next frame), the scratch buffer, the connection's spare
// write buffer.
void go_quiet(session_ptr self) {
  auto& st = self->state;
  st.chan.release();
  std::string{}.swap(st.scratch);
  caf::anon_send(st.connection, trim_atom::value);
}

// Seals and writes one envelope; a sealing failure ends the session.
void write(session_ptr self, const std::string& envelope) {
  auto& st = self->state;
  waking(self);
  std::string sealed;
  if (st.chan.seal(envelope, sealed)) {
    caf::anon_send(st.connection, close_atom::value);
    self->quit(caf::exit_reason::user_shutdown);
    return;
  }
  caf::anon_send(st.connection, write_atom::value, std::move(sealed));
}

// Ends the session; before keys exist the reason goes out in plain JSON.
void fail(session_ptr self, std::string_view id, const caf::error& err) {
  auto code = code_of(err);
  auto text = protocol::make_error_envelope(id, code, explain(err));
  if (self->state.at == phase::open)
    write(self, text);
  else
    write_plain(self, std::move(text));
  caf::anon_send(self->state.connection, close_atom::value);
  self->quit(caf::exit_reason::user_shutdown);
}

void reply_error(session_ptr self, std::string_view id, const caf::error& err) {
  write(self, protocol::make_error_envelope(id, code_of(err), explain(err)));
}

void on_hello(session_ptr self, const std::string& frame) {
  auto& st = self->state;
  auto hello = protocol::parse_client_hello(frame);
  if (!hello)
    return fail(self, "", hello.error());
  auto answer = protocol::answer_hello(*hello, st.ctx.identity->key,
                                       st.ctx.identity->der);
  if (!answer)
    return fail(self, "", answer.error());
  st.hello = std::move(*hello);
  st.pending = std::move(answer->second);
  st.at = phase::finish;
  write_plain(self, std::move(answer->first));
}

void on_finish(session_ptr self, const std::string& frame) {
  auto& st = self->state;
  if (auto err = protocol::verify_finish(st.hello, st.pending, frame))
    return fail(self, "", err);
  st.at = phase::registering;
  std::string key{st.hello.identity.begin(), st.hello.identity.end()};
  self->request(st.ctx.directory, std::chrono::seconds{10}, register_atom::value,
                st.hello.user, std::move(key))
    .then(
      [=](bool is_new) {
        auto& st = self->state;
        st.user = st.hello.user;
        st.chan = protocol::channel{std::move(st.pending.keys)};
        st.at = phase::open;
        // Handshake state is no longer needed; idle sessions stay small.
        // Moving it out frees its buffers (assigning an empty string
        // would keep the old buffer's capacity).
        { auto done = std::move(st.hello); }
        { auto done = std::move(st.pending); }
        self->send(st.ctx.router, login_atom::value, st.user,
                   session_actor{self});
        write(self, protocol::make_envelope(
                      "welcome", "",
                      {{"user", st.user},
                       {"server", st.ctx.identity->name},
                       {"new_user", is_new ? 1 : 0}}));
        // Many sessions go quiet after signing in.
        go_quiet(self);
      },
      [=](caf::error& err) { fail(self, "", err); });
}

void on_send(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  auto to = std::string{env.str("to")};
  if (!protocol::valid_username(to))
    return reply_error(self, id, make_error(errc::invalid_username, to));
  self->request(self->state.ctx.router, std::chrono::seconds{30},
                send_atom::value, self->state.user, to,
                std::string{env.str("blob")})
    .then(
      [=](uint64_t seq) {
        write(self, protocol::make_envelope(
                      "receipt", id,
                      {{"status", "accepted"}, {"seq", seq}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_ack(session_ptr self, const protocol::envelope& env) {
  uint64_t seq = 0;
  auto& id = env.id;
  auto res = std::from_chars(id.data(), id.data() + id.size(), seq);
  if (id.empty() || res.ec != std::errc{} || res.ptr != id.data() + id.size())
    return reply_error(self, id, make_error(errc::bad_envelope, "ack id"));
  self->send(self->state.ctx.router, ack_atom::value, self->state.user, seq);
}

void on_presence(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  self->request(self->state.ctx.router, std::chrono::seconds{10},
                online_atom::value)
    .then(
      [=](const std::vector<std::string>& names) {
        boost::json::array arr(names.begin(), names.end());
        write(self, protocol::make_envelope("presence", id,
                                            {{"online", std::move(arr)}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_key_lookup(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  auto user = std::string{env.str("user")};
  self->request(self->state.ctx.directory, std::chrono::seconds{10},
                lookup_atom::value, user)
    .then(
      [=](const std::string& der) {
        write(self, protocol::make_envelope(
                      "key_lookup", id,
                      {{"user", user}, {"key", crypto::to_base64(der)}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_envelope(session_ptr self, const std::string& frame) {
  auto& st = self->state;
  waking(self);
  if (auto err = st.chan.open(frame, st.scratch)) {
    // A frame that does not open is forged, replayed or reordered: the
    // stream can no longer be trusted.
    caf::anon_send(st.connection, close_atom::value);
    self->quit(caf::exit_reason::user_shutdown);
    return;
  }
  auto env = protocol::parse_envelope(st.scratch);
  if (!env)
    return reply_error(self, protocol::peek_id(st.scratch), env.error());
  if (env->type == "send")
    on_send(self, *env);
  else if (env->type == "ack")
    on_ack(self, *env);
  else if (env->type == "presence")
    on_presence(self, *env);
  else if (env->type == "key_lookup" && !env->has("key"))
    on_key_lookup(self, *env);
  else
    reply_error(self, env->id,
                make_error(errc::unknown_type, env->type + " from a client"));
}

} // namespace

session_actor::behavior_type
session(session_actor::stateful_pointer<session_state> self,
        caf::actor connection, session_context ctx) {
  self->state.connection = connection;
  self->state.ctx = std::move(ctx);
  self->monitor(connection);
  self->set_down_handler(
    [=](caf::down_msg&) { self->quit(caf::exit_reason::user_shutdown); });
  auto limits = self->state.ctx.limits;
  schedule_tick(self, limits.handshake_timeout);
  return {
    [=](frame_atom, const std::string& frame) {
      auto& st = self->state;
      st.last_activity = clock::now();
      switch (st.at) {
        case phase::hello:
          return on_hello(self, frame);
        case phase::finish:
          return on_finish(self, frame);
        case phase::registering:
          return fail(self, "", make_error(errc::bad_frame,
                                           "frame before the handshake ended"));
        case phase::open:
          return on_envelope(self, frame);
      }
    },
    [=](tick_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.tick_gen)
        return;
      if (st.at != phase::open)
        return fail(self, "", make_error(errc::timeout, "handshake"));
      auto& limits = st.ctx.limits;
      auto idle = clock::now() - st.last_activity;
      if (idle >= limits.idle_timeout)
        return fail(self, "", make_error(errc::timeout, "idle"));
      if (idle >= limits.quiet_after && st.chan.holds_contexts())
        go_quiet(self);
      // The next quiet check while contexts are keyed, else the idle
      // deadline (traffic after a release brings the quiet check back).
      schedule_tick(self, st.chan.holds_contexts()
                            ? limits.quiet_after - idle
                            : limits.idle_timeout - idle);
    },
    [=](deliver_atom, const stored_message& msg) {
      write(self, protocol::make_envelope("deliver", std::to_string(msg.seq),
                                          {{"from", msg.from},
                                           {"blob", msg.blob},
                                           {"ts", msg.ts}}));
    },
    [=](delivered_atom, uint64_t seq) {
      write(self, protocol::make_envelope(
                    "receipt", "", {{"status", "delivered"}, {"seq", seq}}));
    },
    [=](kick_atom, const std::string& reason) {
      fail(self, "", make_error(errc::not_permitted, reason));
    },
  };
}

session_actor spawn_session(caf::actor_system& sys, caf::actor connection,
                            session_context ctx) {
  return sys.spawn(session, std::move(connection), std::move(ctx));
}

} // namespace courier
