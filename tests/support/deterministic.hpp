#pragma once

// A fixture whose actors run on CAF's deterministic test coordinator: nothing
// runs until the test runs the scheduler, and delayed messages wait until the
// test moves the clock. What would take a wall-clock wait on the threaded
// scheduler (a commit window, a backoff, "nothing more arrives") becomes a
// run to idle.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/config/node_config.hpp"
#include "tests/support/inbox.hpp"

namespace courier::test {

/// Courier's config on the test coordinator; the middleman that
/// base_config loads gets no threads of its own either.
class deterministic_config : public base_config {
public:
  deterministic_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    set("middleman.network-backend", caf::atom("testing"));
    set("middleman.manual-multiplexing", true);
    set("middleman.workers", size_t{0});
    set("middleman.heartbeat-interval", caf::timespan{0});
  }
};

/// An actor system on the test coordinator and a mailbox actor that stands
/// for the test: what the test sends comes from it, and every answer, error
/// and down message it gets is kept, in arrival order, for `take`.
class deterministic_fixture : public ::testing::Test {
protected:
  using coordinator = caf::scheduler::test_coordinator;

  void SetUp() override {
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<coordinator&>(sys_->scheduler());
    got_ = std::make_shared<std::vector<caf::message>>();
    mailbox_ = sys_->spawn([got = got_](caf::event_based_actor* self) {
      self->set_default_handler(
        [got](caf::scheduled_actor*,
              caf::message_view& x) -> caf::result<caf::message> {
          got->push_back(x.copy_content_to_message());
          return caf::message{};
        });
      self->set_down_handler(
        [got](caf::down_msg& dm) { got->push_back(caf::make_message(dm)); });
      // An error answer to a plain send arrives as an error message, which
      // would otherwise end this actor.
      self->set_error_handler(
        [got](caf::error& err) { got->push_back(caf::make_message(err)); });
      // Everything else goes to the default handler; a behavior keeps the
      // actor alive.
      return caf::behavior{[got](caf::error& err) {
        got->push_back(caf::make_message(std::move(err)));
      }};
    });
    run();
  }

  void TearDown() override {
    for (auto& a : tracked_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    tracked_.clear();
    caf::anon_send_exit(mailbox_, caf::exit_reason::kill);
    mailbox_ = nullptr;
    release_handles();
    run();
    // An actor still waiting for an answer that never comes must not hang
    // the shutdown: nothing runs without the test anyway.
    sys_->await_actors_before_shutdown(false);
    sys_.reset();
  }

  /// Drops the fixture's strong handles before the system goes.
  virtual void release_handles() {
  }

  /// Kills `a` when the test ends.
  void track(caf::actor_addr a) {
    tracked_.push_back(std::move(a));
  }

  /// Kills an actor and runs until it is gone.
  void kill_and_run(const caf::actor_addr& addr) {
    caf::anon_send_exit(addr, caf::exit_reason::kill);
    run();
  }

  /// The test's mailbox actor, for actors that report to the test.
  caf::actor mailbox() const {
    return mailbox_;
  }

  /// Sends `xs` to `dest` from the test's mailbox actor, so that the answer
  /// comes back to it. Nothing runs yet.
  template <class Dest, class... Ts>
  void send(const Dest& dest, Ts&&... xs) {
    caf::send_as(mailbox_, dest, std::forward<Ts>(xs)...);
  }

  /// Runs every actor until no message is left; returns the jobs run.
  size_t run() {
    return sched_->run();
  }

  /// Runs to idle, then takes the first kept message matching `pred`.
  std::optional<caf::message> take(const predicate& pred) {
    run();
    for (auto it = got_->begin(); it != got_->end(); ++it) {
      if (pred(*it)) {
        auto msg = std::move(*it);
        got_->erase(it);
        return msg;
      }
    }
    return std::nullopt;
  }

  /// Sends `xs` to `dest`, runs to idle and takes the answer: the first
  /// message the mailbox got since (a value or a caf::error).
  template <class Dest, class... Ts>
  std::optional<caf::message> call(const Dest& dest, Ts&&... xs) {
    auto before = got_->size();
    send(dest, std::forward<Ts>(xs)...);
    run();
    if (got_->size() <= before)
      return std::nullopt;
    auto msg = std::move((*got_)[before]);
    got_->erase(got_->begin() + static_cast<std::ptrdiff_t>(before));
    return msg;
  }

  deterministic_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  coordinator* sched_ = nullptr;

private:
  std::shared_ptr<std::vector<caf::message>> got_;
  caf::actor mailbox_;
  std::vector<caf::actor_addr> tracked_;
};

} // namespace courier::test
