#include "actors/server/handshake_worker.hpp"

#include <deque>
#include <functional>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/common/error.hpp"

namespace courier {

namespace {

/// The pool's front: the workers' interface plus their reports.
using handshake_pool_actor = handshake_worker_actor::extend<
  caf::reacts_to<idle_atom, handshake_worker_actor>>;

caf::error session_gone() {
  return make_error(errc::unreachable, "the session ended");
}

// One worker: parses and answers client hellos with the router's
// identity, and checks finishes, then has `directory` bind the name to
// the key. It tells `pool` after each job that it is free again.
handshake_worker_actor::behavior_type
handshake_worker(handshake_worker_actor::pointer self, handshake_pool_actor pool,
                 std::shared_ptr<const server_identity> identity,
                 directory_actor directory) {
  // Not kept in the behaviour: a worker holding a handle to itself would
  // never be released.
  auto idle = [self, pool] {
    self->send(pool, idle_atom::value,
               caf::actor_cast<handshake_worker_actor>(self));
  };
  auto hello = [=](const std::string& text,
                   const handshake_ref& ref) -> caf::result<std::string> {
    auto hs = ref.lock();
    if (!hs)
      return session_gone();
    auto parsed = protocol::parse_client_hello(text);
    if (!parsed)
      return parsed.error();
    auto answer = protocol::answer_hello(*parsed, identity->key, identity->der);
    if (!answer)
      return answer.error();
    hs->hello = std::move(*parsed);
    hs->pending = std::move(answer->second);
    return std::move(answer->first);
  };
  auto verify = [=](const handshake_ref& ref, const std::string& finish,
                    bool may_create) -> caf::result<bool> {
    auto hs = ref.lock();
    if (!hs)
      return session_gone();
    if (auto err = protocol::verify_finish(hs->hello, hs->pending, finish))
      return err;
    // The directory answers the session itself: one hop less than
    // answering here and letting the session ask.
    auto& id = hs->hello.identity;
    return self->delegate(directory, register_atom::value, hs->hello.user,
                          std::string{id.begin(), id.end()}, may_create,
                          hs->source);
  };
  return {
    [=](hello_atom, const std::string& text, const handshake_ref& ref) {
      auto res = hello(text, ref);
      idle();
      return res;
    },
    [=](verify_atom, const handshake_ref& ref, const std::string& finish,
        bool may_create) {
      auto res = verify(ref, finish, may_create);
      idle();
      return res;
    },
  };
}

/// A job waiting for a worker: hands its request to the worker it gets.
struct handshake_job {
  handshake_ref ref;
  std::function<void(const handshake_worker_actor&)> run;
};

struct handshake_pool_state {
  handshake_pool_limits limits;
  std::deque<handshake_job> queue;
  std::vector<handshake_worker_actor> idle;
  static inline const char* name = "handshake_pool";
};

using pool_ptr = handshake_pool_actor::stateful_pointer<handshake_pool_state>;

// Gives waiting jobs to idle workers; jobs of ended sessions are dropped
// here, before any work.
void dispatch(pool_ptr self) {
  auto& st = self->state;
  while (!st.queue.empty() && !st.idle.empty()) {
    auto job = std::move(st.queue.front());
    st.queue.pop_front();
    if (job.ref.expired())
      continue; // its promise is answered by nobody: the requester is gone
    auto worker = std::move(st.idle.back());
    st.idle.pop_back();
    job.run(worker);
  }
}

// Queues a job, or refuses it when the queue is full.
template <class T, class... Ts>
caf::result<T> enqueue(pool_ptr self, const handshake_ref& ref, Ts... xs) {
  auto& st = self->state;
  if (ref.expired())
    return session_gone();
  if (st.queue.size() >= st.limits.queue && st.idle.empty())
    return make_error(errc::busy, "too many sign-ins at once");
  auto rp = self->make_response_promise<T>();
  st.queue.push_back(handshake_job{
    ref, [rp, xs...](const handshake_worker_actor& worker) mutable {
      rp.delegate(worker, xs...);
    }});
  dispatch(self);
  return rp;
}

handshake_pool_actor::behavior_type
handshake_pool(pool_ptr self, handshake_pool_limits limits,
               std::shared_ptr<const server_identity> identity,
               directory_actor directory) {
  auto& st = self->state;
  st.limits = limits;
  auto me = caf::actor_cast<handshake_pool_actor>(self);
  for (size_t i = 0; i < std::max<size_t>(1, limits.threads); ++i)
    st.idle.push_back(self->spawn<caf::detached + caf::linked>(
      handshake_worker, me, identity, directory));
  return {
    [=](hello_atom, std::string& text,
        handshake_ref& ref) -> caf::result<std::string> {
      return enqueue<std::string>(self, ref, hello_atom::value,
                                  std::move(text), ref);
    },
    [=](verify_atom, handshake_ref& ref, std::string& finish,
        bool may_create) -> caf::result<bool> {
      return enqueue<bool>(self, ref, verify_atom::value, ref,
                           std::move(finish), may_create);
    },
    [=](idle_atom, handshake_worker_actor& worker) {
      self->state.idle.push_back(std::move(worker));
      dispatch(self);
    },
  };
}

} // namespace

handshake_worker_actor
spawn_handshake_pool(caf::actor_system& sys, handshake_pool_limits limits,
                     std::shared_ptr<const server_identity> identity,
                     directory_actor directory) {
  auto pool = sys.spawn(handshake_pool, limits, std::move(identity),
                        std::move(directory));
  return caf::actor_cast<handshake_worker_actor>(pool);
}

} // namespace courier
