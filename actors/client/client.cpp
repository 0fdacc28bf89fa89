#include "actors/client/client.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <chrono>
#include <map>
#include <deque>
#include <set>
#include <fcntl.h>
#include <functional>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>

#include <boost/json.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/client/client_db.hpp"
#include "actors/client/control_letter.hpp"
#include "actors/client/crypto_worker.hpp"
#include "actors/client/device.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/crash_point.hpp"
#include "actors/common/error.hpp"
#include "actors/common/private_files.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/handshake.hpp"
#include "actors/protocol/limits.hpp"
#include "actors/protocol/order.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"

namespace courier {

namespace {

using namespace std::chrono;

constexpr size_t max_body = 32 * 1024;

enum class phase { idle, connecting, hello_sent, finish_sent, open };

using reply_fn = std::function<void(caf::expected<protocol::envelope>)>;
using key_fn = std::function<void(caf::expected<crypto::key>)>;

/// A request on its way. Its envelope stays until the answer comes, so
/// that a client that reconnects can send it again: every request Courier
/// makes is safe to repeat (a letter keeps its msg_id, which its reader
/// deduplicates, and an order its transfer id, which the bank does).
struct pending_request {
  std::string envelope;
  reply_fn fn;
};

/// Where a send's msg_id (or why it failed) goes.
using sent_fn = std::function<void(caf::expected<std::string>)>;

/// A letter v3 to seal with the others of its burst (see `seal_pending`).
struct pending_seal {
  sent_fn rp;
  outgoing_v3 letter;
  bool control = false; ///< a read receipt or typing: no history, no follow-up
};

/// A delivered frame on its way to the listener, kept in arrival order.
struct inbound {
  uint64_t seq = 0;
  bool done = false;
  bool ack = true; ///< false leaves it on the router (key not trusted yet)
  std::optional<inbound_message> msg;
};

} // namespace

struct client_state {
  client_config cfg;
  std::shared_ptr<client_db> db;
  /// This device's keys, prekeys and ratchet sessions (letters v3).
  std::shared_ptr<device> dev;
  /// Sends waiting for a bundle fetch that is under way, by peer.
  std::map<std::string, std::vector<std::function<void(caf::expected<bool>)>>>
    bundle_waiters;
  /// Peers that published no bundle, until when not to ask again.
  std::map<std::string, steady_clock::time_point> no_bundle_until;
  bool prekeys_busy = false; ///< a count or publish is under way
  size_t one_time_used = 0;  ///< one-time prekeys spent since the last count
  crypto_worker_actor workers;
  connection_actor conn;
  listener_actor listener;
  phase at = phase::idle;
  size_t server_index = 0;
  std::optional<protocol::client_start> start;
  protocol::channel chan;
  std::string server_key;
  caf::typed_response_promise<std::string, bool> connect_rp;
  bool connect_pending = false;
  /// The router refused this connection for now (busy, or this address
  /// has too many): once it is closed, the next router is tried.
  bool try_next = false;
  /// Requests without an answer yet, by id (oldest first).
  std::map<uint64_t, pending_request> waiting;
  /// Ids of the requests waiting for room on the wire, oldest first (see
  /// request()).
  std::deque<uint64_t> outbox;
  /// With `cfg.reconnect`: the connection was lost and the client connects
  /// again by itself, keeping `waiting` until `give_up_at`.
  bool reconnecting = false;
  steady_clock::time_point give_up_at;
  milliseconds backoff{0};
  uint64_t retry_gen = 0;    ///< makes older reconnect timers stale
  caf::error last_failure;   ///< why the router closed, or the last attempt failed
  uint64_t next_id = 1;
  std::unordered_map<std::string, crypto::key> keys; ///< pinned contacts
  std::deque<inbound> incoming;
  size_t handovers = 0; ///< messages the listener has not answered yet
  /// (sender, msg_id) of the messages the listener has not answered yet,
  /// or whose answer is not recorded yet.
  std::set<std::pair<std::string, std::string>> in_hand;
  /// Messages the listener dealt with, by router seq, to be recorded in
  /// one transaction and then acknowledged (see `record_handled`).
  std::vector<std::pair<uint64_t, inbound_message>> handled;
  /// Letters v3 delivered in this burst (one mailbox run), by router seq,
  /// to be opened in one transaction at the flush (see `open_pending`).
  std::vector<std::pair<uint64_t, received_v3>> to_open;
  /// Letters v3 sent in this burst, to be sealed in one transaction at the
  /// flush; their frames are written only after it (see `seal_pending`).
  std::vector<pending_seal> to_seal;
  /// A flush_atom to self is on its way: it comes after what is in the
  /// mailbox now, so everything of this burst goes into one commit.
  bool flush_due = false;
  std::unordered_map<uint64_t, std::string> sent; ///< router seq -> msg_id
  /// Read receipts per peer: when the last went, and the newest msg_id
  /// waiting for the rest of that second (empty: none waits).
  struct read_out {
    steady_clock::time_point last;
    std::string pending;
  };
  std::map<std::string, read_out> reads;
  /// When the last typing letter went to each peer.
  std::map<std::string, steady_clock::time_point> typing_sent;
  std::string scratch;
  static inline const char* name = "client";
};

namespace {

using client_ptr = client_actor::stateful_pointer<client_state>;

// -- connection --------------------------------------------------------------

void write(client_ptr self, const std::string& envelope) {
  std::string sealed;
  if (self->state.chan.seal(envelope, sealed))
    return;
  caf::anon_send(self->state.conn, write_atom::value, std::move(sealed));
}

void retry_later(client_ptr self);

void fail_connect(client_ptr self, caf::error err) {
  auto& st = self->state;
  if (st.reconnecting) {
    st.last_failure = std::move(err);
    if (st.conn) {
      caf::anon_send(st.conn, close_atom::value); // on_disconnect retries
    } else {
      st.at = phase::idle; // no router answered: the next try starts over
      retry_later(self);
    }
    return;
  }
  if (st.connect_pending) {
    st.connect_pending = false;
    st.connect_rp.deliver(std::move(err));
  }
  if (st.conn)
    caf::anon_send(st.conn, close_atom::value); // on_disconnect resets
  else
    st.at = phase::idle; // so that a later connect can try again
}

// At most this many requests are on the wire unanswered; the rest wait
// in the outbox. A burst of sends then cannot fill the connection's write
// buffer while the router is slow to read (the connection would cut
// itself and fail every pending send), and the router sees a steady
// stream instead of a flood it has to pause.
constexpr size_t max_requests_on_wire = 64;

// Writes waiting requests while there is room on the wire.
void drain_outbox(client_ptr self) {
  auto& st = self->state;
  while (!st.outbox.empty()
         && st.waiting.size() - st.outbox.size() < max_requests_on_wire) {
    if (auto it = st.waiting.find(st.outbox.front()); it != st.waiting.end())
      write(self, it->second.envelope);
    st.outbox.pop_front();
  }
}

// Sends a request envelope and calls `fn` with the answer; with a
// `timeout`, with `unreachable` if none came by then (for requests the
// client makes by itself, which no caller's own timeout would end).
void request(client_ptr self, std::string type, boost::json::object fields,
             reply_fn fn, milliseconds timeout = milliseconds{0}) {
  auto& st = self->state;
  if (st.at != phase::open && !st.reconnecting) {
    fn(make_error(errc::unreachable, "not connected"));
    return;
  }
  auto id = st.next_id++;
  st.waiting.emplace(id, pending_request{protocol::make_envelope(
                                           type, std::to_string(id),
                                           std::move(fields)),
                                         std::move(fn)});
  if (timeout.count() > 0)
    self->delayed_send(self, timeout, tick_atom::value, id);
  if (st.at != phase::open)
    return; // goes out after the reconnect
  st.outbox.push_back(id);
  drain_outbox(self);
}

void start_connect(client_ptr self);

// A router that refuses a connection with these may take it later, and
// another router may take it now.
bool retryable(errc code) {
  return code == errc::busy || code == errc::too_many_connections;
}

void on_connected(client_ptr self, int fd) {
  auto& st = self->state;
  frame_sink me = client_actor{self};
  st.conn = spawn_connection(self->system(), fd, st.cfg.limits, me);
  self->monitor(st.conn);
  auto hs = protocol::start_handshake(st.cfg.user, st.cfg.identity);
  if (!hs)
    return fail_connect(self, hs.error());
  st.start = std::move(*hs);
  st.at = phase::hello_sent;
  caf::anon_send(st.conn, write_atom::value, st.start->hello.text);
}

// Tries the configured routers in order until one accepts a TCP connection.
void start_connect(client_ptr self) {
  auto& st = self->state;
  if (st.server_index >= st.cfg.servers.size())
  {
    std::string tried;
    for (auto& ep : st.cfg.servers)
      tried += (tried.empty() ? "" : ", ") + ep.to_string();
    return fail_connect(self, make_error(errc::unreachable,
                                         "no router answered at " + tried));
  }
  st.at = phase::connecting;
  auto ep = st.cfg.servers[st.server_index];
  auto timeout = st.cfg.connect_timeout;
  // The blocking connect runs on its own thread, never on the scheduler.
  auto connector = self->spawn<caf::detached>([ep, timeout](
                                                caf::event_based_actor* c) {
    return caf::behavior{[=](connect_atom) -> caf::result<int> {
      c->quit();
      auto fd = tcp_connect(ep, timeout);
      if (!fd)
        return fd.error();
      return *fd;
    }};
  });
  self->request(connector, timeout + seconds{1}, connect_atom::value)
    .then([=](int fd) { on_connected(self, fd); },
          [=](caf::error&) {
            ++self->state.server_index;
            start_connect(self);
          });
}

// The fingerprint configured for the router at `addr`, if any.
const std::string& explicit_pin(const client_config& cfg,
                                const std::string& addr) {
  auto it = cfg.server_fingerprints.find(addr);
  return it != cfg.server_fingerprints.end() ? it->second
                                             : cfg.server_fingerprint;
}

caf::error check_explicit_pin(client_ptr self, const std::string& addr,
                              const crypto::bytes& key) {
  auto& want = explicit_pin(self->state.cfg, addr);
  if (want.empty())
    return caf::none;
  auto got = crypto::fingerprint_of_der(key);
  if (!same_fingerprint(want, got))
    return make_error(errc::key_changed,
                      "the router at " + addr + " has the fingerprint " + got
                        + ", not the one given for it with "
                          "--server-fingerprint");
  return caf::none;
}

void on_server_hello(client_ptr self, const std::string& frame) {
  auto& st = self->state;
  auto addr = st.cfg.servers[st.server_index].to_string();
  crypto::bytes pinned;
  if (explicit_pin(st.cfg, addr).empty())
    if (auto pin = st.db->pinned("router", addr))
      pinned.assign(pin->begin(), pin->end());
  auto res = protocol::finish_handshake(*st.start, st.cfg.identity, frame,
                                        pinned);
  if (!res) {
    if (code_of(res.error()) == errc::key_changed) {
      // The handshake names the router's new key after its last ": "; the
      // app shows it next to the old one.
      std::string now;
      const auto& ctx = res.error().context();
      if (ctx.match_elements<std::string>()) {
        const auto& text = ctx.get_as<std::string>(0);
        if (auto pos = text.rfind(": "); pos != std::string::npos)
          now = text.substr(pos + 2);
      }
      return fail_connect(
        self, make_key_changed({"router", now},
                               "the router's key changed: the router at "
                                 + addr
                                 + " presents a different key than the one"
                                   " pinned on first use; accept a new key"
                                   " only after comparing its fingerprint"
                                   " with its operator"));
    }
    return fail_connect(self, res.error());
  }
  if (auto err = check_explicit_pin(self, addr, res->server_key))
    return fail_connect(self, err);
  st.server_key.assign(res->server_key.begin(), res->server_key.end());
  st.chan = protocol::channel{std::move(res->keys)};
  st.at = phase::finish_sent;
  caf::anon_send(st.conn, write_atom::value, std::move(res->finish_text));
}

void refresh_prekeys(client_ptr self);

void on_welcome(client_ptr self, const protocol::envelope& env) {
  auto& st = self->state;
  st.at = phase::open;
  st.last_failure = caf::none;
  auto addr = st.cfg.servers[st.server_index].to_string();
  if (auto err = st.db->pin("router", addr, st.server_key))
    return fail_connect(self, err);
  if (st.connect_pending) {
    st.connect_pending = false;
    st.connect_rp.deliver(crypto::fingerprint_of_der(st.server_key),
                          env.num("new_user") != 0);
  }
  if (std::exchange(st.reconnecting, false)) {
    // The requests the lost connection left unanswered go out again.
    for (auto& kv : st.waiting)
      st.outbox.push_back(kv.first);
    drain_outbox(self);
  }
  if (st.listener)
    caf::anon_send(st.listener, status_atom::value, std::string{"connected"});
  refresh_prekeys(self);
}

// -- contacts ------------------------------------------------------------------

// Whether the key `der` that a router gave for the bank may be used: it
// must match the configured bank fingerprint or, without one, be the pin
// the user trusted explicitly. A router could otherwise answer with its
// own key and forge receipts.
caf::error check_bank_key(client_ptr self, const std::string& der) {
  auto& st = self->state;
  auto fp = crypto::fingerprint_of_der(der);
  constexpr const char* how =
    "ask the bank's operator for the bank's fingerprint (`courier-node "
    "bank-fingerprint --data DIR` prints it, and ./deploy/run.sh shows it)";
  if (!st.cfg.bank_fingerprint.empty()) {
    if (same_fingerprint(st.cfg.bank_fingerprint, fp))
      return caf::none;
    return make_error(errc::bank_unverified,
                      "the router gives the bank's key as " + fp
                        + ", which is not the bank fingerprint you configured;"
                          " nothing was sent to it. Check the one you gave"
                          " (--bank-fingerprint or COURIER_BANK_FINGERPRINT):"
                          " "
                        + how);
  }
  auto pin = st.db->pinned("user", bank::bank_user);
  if (pin && crypto::equal_ct(*pin, der) && st.db->verified(bank::bank_user))
    return caf::none;
  return make_error(errc::bank_unverified,
                    std::string{"the bank's key (fingerprint "} + fp
                      + ") is not verified, so nothing goes to it: " + how
                      + ", then give it with --bank-fingerprint FP or "
                        "COURIER_BANK_FINGERPRINT, or once with `courier-cli"
                        " trust bank FP`");
}

// Pins `der` as `user`'s key. A key that differs from the pinned one ends
// every ratchet session with `user` in the same transaction: sessions
// rooted in the old key must carry nothing more, even after a crash.
caf::error repin(client_ptr self, const std::string& user,
                 const std::string& der) {
  auto& st = self->state;
  auto old = st.db->pinned("user", user);
  bool changed = !old || !crypto::equal_ct(*old, der);
  auto tx = transaction::begin(st.db->sql());
  if (!tx)
    return tx.error();
  if (auto err = st.db->pin("user", user, der))
    return err;
  if (changed)
    if (auto err = st.dev->end_sessions(user))
      return err;
  if (auto err = tx->commit()) {
    st.dev->forget_cached();
    return err;
  }
  return caf::none;
}

// The pinned key of `user`, pinning the router's answer on first sight.
void with_key(client_ptr self, const std::string& user, key_fn fn) {
  auto& st = self->state;
  if (auto it = st.keys.find(user); it != st.keys.end())
    return (void) fn(it->second);
  request(self, "key_lookup", {{"user", user}},
          [=](caf::expected<protocol::envelope> env) {
            if (!env)
              return (void) fn(env.error());
            crypto::bytes der;
            if (!crypto::from_base64(env->str("key"), der))
              return (void) fn(make_error(errc::bad_encoding, "key from router"));
            auto key = crypto::public_key_from_der(der);
            if (!key || !crypto::is_rsa_identity(*key))
              return (void) fn(make_error(errc::bad_key, user));
            auto& st = self->state;
            std::string der_text{der.begin(), der.end()};
            bool bank_checked = false;
            if (user == bank::bank_user && st.cfg.user != bank::bank_user) {
              if (auto err = check_bank_key(self, der_text))
                return (void) fn(err);
              bank_checked = true;
            }
            if (auto pin = st.db->pinned("user", user)) {
              if (bank_checked && !crypto::equal_ct(*pin, der_text)) {
                // The configured fingerprint says which key is the bank's.
                if (auto err = repin(self, user, der_text))
                  return (void) fn(err);
              } else if (!crypto::equal_ct(*pin, der_text)) {
                auto fp = crypto::fingerprint_of_der(der);
                return (void) fn(make_key_changed(
                  {user, fp}, user + "'s key changed; its fingerprint is now "
                                + fp + ". Compare it with " + user
                                + ", then run: courier-cli trust " + user
                                + " <fingerprint>"));
              }
            } else if (auto err = st.db->pin("user", user, der_text)) {
              return (void) fn(err);
            }
            st.keys[user] = *key;
            fn(*key);
          });
}

// -- receiving -----------------------------------------------------------------

void pump(client_ptr self);

// Asks for a flush after the messages in the mailbox now: the letters,
// seals and records of one burst then share one commit each.
void schedule_flush(client_ptr self) {
  if (std::exchange(self->state.flush_due, true))
    return;
  self->send(self, flush_atom::value);
}

void finish_inbound(client_ptr self, uint64_t seq,
                    std::optional<inbound_message> msg, bool ack = true) {
  for (auto& in : self->state.incoming)
    if (in.seq == seq) {
      in.done = true;
      in.ack = ack;
      in.msg = std::move(msg);
    }
  pump(self);
}

void warn(client_ptr self, const std::string& text) {
  if (self->state.listener)
    caf::anon_send(self->state.listener, status_atom::value, text);
}

enum class claim_result { fresh, seen, in_hand };

// Decides, in one step, whether a message goes to the listener: not if it
// was recorded before, and not while another copy of it (delivered again
// after a reconnect, or stored twice) is in the listener's hands. The bank
// would otherwise work on one order twice at once.
claim_result claim(client_state& st, const inbound_message& msg) {
  std::pair<std::string, std::string> key{msg.from, msg.msg_id};
  if (st.in_hand.count(key) > 0)
    return claim_result::in_hand;
  if (st.db->seen(msg.from, msg.msg_id))
    return claim_result::seen;
  st.in_hand.insert(std::move(key));
  return claim_result::fresh;
}

// Records what the listener dealt with, then acknowledges it: only then,
// so a crash in between means it comes again (and is found as seen).
void record_handled(client_ptr self) {
  auto& st = self->state;
  auto batch = std::move(st.handled);
  st.handled.clear();
  if (batch.empty())
    return;
  std::vector<inbound_message> msgs;
  msgs.reserve(batch.size());
  for (auto& [seq, msg] : batch)
    msgs.push_back(msg);
  auto err = st.db->record_inbound(msgs, st.cfg.keep_history);
  if (err) {
    warn(self, "could not store a message: " + explain(err));
  } else {
    crash_point("recorded");
    if (st.cfg.keep_history)
      for (auto& [seq, msg] : batch)
        if (auto c = control_of(msg); c && c->what == control_letter::kind::read)
          if (auto n = st.db->mark_read(msg.from, c->up_to); !n)
            warn(self, "could not note a read receipt: " + explain(n.error()));
    if (st.at == phase::open)
      for (auto& [seq, msg] : batch)
        write(self, protocol::make_envelope("ack", std::to_string(seq)));
  }
  for (auto& [seq, msg] : batch)
    st.in_hand.erase({msg.from, msg.msg_id});
}

// Hands finished messages to the listener in arrival order, at most
// `max_handovers` at a time. The listener answers `true` once it has dealt
// with a message: only then is it recorded and acknowledged, so a crash in
// between means it comes again (and `false` leaves it on the router).
void pump(client_ptr self) {
  auto& st = self->state;
  while (!st.incoming.empty() && st.incoming.front().done
         && st.handovers < st.cfg.max_handovers) {
    auto& front = st.incoming.front();
    auto seq = front.seq;
    if (!front.msg) {
      if (front.ack)
        write(self, protocol::make_envelope("ack", std::to_string(seq)));
      st.incoming.pop_front();
      continue;
    }
    if (!st.listener)
      return; // keep it until someone listens
    auto msg = std::move(*front.msg);
    st.incoming.pop_front();
    switch (claim(st, msg)) {
      case claim_result::seen:
        write(self, protocol::make_envelope("ack", std::to_string(seq)));
        continue;
      case claim_result::in_hand:
        // The copy in hand acks when it is dealt with; if it is not, this
        // one is still on the router and comes again.
        continue;
      case claim_result::fresh:
        break;
    }
    ++st.handovers;
    self->request(st.listener, caf::infinite, message_atom::value, msg)
      .then(
        [=](bool handled) {
          auto& st = self->state;
          --st.handovers;
          if (handled) {
            // Recorded with the others the listener answers before the
            // actor gets to the flush: one commit for a burst.
            st.handled.emplace_back(seq, msg);
            schedule_flush(self);
          } else {
            st.in_hand.erase({msg.from, msg.msg_id});
          }
          pump(self);
        },
        [=](caf::error&) {
          --self->state.handovers;
          self->state.in_hand.erase({msg.from, msg.msg_id});
          pump(self);
        });
  }
}

// A message from `from` opened (its signature checked before it was
// decrypted).
void on_opened(client_ptr self, uint64_t seq, int64_t accepted_ts,
               const crypto::key& sender, protocol::letter c) {
  if (c.to != self->state.cfg.user) {
    warn(self, "dropped a message whose recipient was forged");
    return finish_inbound(self, seq, std::nullopt);
  }
  auto fp = crypto::fingerprint(sender);
  finish_inbound(self, seq,
                 inbound_message{c.from, c.to, c.body, c.msg_id, c.ts,
                                 accepted_ts, fp ? *fp : std::string{}, false,
                                 true, c.control});
}

// What became of a letter v3 from `from`, opened in the actor (a ratchet
// step costs microseconds): called once the batch it was opened in is
// committed, so the plaintext and the session's new state are on disk
// before the message goes on towards its acknowledgement.
void on_opened_v3(client_ptr self, uint64_t seq, const std::string& from,
                  caf::expected<opened_v3> opened) {
  auto& st = self->state;
  if (!opened) {
    if (code_of(opened.error()) == errc::storage_failure) {
      // Nothing was kept: the router keeps it and delivers it again.
      warn(self, "could not store a message: " + explain(opened.error()));
      return finish_inbound(self, seq, std::nullopt, false);
    }
    warn(self, "dropped a message from " + from
                 + " that did not open: " + explain(opened.error()));
    return finish_inbound(self, seq, std::nullopt);
  }
  crash_point("opened");
  if (opened->used_one_time && ++st.one_time_used >= 10)
    refresh_prekeys(self);
  auto& msg = opened->msg;
  if (msg && bank::must_be_signed(from, st.cfg.user)
      && st.cfg.user != bank::bank_user && !msg->signed_by_sender) {
    // A receipt proves a payment only with the bank's signature (the bank
    // itself answers an unsigned order with a refusal).
    warn(self, "dropped an unsigned message from the bank");
    return finish_inbound(self, seq, std::nullopt);
  }
  finish_inbound(self, seq, std::move(msg));
}

// Queues a letter v3 for the flush: the letters of one burst open in one
// transaction (a savepoint each), and none goes on before its commit.
void open_v3(client_ptr self, uint64_t seq, int64_t accepted_ts,
             const std::string& from, const std::string& blob,
             const crypto::key& sender) {
  self->state.to_open.emplace_back(seq,
                                   received_v3{from, blob, sender, accepted_ts});
  schedule_flush(self);
}

// Opens the letters v3 of this burst in one commit, then lets each go on.
void open_pending(client_ptr self) {
  auto& st = self->state;
  if (st.to_open.empty())
    return;
  auto batch = std::move(st.to_open);
  st.to_open.clear();
  std::vector<received_v3> letters;
  letters.reserve(batch.size());
  for (auto& [seq, l] : batch)
    letters.push_back(std::move(l));
  auto results = st.dev->open_letters(st.cfg.user, letters, now_ms());
  for (size_t i = 0; i < batch.size(); ++i)
    on_opened_v3(self, batch[i].first, letters[i].from,
                 std::move(results[i]));
}

// The sender's pinned key comes first: the worker checks the signature
// with it before it spends a private-key operation on the blob.
void on_deliver(client_ptr self, const protocol::envelope& env) {
  uint64_t seq = std::strtoull(env.id.c_str(), nullptr, 10);
  auto from = std::string{env.str("from")};
  auto ts = env.num("ts");
  auto blob = std::string{env.str("blob")};
  self->state.incoming.push_back(inbound{seq, false, true, std::nullopt});
  auto version = protocol::letter_version(blob);
  if (version && *version == protocol::ratchet_letter_version) {
    with_key(self, from, [=](caf::expected<crypto::key> key) {
      if (!key) {
        warn(self, "held a message from " + from + ": " + explain(key.error()));
        return finish_inbound(self, seq, std::nullopt, false);
      }
      open_v3(self, seq, ts, from, blob, *key);
    });
    return;
  }
  with_key(self, from, [=](caf::expected<crypto::key> key) {
    if (!key) {
      warn(self, "held a message from " + from + ": " + explain(key.error()));
      return finish_inbound(self, seq, std::nullopt, false);
    }
    auto sender = *key;
    self->request(self->state.workers, seconds{60}, open_atom::value, blob,
                  from, sender)
      .then(
        [=](protocol::letter& content) {
          on_opened(self, seq, ts, sender, std::move(content));
        },
        [=](caf::error& err) {
          warn(self, "dropped a message from " + from
                       + (code_of(err) == errc::bad_signature
                            ? std::string{": bad signature"}
                            : " that did not open: " + explain(err)));
          finish_inbound(self, seq, std::nullopt);
        });
  });
}

// The recipient acknowledged a message this client sent.
void mark_delivered(client_ptr self, const std::string& msg_id) {
  auto& st = self->state;
  if (st.cfg.keep_history)
    st.db->mark_delivered(msg_id);
  if (st.listener)
    caf::anon_send(st.listener, delivered_atom::value, msg_id);
}

// The number of a request id this client made; 0 (never used) otherwise.
uint64_t request_id(const std::string& id) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  return ec == std::errc{} && end == id.data() + id.size() ? n : 0;
}

// What the router's last word before it closes means for this client.
// Its deadlines (an idle session, a sign-in too slow) arrive as `timeout`:
// nothing this client asked for took too long, the router closed the
// connection, and trying again is safe.
caf::error closing_notice(errc code, std::string message) {
  if (code == errc::timeout)
    return make_error(errc::connection_closed);
  return make_error(code, std::move(message));
}

void on_frame(client_ptr self, const std::string& frame) {
  auto& st = self->state;
  if (st.at == phase::hello_sent || st.at == phase::finish_sent) {
    // Before the channel is up the router can only answer in plain JSON.
    if (!frame.empty() && frame.front() == '{') {
      auto env = protocol::parse_envelope(frame);
      if (env && env->type == "error") {
        auto code = errc_from_string(std::string{env->str("code")});
        auto err = closing_notice(code, std::string{env->str("message")});
        if (retryable(code) && st.conn
            && st.server_index + 1 < st.cfg.servers.size()) {
          st.try_next = true;
          caf::anon_send(st.conn, close_atom::value); // on_disconnect goes on
          return;
        }
        return fail_connect(self, std::move(err));
      }
      if (st.at == phase::hello_sent)
        return on_server_hello(self, frame);
    }
    if (st.at == phase::hello_sent)
      return fail_connect(self, make_error(errc::bad_frame, "server hello"));
  }
  if (st.chan.open(frame, st.scratch))
    return fail_connect(self, make_error(errc::bad_frame,
                                         "a frame from the router did not open"));
  auto env = protocol::parse_envelope(st.scratch);
  if (!env)
    return warn(self, "the router sent a bad envelope: " + explain(env.error()));
  if (env->type == "welcome" && st.at == phase::finish_sent)
    return on_welcome(self, *env);
  if (env->type == "deliver")
    return on_deliver(self, *env);
  if (env->type == "receipt" && env->id.empty()
      && env->str("status") == "delivered") {
    auto it = st.sent.find(static_cast<uint64_t>(env->num("seq")));
    if (it == st.sent.end())
      return;
    auto msg_id = std::move(it->second);
    st.sent.erase(it);
    return mark_delivered(self, msg_id);
  }
  if (auto it = st.waiting.find(request_id(env->id));
      it != st.waiting.end()) {
    auto fn = std::move(it->second.fn);
    st.waiting.erase(it);
    drain_outbox(self);
    if (env->type == "error")
      return (void) fn(make_error(errc_from_string(std::string{env->str("code")}),
                           std::string{env->str("message")}));
    return (void) fn(std::move(*env));
  }
  if (env->type == "error") {
    // The router says why it is about to close (say, the user signed in
    // elsewhere): the reconnect decision hears of it.
    auto code = errc_from_string(std::string{env->str("code")});
    st.last_failure = closing_notice(code, std::string{env->str("message")});
    warn(self, code == errc::timeout
                 ? explain(st.last_failure)
                 : "router: " + std::string{env->str("message")});
  }
}

// Fails every request still waiting with `err`.
void fail_waiting(client_ptr self, const caf::error& err) {
  auto& st = self->state;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  st.outbox.clear(); // their requests are among `waiting`
  for (auto& kv : waiting)
    kv.second.fn(err);
}

// Failures another try cannot mend: the router's key or ours is wrong.
bool lasting(const caf::error& err) {
  switch (code_of(err)) {
    case errc::key_changed:
    case errc::bad_key:
    case errc::not_authenticated:
    case errc::username_taken:
    case errc::name_reserved:
    case errc::name_blocked:
    case errc::not_permitted: // signed in elsewhere: the newer one stays
      return true;
    default:
      return false;
  }
}

// Stops reconnecting: the waiting requests fail, and the listener hears
// "disconnected" as without `cfg.reconnect`.
void give_up(client_ptr self, const caf::error& why) {
  auto& st = self->state;
  st.reconnecting = false;
  fail_waiting(self, why ? why
                         : make_error(errc::unreachable,
                                      "connection to the router lost"));
  warn(self, "disconnected");
}

// The next reconnect, after a pause that doubles up to 5 s; past
// `cfg.resend_window` (or after a lasting failure) the client gives up.
void retry_later(client_ptr self) {
  auto& st = self->state;
  if (lasting(st.last_failure) || steady_clock::now() >= st.give_up_at)
    return give_up(self, st.last_failure);
  st.backoff = std::min(milliseconds{5000},
                        std::max(milliseconds{100}, st.backoff * 2));
  self->delayed_send(self, st.backoff, deadline_atom::value, ++st.retry_gen);
}

void on_disconnect(client_ptr self) {
  auto& st = self->state;
  st.conn = nullptr;
  auto was_open = st.at == phase::open;
  st.at = phase::idle;
  st.chan = protocol::channel{};
  st.incoming.clear(); // unacked messages come again on the next connection
  st.to_open.clear();  // opened by no one yet: they come again too
  st.outbox.clear();   // what was waiting is in `waiting`
  if (std::exchange(st.try_next, false)
      && (st.connect_pending || st.reconnecting)) {
    ++st.server_index;
    return start_connect(self);
  }
  if (st.reconnecting)
    return retry_later(self);
  auto why = std::exchange(st.last_failure, caf::none);
  if (was_open && st.cfg.reconnect && !st.connect_pending && !lasting(why)) {
    // Lost, not refused: keep the requests and connect again.
    st.reconnecting = true;
    st.give_up_at = steady_clock::now() + st.cfg.resend_window;
    st.backoff = milliseconds{0};
    warn(self, "reconnecting");
    return retry_later(self);
  }
  fail_waiting(self, why ? why
                         : make_error(errc::unreachable,
                                      "connection to the router lost"));
  if (st.connect_pending)
    fail_connect(self, make_error(errc::unreachable,
                                  "the router closed the connection"));
  if (was_open)
    warn(self, "disconnected");
}

// -- presence ------------------------------------------------------------------

// Asks which of `users` are online, at most max_presence_names per request
// (the router refuses more), and merges the answers.
caf::result<std::vector<std::string>>
ask_presence(client_ptr self, std::vector<std::string> users) {
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  struct gathering {
    std::vector<std::string> names;
    size_t pending = 0;
    bool failed = false;
    caf::typed_response_promise<std::vector<std::string>> rp;
  };
  auto g = std::make_shared<gathering>();
  g->rp = self->make_response_promise<std::vector<std::string>>();
  g->pending = std::max<size_t>(1, (users.size() + max_presence_names - 1)
                                     / max_presence_names);
  for (size_t first = 0; first == 0 || first < users.size();
       first += max_presence_names) {
    auto last = std::min(users.size(), first + max_presence_names);
    boost::json::array batch(users.begin() + static_cast<ptrdiff_t>(first),
                             users.begin() + static_cast<ptrdiff_t>(last));
    request(self, "presence", {{"users", std::move(batch)}},
            [g](caf::expected<protocol::envelope> env) {
              if (g->failed)
                return;
              if (!env) {
                g->failed = true;
                return (void) g->rp.deliver(env.error());
              }
              if (auto* on = env->fields.if_contains("online"))
                for (auto& v : on->as_array())
                  g->names.emplace_back(v.as_string());
              if (--g->pending > 0)
                return;
              std::sort(g->names.begin(), g->names.end());
              g->names.erase(std::unique(g->names.begin(), g->names.end()),
                             g->names.end());
              g->rp.deliver(std::move(g->names));
            });
    if (users.empty())
      break;
  }
  return g->rp;
}

// -- prekeys (end-to-end v2) ----------------------------------------------------

// Below this many one-time prekeys at the router, the device publishes
// more (up to `max_stored_prekeys`).
constexpr uint32_t low_prekeys = 25;

// The count of a `prekeys_count` answer.
caf::expected<uint32_t> prekey_count_of(caf::expected<protocol::envelope>& env) {
  if (!env)
    return std::move(env.error());
  auto n = env->num("count");
  if (env->type != "prekeys_count" || !env->has("count") || n < 0
      || n > static_cast<int64_t>(max_stored_prekeys))
    return make_error(errc::bad_envelope, "the router's prekey count");
  return static_cast<uint32_t>(n);
}

void publish_prekeys(client_ptr self, caf::typed_response_promise<uint32_t> rp,
                     const protocol::prekey_upload& up) {
  if (up.device.user != self->state.cfg.user)
    return (void) rp.deliver(make_error(
      errc::bad_signature, "a device certificate for another user"));
  if (up.one_time.size() > max_publish_prekeys)
    return (void) rp.deliver(make_error(
      errc::oversize, "at most " + std::to_string(max_publish_prekeys)
                        + " one-time prekeys per publish"));
  request(self, "prekeys_publish", protocol::to_json(up),
          [=](caf::expected<protocol::envelope> env) mutable {
            auto n = prekey_count_of(env);
            if (!n)
              return (void) rp.deliver(n.error());
            rp.deliver(*n);
          });
}

void count_prekeys(client_ptr self, caf::typed_response_promise<uint32_t> rp) {
  request(self, "prekeys_count", {},
          [=](caf::expected<protocol::envelope> env) mutable {
            auto n = prekey_count_of(env);
            if (!n)
              return (void) rp.deliver(n.error());
            rp.deliver(*n);
          });
}

// `user`'s bundle from the router, checked against `key` (pinned).
caf::expected<protocol::x3dh::bundle>
checked_bundle(const caf::expected<protocol::envelope>& env,
               const std::string& user, const crypto::key& key) {
  if (!env)
    return env.error();
  auto* obj = env->fields.if_contains("bundle");
  if (env->type != "bundle_fetch" || env->str("user") != user || obj == nullptr)
    return make_error(errc::bad_envelope, "the router's answer for a bundle");
  auto b = protocol::bundle_from_json(obj->as_object());
  if (!b)
    return b.error();
  // A router could hand out keys of its own: only the user's RSA identity
  // can certify a device, and only the device can sign its prekeys.
  if (auto err = protocol::x3dh::verify(b->device, key, user))
    return err;
  if (auto err = protocol::x3dh::verify_prekey(b->device, b->signed_prekey,
                                               b->prekey_signature))
    return err;
  return b;
}

void fetch_bundle(client_ptr self,
                  caf::typed_response_promise<protocol::x3dh::bundle> rp,
                  const std::string& user) {
  with_key(self, user, [=](caf::expected<crypto::key> key) mutable {
    if (!key)
      return (void) rp.deliver(key.error());
    request(self, "bundle_fetch", {{"user", user}},
            [=](caf::expected<protocol::envelope> env) mutable {
              auto b = checked_bundle(env, user, *key);
              if (!b)
                return (void) rp.deliver(b.error());
              rp.deliver(std::move(*b));
            });
  });
}

// -- sending ---------------------------------------------------------------

// Hands a sealed letter to the router; replies the msg_id once accepted.
void post_letter(client_ptr self, sent_fn rp,
                 const protocol::letter& content, std::string blob,
                 bool control) {
  auto to = content.to;
  request(self, "send", {{"to", to}, {"blob", std::move(blob)}},
          [=](caf::expected<protocol::envelope> env) mutable {
            if (!env)
              return (void) rp(env.error());
            auto& st = self->state;
            if (control) // no message: nothing to record or follow
              return (void) rp(content.msg_id);
            // Acknowledged already if its reader was quick: the answer
            // says "delivered" and no notice follows.
            bool delivered = env->str("status") == "delivered";
            if (st.cfg.keep_history)
              st.db->record_outbound(to, content.body, content.msg_id,
                                     content.ts, delivered);
            if (delivered) {
              rp(content.msg_id);
              if (st.listener)
                caf::anon_send(st.listener, delivered_atom::value,
                               content.msg_id);
              return;
            }
            if (st.sent.size() > 100000) // bounded: old ones lose it
              st.sent.clear();
            st.sent[static_cast<uint64_t>(env->num("seq"))] = content.msg_id;
            rp(content.msg_id);
          });
}

using session_fn = std::function<void(caf::expected<bool>)>;

// Calls `fn` with whether a ratchet session with `peer` is there to send
// on, starting one from the peer's bundle if needed; false means letters
// v1 (the peer published no bundle, or this client sends v1 only).
void with_session(client_ptr self, const std::string& peer,
                  const crypto::key& key, session_fn fn) {
  auto& st = self->state;
  if (!st.cfg.forward_secrecy || peer == st.cfg.user)
    return fn(false); // to oneself: the history has it already
  if (st.dev->has_session(peer))
    return fn(true);
  if (auto it = st.no_bundle_until.find(peer);
      it != st.no_bundle_until.end()) {
    if (steady_clock::now() < it->second && !st.dev->knows_v3(peer, key))
      return fn(false);
    st.no_bundle_until.erase(it);
  }
  auto& waiters = st.bundle_waiters[peer];
  waiters.push_back(std::move(fn));
  if (waiters.size() > 1)
    return; // a fetch is under way: one bundle, one session
  request(self, "bundle_fetch", {{"user", peer}},
          [=](caf::expected<protocol::envelope> env) {
            auto& st = self->state;
            caf::expected<bool> result{false};
            auto b = checked_bundle(env, peer, key);
            if (b) {
              if (auto err = st.dev->start_session(peer, *b, key, now_ms()))
                result = std::move(err);
              else
                result = true;
            } else if (code_of(b.error()) == errc::no_bundle
                       && st.dev->knows_v3(peer, key)) {
              // A downgrade to letters v1 by the router, most likely: the
              // peer's key is the one it had letters v3 under.
              result = make_error(
                errc::bundle_withdrawn,
                "the router says " + peer + " has no forward-secret keys any"
                " more: it may be tampering; ask " + peer
                  + " to sign in again");
            } else if (code_of(b.error()) == errc::no_bundle) {
              if (st.no_bundle_until.size() > 10000)
                st.no_bundle_until.clear();
              st.no_bundle_until[peer] = steady_clock::now() + seconds{60};
            } else {
              result = b.error();
            }
            auto fns = std::move(st.bundle_waiters[peer]);
            st.bundle_waiters.erase(peer);
            for (auto& f : fns)
              f(result);
          },
          st.cfg.own_request_timeout);
}

// What the asker of a send hears: the msg_id once the router took the
// letter, or why not.
sent_fn reply_to(caf::typed_response_promise<std::string> rp) {
  return [rp](caf::expected<std::string> id) mutable {
    if (id)
      rp.deliver(std::move(*id));
    else
      rp.deliver(std::move(id.error()));
  };
}

// Seals `body` for `to`: a letter v3 in the ratchet session when `to` has
// one or publishes a bundle, a letter v1 otherwise. Orders to the bank and
// the bank's receipts carry the device's signature; chat does not.
void send_letter(client_ptr self, sent_fn rp,
                 std::string to, std::string body, bool control = false) {
  with_key(self, to, [=](caf::expected<crypto::key> key) mutable {
    if (!key)
      return (void) rp(key.error());
    auto sender = *key;
    with_session(self, to, sender, [=](caf::expected<bool> ready) mutable {
      if (!ready)
        return (void) rp(ready.error());
      auto& st = self->state;
      protocol::letter content{st.cfg.user, to, now_ms(),
                               crypto::random_uuid(), body, control};
      if (*ready) {
        // Sealed at the flush with the others of this burst (one commit).
        bool sign = bank::must_be_signed(st.cfg.user, to);
        st.to_seal.push_back({rp, outgoing_v3{content, sign}, control});
        return schedule_flush(self);
      }
      std::vector<protocol::reader> readers{{to, sender},
                                            {st.cfg.user, st.cfg.identity}};
      self->request(st.workers, seconds{60}, seal_atom::value, content, readers)
        .then(
          [=](std::string& blob) mutable {
            post_letter(self, rp, content, std::move(blob), control);
          },
          [=](caf::error& err) mutable { rp(err); });
    });
  });
}

// Seals the letters v3 of this burst in one transaction and only then,
// in order, hands their frames to the router: the new session states are
// on disk before any blob leaves. A failed commit sends none of them.
void seal_pending(client_ptr self) {
  auto& st = self->state;
  if (st.to_seal.empty())
    return;
  auto batch = std::move(st.to_seal);
  st.to_seal.clear();
  std::vector<outgoing_v3> letters;
  letters.reserve(batch.size());
  for (auto& p : batch)
    letters.push_back(p.letter);
  auto blobs = st.dev->seal_letters(letters, now_ms());
  crash_point("sealed");
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!blobs[i])
      batch[i].rp(blobs[i].error());
    else
      post_letter(self, batch[i].rp, letters[i].content,
                  std::move(*blobs[i]), batch[i].control);
  }
}

