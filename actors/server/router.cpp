#include "actors/server/router.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <vector>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor_cast.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/typed_broker.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/server/cluster/rendezvous.hpp"
#include "actors/common/whole_cleanup.hpp"
#include "actors/server/token_bucket.hpp"
#include "actors/server/unacked_window.hpp"

namespace courier {

namespace {

/// Delivery state of one connected user.
struct online_user {
  session_actor session;
  uint64_t last_seq = 0;  ///< highest seq pushed to this session
  unacked_window inflight;
  bool caught_up = false; ///< nothing in the store past last_seq
  bool fetching = false;  ///< a fetch is on its way
  bool missed = false;    ///< a message was not pushed since the last fetch
  /// Shared store: the next fetch reads the queue from its start, as
  /// another router may have written below last_seq (what it held for a
  /// session that moved here, numbered by that router).
  bool rescan = false;
};

/// A session on this node whose registry home is another router.
struct visitor {
  session_actor session;
  std::string home; ///< the router it is logged in at
};

// A session gets at most `delivery_window` messages and half its write
// buffer cap in unacknowledged bytes, so a healthy reader is never cut off
// by a backlog and one that stops reading stops getting more.
bool has_room(const online_user& u, const edge_limits& limits) {
  if (u.inflight.empty())
    return true;
  return u.inflight.size() < limits.delivery_window
         && u.inflight.bytes() < limits.max_write_buffer / 2;
}

using clock = std::chrono::steady_clock;

/// A sender's answer: the message's seq, and whether its recipient has
/// already acknowledged it.
using send_promise = caf::typed_response_promise<uint64_t, bool>;

/// A message pushed to its live recipient and not written anywhere: it
/// waits up to the ack hold for the recipient's ack.
struct held_message {
  std::string to;
  stored_message msg;
  send_promise rp; ///< the sender's answer
  clock::time_point until;
};

} // namespace

struct router_state {
  directory_actor directory;
  store_actor store;
  edge_limits limits;
  cluster_config cluster;
  /// Users homed here with a live session, on this node or another.
  std::unordered_map<std::string, online_user> online;
  /// Sessions on this node of users homed elsewhere; logged in again at
  /// their home whenever it comes (back) up (on a shared store: whenever
  /// the routers that are up change, at the home they pick then).
  std::unordered_map<std::string, visitor> visiting;
  /// Shared store: the routers that are up, this one included, sorted:
  /// homes are picked among them.
  std::vector<std::string> alive;
  /// Every session this router watches, to clean up when it goes.
  std::unordered_map<caf::actor_addr, std::string> watched;
  std::unordered_map<std::string, router_actor> peers; ///< those that are up
  /// Names the directory confirmed, and when: a send to one needs no
  /// lookup. An operator's block (courier-node admin block) removes its
  /// name; on a shared store, where the block may be made at another
  /// router, an entry is trusted for `known_for` only.
  std::unordered_map<std::string, clock::time_point> known_users;
  /// Send budgets of the users whose sessions send through this router.
  /// A user has one live session in the cluster (a new sign-in kicks the
  /// old one), so this is the user's budget; a bucket is kept after its
  /// session ends (signing in again does not refill it) until it is full.
  std::unordered_map<std::string, token_bucket> send_budgets;
  /// Senders without a budget: names reserved for a key, such as the bank.
  std::set<std::string> unmetered;
  /// Seqs on their way to the store whose sender has not been answered,
  /// and whether the recipient acknowledged them meanwhile: the answer
  /// then says so, and no delivered notice follows.
  std::unordered_map<uint64_t, bool> unanswered;
  /// Held messages by seq. Seqs grow with time and every hold is as long,
  /// so the first one is always the next to expire.
  std::map<uint64_t, held_message> held;
  std::chrono::milliseconds ack_hold{0};
  bool hold_tick_pending = false;
  uint64_t next_seq = 1;
  /// The node's router series; null when it serves no metrics.
  router_metrics* metrics = nullptr;
  static inline const char* name = "router";
};

namespace {

/// How long a router on a shared store trusts that a name it saw is bound
/// and not blocked: an operator's block made elsewhere holds for sends to
/// the name after at most this long.
constexpr auto known_for = std::chrono::seconds{30};

/// Whether a send to `user` may go without asking the directory.
bool knows(const router_state& st, const std::string& user) {
  auto it = st.known_users.find(user);
  return it != st.known_users.end()
         && (!st.cluster.shared_store
             || clock::now() - it->second < known_for);
}

template <class Handle>
struct broker_for;

template <class... Sigs>
struct broker_for<caf::typed_actor<Sigs...>> {
  using type = caf::io::typed_broker<Sigs...>;
};

// The router is a broker so that it runs on the I/O thread with the
// sessions: a message between a session and the router is then a function
// call's worth of work, not a wake-up of another thread.
//
// The router's cleanup is the whole one (see whole_cleanup.hpp).
using router_impl = whole_cleanup<router_state, broker_for<router_actor>::type>;
using router_ptr = router_impl*;

// How long a send waits for another router's answer before the sender
// gets an error instead of waiting for ever.
constexpr auto peer_timeout = std::chrono::seconds{30};

void push(online_user& u, stored_message msg) {
  // On a shared store, a message numbered by the store may have gone
  // before one this router numbered, which is lower.
  u.last_seq = std::max(u.last_seq, msg.seq);
  u.inflight.push(msg.seq, msg.blob.size(), msg.from);
  caf::anon_send(u.session, deliver_atom::value, std::move(msg));
}

// Pulls the next part of a user's backlog from the store.
void fetch(router_ptr self, const std::string& user) {
  auto& st = self->state;
  auto it = st.online.find(user);
  if (it == st.online.end() || it->second.fetching)
    return;
  auto& u = it->second;
  if (!has_room(u, st.limits))
    return;
  u.fetching = true;
  u.missed = false; // this fetch sees every put enqueued before it
  auto limit = static_cast<uint32_t>(st.limits.delivery_window
                                     - u.inflight.size());
  // A rescan reads from the start and skips what is on its way already.
  auto rescan = std::exchange(u.rescan, false);
  auto after = u.last_seq;
  if (rescan) {
    after = 0;
    limit += static_cast<uint32_t>(u.inflight.size());
  }
  auto session = u.session;
  self->request(st.store, caf::infinite, fetch_atom::value, user, after, limit)
    .then(
      [=](std::vector<stored_message>& rows) {
        auto it = self->state.online.find(user);
        if (it == self->state.online.end() || it->second.session != session)
          return;
        auto& u = it->second;
        u.fetching = false;
        u.caught_up = rows.size() < limit && !u.missed;
        for (auto& row : rows) {
          if (rescan ? u.inflight.holds(row.seq) : row.seq <= u.last_seq)
            continue;
          if (!has_room(u, self->state.limits)) {
            u.caught_up = false;
            break;
          }
          if (auto m = self->state.metrics)
            m->delivered_from_store.Increment();
          push(u, std::move(row));
        }
        // Acks that came in while the store was busy freed more room.
        if (!u.caught_up)
          fetch(self, user);
      },
      [=](caf::error&) {
        // Leave the backlog for the next ack or login to retry.
        auto it = self->state.online.find(user);
        if (it != self->state.online.end() && it->second.session == session)
          it->second.fetching = false;
      });
}

// A new message: push it to its recipient at once if it is live and
// caught up, without waiting for the disk; the recipient drops a repeat
// by msg_id should the router die before the sender hears back.
// Returns whether it was pushed.
bool push_now(router_ptr self, const std::string& to,
              const stored_message& msg) {
  auto it = self->state.online.find(to);
  if (it == self->state.online.end())
    return false;
  auto& u = it->second;
  if (!u.fetching && u.caught_up && has_room(u, self->state.limits)) {
    if (auto m = self->state.metrics)
      m->delivered_live.Increment();
    push(u, msg);
    return true;
  }
  u.missed = true;
  u.caught_up = false;
  return false;
}

// A message became durable (or was acknowledged first): fetch it for the
// recipient if push_now could not deliver it.
void on_stored(router_ptr self, const std::string& to, stored_message msg) {
  auto it = self->state.online.find(to);
  if (it == self->state.online.end())
    return;
  auto& u = it->second;
  if (u.fetching || msg.seq <= u.last_seq)
    return; // pushed already, or the fetch under way includes it
  if (u.caught_up && has_room(u, self->state.limits)) {
    if (auto m = self->state.metrics)
      m->delivered_from_store.Increment();
    push(u, std::move(msg));
    return;
  }
  u.caught_up = false;
  fetch(self, to);
}

/// Where a user's home router is, as far as this router can tell.
struct home {
  bool local = true;
  std::string name;
  router_actor peer; ///< null if the home is elsewhere and down
};

// On a shared store the name binding and the queue are in the database,
// so a home is only where a user's delivery state lives: picked among the
// routers that are up, and never down.
home home_of(router_ptr self, std::string_view user) {
  auto& cl = self->state.cluster;
  auto& among = cl.shared_store ? self->state.alive : cl.routers;
  if (among.size() <= 1)
    return {};
  auto& name = among[cluster::home_index(among, user)];
  if (name == cl.name)
    return {true, name, {}};
  auto it = self->state.peers.find(name);
  return {false, name,
          it != self->state.peers.end() ? it->second : router_actor{}};
}

// Peers pass on only what is homed at the receiver, so a request from
// another node is answered here or not at all: no forwarding loops even
// if two routers were configured with different clusters.
bool from_backbone(router_ptr self) {
  auto& src = self->current_sender();
  return src && src->node() != self->node();
}

// Where a request about `user` is served. On a shared store a peer's
// request is served here whatever this router thinks of the home: the
// routers' views of who is up differ for a moment after a change, and
// the database holds what a home would (a message for a user not live
// here goes to the shared queue, and the home hears of it from
// PostgreSQL).
home target_of(router_ptr self, std::string_view user) {
  if (self->state.cluster.shared_store && from_backbone(self))
    return {};
  return home_of(self, user);
}

caf::error misrouted(router_ptr self, const std::string& user) {
  logger(component::router)
    .error("router {}: asked about {} by another node, but {} is not "
           "its home; are all routers configured with the same names?",
           self->state.cluster.name, user, user);
  return make_error(errc::internal, "the routers disagree on " + user
                                      + "'s home router");
}

caf::error home_down(const home& h, const std::string& user) {
  return make_error(errc::unreachable,
                    user + "'s home router " + h.name
                      + " is down; try again shortly");
}

/// Why a request about `user`, whose home `h` is elsewhere, cannot be
/// passed on: another router asked (it should have gone to the home), or
/// the home is down. None if it can.
caf::error refusal(router_ptr self, const home& h, const std::string& user) {
  if (from_backbone(self))
    return misrouted(self, user);
  if (!h.peer)
    return home_down(h, user);
  return caf::none;
}

/// A directory request about `user`, answered by the directory of the
/// user's home router.
template <class Result, class... Ts>
caf::result<Result> ask_home_directory(router_ptr self, const std::string& user,
                                       Ts&&... xs) {
  // A shared store binds names in one table: any router's directory will do.
  auto h = home_of(self, user);
  if (h.local || self->state.cluster.shared_store)
    return self->delegate(self->state.directory, std::forward<Ts>(xs)...);
  if (auto err = refusal(self, h, user))
    return err;
  return self->delegate(h.peer, std::forward<Ts>(xs)...);
}

void watch(router_ptr self, const session_actor& session,
           const std::string& user) {
  if (self->state.watched.emplace(session.address(), user).second)
    self->monitor(session);
}

// `may_forward` is false when the notice itself came from a peer, which
// only passes on notices for users homed here.
void notify_delivered(router_ptr self, const std::string& user, uint64_t seq,
                      bool may_forward) {
  auto h = target_of(self, user);
  if (!h.local) {
    if (!may_forward)
      misrouted(self, user);
    else if (h.peer)
      self->send(h.peer, delivered_atom::value, user, seq);
    return;
  }
  if (auto it = self->state.online.find(user); it != self->state.online.end())
    caf::anon_send(it->second.session, delivered_atom::value, seq);
}

// Writes a message to the store; its sender hears back once it is durable.
// An ack for a pushed message arrives in a later event, so the put, sent
// within this one, reaches the store before the drop. With `quota`, the
// store refuses it if the recipient's queue is full; a message already
// pushed to its live recipient is not refused.
void write_out(router_ptr self, send_promise rp,
               const std::string& to, stored_message msg, bool quota) {
  auto seq = msg.seq;
  // Seq 0: the store numbers it; it was not pushed, so no ack can come
  // before the store's answer.
  if (seq != 0)
    self->state.unanswered.emplace(seq, false);
  // Whether the recipient acked it while the store was busy.
  auto take_acked = [self, seq] {
    auto& unanswered = self->state.unanswered;
    auto it = unanswered.find(seq);
    auto acked = it != unanswered.end() && it->second;
    if (it != unanswered.end())
      unanswered.erase(it);
    return acked;
  };
  self->request(self->state.store, caf::infinite, put_atom::value, to,
                std::move(msg), quota)
    .then(
      [=](stored_message& stored) mutable {
        rp.deliver(stored.seq, take_acked());
        on_stored(self, to, std::move(stored));
      },
      [=](caf::error& err) mutable {
        // Acknowledged by its recipient, it is delivered all the same.
        if (take_acked())
          rp.deliver(seq, true);
        else
          rp.deliver(std::move(err));
      });
}

// One timer covers every held message: it aims at the oldest one.
void schedule_hold_tick(router_ptr self) {
  auto& st = self->state;
  if (st.hold_tick_pending || st.held.empty())
    return;
  auto left = st.held.begin()->second.until - clock::now();
  st.hold_tick_pending = true;
  self->delayed_send(self,
                     std::chrono::ceil<std::chrono::milliseconds>(
                       std::max(left, clock::duration{0})),
                     tick_atom::value);
}

// Keeps a pushed message in memory until its recipient acks it: most acks
// come within milliseconds, and such a message never touches the disk.
void hold(router_ptr self, send_promise rp,
          std::string to, stored_message msg) {
  auto& st = self->state;
  auto seq = msg.seq;
  if (st.metrics)
    st.metrics->held.Increment();
  st.held.emplace_hint(st.held.end(), seq,
                      held_message{std::move(to), std::move(msg), std::move(rp),
                                   clock::now() + st.ack_hold});
  schedule_hold_tick(self);
}

// The recipient acknowledged a held message: the sender's answer goes now
// and says so, and nothing is written. False if `seq` is not held for `user`.
bool settle_held(router_ptr self, const std::string& user, uint64_t seq) {
  auto& held = self->state.held;
  auto it = held.find(seq);
  if (it == held.end() || it->second.to != user)
    return false;
  it->second.rp.deliver(seq, true);
  held.erase(it);
  return true;
}

// Writes held messages out: `user`'s, or every one if `user` is null.
// Returns how many.
size_t release_held(router_ptr self, const std::string* user) {
  auto& held = self->state.held;
  size_t n = 0;
  for (auto it = held.begin(); it != held.end();) {
    if (user && it->second.to != *user) {
      ++it;
      continue;
    }
    auto& h = it->second;
    write_out(self, std::move(h.rp), h.to, std::move(h.msg), false);
    it = held.erase(it);
    ++n;
  }
  return n;
}

// `session` of `user` is live, homed here: it gets the user's messages.
void login_here(router_ptr self, const std::string& user,
                session_actor session) {
  auto& online = self->state.online;
  self->state.known_users[user] = clock::now();
  if (auto it = online.find(user); it != online.end()) {
    if (it->second.session == session)
      return; // the same session again, after its home came back
    self->send(it->second.session, kick_atom::value,
               std::string{"signed in elsewhere"});
  }
  watch(self, session, user);
  // The new session starts from the store, so it must hold everything.
  release_held(self, &user);
  online[user] = online_user{session, 0, {}, false, false, false};
  fetch(self, user);
}

// `session` of `user` moved its home away from this router: what was held
// for it is written, and its new home delivers from the store. Nothing if
// another session of the user is live here.
void forget_session(router_ptr self, const std::string& user,
                    const session_actor& session) {
  auto& online = self->state.online;
  auto it = online.find(user);
  if (it == online.end() || it->second.session != session)
    return;
  online.erase(it);
  release_held(self, &user);
}

// Shared store, a new sign-in of `user` on this node: an older session of
// the user on this node goes, wherever its home is (one live session per
// user; the new home kicks only what it knows of).
void drop_other_sessions(router_ptr self, const std::string& user,
                         const session_actor& session) {
  auto& st = self->state;
  auto kick = [&](const session_actor& old) {
    self->send(old, kick_atom::value, std::string{"signed in elsewhere"});
  };
  if (auto v = st.visiting.find(user);
      v != st.visiting.end() && v->second.session != session) {
    if (auto p = st.peers.find(v->second.home); p != st.peers.end())
      self->send(p->second, forget_atom::value, user, v->second.session);
    kick(v->second.session);
    st.visiting.erase(v);
  }
  if (auto it = st.online.find(user);
      it != st.online.end() && it->second.session != session
      && it->second.session.node() == self->node()
      && !home_of(self, user).local) {
    auto old = it->second.session;
    kick(old);
    forget_session(self, user, old);
  }
}

// An operator blocked `user`: its sessions known here end with
// `name_blocked`, and a send to it asks the directory (which refuses it)
// again. Returns how many sessions were told.
size_t on_blocked(router_ptr self, const std::string& user) {
  auto& st = self->state;
  st.known_users.erase(user);
  auto why = make_error(errc::name_blocked,
                        "the name '" + user
                          + "' is blocked by this service's operator");
  size_t n = 0;
  caf::actor_addr told;
  if (auto it = st.online.find(user); it != st.online.end()) {
    self->send(it->second.session, kick_atom::value, why);
    told = it->second.session.address();
    ++n;
  }
  if (auto v = st.visiting.find(user);
      v != st.visiting.end() && v->second.session.address() != told) {
    self->send(v->second.session, kick_atom::value, why);
    ++n;
  }
  if (n > 0)
    logger(component::router)
      .info("admin: '{}' is blocked: its session ends", user);
  return n;
}

// Shared store: the routers that are up changed; homes are picked anew.
void set_alive(router_ptr self) {
  auto& st = self->state;
  st.alive.clear();
  st.alive.push_back(st.cluster.name);
  for (auto& kv : st.peers)
    st.alive.push_back(kv.first);
  std::sort(st.alive.begin(), st.alive.end());
}

// Shared store, after set_alive: every session on this node whose home
// moved logs in at its new home and leaves the old one (the session's
// node decides, so no user is left without a home while the routers'
// views differ). Returns how many moved.
size_t rehome(router_ptr self) {
  auto& st = self->state;
  std::vector<std::pair<std::string, visitor>> moving;
  for (auto& [user, v] : st.visiting)
    if (home_of(self, user).name != v.home)
      moving.emplace_back(user, v);
  for (auto& [user, u] : st.online)
    if (u.session.node() == self->node() && !home_of(self, user).local)
      moving.emplace_back(user, visitor{u.session, st.cluster.name});
  for (auto& [user, v] : moving) {
    if (v.home == st.cluster.name)
      forget_session(self, user, v.session);
    else if (auto p = st.peers.find(v.home); p != st.peers.end())
      self->send(p->second, forget_atom::value, user, v.session);
    st.visiting.erase(user);
    auto h = home_of(self, user);
    if (h.local) {
      login_here(self, user, v.session);
    } else {
      st.visiting[user] = visitor{v.session, h.name};
      self->send(h.peer, login_atom::value, user, v.session);
    }
  }
  return moving.size();
}

// Writes out held messages whose time is up.
void on_hold_tick(router_ptr self) {
  auto& st = self->state;
  st.hold_tick_pending = false;
  auto now = clock::now();
  while (!st.held.empty() && st.held.begin()->second.until <= now) {
    auto& h = st.held.begin()->second;
    write_out(self, std::move(h.rp), h.to, std::move(h.msg), false);
    st.held.erase(st.held.begin());
  }
  schedule_hold_tick(self);
}

// `user` acknowledged `seq`. Its sender learns of it with the answer to
// the send if that is still to come, and from a delivered notice otherwise.
void on_ack(router_ptr self, const std::string& user, uint64_t seq) {
  auto& st = self->state;
  auto it = st.online.find(user);
  // The sender, if `seq` was pushed to this user: only then is it theirs.
  std::optional<std::string> from;
  if (it != st.online.end())
    from = it->second.inflight.take(seq);
  auto told = settle_held(self, user, seq);
  if (!told) {
    self->send(st.store, drop_atom::value, user, seq);
    auto w = st.unanswered.find(seq);
    if (from && w != st.unanswered.end()) {
      w->second = true;
      told = true;
    }
  }
  if (from && !told)
    notify_delivered(self, *from, seq, true);
  if (it != st.online.end() && !it->second.caught_up)
    fetch(self, user);
}

// The shared store holds new messages for `users` (none: for anyone),
// written by any router. A notice only starts a fetch: one under way
// takes it in (`missed`), and one for a full window waits for acks.
void on_queued(router_ptr self, const std::vector<std::string>& users) {
  auto note = [self](const std::string& user) {
    auto it = self->state.online.find(user);
    if (it == self->state.online.end())
      return;
    it->second.missed = true;
    it->second.caught_up = false;
    it->second.rescan = true;
    fetch(self, user);
  };
  if (!users.empty()) {
    for (auto& user : users)
      note(user);
    return;
  }
  std::vector<std::string> all;
  all.reserve(self->state.online.size());
  for (auto& kv : self->state.online)
    all.push_back(kv.first);
  for (auto& user : all)
    note(user);
}

void accept(router_ptr self, send_promise rp,
            std::string from, std::string to, std::string blob) {
  stored_message msg{self->state.next_seq++, std::move(from), std::move(blob),
                     now_ms()};
  if (auto m = self->state.metrics)
    m->relayed.Increment();
  auto pushed = push_now(self, to, msg);
  if (!pushed && self->state.cluster.shared_store)
    msg.seq = 0; // numbered by the store, in one order for the cluster
  if (pushed && self->state.ack_hold.count() > 0)
    hold(self, std::move(rp), std::move(to), std::move(msg));
  else
    write_out(self, std::move(rp), to, std::move(msg), !pushed);
}

// Which of `users` are homed here and live.
std::vector<std::string> home_online(router_ptr self,
                                     const std::vector<std::string>& users) {
  std::vector<std::string> names;
  for (auto& user : users)
    if (self->state.online.count(user) > 0 && target_of(self, user).local)
      names.push_back(user);
  std::sort(names.begin(), names.end());
  return names;
}

caf::error too_many_names(size_t n) {
  return make_error(errc::oversize,
                    "presence asks about at most "
                      + std::to_string(max_presence_names) + " users, not "
                      + std::to_string(n));
}

// Which of `users` are live: those homed here from this router's table,
// the others from their home routers, each asked only about its own
// users. A home that is down or does not answer in time is left out
// rather than holding up the answer. Every list is bounded by the request.
caf::result<std::vector<std::string>>
presence(router_ptr self, std::vector<std::string> users) {
  if (users.size() > max_presence_names)
    return too_many_names(users.size());
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  std::vector<std::string> found;
  std::map<std::string, std::pair<router_actor, std::vector<std::string>>>
    elsewhere; // by home router
  for (auto& user : users) {
    auto h = home_of(self, user);
    if (h.local) {
      if (self->state.online.count(user) > 0)
        found.push_back(user);
    } else if (h.peer) {
      auto& entry = elsewhere[h.name];
      entry.first = h.peer;
      entry.second.push_back(user);
    }
  }
  if (elsewhere.empty())
    return found;
  struct gathering {
    std::vector<std::string> names;
    size_t pending = 0;
    caf::typed_response_promise<std::vector<std::string>> rp;
  };
  auto g = std::make_shared<gathering>();
  g->names = std::move(found);
  g->pending = elsewhere.size();
  g->rp = self->make_response_promise<std::vector<std::string>>();
  auto done = [g] {
    if (--g->pending > 0)
      return;
    std::sort(g->names.begin(), g->names.end());
    g->names.erase(std::unique(g->names.begin(), g->names.end()),
                   g->names.end());
    g->rp.deliver(std::move(g->names));
  };
  for (auto& kv : elsewhere) {
    // Only names asked about, homed there, may come back.
    auto asked = std::make_shared<std::vector<std::string>>(kv.second.second);
    self->request(kv.second.first, std::chrono::seconds{2},
                  home_online_atom::value, std::move(kv.second.second))
      .then(
        [g, done, asked](std::vector<std::string>& names) {
          for (auto& n : names)
            if (std::binary_search(asked->begin(), asked->end(), n))
              g->names.push_back(std::move(n));
          done();
        },
        [done](caf::error&) { done(); });
  }
  return g->rp;
}

// Takes one message from `from`'s send budget; an error if it is spent.
caf::error charge_sender(router_ptr self, const std::string& from) {
  auto& st = self->state;
  if (st.limits.sender_rate == 0 || st.unmetered.count(from) > 0)
    return caf::none;
  auto now = token_bucket::clock::now();
  auto& budgets = st.send_budgets;
  // Full buckets carry nothing a new one would not: drop them once the
  // table outgrows the users who are signed in.
  if (budgets.size() > 2 * (st.online.size() + st.visiting.size()) + 1024)
    for (auto it = budgets.begin(); it != budgets.end();)
      it = it->second.full(now) ? budgets.erase(it) : std::next(it);
  auto it = budgets.find(from);
  if (it == budgets.end())
    it = budgets
           .emplace(from, token_bucket{static_cast<double>(st.limits.sender_rate),
                                       static_cast<double>(std::max(
                                         st.limits.sender_burst, 1u)),
                                       now})
           .first;
  if (it->second.take(now))
    return caf::none;
  return make_error(errc::sending_too_fast,
                    "at most " + std::to_string(st.limits.sender_rate)
                      + " messages a second");
}

/// Logs why router `name` is refused and returns the error for its link.
caf::error refuse_peer(router_ptr self, const std::string& name,
                       const std::string& why) {
  logger(component::backbone)
    .error("router {}: refusing peer '{}': {}", self->state.cluster.name,
           name, why);
  return make_error(errc::peer_refused, "router " + self->state.cluster.name
                                          + " refused peer '" + name
                                          + "': " + why);
}

// Takes `peer` as router `name` unless another handle of that name is up:
// the first live link stays, so whoever else claims the name cannot take
// it over (its own link retries once the first one is gone).
caf::error add_peer(router_ptr self, const std::string& name,
                    router_actor peer) {
  auto& st = self->state;
  if (auto it = st.peers.find(name); it != st.peers.end()) {
    if (it->second == peer)
      return caf::none; // told by both ends of the link
    return refuse_peer(self, name,
                       "a router of that name is up already; ignoring "
                       "the second one");
  }
  st.peers[name] = peer;
  if (st.metrics)
    st.metrics->backbone_peers_up.Set(static_cast<double>(st.peers.size()));
  self->monitor(peer);
  if (st.cluster.shared_store) {
    set_alive(self);
    auto moved = rehome(self);
    logger(component::backbone)
      .info("router {}: peer {} is up ({} sessions here moved their home)",
            st.cluster.name, name, moved);
    return caf::none;
  }
  size_t relogged = 0;
  for (auto& [user, v] : st.visiting)
    if (home_of(self, user).name == name) {
      self->send(peer, login_atom::value, user, v.session);
      ++relogged;
    }
  logger(component::backbone)
    .info("router {}: peer {} is up ({} sessions here are homed there)",
          st.cluster.name, name, relogged);
  return caf::none;
}

caf::result<bool> on_peer_up(router_ptr self, const std::string& name,
                             router_actor peer) {
  auto& st = self->state;
  auto& names = st.cluster.routers;
  if (!peer || name == st.cluster.name
      || std::find(names.begin(), names.end(), name) == names.end())
    return refuse_peer(self, name, "it is not in the configured cluster");
  if (auto it = st.peers.find(name); it != st.peers.end() && it->second == peer)
    return true;
  // A peer speaks only for its own node: it cannot introduce a third
  // node's actor under any name.
  if (from_backbone(self) && self->current_sender()->node() != peer.node())
    return refuse_peer(self, name, "the handle is not on the node that "
                                   "sent it");
  if (!st.cluster.identity) {
    if (auto err = add_peer(self, name, peer))
      return err;
    return true;
  }
  auto rp = self->make_response_promise<bool>();
  self->request(st.cluster.identity, std::chrono::seconds{10},
                identify_atom::value, peer.address())
    .then(
      [=](const std::string& certified) mutable {
        if (certified != name) {
          rp.deliver(refuse_peer(self, name,
                                 "its certificate names '" + certified
                                   + "'"));
          return;
        }
        if (auto err = add_peer(self, name, peer))
          rp.deliver(std::move(err));
        else
          rp.deliver(true);
      },
      [=](caf::error& err) mutable {
        logger(component::backbone)
          .warn("router {}: no certificate for peer '{}': {}",
                self->state.cluster.name, name,
                self->system().render(err));
        rp.deliver(refuse_peer(self, name, "no verified certificate stands "
                                           "behind it"));
      });
  return rp;
}

/// A peer router or a watched session is gone: forget it, and write what
/// was held for the session's user.
void on_down(router_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto p = st.peers.begin(); p != st.peers.end(); ++p)
    if (p->second.address() == dm.source) {
      if (st.cluster.shared_store) {
        auto name = p->first;
        st.peers.erase(p);
        if (st.metrics)
          st.metrics->backbone_peers_up.Set(
            static_cast<double>(st.peers.size()));
        set_alive(self);
        auto moved = rehome(self);
        logger(component::backbone)
          .warn("router {}: peer {} is gone ({}); {} sessions here "
                "moved their home",
                st.cluster.name, name, self->system().render(dm.reason),
                moved);
        return;
      }
      logger(component::backbone)
        .warn("router {}: peer {} is gone ({}); its users get "
              "'unreachable' until it is back",
              st.cluster.name, p->first, self->system().render(dm.reason));
      st.peers.erase(p);
      if (st.metrics)
        st.metrics->backbone_peers_up.Set(
          static_cast<double>(st.peers.size()));
      return;
    }
  auto it = st.watched.find(dm.source);
  if (it == st.watched.end())
    return;
  auto user = std::move(it->second);
  st.watched.erase(it);
  if (auto u = st.online.find(user);
      u != st.online.end() && u->second.session.address() == dm.source) {
    st.online.erase(u);
    release_held(self, &user); // unacknowledged: they must stay
  }
  if (auto v = st.visiting.find(user);
      v != st.visiting.end() && v->second.session.address() == dm.source)
    st.visiting.erase(v);
}

} // namespace

