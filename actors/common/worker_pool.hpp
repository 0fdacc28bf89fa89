#pragma once

#include <cstddef>

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>

namespace courier {

/// `size` actors spawned from `fun(self, xs...)`, behind one handle of
/// type `Handle` that hands requests to them in turn.
template <class Handle, class F, class... Ts>
Handle spawn_worker_pool(caf::actor_system& sys, size_t size, F fun,
                         Ts... xs) {
  auto factory = [&sys, fun, xs...] {
    return caf::actor_cast<caf::actor>(sys.spawn(fun, xs...));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), size, factory,
                                    caf::actor_pool::round_robin());
  return caf::actor_cast<Handle>(pool);
}

} // namespace courier
