#pragma once

// Fake sessions for router tests: small typed actors that forward what they
// receive to the test's inbox, predicates that pick those messages, and a
// fixture that runs them in a real in-process actor system.

#include <gtest/gtest.h>

#include "tests/support/inbox.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/config/node_config.hpp"
#include "actors/server/router.hpp"

namespace courier::test {

/// How long we wait for something that must arrive.
inline constexpr ms wait_time{3000};

/// How long we watch for something that must not arrive.
inline constexpr ms quiet_time{300};

// -- predicates on what fake sessions forward: (tag, atom, payload...) --------

/// A message the fake session `tag` forwarded: `(tag, Atom, Payload)`.
template <class Atom, class Payload>
predicate forwarded_by(std::string tag) {
  return [tag](const caf::message& m) {
    return m.match_elements<std::string, Atom, Payload>()
           && m.get_as<std::string>(0) == tag;
  };
}

/// A message pushed to the fake session `tag`.
inline predicate delivered_to(std::string tag) {
  return forwarded_by<deliver_atom, stored_message>(std::move(tag));
}

/// The fake session `tag` was kicked (by a newer login).
inline predicate kicked(std::string tag) {
  return forwarded_by<kick_atom, std::string>(std::move(tag));
}

/// The fake session `tag` was told that one of its messages was delivered.
inline predicate told_delivered(std::string tag) {
  return forwarded_by<delivered_atom, uint64_t>(std::move(tag));
}

/// The down message of the monitored actor `addr`.
inline predicate down_of(caf::actor_addr addr) {
  return [addr](const caf::message& m) {
    return m.match_elements<caf::down_msg>()
           && m.get_as<caf::down_msg>(0).source == addr;
  };
}

/// A stand-in for a session: forwards `(tag, atom, payload)` to `sink`.
/// Unlike a real session it stays alive when kicked, so the test can check
/// that nothing more reaches it.
inline session_actor spawn_fake_session(caf::actor_system& sys,
                                        caf::actor sink, std::string tag) {
  return sys.spawn([sink, tag](session_actor::pointer)
                     -> session_actor::behavior_type {
    return {
      [=](resume_atom) { caf::anon_send(sink, tag, resume_atom::value); },
      [=](deadline_atom, uint64_t) {
        caf::anon_send(sink, tag, tick_atom::value);
      },
      [=](deliver_atom, const stored_message& msg) {
        caf::anon_send(sink, tag, deliver_atom::value, msg);
      },
      [=](kick_atom, const std::string& reason) {
        caf::anon_send(sink, tag, kick_atom::value, reason);
      },
      [=](kick_atom, const caf::error& why) {
        caf::anon_send(sink, tag, kick_atom::value, why);
      },
      [=](delivered_atom, uint64_t seq) {
        caf::anon_send(sink, tag, delivered_atom::value, seq);
      },
    };
  });
}

// -- stored messages ------------------------------------------------------------

/// The seqs of `xs`, in order.
inline std::vector<uint64_t> seqs_of(const std::vector<stored_message>& xs) {
  std::vector<uint64_t> out;
  for (auto& x : xs)
    out.push_back(x.seq);
  return out;
}

/// The blobs of `xs`, in order.
inline std::vector<std::string>
blobs_of(const std::vector<stored_message>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.blob);
  return out;
}

/// A router's answer to a send: the seq and whether the recipient had
/// acknowledged it, or the error.
struct send_result {
  uint64_t seq = 0;
  bool delivered = false;
  caf::error err;
};

// -- fixture ----------------------------------------------------------------------

/// An actor system, the test's inbox and the fake sessions that forward to
/// it. Every tracked actor is killed on tear-down.
class fake_session_fixture : public ::testing::Test {
protected:
  void SetUp() override {
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    box_ = std::make_unique<inbox>(*sys_);
  }

  void TearDown() override {
    // Every tracked actor must be gone before the system is: an actor whose
    // exit never ran keeps its state, and routers that know each other as
    // peers then hold each other for ever (LeakSanitizer's report).
    std::vector<caf::actor_addr> dying;
    for (auto& a : spawned_)
      if (auto hdl = caf::actor_cast<caf::actor>(a)) {
        self()->monitor(hdl);
        caf::anon_send_exit(hdl, caf::exit_reason::kill);
        dying.push_back(a);
      }
    for (auto& a : dying)
      EXPECT_TRUE(box_->take(down_of(a), wait_time)) << "actor did not die";
    spawned_.clear();
    release_handles();
    box_.reset();
    sys_.reset();
  }

  /// Drops the handles a derived fixture holds; called on tear-down after
  /// the tracked actors are killed and before the actor system goes.
  virtual void release_handles() {
  }

  /// Kills the actor at `addr` on tear-down.
  void track(caf::actor_addr addr) {
    spawned_.push_back(std::move(addr));
  }

  caf::scoped_actor& self() {
    return box_->self();
  }

  /// A tracked fake session forwarding to the inbox under `tag`.
  session_actor fake_session(const std::string& tag) {
    auto s = spawn_fake_session(*sys_, box_->handle(), tag);
    track(s.address());
    return s;
  }

  /// Requests `xs...` from `hdl` and returns a `Result` with the answer in
  /// `field`, or the error in `err`.
  template <class Result, class T, class Handle, class... Ts>
  Result ask(T Result::*field, const Handle& hdl, Ts&&... xs) {
    Result res;
    self()
      ->request(hdl, wait_time, std::forward<Ts>(xs)...)
      .receive([&](T& x) { res.*field = std::move(x); },
               [&](caf::error& err) { res.err = std::move(err); });
    return res;
  }

  /// Sends a blob through `router` and waits for the answer.
  send_result send_via(const router_actor& router, const std::string& from,
                       const std::string& to, const std::string& blob) {
    send_result res;
    self()
      ->request(router, wait_time, send_atom::value, from, to, blob)
      .receive(
        [&](uint64_t seq, bool delivered) {
          res.seq = seq;
          res.delivered = delivered;
        },
        [&](caf::error& err) { res.err = std::move(err); });
    return res;
  }

  /// The next `n` deliveries to `tag`, in arrival order (fewer on timeout).
  std::vector<stored_message> deliveries(const std::string& tag, size_t n) {
    std::vector<stored_message> out;
    for (size_t i = 0; i < n; ++i) {
      auto m = box_->take(delivered_to(tag), wait_time);
      if (!m)
        break;
      out.push_back(m->get_as<stored_message>(2));
    }
    return out;
  }

  /// Seqs of the deliveries to `tag` that arrive within the quiet time.
  std::vector<uint64_t> stray_deliveries(const std::string& tag) {
    std::vector<uint64_t> out;
    while (auto m = box_->take(delivered_to(tag), quiet_time))
      out.push_back(m->get_as<stored_message>(2).seq);
    return out;
  }

  /// Kills an actor and waits until it is gone.
  void kill_and_wait(const caf::actor_addr& addr) {
    auto hdl = caf::actor_cast<caf::actor>(addr);
    ASSERT_TRUE(hdl);
    self()->monitor(hdl);
    caf::anon_send_exit(hdl, caf::exit_reason::kill);
    ASSERT_TRUE(box_->take(down_of(addr), wait_time)) << "actor did not die";
  }

  base_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<inbox> box_;
  std::vector<caf::actor_addr> spawned_;
};

} // namespace courier::test
