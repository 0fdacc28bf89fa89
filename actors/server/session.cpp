#include "actors/server/session.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <vector>

#include <boost/json.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/io/typed_broker.hpp>

#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "actors/common/socket.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/common/whole_cleanup.hpp"
#include "actors/protocol/channel.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/frame_pump.hpp"
#include "actors/protocol/json_object.hpp"
#include "actors/protocol/letter.hpp"
#include "actors/server/handshake_worker.hpp"
#include "actors/server/token_bucket.hpp"
#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"

namespace courier {

namespace {

// `waiting`: a handshake step is with a worker or the directory; the
// client has nothing to send until it is answered.
enum class phase { hello, finish, waiting, open };

using clock = std::chrono::steady_clock;

// Small enough that an idle connection stays cheap; frames larger than
// this arrive in several reads.
constexpr size_t read_chunk = 1024;

// CAF reads at most 50 times per socket event after a halt().
constexpr size_t max_deferred = 64 * read_chunk;

// Prekey requests a session may make: each costs a SQLite transaction at
// the user's home (a publish also two signature checks), and each fetch
// uses up one of another user's one-time prekeys. Enough for a client
// that starts conversations with all its contacts at once.
constexpr double prekey_rate = 2;    // a second
constexpr double prekey_burst = 100; // at once

/// Counts a session in the sessions gauge of its phase while it lives.
class session_gauge {
public:
  session_gauge() = default;
  session_gauge(const session_gauge&) = delete;
  session_gauge& operator=(const session_gauge&) = delete;
  ~session_gauge() {
    move_to(nullptr);
  }