// -- control letters (read receipts, typing) --------------------------------

constexpr milliseconds read_receipt_gap{1000};
constexpr milliseconds typing_gap{3000};
// Peers remembered for the gaps above; past it the oldest rule is lost
// (at worst one letter more), never memory.
constexpr size_t max_control_peers = 10000;

// Seals and sends a control letter; what becomes of it is no one's
// business but the peer's (a later receipt covers a lost one).
void send_control(client_ptr self, const std::string& peer,
                  const control_letter& c) {
  send_letter(self, [](caf::expected<std::string>) {}, peer,
              make_control_letter(c), true);
}

void send_read(client_ptr self, const std::string& peer) {
  auto& st = self->state;
  auto it = st.reads.find(peer);
  if (it == st.reads.end() || it->second.pending.empty())
    return;
  it->second.last = steady_clock::now();
  auto up_to = std::exchange(it->second.pending, std::string{});
  send_control(self, peer, control_letter::read(std::move(up_to)));
}

// Whether the client may say anything to `peer` on its own: a valid
// name, not this user, not the bank (which takes only orders), and
// signed in (a receipt is not worth a reconnect).
bool may_tell(client_ptr self, const std::string& peer) {
  auto& st = self->state;
  return protocol::valid_username(peer) && peer != st.cfg.user
         && peer != bank::bank_user && st.cfg.user != bank::bank_user
         && st.at == phase::open;
}

