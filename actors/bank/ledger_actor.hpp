#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/bank/ledger.hpp"
#include "actors/interfaces.hpp"

namespace courier::bank {

/// Spawns the ledger actor over an opened ledger.
ledger_actor spawn_ledger(caf::actor_system& sys, std::shared_ptr<ledger> books);

} // namespace courier::bank
