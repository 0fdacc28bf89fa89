#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/bank/transfer.hpp"
#include "actors/common/atoms.hpp"

namespace courier::bank {

/// The durable ledger (group commit: every order in the mailbox is applied
/// in one transaction, committed before any of them is answered).
/// Requests carry the fingerprint of the key that signed the order; an
/// account only answers to the key it was opened with.
using ledger_actor = caf::typed_actor<
  // Opens (or finds) `user`'s account for key `fp`: balance, created.
  caf::replies_to<account_atom, std::string, std::string>::with<int64_t, bool>,
  // Applies a transfer or issue.
  caf::replies_to<transfer_atom, transfer_order>::with<
    transfer_receipt>,
  // Balance of `user` for key `fp`.
  caf::replies_to<balance_atom, std::string, std::string>::with<int64_t>,
  // History of `user` for key `fp`: limit, before.
  caf::replies_to<history_atom, std::string, std::string, uint32_t,
                  uint64_t>::with<std::vector<transfer_receipt>>,
  // Checks the books.
  caf::replies_to<audit_atom>::with<audit_report>,
  // Internal: commit everything pending.
  caf::reacts_to<flush_atom>>;

class ledger_backend;

/// Spawns the ledger actor over an opened ledger (SQLite or PostgreSQL).
ledger_actor spawn_ledger(caf::actor_system& sys,
                          std::shared_ptr<ledger_backend> books);

} // namespace courier::bank