// Publishes new prekeys when the router holds few one-time prekeys for
// this device, or the signed prekey is due for rotation or unpublished.
void refresh_prekeys(client_ptr self) {
  auto& st = self->state;
  if (!st.cfg.forward_secrecy || st.prekeys_busy || st.at != phase::open)
    return;
  st.prekeys_busy = true;
  st.one_time_used = 0;
  request(self, "prekeys_count", {},
          [=](caf::expected<protocol::envelope> env) {
            auto& st = self->state;
            auto n = prekey_count_of(env);
            auto rotation = st.cfg.prekey_rotation;
            if (!n || (*n >= low_prekeys && !st.dev->upload_due(rotation,
                                                                now_ms()))) {
              st.prekeys_busy = false;
              return;
            }
            auto fresh = *n < low_prekeys ? max_stored_prekeys - *n : 0;
            auto up = st.dev->upload(fresh, rotation, now_ms());
            if (!up) {
              st.prekeys_busy = false;
              return warn(self, "could not make prekeys: "
                                  + explain(up.error()));
            }
            auto spk = up->signed_prekey.id;
            request(self, "prekeys_publish", protocol::to_json(*up),
                    [=](caf::expected<protocol::envelope> env) {
                      auto& st = self->state;
                      st.prekeys_busy = false;
                      if (!prekey_count_of(env))
                        return;
                      if (auto err = st.dev->published(spk))
                        warn(self, "could not note the published prekeys"
                                   " (they are sent again at the next"
                                   " sign-in): " + explain(err));
                    },
                    st.cfg.own_request_timeout);
          },
          st.cfg.own_request_timeout);
}

