#pragma once

#include <caf/actor_system.hpp>
#include <chrono>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/interfaces.hpp"
#include "actors/sqlite.hpp"

namespace courier {

/// Opens the queue database at `path` and creates its schema.
caf::expected<std::shared_ptr<database>> open_store_db(const std::string& path);

/// The first seq a router may hand out: above every seq in the queue and
/// above any it handed out before a restart.
uint64_t next_free_seq(database& db);

/// The durable offline queue. Puts and drops are grouped: everything in
/// the mailbox, or that arrives within `window` of the first put or drop,
/// is committed in one transaction (WAL, synchronous=FULL) before any of
/// them is answered; a put and the drop of the same message in one batch
/// are neither written. A fetch commits what is pending first.
store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<database> db,
                        std::chrono::microseconds window = {});

} // namespace courier