router_actor::behavior_type
router(router_ptr self,
       directory_actor directory, store_actor store, edge_limits limits,
       uint64_t first_seq, cluster_config cluster,
       std::chrono::milliseconds ack_hold, std::set<std::string> unmetered) {
  self->state.next_seq = first_seq;
  self->state.unmetered = std::move(unmetered);
  self->state.ack_hold = ack_hold;
  self->state.cluster = std::move(cluster);
  self->state.directory = std::move(directory);
  self->state.store = std::move(store);
  self->state.limits = limits;
  self->state.metrics = router_metrics_of(self->system());
  if (self->state.cluster.shared_store)
    set_alive(self);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  return {
    [=](login_atom, const std::string& user, session_actor session) {
      auto h = target_of(self, user);
      if (!h.local) {
        if (from_backbone(self))
          return (void) misrouted(self, user);
        watch(self, session, user);
        if (self->state.cluster.shared_store)
          drop_other_sessions(self, user, session);
        self->state.visiting[user] = visitor{session, h.name};
        if (h.peer)
          self->send(h.peer, login_atom::value, user, session);
        return;
      }
      if (self->state.cluster.shared_store && !from_backbone(self))
        drop_other_sessions(self, user, session);
      login_here(self, user, std::move(session));
    },
    [=](forget_atom, const std::string& user, const session_actor& session) {
      if (self->state.cluster.shared_store)
        forget_session(self, user, session);
    },
    [=](send_atom, std::string& from, std::string& to,
        std::string& blob) -> caf::result<uint64_t, bool> {
      // Charged where the sender's session is; a peer passing a send on
      // to the recipient's home charged it already.
      if (!from_backbone(self)) {
        if (auto err = charge_sender(self, from))
          return err;
      } else if (auto m = self->state.metrics) {
        m->backbone_in.Increment();
      }
      if (auto h = target_of(self, to); !h.local) {
        if (auto err = refusal(self, h, to))
          return err;
        // Sessions wait for this answer without a timer of their own.
        if (auto m = self->state.metrics)
          m->backbone_out.Increment();
        auto rp = self->make_response_promise<uint64_t, bool>();
        self->request(h.peer, peer_timeout, send_atom::value, std::move(from),
                      std::move(to), std::move(blob))
          .then([=](uint64_t seq, bool delivered) mutable {
                  rp.deliver(seq, delivered);
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      }
      auto rp = self->make_response_promise<uint64_t, bool>();
      if (knows(self->state, to)) {
        accept(self, rp, std::move(from), std::move(to), std::move(blob));
        return rp;
      }
      self->request(self->state.directory, caf::infinite, lookup_atom::value, to)
        .then(
          [=](const std::string&) mutable {
            self->state.known_users[to] = clock::now();
            accept(self, rp, std::move(from), std::move(to), std::move(blob));
          },
          [=](caf::error& err) mutable {
            // Blocked meanwhile (perhaps at another router of a shared
            // store): a session of the name here ends too.
            if (code_of(err) == errc::name_blocked)
              on_blocked(self, to);
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [=](ack_atom, std::string& user, uint64_t seq) {
      if (auto h = target_of(self, user); !h.local) {
        // A lost ack only means the message comes again; the client
        // drops the repeat.
        if (from_backbone(self))
          misrouted(self, user);
        else if (h.peer)
          self->send(h.peer, ack_atom::value, std::move(user), seq);
        return;
      }
      on_ack(self, user, seq);
    },
    [=](delivered_atom, const std::string& user, uint64_t seq) {
      notify_delivered(self, user, seq, !from_backbone(self));
    },
    [=](online_atom, std::vector<std::string>& users)
      -> caf::result<std::vector<std::string>> {
      return presence(self, std::move(users));
    },
    [=](online_atom) -> std::vector<std::string> {
      std::vector<std::string> users;
      if (from_backbone(self))
        return users;
      for (auto& kv : self->state.online)
        users.push_back(kv.first);
      for (auto& kv : self->state.visiting)
        users.push_back(kv.first);
      std::sort(users.begin(), users.end());
      users.erase(std::unique(users.begin(), users.end()), users.end());
      return users;
    },
    [=](home_online_atom, const std::vector<std::string>& users)
      -> caf::result<std::vector<std::string>> {
      if (users.size() > max_presence_names)
        return too_many_names(users.size());
      return home_online(self, users);
    },
    [=](register_atom, const std::string& user, const std::string& key) {
      return ask_home_directory<bool>(self, user, register_atom::value, user,
                                      key);
    },
    [=](register_atom, const std::string& user, const std::string& key,
        bool may_create) {
      return ask_home_directory<bool>(self, user, register_atom::value, user,
                                      key, may_create);
    },
    [=](register_atom, const std::string& user, const std::string& key,
        bool may_create, const std::string& source) {
      // Only a shared store counts new names by source (its directory is
      // this router's own); a home router on SQLite is asked as before.
      if (self->state.cluster.shared_store)
        return ask_home_directory<bool>(self, user, register_atom::value,
                                        user, key, may_create, source);
      return ask_home_directory<bool>(self, user, register_atom::value, user,
                                      key, may_create);
    },
    [=](lookup_atom, const std::string& user) {
      return ask_home_directory<std::string>(self, user, lookup_atom::value,
                                             user);
    },
    [=](prekeys_atom, const std::string& user, const std::string& upload) {
      return ask_home_directory<uint32_t>(self, user, prekeys_atom::value,
                                          user, upload);
    },
    [=](prekeys_atom, const std::string& user) {
      return ask_home_directory<uint32_t>(self, user, prekeys_atom::value,
                                          user);
    },
    [=](bundle_atom, const std::string& user) {
      return ask_home_directory<std::string>(self, user, bundle_atom::value,
                                             user);
    },
    [=](status_atom) { return self->state.cluster.name; },
    [=](tick_atom) {
      if (!from_backbone(self))
        on_hold_tick(self);
    },
    [=](queued_atom, const std::vector<std::string>& users) {
      if (!from_backbone(self))
        on_queued(self, users);
    },
    [=](flush_atom) -> size_t {
      if (from_backbone(self))
        return 0;
      return release_held(self, nullptr);
    },
    [=](kick_atom, const std::string& user) -> size_t {
      if (from_backbone(self))
        return 0;
      return on_blocked(self, user);
    },
    [=](peer_up_atom, const std::string& name, caf::strong_actor_ptr& ptr) {
      return on_peer_up(self, name,
                        caf::actor_cast<router_actor>(std::move(ptr)));
    },
  };
}

router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits,
                          uint64_t first_seq, cluster_config cluster,
                          std::chrono::milliseconds ack_hold,
                          std::set<std::string> unmetered) {
  if (cluster.routers.empty())
    cluster.routers.push_back(cluster.name);
  return sys.middleman().spawn_broker(router, std::move(directory),
                                     std::move(store), limits, first_seq,
                                     std::move(cluster), ack_hold,
                                     std::move(unmetered));
}

} // namespace courier
