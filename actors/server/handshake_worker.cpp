#include "actors/server/handshake_worker.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/common/worker_pool.hpp"

#include "actors/common/error.hpp"

namespace courier {

handshake_worker_actor::behavior_type
handshake_worker(handshake_worker_actor::pointer self,
                 std::shared_ptr<const server_identity> identity,
                 directory_actor directory) {
  return {
    [=](hello_atom, const std::string& text)
      -> caf::result<std::string, handshake_ptr> {
      auto hello = protocol::parse_client_hello(text);
      if (!hello)
        return hello.error();
      auto answer = protocol::answer_hello(*hello, identity->key,
                                           identity->der);
      if (!answer)
        return answer.error();
      auto hs = std::make_shared<handshake_progress>();
      hs->hello = std::move(*hello);
      hs->pending = std::move(answer->second);
      return {std::move(answer->first), std::move(hs)};
    },
    [=](verify_atom, const handshake_ptr& hs,
        const std::string& finish) -> caf::result<bool> {
      if (!hs)
        return make_error(errc::internal, "no handshake to finish");
      if (auto err = protocol::verify_finish(hs->hello, hs->pending, finish))
        return err;
      // The directory answers the session itself: one hop less than
      // answering here and letting the session ask.
      auto& id = hs->hello.identity;
      return self->delegate(directory, register_atom::value, hs->hello.user,
                            std::string{id.begin(), id.end()});
    },
  };
}

handshake_worker_actor
spawn_handshake_pool(caf::actor_system& sys, size_t size,
                     std::shared_ptr<const server_identity> identity,
                     directory_actor directory) {
  return spawn_worker_pool<handshake_worker_actor>(sys, size, handshake_worker,
                                                   std::move(identity),
                                                   std::move(directory));
}

} // namespace courier