  void move_to(prometheus::Gauge* next) {
    if (at_)
      at_->Decrement();
    at_ = next;
    if (at_)
      at_->Increment();
  }

private:
  prometheus::Gauge* at_ = nullptr;
};

} // namespace

struct session_state {
  caf::io::connection_handle hdl;
  session_context ctx;
  /// The edge listener that accepted this connection (null for a socket
  /// made elsewhere): it counts connections and new names per address.
  admission_actor listener;
  phase at = phase::hello;
  /// From the hello to the welcome; dropped when the session ends, which
  /// tells the handshake workers to skip its jobs.
  std::shared_ptr<handshake_progress> handshake;
  protocol::channel chan;
  std::string user;
  bool done = false; ///< closing: nothing more is read or written
  bool told_why = false; ///< the line saying why it ended is written
  /// Framing, the frame rate and the bytes deferred while paused.
  protocol::frame_pump pump;
  // Timers and buffers.
  clock::time_point last_activity = clock::now();
  uint64_t tick_gen = 0; ///< the live timer (0: the listener's); older ones are ignored
  clock::time_point tick_due = clock::time_point::max(); ///< of the live one
  std::string plain;     ///< the frame just opened
  /// Prekey publishes, fetches and counts (see prekey_rate).
  token_bucket prekey_budget{prekey_rate, prekey_burst, clock::now()};
  /// The node's router series; null when it serves no metrics.
  router_metrics* metrics = nullptr;
  session_gauge counted; ///< in the gauge of this session's phase
  /// Messages written to the client and not acknowledged yet, and the last
  /// ones it acknowledged (a ring), by seq and a digest of sender and
  /// size. When a user's home moves (routers on a shared store), the new
  /// home may push again what the old one pushed: each is written once.
  std::vector<std::pair<uint64_t, uint64_t>> unacked;
  std::vector<std::pair<uint64_t, uint64_t>> acked;
  size_t acked_next = 0;
  static inline const char* name = "session";
};

namespace {

/// What a session broker handles: the router's interface plus its
/// socket's events; the compiler checks the behaviour against it.
using session_broker = session_actor::extend<
  caf::reacts_to<caf::io::new_data_msg>,
  caf::reacts_to<caf::io::connection_closed_msg>>;

using session_ptr
  = whole_cleanup<session_state, session_broker::broker_base>*;

// What may go into a log line of a text a client chose: printable ASCII,
// at most 200 characters, so that no client can forge or flood lines.
std::string loggable(std::string_view text) {
  std::string out;
  for (auto c : text.substr(0, 200))
    out += c >= 0x20 && c < 0x7f ? c : '?';
  return out;
}

// Writes the one line that says why the router ends this session (an
// operator's only way to tell a cut from a client that left) and counts
// it. Called before the socket closes, while its peer can still be read.
void say_why(session_ptr self, session_cut why, std::string_view detail) {
  auto& st = self->state;
  if (st.told_why)
    return;
  st.told_why = true;
  if (st.metrics)
    st.metrics->cut(why).Increment();
  // Cuts that are a client's fault or a router's trouble are warnings;
  // timeouts, kicks, drains and refused sign-ins are routine.
  auto level = why == session_cut::write_buffer
                   || why == session_cut::rate_ignored
                   || why == session_cut::bad_frame
                 ? spdlog::level::warn
                 : spdlog::level::info;
  logger(component::edge)
    .log(level, "session cut: user={} peer={} reason={}: {}",
         st.user.empty() ? "-" : st.user, peer_address(st.hdl),
         to_string(why), loggable(detail));
}

// Discards unsent data and closes at once: the stream is broken, or the
// peer reads too slowly to be worth waiting for.
void cut(session_ptr self, session_cut why, std::string_view detail) {
  say_why(self, why, detail);
  self->state.done = true;
  self->state.handshake.reset();
  hard_close(self, self->state.hdl);
}

// Closes after what is queued has been written.
void end(session_ptr self) {
  auto& st = self->state;
  st.done = true;
  st.handshake.reset();
  self->flush(st.hdl);
  self->close(st.hdl);
  self->quit(caf::exit_reason::user_shutdown);
}

// The write buffer, or null (and the connection cut) if `payload` more
// bytes would overflow it: a reader this slow loses its connection, not
// its messages, which stay queued in the store.
std::vector<char>* room_for(session_ptr self, size_t payload) {
  auto& st = self->state;
  auto& buf = self->wr_buf(st.hdl);
  if (buf.size() + protocol::frame_header_size + payload
      > st.ctx.limits.max_write_buffer) {
    if (st.metrics)
      st.metrics->write_buffer_closes.Increment();
    cut(self, session_cut::write_buffer,
        "over " + std::to_string(st.ctx.limits.max_write_buffer)
          + " bytes wait to be written; the client reads too slowly");
    return nullptr;
  }
  return &buf;
}

void put_frame(session_ptr self, const std::string& payload) {
  if (auto buf = room_for(self, payload.size())) {
    protocol::append_frame(*buf, payload);
    self->flush(self->state.hdl);
    if (auto m = self->state.metrics)
      m->frames_out.Increment();
  }
}

// Makes sure a timer fires within `after`. Timers go through CAF's clock
// thread, which costs a wake-up each, so a live one that is due sooner is
// kept; a newer one makes the older ones stale.
void schedule_tick(session_ptr self, clock::duration after) {
  auto& st = self->state;
  auto due = clock::now() + after;
  if (st.tick_due <= due)
    return;
  st.tick_due = due;
  caf::delayed_anon_send(
    caf::actor_cast<caf::actor>(self),
    std::chrono::duration_cast<std::chrono::milliseconds>(after),
    deadline_atom::value, ++st.tick_gen);
}

// Traffic on a released channel keys its contexts again: check for quiet
// sooner than the idle deadline the last tick aimed at.
void waking(session_ptr self) {
  auto& st = self->state;
  if (st.at == phase::open && !st.chan.holds_contexts())
    schedule_tick(self, st.ctx.limits.quiet_after);
}

// Frees what a quiet session need not hold: the cipher contexts (keyed
// again by the next frame), scratch buffers and spare write buffer.
void go_quiet(session_ptr self) {
  auto& st = self->state;
  st.chan.release();
  std::string{}.swap(st.plain);
  st.pump.shrink();
  // A flush hands the bytes over and leaves an emptied buffer that keeps
  // its capacity.
  if (auto& spare = self->wr_buf(st.hdl); spare.empty())
    std::vector<char>{}.swap(spare);
}

// Seals and writes one envelope; a sealing failure ends the session.
void write(session_ptr self, const std::string& envelope) {
  auto& st = self->state;
  if (st.done)
    return;
  waking(self);
  auto buf = room_for(self, envelope.size() + crypto::aead_tag_size);
  if (!buf)
    return;
  if (auto err = st.chan.seal_frame(envelope, *buf))
    return cut(self, session_cut::refused, "sealing a frame: " + explain(err));
  self->flush(st.hdl);
  if (st.metrics)
    st.metrics->frames_out.Increment();
}

// Counts an error that goes to the client, by code.
void count_error(session_ptr self, const caf::error& err) {
  if (auto m = self->state.metrics)
    m->error(code_of(err)).Increment();
}

// Counts a sign-in that did not complete.
void count_refused_handshake(session_ptr self) {
  if (auto m = self->state.metrics; m && self->state.at != phase::open)
    m->handshakes_refused.Increment();
}

// Ends the session; before keys exist the reason goes out in plain JSON.
void fail(session_ptr self, std::string_view id, const caf::error& err,
          session_cut why) {
  auto& st = self->state;
  if (st.done)
    return;
  say_why(self, why,
          std::string{to_string(code_of(err))} + ": " + explain(err));
  count_error(self, err);
  auto text = protocol::make_error_envelope(id, code_of(err), explain(err));
  if (st.at == phase::open)
    write(self, text);
  else
    put_frame(self, text);
  if (!st.done)
    end(self);
}

void reply_error(session_ptr self, std::string_view id, const caf::error& err) {
  count_error(self, err);
  write(self, protocol::make_error_envelope(id, code_of(err), explain(err)));
}

} // namespace

namespace {

void open_session(session_ptr self, bool is_new) {
  auto& st = self->state;
  st.user = st.handshake->hello.user;
  st.chan = protocol::channel{std::move(st.handshake->pending.keys)};
  // Idle sessions stay small: the handshake's keys and buffers go now.
  st.handshake.reset();
  st.at = phase::open;
  if (auto m = st.metrics) {
    st.counted.move_to(&m->sessions_signed_in);
    (is_new ? m->handshakes_new_user : m->handshakes_signed_in).Increment();
  }
  self->send(st.ctx.router, login_atom::value, st.user,
             caf::actor_cast<session_actor>(self));
  write(self, protocol::make_envelope("welcome", "",
                                      {{"user", st.user},
                                       {"server", st.ctx.identity->name},
                                       {"new_user", is_new ? 1 : 0}}));
  // Many sessions go quiet after signing in.
  go_quiet(self);
}

void on_hello(session_ptr self, std::string_view frame) {
  auto& st = self->state;
  st.at = phase::waiting;
  st.handshake = std::make_shared<handshake_progress>();
  st.handshake->source = source_of(st.hdl);
  // The handshake deadline ends a session whose job waits too long; this
  // timeout only makes sure the request never outlives it.
  self->request(st.ctx.handshakes, st.ctx.limits.handshake_timeout,
                hello_atom::value, std::string{frame},
                handshake_ref{st.handshake})
    .then(
      [=](std::string& reply) {
        self->state.at = phase::finish;
        put_frame(self, reply);
      },
      [=](caf::error& err) {
        count_refused_handshake(self);
        fail(self, "", err, session_cut::refused);
      });
}

// Gives back a new-name token this sign-in did not use.
void refund(session_ptr self, bool token, bool used) {
  if (token && !used)
    self->send(self->state.listener, refund_atom::value);
}

// Checks the finish; a new name only with a token from the listener.
void verify(session_ptr self, std::string finish, bool token,
            bool may_create) {
  auto& st = self->state;
  self->request(st.ctx.handshakes, st.ctx.limits.handshake_timeout,
                verify_atom::value, handshake_ref{st.handshake},
                std::move(finish), may_create)
    .then(
      [=](bool is_new) {
        refund(self, token, is_new);
        open_session(self, is_new);
      },
      [=](caf::error& err) {
        refund(self, token, false);
        count_refused_handshake(self);
        fail(self, "", err, session_cut::refused);
      });
}

void on_finish(session_ptr self, std::string_view frame) {
  auto& st = self->state;
  st.at = phase::waiting;
  if (!st.listener)
    return verify(self, std::string{frame}, false, true);
  // New names are rate-limited per address: the listener keeps the
  // buckets, and hands out a token that comes back unless a name was made.
  self->request(st.listener, st.ctx.limits.handshake_timeout,
                name_token_atom::value)
    .then(
      [=, finish = std::string{frame}](bool token) mutable {
        verify(self, std::move(finish), token, token);
      },
      [=](caf::error& err) {
        count_refused_handshake(self);
        fail(self, "", err, session_cut::refused);
      });
}

void on_send(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  auto to = std::string{env.str("to")};
  if (!protocol::valid_username(to))
    return reply_error(self, id, make_error(errc::invalid_username, to));
  // Letters v1 make their reader unwrap before anything can be checked:
  // nobody may write them any more (a look at the first bytes only).
  if (protocol::is_legacy_letter(env.str("blob")))
    return reply_error(self, id,
                       make_error(errc::unsupported_version,
                                  "letters of version 1 are no longer "
                                  "accepted; update the app"));
  // The delivery, with the sender's name and the router's numbers, must
  // fit the recipient's frame cap too, or its queue would be stuck.
  if (protocol::max_deliver_envelope_size(self->state.user, env.str("blob"))
        + crypto::aead_tag_size
      > self->state.ctx.limits.max_frame)
    return reply_error(self, id,
                       make_error(errc::oversize,
                                  "the message is too large to deliver"));
  // No timeout here: the router answers every send, and bounds the wait
  // for another router itself.
  self->request(self->state.ctx.router, caf::infinite, send_atom::value,
                self->state.user, to, std::string{env.str("blob")})
    .then(
      [=](uint64_t seq, bool delivered) {
        write(self, protocol::make_receipt_envelope(
                      id, delivered ? "delivered" : "accepted", seq));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_ack(session_ptr self, const protocol::envelope& env) {
  uint64_t seq = 0;
  auto& id = env.id;
  auto res = std::from_chars(id.data(), id.data() + id.size(), seq);
  if (id.empty() || res.ec != std::errc{} || res.ptr != id.data() + id.size())
    return reply_error(self, id, make_error(errc::bad_envelope, "ack id"));
  auto& st = self->state;
  auto it = std::find_if(st.unacked.begin(), st.unacked.end(),
                         [seq](auto& e) { return e.first == seq; });
  if (it != st.unacked.end()) {
    auto window = std::max<size_t>(st.ctx.limits.delivery_window, 1);
    if (st.acked.size() < window)
      st.acked.push_back(*it);
    else
      st.acked[st.acked_next++ % window] = *it;
    *it = st.unacked.back();
    st.unacked.pop_back();
  }
  self->send(st.ctx.router, ack_atom::value, st.user, seq);
}

// Writes a message to the client unless it was written already: a repeat
// of one the client acknowledged is acknowledged again (the home that
// pushed it again waits for that), one still unacknowledged is dropped.
void on_deliver(session_ptr self, const stored_message& msg) {
  auto& st = self->state;
  std::pair<uint64_t, uint64_t> key{
    msg.seq, std::hash<std::string>{}(msg.from) ^ (msg.blob.size() * 31)};
  if (std::find(st.unacked.begin(), st.unacked.end(), key) != st.unacked.end())
    return;
  if (std::find(st.acked.begin(), st.acked.end(), key) != st.acked.end()) {
    self->send(st.ctx.router, ack_atom::value, st.user, msg.seq);
    return;
  }
  // Homes push at most a window each; past a few, repeats are left to
  // the client (it drops them by msg_id).
  if (st.unacked.size() < 4 * size_t{st.ctx.limits.delivery_window})
    st.unacked.push_back(key);
  write(self, protocol::make_deliver_envelope(msg.seq, msg.from, msg.blob,
                                              msg.ts));
}

// Presence for the names the client asks about (its contacts), never a
// list of everyone: the schema bounds the count, so the answer is bounded.
void on_presence(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  std::vector<std::string> users;
  if (auto* arr = env.fields.if_contains("users"))
    for (auto& v : arr->as_array()) {
      std::string name{v.as_string()};
      if (!protocol::valid_username(name))
        return reply_error(self, id, make_error(errc::invalid_username, name));
      users.push_back(std::move(name));
    }
  self->request(self->state.ctx.router, std::chrono::seconds{10},
                online_atom::value, std::move(users))
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

// Whether the session may make one more prekey request (answers
// `rate_limited` if not).
bool charge_prekeys(session_ptr self, const std::string& id) {
  if (self->state.prekey_budget.take(clock::now()))
    return true;
  reply_error(self, id,
              make_error(errc::rate_limited,
                         "too many prekey requests; wait a few seconds"));
  return false;
}

// A device publishes its certificate and prekeys at the user's home; its
// directory checks the signatures against the key this session signed in
// with. Checked for form here, so that nothing malformed crosses the
// backbone.
void on_prekeys_publish(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  auto up = protocol::upload_from_json(env.fields);
  if (!up)
    return reply_error(self, id, up.error());
  if (!charge_prekeys(self, id))
    return;
  self->request(self->state.ctx.directory, std::chrono::seconds{10},
                prekeys_atom::value, self->state.user,
                boost::json::serialize(protocol::to_json(*up)))
    .then(
      [=](uint32_t count) {
        write(self, protocol::make_envelope("prekeys_count", id,
                                            {{"count", count}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_prekeys_count(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  if (!charge_prekeys(self, id))
    return;
  self->request(self->state.ctx.directory, std::chrono::seconds{10},
                prekeys_atom::value, self->state.user)
    .then(
      [=](uint32_t count) {
        write(self, protocol::make_envelope("prekeys_count", id,
                                            {{"count", count}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_bundle_fetch(session_ptr self, const protocol::envelope& env) {
  auto id = env.id;
  auto user = std::string{env.str("user")};
  if (!protocol::valid_username(user))
    return reply_error(self, id, make_error(errc::invalid_username, user));
  if (!charge_prekeys(self, id))
    return;
  self->request(self->state.ctx.directory, std::chrono::seconds{10},
                bundle_atom::value, user)
    .then(
      [=](const std::string& bundle) {
        // Made by a router's directory; parsed all the same, so that a
        // peer's bad answer is an error and never a malformed envelope.
        auto obj = protocol::parse_json_object(bundle, errc::internal,
                                               "bundle: ");
        if (!obj)
          return reply_error(self, id, obj.error());
        write(self, protocol::make_envelope(
                      "bundle_fetch", id,
                      {{"user", user}, {"bundle", std::move(*obj)}}));
      },
      [=](caf::error& err) { reply_error(self, id, err); });
}

void on_envelope(session_ptr self, std::string_view frame) {
  auto& st = self->state;
  waking(self);
  if (st.chan.open(frame, st.plain)) {
    // A frame that does not open is forged, replayed or reordered: the
    // stream can no longer be trusted.
    return cut(self, session_cut::bad_frame,
               "a frame did not open (forged, replayed or reordered)");
  }
  auto env = protocol::parse_envelope(st.plain);
  if (!env)
    return reply_error(self, protocol::peek_id(st.plain), env.error());
  if (env->type == "send")
    on_send(self, *env);
  else if (env->type == "ack")
    on_ack(self, *env);
  else if (env->type == "presence")
    on_presence(self, *env);
  else if (env->type == "key_lookup" && !env->has("key"))
    on_key_lookup(self, *env);
  else if (env->type == "prekeys_publish")
    on_prekeys_publish(self, *env);
  else if (env->type == "bundle_fetch" && !env->has("bundle"))
    on_bundle_fetch(self, *env);
  else if (env->type == "prekeys_count" && !env->has("count"))
    on_prekeys_count(self, *env);
  else
    reply_error(self, env->id,
                make_error(errc::unknown_type, env->type + " from a client"));
}

void on_frame(session_ptr self, std::string_view frame) {
  switch (self->state.at) {
    case phase::hello:
      return on_hello(self, frame);
    case phase::finish:
      return on_finish(self, frame);
    case phase::waiting:
      return fail(self, "",
                  make_error(errc::bad_frame,
                             "frame before the handshake ended"),
                  session_cut::bad_frame);
    case phase::open:
      return on_envelope(self, frame);
  }
}

// Handles each frame the pump splits off; closing stops the rest. Only a
// whole frame counts as activity: a client that dribbles a byte at a time
// into a frame it never finishes is idle.
auto frames_to(session_ptr self, clock::time_point now) {
  return [self, now](std::string_view frame) {
    self->state.last_activity = now;
    if (auto m = self->state.metrics)
      m->frames_in.Increment();
    on_frame(self, frame);
    return !self->state.done;
  };
}

// Does what the pump asks of the socket after it handled the frames.
void apply(session_ptr self, const protocol::pump_result& res,
           clock::time_point now) {
  switch (res.status) {
    case protocol::pump_status::ok:
    case protocol::pump_status::stopped:
      return;
    case protocol::pump_status::pause:
      // A flood costs one read burst.
      return pause_reading(self, self->state.hdl, res.resume_at, now);
    case protocol::pump_status::error:
      return cut(self, session_cut::bad_frame, explain(res.error));
    case protocol::pump_status::overflow:
      return cut(self, session_cut::rate_ignored,
                 "sent on while paused for the frame rate: "
                   + explain(res.error));
  }
}

// Bytes from the socket.
void on_data(session_ptr self, const char* data, size_t size) {
  auto now = clock::now();
  apply(self, self->state.pump.feed(data, size, now, frames_to(self, now)),
        now);
}

void on_tick(session_ptr self, uint64_t gen) {
  auto& st = self->state;
  if (gen != st.tick_gen || st.done)
    return;
  st.tick_due = clock::time_point::max();
  if (st.at != phase::open) {
    if (st.metrics)
      st.metrics->handshakes_timed_out.Increment();
    return fail(self, "", make_error(errc::timeout, "handshake"),
                session_cut::handshake_timeout);
  }
  auto& limits = st.ctx.limits;
  auto idle = clock::now() - st.last_activity;
  if (idle >= limits.idle_timeout)
    return fail(self, "", make_error(errc::timeout, "idle"),
                session_cut::idle_timeout);
  if (idle >= limits.quiet_after && st.chan.holds_contexts())
    go_quiet(self);
  // The next quiet check while contexts are keyed, else the idle deadline
  // (traffic after a release brings the quiet check back).
  schedule_tick(self, st.chan.holds_contexts() ? limits.quiet_after - idle
                                               : limits.idle_timeout - idle);
}

void on_resume(session_ptr self) {
  auto& st = self->state;
  if (st.done)
    return;
  auto now = clock::now();
  self->trigger(st.hdl);
  apply(self, st.pump.resume(now, frames_to(self, now)), now);
}

// A session from the edge `listener` (null for a socket made elsewhere)
// hears `(deadline_atom, 0)` from it at the handshake deadline, so it needs
// no timer of its own until then.
session_broker::behavior_type
session(session_ptr self, caf::io::connection_handle hdl, session_context ctx,
        admission_actor listener) {
  auto& st = self->state;
  st.hdl = hdl;
  st.ctx = std::move(ctx);
  st.listener = std::move(listener);
  st.pump = protocol::frame_pump{st.ctx.limits, max_deferred, clock::now()};
  st.metrics = router_metrics_of(self->system());
  if (st.metrics)
    st.counted.move_to(&st.metrics->sessions_in_handshake);
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk));
  if (st.listener)
    st.tick_due = clock::now() + st.ctx.limits.handshake_timeout;
  else
    schedule_tick(self, st.ctx.limits.handshake_timeout);
  return {
    [=](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      if (st.done)
        return;
      on_data(self, msg.buf.data(), msg.buf.size());
    },
    [=](caf::io::connection_closed_msg&) {
      // The client left: no cut, a line only for those who look closely.
      if (!self->state.done)
        logger(component::edge)
          .debug("session closed by the client: user={}",
                 self->state.user.empty() ? "-" : self->state.user);
      self->state.done = true;
      self->state.handshake.reset();
      self->quit(caf::exit_reason::user_shutdown);
    },
    [=](deadline_atom, uint64_t gen) { on_tick(self, gen); },
    [=](resume_atom) { on_resume(self); },
    [=](deliver_atom, const stored_message& msg) { on_deliver(self, msg); },
    [=](delivered_atom, uint64_t seq) {
      write(self, protocol::make_receipt_envelope("", "delivered", seq));
    },
    [=](kick_atom, const std::string& reason) {
      fail(self, "", make_error(errc::not_permitted, reason),
           session_cut::kicked);
    },
    [=](kick_atom, const caf::error& why) {
      auto code = code_of(why);
      fail(self, "", why,
           code == errc::busy           ? session_cut::drained
           : code == errc::name_blocked ? session_cut::blocked
                                        : session_cut::refused);
    },
  };
}

session_broker::behavior_type
session_on_socket(session_ptr self, caf::io::network::native_socket fd,
                  session_context ctx) {
  return session(self, add_stream(self, fd), std::move(ctx), admission_actor{});
}

} // namespace

session_actor start_session(caf::io::broker* listener,
                            caf::io::connection_handle hdl,
                            session_context ctx) {
  return listener->fork(session, hdl, std::move(ctx),
                        caf::actor_cast<admission_actor>(listener));
}

session_actor spawn_session(caf::actor_system& sys,
                            caf::io::network::native_socket fd,
                            session_context ctx) {
  return sys.middleman().spawn_broker(session_on_socket, fd, std::move(ctx));
}

} // namespace courier
