#include "actors/crypto_worker.hpp"

#include <caf/actor_pool.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace courier {

crypto_worker_actor::behavior_type
crypto_worker(crypto_worker_actor::pointer, std::string owner,
              crypto::key private_key) {
  return {
    [=](seal_atom, const crypto::letter& content,
        const std::vector<crypto::reader>& readers) -> caf::result<std::string> {
      auto blob = crypto::seal_letter(content, private_key, readers);
      if (!blob)
        return blob.error();
      return std::move(*blob);
    },
    [=](open_atom,
        const std::string& blob) -> caf::result<crypto::opened_letter> {
      auto opened = crypto::open_letter(blob, owner, private_key);
      if (!opened)
        return opened.error();
      return std::move(*opened);
    },
  };
}

crypto_worker_actor spawn_crypto_pool(caf::actor_system& sys, size_t size,
                                      const std::string& owner,
                                      const crypto::key& private_key) {
  auto factory = [&sys, owner, private_key] {
    return caf::actor_cast<caf::actor>(
      sys.spawn(crypto_worker, owner, private_key));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), size, factory,
                                    caf::actor_pool::round_robin());
  return caf::actor_cast<crypto_worker_actor>(pool);
}

} // namespace courier
