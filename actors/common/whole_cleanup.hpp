#pragma once

#include <caf/error.hpp>
#include <caf/execution_unit.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace courier {

/// A stateful broker whose cleanup is the whole one.
///
/// CAF 0.17.6 leaves `scheduled_actor::cleanup` out of a broker's cleanup:
/// an exiting broker keeps its mailbox and its pending request handlers.
/// What arrives after it quit (a late request timeout, a timer, an exit
/// message) then stays in a mailbox nobody reads, and a message or handler
/// that holds the broker keeps it alive for ever: LeakSanitizer saw this
/// for routers (cluster_router_test) and for sessions whose handshake
/// timed out (session_test). Closing the servants is what the broker's own
/// cleanup adds; the scheduled actor's cleanup does the rest.
template <class State, class Base>
class whole_cleanup final : public caf::stateful_actor<State, Base> {
public:
  using super = caf::stateful_actor<State, Base>;
  using super::super;

  bool cleanup(caf::error&& reason, caf::execution_unit* host) override {
    this->close_all();
    return caf::scheduled_actor::cleanup(std::move(reason), host);
  }
};

} // namespace courier
