#include "actors/client/crypto_worker.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/common/worker_pool.hpp"

namespace courier {

crypto_worker_actor::behavior_type
crypto_worker(crypto_worker_actor::pointer, std::string owner,
              crypto::key private_key) {
  return {
    [=](seal_atom, const protocol::letter& content,
        const std::vector<protocol::reader>& readers) -> caf::result<std::string> {
      auto blob = protocol::seal_letter(content, private_key, readers);
      if (!blob)
        return blob.error();
      return std::move(*blob);
    },
    [=](open_atom, const std::string& blob, const std::string& from,
        const crypto::key& sender) -> caf::result<protocol::letter> {
      auto opened = protocol::open_letter(blob, owner, from, sender,
                                          private_key);
      if (!opened)
        return opened.error();
      return std::move(*opened);
    },
  };
}

crypto_worker_actor spawn_crypto_pool(caf::actor_system& sys, size_t size,
                                      const std::string& owner,
                                      const crypto::key& private_key) {
  return spawn_worker_pool<crypto_worker_actor>(sys, size, crypto_worker,
                                                owner, private_key);
}

} // namespace courier
