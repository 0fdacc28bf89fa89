#include "actors/admin/router_channel.hpp"

#include <chrono>
#include <optional>

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/admin/admin_socket.hpp"
#include "actors/common/atoms.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/envelope.hpp"

namespace courier::admin {

namespace {

constexpr auto answer_within = std::chrono::seconds{5};

caf::expected<std::string> sessions(caf::actor_system& sys,
                                    const router_actor& router) {
  caf::scoped_actor self{sys};
  caf::expected<std::string> out{std::string{}};
  self->request(router, answer_within, online_atom::value)
    .receive(
      [&](const std::vector<std::string>& users) {
        std::string lines;
        for (auto& u : users)
          lines += u + "\n";
        out = std::move(lines);
      },
      [&](caf::error& err) {
        out = make_error(errc::timeout, "the router did not list its "
                                        "sessions: " + sys.render(err));
      });
  return out;
}

// `close_after`: seconds until the open sessions end with `busy` (none:
// they run on).
caf::expected<std::string> drain(caf::actor_system& sys,
                                 const caf::actor& listener,
                                 std::optional<uint32_t> close_after) {
  caf::scoped_actor self{sys};
  caf::expected<std::string> out{std::string{}};
  auto asked = close_after
                 ? self->request(listener, answer_within, stop_atom::value,
                                 *close_after)
                 : self->request(listener, answer_within, stop_atom::value);
  asked.receive(
      [&](size_t open) {
        std::string then
          = close_after ? "; they are closed (busy) in "
                            + std::to_string(*close_after) + " s"
                        : "";
        spdlog::info("admin: drain: refusing new connections (busy); {} "
                     "still open{}",
                     open, then);
        out = "draining: new connections are refused (busy), "
              + std::to_string(open) + " still open" + then + "\n";
      },
      [&](caf::error& err) {
        out = make_error(errc::timeout, "the router did not drain: "
                                          + sys.render(err));
      });
  return out;
}

caf::expected<std::string> block(caf::actor_system& sys,
                                 const router_actor& router,
                                 const std::string& user) {
  caf::scoped_actor self{sys};
  caf::expected<std::string> out{std::string{}};
  self->request(router, answer_within, kick_atom::value, user)
    .receive(
      [&](size_t sessions) {
        out = std::to_string(sessions) + " session(s) of '" + user
              + "' closed\n";
      },
      [&](caf::error& err) {
        out = make_error(errc::timeout, "the router did not take the block: "
                                          + sys.render(err));
      });
  return out;
}

// "drain" or "drain SECONDS" (0-86400): the grace before open sessions
// end, in `close_after`.
bool parse_drain(const std::string& command,
                 std::optional<uint32_t>& close_after) {
  close_after.reset();
  if (command == "drain")
    return true;
  const std::string prefix = "drain ";
  if (command.compare(0, prefix.size(), prefix) != 0
      || command.size() == prefix.size() || command.size() > prefix.size() + 5)
    return false;
  uint32_t s = 0;
  for (auto c : command.substr(prefix.size())) {
    if (c < '0' || c > '9')
      return false;
    s = s * 10 + static_cast<uint32_t>(c - '0');
  }
  if (s > 86400)
    return false;
  close_after = s;
  return true;
}

} // namespace

caf::error start_router_channel(caf::actor_system& sys, const std::string& data,
                                router_actor router, caf::actor listener) {
  return serve(socket_path(data),
               [&sys, router, listener](const std::string& command)
                 -> caf::expected<std::string> {
                 if (command == "sessions")
                   return sessions(sys, router);
                 if (std::optional<uint32_t> grace;
                     parse_drain(command, grace))
                   return drain(sys, listener, grace);
                 if (command.compare(0, 6, "block ") == 0) {
                   auto user = command.substr(6);
                   if (!protocol::valid_username(user))
                     return make_error(errc::invalid_username,
                                       "'" + user
                                         + "' is not a valid username");
                   return block(sys, router, user);
                 }
                 return make_error(errc::bad_encoding,
                                   "the router knows no admin command '"
                                     + command + "'");
               });
}

} // namespace courier::admin
