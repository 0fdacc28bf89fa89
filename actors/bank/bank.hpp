#pragma once

#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/bank/ledger_actor.hpp"
#include "actors/client/client_actor.hpp"

namespace courier::bank {

/// The bank's handler: the listener of the bank's own client, which it
/// also (re)connects when told `connect`.
using bank_actor = listener_actor::extend<caf::reacts_to<connect_atom>>;

/// Spawns the bank's business handler: the listener of the bank's own
/// client actor. It treats messages whose body is an order as orders
/// (ledger, then a receipt sent back as a sealed, signed message) and
/// answers anything else with a short help text. It keeps the client
/// connected, reconnecting with backoff. `operators` maps each operator's
/// name to the fingerprint of their key: only orders from that name signed
/// by that key may issue.
bank_actor spawn_bank(caf::actor_system& sys, client_actor client,
                      ledger_actor books,
                      std::map<std::string, std::string> operators);

/// Whether an order from `user`, signed by the key with fingerprint `fp`,
/// comes from an operator: the name must be one and the key its key.
bool is_operator(const std::map<std::string, std::string>& operators,
                 const std::string& user, const std::string& fp);

/// The help text for a plain chat message to the bank.
extern const char* bank_help;

} // namespace courier::bank
