#include "actors/server/cluster/peer_link.hpp"

#include <algorithm>
#include <cstring>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/common/error.hpp"
#include "actors/common/log.hpp"
#include "crypto/random.hpp"

namespace courier::cluster {

bool valid_router_name(const std::string& name) {
  if (name.empty() || name.size() > 32)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'
           || c == '-';
  });
}

namespace {

struct link_state {
  std::string self_name;
  peer_address peer;
  caf::io::middleman_actor mm;
  router_actor router;
  link_timing timing;
  caf::actor_addr connected; ///< the peer's router while it is up
  std::chrono::milliseconds backoff{0};
  uint64_t attempts = 0;
  static inline const char* name = "peer_link";
};

using link_ptr = caf::stateful_actor<link_state>*;

// Jitter keeps restarted routers from reconnecting in lock step.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  auto r = crypto::random_bytes(2);
  auto spread = (static_cast<unsigned>(r[0]) << 8 | r[1]) % 1000; // per mille
  return base / 2 + base * spread / 2000;
}

void retry_later(link_ptr self) {
  auto& st = self->state;
  st.backoff = st.backoff.count() == 0
                 ? st.timing.first_retry
                 : std::min(st.backoff * 2, st.timing.max_retry);
  caf::delayed_anon_send(caf::actor{self}, jittered(st.backoff),
                         connect_atom::value);
}

// Logs the first failure and then every tenth, so a long outage does not
// flood the log.
void failed(link_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.attempts++ % 10 == 0)
    logger(component::backbone)
      .warn("peer {} at {} unreachable: {} (retrying)", st.peer.name,
            st.peer.backbone.to_string(), why);
  retry_later(self);
}

// Introduces the two routers to each other; either may refuse (a name
// that does not match the certificate, or a link of that name still up
// after a restart), and then the link tries again later.
void introduce(link_ptr self, router_actor peer) {
  auto& st = self->state;
  auto local = caf::actor_cast<caf::strong_actor_ptr>(st.router);
  self->request(st.router, st.timing.connect_timeout, peer_up_atom::value,
                st.peer.name, caf::actor_cast<caf::strong_actor_ptr>(peer))
    .then(
      [=](bool) {
        auto& st = self->state;
        self->request(peer, st.timing.connect_timeout, peer_up_atom::value,
                      st.self_name, local)
          .then(
            [=](bool) {
              auto& st = self->state;
              st.connected = peer.address();
              st.backoff = std::chrono::milliseconds{0};
              st.attempts = 0;
              self->monitor(peer);
            },
            [=](caf::error& err) {
              failed(self, "it refused this router: "
                             + self->system().render(err));
            });
      },
      [=](caf::error& err) {
        failed(self, "refused here: " + self->system().render(err));
      });
}

void on_connected(link_ptr self, router_actor peer) {
  auto& st = self->state;
  self->request(peer, st.timing.connect_timeout, status_atom::value)
    .then(
      [=](const std::string& name) {
        auto& st = self->state;
        if (name != st.peer.name)
          return failed(self, "it calls itself '" + name + "'");
        introduce(self, peer);
      },
      [=](caf::error& err) {
        failed(self, "no name: " + self->system().render(err));
      });
}

void connect(link_ptr self) {
  auto& st = self->state;
  self->request(st.mm, st.timing.connect_timeout, caf::connect_atom::value,
                st.peer.backbone.host, st.peer.backbone.port)
    .then(
      [=](caf::node_id&, caf::strong_actor_ptr& ptr,
          std::set<std::string>& ifs) {
        if (!ptr)
          return failed(self, "nothing is published there");
        if (ifs != self->system().message_types<router_actor>())
          return failed(self, "it speaks another router interface "
                              "(a different Courier version?)");
        on_connected(self, caf::actor_cast<router_actor>(std::move(ptr)));
      },
      [=](caf::error& err) { failed(self, self->system().render(err)); });
}

caf::behavior peer_link(caf::stateful_actor<link_state>* self,
                        std::string self_name, peer_address peer, caf::io::middleman_actor mm,
                        router_actor router, link_timing timing) {
  self->state.self_name = std::move(self_name);
  self->state.peer = std::move(peer);
  self->state.mm = std::move(mm);
  self->state.router = std::move(router);
  self->state.timing = timing;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source != st.connected)
      return;
    st.connected = caf::actor_addr{};
    retry_later(self); // the router saw the same down message
  });
  self->send(self, connect_atom::value);
  return {
    [=](connect_atom) { connect(self); },
  };
}

} // namespace

caf::expected<peer_address> parse_peer(const std::string& text) {
  auto at = text.find('@');
  auto ep = at == std::string::npos ? std::nullopt
                                    : parse_endpoint(text.substr(at + 1));
  if (!ep)
    return make_error(errc::bad_encoding,
                      "a peer is NAME@HOST:PORT, not '" + text + "'");
  auto name = text.substr(0, at);
  if (!valid_router_name(name))
    return make_error(errc::bad_encoding,
                      "a router name is 1-32 of A-Z a-z 0-9 _ . -, not '"
                        + name + "'");
  return peer_address{std::move(name), std::move(*ep)};
}

bool dials(const std::string& self_name, const std::string& peer_name) {
  return self_name < peer_name;
}

caf::actor spawn_peer_link(caf::actor_system& sys, std::string self_name,
                           peer_address peer, caf::io::middleman_actor mm,
                           router_actor router, link_timing timing) {
  return sys.spawn(peer_link, std::move(self_name), std::move(peer),
                   std::move(mm), std::move(router), timing);
}

} // namespace courier::cluster
