#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/common/error.hpp"
#include "actors/server/prekey_store.hpp"
#include "actors/server/stored_message.hpp"

namespace courier {

/// Where the directory keeps its bindings: SQLite (one router) or
/// PostgreSQL (shared by a cluster). The directory actor calls it from its
/// own thread only; one backend per actor.
class directory_backend {
public:
  virtual ~directory_backend() = default;

  /// Whether other routers bind names in the same store: then a name the
  /// directory did not see bound may be bound all the same.
  virtual bool shared() const = 0;

  /// Calls `f` with every binding (name, key).
  virtual caf::error
  each_binding(const std::function<void(const std::string&,
                                        const std::string&)>& f)
    = 0;

  /// The key `user` is bound to; none if the name is free.
  virtual caf::expected<std::optional<std::string>>
  key_of(const std::string& user) = 0;

  /// Binds every (name, key) of `batch` in one transaction. For each: none
  /// if this call bound it, else the key it was bound to already (by
  /// another router; the binding made first stays).
  virtual caf::expected<std::vector<std::optional<std::string>>>
  bind(const std::vector<std::pair<std::string, std::string>>& batch) = 0;

  /// Whether an operator blocked `user` (courier-node admin block): it
  /// may not sign in and gets no new messages. Asked at every sign-in, so
  /// a block in a shared store holds at every router at once.
  virtual caf::expected<bool> blocked(const std::string& user) {
    (void) user;
    return false;
  }

  /// Removes the binding of `user`.
  virtual caf::error unbind(const std::string& user) = 0;

  /// A shared directory: how many names are bound to `key`, by any router
  /// (a directory of one router's own counts its bindings itself).
  virtual caf::expected<uint32_t> names_of(const std::string& key) {
    (void) key;
    return make_error(errc::internal, "no shared count of names per key");
  }

  /// A shared directory: takes one of the `limit` new names that `source`
  /// (an address as the edge counts it, socket.hpp's source_of) may make
  /// in any `window`, counted for every router of the store; false if
  /// none is left. A directory of one router's own counts nothing here:
  /// its edge listener's buckets do.
  virtual caf::expected<bool> take_registration(const std::string& source,
                                                uint32_t limit,
                                                std::chrono::milliseconds window) {
    (void) source;
    (void) limit;
    (void) window;
    return true;
  }

  /// Gives back what take_registration took for a name that was not made.
  virtual caf::error refund_registration(const std::string& source) {
    (void) source;
    return caf::none;
  }

  /// The prekeys of the users' devices, in the same store.
  virtual prekey_store& prekeys() = 0;
};

/// Where the offline queue keeps its messages. Writes happen between
/// begin() and commit() (or rollback()); the store actor is its only user.
class queue_backend {
public:
  virtual ~queue_backend() = default;

  /// Whether other routers write to the same queue: then the store picks
  /// the seq of every message put with seq 0 (see shared_seq_base) and
  /// tells the routers of each write.
  virtual bool shared() const {
    return false;
  }

  virtual caf::error begin() = 0;
  virtual caf::error commit() = 0;
  virtual void rollback() = 0;

  /// Writes `msg` for `to`; a seq of 0 is replaced by one the store picks.
  /// On a shared queue, a transaction writing to several recipients with
  /// seq 0 writes them in the order of their names (each takes a lock).
  virtual caf::error insert(const std::string& to, stored_message& msg) = 0;

  /// Writes `msgs` for `to` in their order, as insert() would one by one;
  /// a backend across a network does it in one round trip.
  virtual caf::error insert_all(const std::string& to,
                                const std::vector<stored_message*>& msgs) {
    for (auto* msg : msgs)
      if (auto err = insert(to, *msg))
        return err;
    return caf::none;
  }

  /// Deletes message `seq` of `to`: the size of its blob, none if there is
  /// no such message.
  virtual caf::expected<std::optional<uint64_t>>
  remove(const std::string& to, uint64_t seq) = 0;

  /// Deletes each (recipient, seq) of `rows`, as remove() would one by
  /// one: the size of each blob, in the order of `rows`.
  virtual caf::expected<std::vector<std::optional<uint64_t>>>
  remove_all(const std::vector<std::pair<std::string, uint64_t>>& rows) {
    std::vector<std::optional<uint64_t>> sizes;
    sizes.reserve(rows.size());
    for (auto& [to, seq] : rows) {
      auto bytes = remove(to, seq);
      if (!bytes)
        return std::move(bytes.error());
      sizes.push_back(*bytes);
    }
    return sizes;
  }

  /// Messages for `to` after `after` with a ts of at least `cutoff`, in
  /// order, at most `limit`.
  virtual caf::expected<std::vector<stored_message>>
  fetch(const std::string& to, uint64_t after, uint32_t limit,
        int64_t cutoff) = 0;

  /// Deletes at most `batch` messages older than `cutoff` (oldest first):
  /// the recipient and blob size of each.
  virtual caf::expected<std::vector<std::pair<std::string, uint64_t>>>
  purge(int64_t cutoff, uint32_t batch) = 0;

  /// Calls `f` with each recipient that has messages: count and bytes.
  virtual caf::error
  each_queue(const std::function<void(const std::string&, uint64_t,
                                      uint64_t)>& f)
    = 0;

  /// The highest seq in the queue (0 if empty).
  virtual caf::expected<uint64_t> max_seq() = 0;

  /// A shared queue, in a transaction: takes `to`'s write lock (held to
  /// the commit, so no other router writes to `to` meanwhile) and returns
  /// how many messages and bytes wait for `to`, written by any router. A
  /// quota checked against it holds across routers. A queue of one
  /// router's own is counted by its store alone.
  virtual caf::expected<std::pair<uint64_t, uint64_t>>
  lock_usage(const std::string& to) {
    return make_error(errc::internal, "no shared count of " + to + "'s queue");
  }
};

} // namespace courier