// Pins the key the router has for `user` if its fingerprint is `fp`; the
// pin counts as verified only if the user said so (accepting a changed key
// in the app is not verifying it).
caf::result<contact_key> trust_key(client_ptr self, const std::string& user,
                                   const std::string& fp, bool verified) {
  auto rp = self->make_response_promise<contact_key>();
  request(self, "key_lookup", {{"user", user}},
          [=](caf::expected<protocol::envelope> env) mutable {
            if (!env)
              return (void) rp.deliver(env.error());
            crypto::bytes der;
            if (!crypto::from_base64(env->str("key"), der))
              return (void) rp.deliver(make_error(errc::bad_encoding, "key"));
            auto key = crypto::public_key_from_der(der);
            auto got = crypto::fingerprint_of_der(der);
            if (!key || !crypto::is_rsa_identity(*key))
              return (void) rp.deliver(make_error(errc::bad_key, user));
            if (!same_fingerprint(got, fp))
              return (void) rp.deliver(make_error(
                errc::key_changed, "the router has " + user + "'s key as "
                                     + got + ", which is not what you gave"));
            auto& st = self->state;
            // Pinned now only if this changed the pin: trusting the key
            // already pinned again changes nothing.
            auto before = st.db->pinned("user", user);
            bool changed = !before || crypto::fingerprint_of_der(*before) != got;
            if (auto err = repin(self, user, {der.begin(), der.end()}))
              return (void) rp.deliver(err);
            st.keys[user] = *key;
            st.db->set_verified(user, verified);
            rp.deliver(contact_key{user, got, changed, verified,
                                   st.dev->has_session(user)});
          });
  return rp;
}

} // namespace

