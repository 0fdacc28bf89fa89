#include "actors/router.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace courier {

namespace {

/// Delivery state of one connected user.
struct online_user {
  session_actor session;
  uint64_t last_seq = 0;  ///< highest seq pushed to this session
  struct unacked {
    uint64_t seq;
    size_t bytes;
    std::string from; ///< told when the recipient acknowledges
  };
  std::deque<unacked> inflight;
  size_t inflight_bytes = 0;
  bool caught_up = false; ///< nothing in the store past last_seq
  bool fetching = false;  ///< a fetch is on its way
  bool missed = false;    ///< a message was not pushed since the last fetch
};

// A session gets at most `delivery_window` messages and half its write
// buffer cap in unacknowledged bytes, so a healthy reader is never cut off
// by a backlog and one that stops reading stops getting more.
bool has_room(const online_user& u, const edge_limits& limits) {
  if (u.inflight.empty())
    return true;
  return u.inflight.size() < limits.delivery_window
         && u.inflight_bytes < limits.max_write_buffer / 2;
}

} // namespace

struct router_state {
  directory_actor directory;
  store_actor store;
  edge_limits limits;
  std::unordered_map<std::string, online_user> online;
  std::unordered_set<std::string> known_users; ///< names never unregister
  uint64_t next_seq = 1;
  static inline const char* name = "router";
};

namespace {

using router_ptr = router_actor::stateful_pointer<router_state>;

void push(online_user& u, stored_message msg) {
  u.last_seq = msg.seq;
  u.inflight.push_back({msg.seq, msg.blob.size(), msg.from});
  u.inflight_bytes += msg.blob.size();
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
  auto session = u.session;
  self->request(st.store, caf::infinite, fetch_atom::value, user, u.last_seq,
                limit)
    .then(
      [=](std::vector<stored_message>& rows) {
        auto it = self->state.online.find(user);
        if (it == self->state.online.end() || it->second.session != session)
          return;
        auto& u = it->second;
        u.fetching = false;
        u.caught_up = rows.size() < limit && !u.missed;
        for (auto& row : rows) {
          if (row.seq <= u.last_seq)
            continue;
          if (!has_room(u, self->state.limits)) {
            u.caught_up = false;
            break;
          }
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
void push_now(router_ptr self, const std::string& to, const stored_message& msg) {
  auto it = self->state.online.find(to);
  if (it == self->state.online.end())
    return;
  auto& u = it->second;
  if (!u.fetching && u.caught_up && has_room(u, self->state.limits)) {
    push(u, msg);
    return;
  }
  u.missed = true;
  u.caught_up = false;
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
    push(u, std::move(msg));
    return;
  }
  u.caught_up = false;
  fetch(self, to);
}

void accept(router_ptr self, caf::typed_response_promise<uint64_t> rp,
            std::string from, std::string to, std::string blob) {
  using namespace std::chrono;
  auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch());
  stored_message msg{self->state.next_seq++, std::move(from), std::move(blob),
                     now.count()};
  // The put goes out first, so the store sees it before any ack for it.
  self->request(self->state.store, caf::infinite, put_atom::value, to, msg)
    .then(
      [=](stored_message& stored) mutable {
        rp.deliver(stored.seq);
        on_stored(self, to, std::move(stored));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  push_now(self, to, msg);
}

} // namespace

router_actor::behavior_type
router(router_actor::stateful_pointer<router_state> self,
       directory_actor directory, store_actor store, edge_limits limits,
       uint64_t first_seq) {
  self->state.next_seq = first_seq;
  self->state.directory = std::move(directory);
  self->state.store = std::move(store);
  self->state.limits = limits;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& online = self->state.online;
    for (auto it = online.begin(); it != online.end(); ++it)
      if (it->second.session.address() == dm.source) {
        online.erase(it);
        return;
      }
  });
  return {
    [=](login_atom, const std::string& user, session_actor session) {
      auto& online = self->state.online;
      self->state.known_users.insert(user);
      if (auto it = online.find(user); it != online.end())
        self->send(it->second.session, kick_atom::value,
                   std::string{"signed in elsewhere"});
      self->monitor(session);
      online[user] = online_user{session, 0, {}, 0, false, false, false};
      fetch(self, user);
    },
    [=](send_atom, std::string& from, std::string& to,
        std::string& blob) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      if (self->state.known_users.count(to) > 0) {
        accept(self, rp, std::move(from), std::move(to), std::move(blob));
        return rp;
      }
      self->request(self->state.directory, caf::infinite, lookup_atom::value, to)
        .then(
          [=](const std::string&) mutable {
            self->state.known_users.insert(to);
            accept(self, rp, std::move(from), std::move(to), std::move(blob));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](ack_atom, std::string& user, uint64_t seq) {
      self->send(self->state.store, drop_atom::value, user, seq);
      auto it = self->state.online.find(user);
      if (it == self->state.online.end())
        return;
      auto& u = it->second;
      auto pos = std::find_if(u.inflight.begin(), u.inflight.end(),
                              [seq](auto& p) { return p.seq == seq; });
      if (pos != u.inflight.end()) {
        u.inflight_bytes -= pos->bytes;
        // Tell the sender, if it is here, that its message arrived.
        if (auto sender = self->state.online.find(pos->from);
            sender != self->state.online.end())
          caf::anon_send(sender->second.session, delivered_atom::value, seq);
        u.inflight.erase(pos);
      }
      if (!u.caught_up)
        fetch(self, user);
    },
    [=](online_atom) -> std::vector<std::string> {
      std::vector<std::string> names;
      for (auto& kv : self->state.online)
        names.push_back(kv.first);
      std::sort(names.begin(), names.end());
      return names;
    },
  };
}

router_actor spawn_router(caf::actor_system& sys, directory_actor directory,
                          store_actor store, edge_limits limits,
                          uint64_t first_seq) {
  return sys.spawn(router, std::move(directory), std::move(store), limits,
                   first_seq);
}

} // namespace courier
