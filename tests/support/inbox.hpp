#pragma once

// A test's mailbox: a scoped actor whose messages are taken by predicate.

#include <chrono>
#include <deque>
#include <functional>
#include <optional>

#include <caf/all.hpp>

namespace courier::test {

using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

/// Picks the message a test waits for.
using predicate = std::function<bool(const caf::message&)>;

/// A scoped actor whose messages the test takes by predicate, in arrival
/// order; messages that do not match stay stashed for later takes.
class inbox {
public:
  explicit inbox(caf::actor_system& sys) : self_(sys) {
  }

  caf::scoped_actor& self() {
    return self_;
  }

  caf::actor handle() {
    return caf::actor_cast<caf::actor>(self_);
  }

  /// The first message matching `pred`, waiting at most `timeout`.
  std::optional<caf::message> take(const predicate& pred, ms timeout) {
    for (auto it = stash_.begin(); it != stash_.end(); ++it) {
      if (pred(*it)) {
        auto msg = std::move(*it);
        stash_.erase(it);
        return msg;
      }
    }
    auto deadline = steady::now() + timeout;
    for (;;) {
      auto now = steady::now();
      if (now >= deadline)
        return std::nullopt;
      auto left = std::chrono::duration_cast<ms>(deadline - now) + ms{1};
      std::optional<caf::message> got;
      self_->receive(
        [&](caf::down_msg& dm) { got = caf::make_message(std::move(dm)); },
        caf::others >> [&](caf::message_view& x) -> caf::result<caf::message> {
          got = x.copy_content_to_message();
          return caf::message{};
        },
        caf::after(left) >> [] {});
      if (!got)
        continue;
      if (pred(*got))
        return got;
      stash_.push_back(std::move(*got));
    }
  }

private:
  caf::scoped_actor self_;
  std::deque<caf::message> stash_;
};

} // namespace courier::test