// -- the actor -------------------------------------------------------------------

client_actor::behavior_type
client(client_actor::stateful_pointer<client_state> self, client_config cfg,
       std::shared_ptr<client_db> db, std::shared_ptr<device> dev) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.db = std::move(db);
  st.dev = std::move(dev);
  st.workers = spawn_crypto_pool(self->system(), st.cfg.crypto_workers,
                                 st.cfg.user, st.cfg.identity);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.conn.address())
      on_disconnect(self);
  });
  self->attach_functor([w = st.workers] { caf::anon_send_exit(w, caf::exit_reason::user_shutdown); });
  return {
    [=](connect_atom) -> caf::result<std::string, bool> {
      auto& st = self->state;
      auto rp = self->make_response_promise<std::string, bool>();
      if (st.at != phase::idle || st.connect_pending) {
        rp.deliver(make_error(errc::not_permitted, "already connected"));
        return rp;
      }
      st.connect_rp = rp;
      st.connect_pending = true;
      st.server_index = 0;
      start_connect(self);
      return rp;
    },
    [=](send_atom, std::string& to,
        std::string& body) -> caf::result<std::string> {
      if (!protocol::valid_username(to))
        return make_error(errc::invalid_username, to);
      if (body.size() > max_body)
        return make_error(errc::oversize, "messages are at most 32 KiB");
      auto rp = self->make_response_promise<std::string>();
      send_letter(self, reply_to(rp), std::move(to), std::move(body));
      return rp;
    },
    [=](paid_atom, std::string& to, std::string& transfer_id,
        int64_t amount_minor) -> caf::result<std::string> {
      if (!protocol::valid_username(to))
        return make_error(errc::invalid_username, to);
      auto rp = self->make_response_promise<std::string>();
      send_letter(self, reply_to(rp), std::move(to),
                  make_payment_notice({std::move(transfer_id), amount_minor}),
                  true);
      return rp;
    },
    [=](online_atom, std::vector<std::string>& users)
      -> caf::result<std::vector<std::string>> {
      for (auto& u : users)
        if (!protocol::valid_username(u))
          return make_error(errc::invalid_username, u);
      return ask_presence(self, std::move(users));
    },
    [=](lookup_atom, const std::string& user) -> caf::result<contact_key> {
      auto rp = self->make_response_promise<contact_key>();
      bool known = self->state.db->pinned("user", user).has_value();
      with_key(self, user, [=](caf::expected<crypto::key> key) mutable {
        if (!key)
          return (void) rp.deliver(key.error());
        auto& st = self->state;
        rp.deliver(contact_key{user, *crypto::fingerprint(*key), !known,
                               st.db->verified(user),
                               st.dev->has_session(user)});
      });
      return rp;
    },
    [=](trust_atom, const std::string& user,
        const std::string& fp) -> caf::result<contact_key> {
      return trust_key(self, user, fp, true);
    },
    [=](trust_atom, const std::string& user, const std::string& fp,
        bool verified) -> caf::result<contact_key> {
      return trust_key(self, user, fp, verified);
    },
    [=](verify_atom, const std::string& user) -> caf::result<contact_key> {
      auto& st = self->state;
      auto pin = st.db->pinned("user", user);
      if (!pin || !st.db->set_verified(user, true))
        return make_error(errc::unknown_user, user + " has no pinned key yet");
      return contact_key{user, crypto::fingerprint_of_der(*pin), false, true};
    },
    [=](contacts_atom) -> std::vector<contact_key> {
      return self->state.db->contacts();
    },
    [=](history_atom, const std::string& peer,
        uint32_t limit) -> std::vector<history_entry> {
      return self->state.db->history(peer, limit);
    },
    [=](listen_atom, listener_actor listener) {
      self->state.listener = std::move(listener);
      pump(self);
    },
    [=](frame_atom, const std::string& frame) {
      if (self->current_sender() == self->state.conn)
        on_frame(self, frame);
    },
    [=](tick_atom, uint64_t id) {
      auto& st = self->state;
      auto it = st.waiting.find(id);
      if (it == st.waiting.end())
        return; // answered
      auto fn = std::move(it->second.fn);
      st.waiting.erase(it); // the outbox skips ids no longer waiting
      fn(make_error(errc::unreachable, "the router did not answer in time"));
    },
    [=](deadline_atom, uint64_t gen) {
      auto& st = self->state;
      if (!st.reconnecting || gen != st.retry_gen || st.at != phase::idle)
        return;
      st.server_index = 0;
      start_connect(self);
    },
    [=](prekeys_atom,
        const protocol::prekey_upload& up) -> caf::result<uint32_t> {
      auto rp = self->make_response_promise<uint32_t>();
      publish_prekeys(self, rp, up);
      return rp;
    },
    [=](prekeys_atom) -> caf::result<uint32_t> {
      auto rp = self->make_response_promise<uint32_t>();
      count_prekeys(self, rp);
      return rp;
    },
    [=](bundle_atom,
        const std::string& user) -> caf::result<protocol::x3dh::bundle> {
      auto rp = self->make_response_promise<protocol::x3dh::bundle>();
      if (!protocol::valid_username(user))
        rp.deliver(make_error(errc::invalid_username, user));
      else
        fetch_bundle(self, rp, user);
      return rp;
    },
    [=](flush_atom) {
      self->state.flush_due = false;
      open_pending(self);
      seal_pending(self);
      record_handled(self);
      pump(self);
    },
    [=](stop_atom) {
      record_handled(self); // what was dealt with is not dealt with again
      self->state.reconnecting = false;
      if (self->state.conn)
        caf::anon_send(self->state.conn, close_atom::value);
      self->quit(caf::exit_reason::user_shutdown);
    },
    [=](forget_atom, const std::string& peer) -> caf::result<uint64_t> {
      if (!protocol::valid_username(peer))
        return make_error(errc::invalid_username, peer);
      return self->state.db->forget(peer);
    },
    [=](search_atom, const std::string& peer, const std::string& text,
        uint32_t limit) -> caf::result<std::vector<history_entry>> {
      if (!peer.empty() && !protocol::valid_username(peer))
        return make_error(errc::invalid_username, peer);
      return self->state.db->search(peer, text, limit);
    },
    [=](read_atom, const std::string& peer, const std::string& msg_id) {
      auto& st = self->state;
      if (!may_tell(self, peer)
          || !parse_control_letter(make_control_letter(
            control_letter::read(msg_id))))
        return;
      if (st.reads.size() >= max_control_peers && st.reads.count(peer) == 0)
        st.reads.clear();
      auto& out = st.reads[peer];
      bool waiting = !out.pending.empty();
      out.pending = msg_id; // the newest covers the older
      if (waiting)
        return; // its timer is set
      auto since = steady_clock::now() - out.last;
      if (since >= read_receipt_gap)
        return send_read(self, peer);
      self->delayed_send(self,
                         read_receipt_gap
                           - std::chrono::duration_cast<milliseconds>(since),
                         read_atom::value, peer);
    },
    [=](read_atom, const std::string& peer) {
      if (may_tell(self, peer))
        send_read(self, peer);
      else if (auto it = self->state.reads.find(peer);
               it != self->state.reads.end())
        it->second.pending.clear();
    },
    [=](typing_atom, const std::string& peer) {
      auto& st = self->state;
      if (!may_tell(self, peer))
        return;
      auto now = steady_clock::now();
      if (auto it = st.typing_sent.find(peer);
          it != st.typing_sent.end() && now - it->second < typing_gap)
        return;
      if (st.typing_sent.size() >= max_control_peers)
        st.typing_sent.clear();
      st.typing_sent[peer] = now;
      // A letter for someone offline would wait in their queue and say
      // "typing" long after: only to a live session.
      boost::json::array users{boost::json::string{peer}};
      request(self, "presence", {{"users", std::move(users)}},
              [=](caf::expected<protocol::envelope> env) {
                if (!env)
                  return;
                auto* on = env->fields.if_contains("online");
                if (!on || !on->is_array())
                  return;
                for (auto& v : on->as_array())
                  if (v.is_string() && v.get_string() == peer)
                    return send_control(
                      self, peer, control_letter::typing());
              });
    },
  };
}


caf::expected<int> tcp_connect(const endpoint& ep, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto port = std::to_string(ep.port);
  if (::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res) != 0)
    return make_error(errc::unreachable, "cannot resolve " + ep.host);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard{res, ::freeaddrinfo};
  for (auto ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, 0);
    if (fd < 0)
      continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (rc == 0
          && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0
              || so_error != 0))
        rc = -1;
    }
    if (rc == 0)
      return fd;
    ::close(fd);
  }
  return make_error(errc::unreachable, ep.to_string() + " does not answer");
}

caf::expected<client_actor> spawn_client(caf::actor_system& sys,
                                         client_config cfg) {
  // The folder is the owner's alone, even one made by an older version
  // under a looser umask (what is in clear there still tells who talks to
  // whom).
  if (auto err = make_private_dir(cfg.dir))
    return err;
  auto db = client_db::open(cfg.dir + "/client.db");
  if (!db)
    return db.error();
  auto shared = std::make_shared<client_db>(std::move(*db));
  auto dev = device::open(shared, cfg.user, cfg.identity, now_ms());
  if (!dev)
    return dev.error();
  return sys.spawn(client, std::move(cfg), std::move(shared),
                   std::shared_ptr<device>{std::move(*dev)});
}

caf::expected<std::map<std::string, std::string>>
parse_router_pins(const std::vector<std::string>& values,
                  const std::vector<endpoint>& servers) {
  std::map<std::string, std::string> pins;
  for (auto& text : values) {
    if (text.find('=') == std::string::npos) {
      if (!is_fingerprint(text))
        return make_error(errc::bad_key,
                          "--server-fingerprint takes FINGERPRINT (64 hex "
                          "digits) or HOST:PORT=FINGERPRINT, not '"
                            + text + "'");
      if (servers.size() != 1)
        return make_error(errc::bad_key,
                          "with several routers, give one "
                          "--server-fingerprint HOST:PORT=FINGERPRINT for "
                          "each router you pin");
      pins[servers.front().to_string()] = normalize_fingerprint(text);
      continue;
    }
    auto nf = parse_named_fingerprint(text, "server-fingerprint");
    if (!nf)
      return nf.error();
    auto ep = parse_endpoint(nf->name);
    if (!ep)
      return make_error(errc::bad_key, "--server-fingerprint: '" + nf->name
                                         + "' is not HOST:PORT");
    auto addr = ep->to_string();
    bool listed = false;
    for (auto& s : servers)
      listed = listed || s.to_string() == addr;
    if (!listed)
      return make_error(errc::bad_key, "--server-fingerprint names " + addr
                                         + ", which is not one of the routers"
                                           " in --server");
    if (!pins.emplace(addr, nf->fingerprint).second)
      return make_error(errc::bad_key, "--server-fingerprint gives " + addr
                                         + " twice");
  }
  return pins;
}

caf::error make_key_changed(const key_change& change, std::string sentence) {
  return caf::error{static_cast<uint8_t>(errc::key_changed), errc_category,
                    caf::make_message(std::move(sentence), change.user,
                                      change.fingerprint)};
}

std::optional<key_change> key_change_of(const caf::error& err) {
  if (code_of(err) != errc::key_changed)
    return std::nullopt;
  const auto& ctx = err.context();
  if (!ctx.match_elements<std::string, std::string, std::string>())
    return std::nullopt;
  return key_change{ctx.get_as<std::string>(1), ctx.get_as<std::string>(2)};
}

} // namespace courier
