#include "actors/bank/ledger_actor.hpp"

#include <chrono>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/bank/ledger_backend.hpp"
#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/telemetry.hpp"

namespace courier::bank {

namespace {

struct pending_order {
  transfer_order order;
  caf::typed_response_promise<transfer_receipt> promise;
};

} // namespace

struct ledger_state {
  std::shared_ptr<ledger_backend> books;
  std::vector<pending_order> pending;
  bool flush_scheduled = false;
  /// The node's bank series and readiness; null without them.
  bank_metrics* metrics = nullptr;
  readiness* ready = nullptr;
  static inline const char* name = "ledger";

  // Applies every pending order in one transaction; nobody hears back
  // before the commit, so every receipt is durable.
  void flush() {
    flush_scheduled = false;
    if (pending.empty())
      return;
    auto start = std::chrono::steady_clock::now();
    std::vector<caf::expected<transfer_receipt>> results;
    results.reserve(pending.size());
    auto err = books->begin();
    if (!err) {
      auto ts = now_ms();
      // One call for the batch: PostgreSQL writes it with a few
      // statements instead of a few per order.
      std::vector<transfer_order> orders;
      orders.reserve(pending.size());
      for (auto& p : pending)
        orders.push_back(p.order);
      results = books->apply_all(orders, ts);
      if (books->torn()) {
        books->rollback();
        results = apply_one_by_one(ts);
      } else if ((err = books->commit())) {
        books->rollback();
      }
    }
    count(start, results, err);
    for (size_t i = 0; i < pending.size(); ++i) {
      if (err)
        pending[i].promise.deliver(err);
      else if (results[i])
        pending[i].promise.deliver(std::move(*results[i]));
      else
        pending[i].promise.deliver(results[i].error());
    }
    pending.clear();
  }

  // After a write failed part-way through one order, the batch was rolled
  // back; each order then gets its own transaction, so the failed one is
  // undone alone and the others still commit. A savepoint per order would
  // do the same but halves the ledger's throughput on the path that never
  // fails (BENCHMARKS.md, fourth session); this costs only when it is used.
  std::vector<caf::expected<transfer_receipt>> apply_one_by_one(int64_t ts) {
    std::vector<caf::expected<transfer_receipt>> results;
    results.reserve(pending.size());
    for (auto& p : pending) {
      if (auto err = books->begin()) {
        results.emplace_back(std::move(err));
        continue;
      }
      auto r = books->apply(p.order, ts);
      caf::error err;
      if (books->torn() || (err = books->commit())) {
        books->rollback();
        results.emplace_back(r ? std::move(err) : r.error());
      } else {
        results.push_back(std::move(r));
      }
    }
    return results;
  }

  // Times and counts one flush; a failed begin or commit means the
  // ledger's database does not answer.
  void count(std::chrono::steady_clock::time_point start,
             const std::vector<caf::expected<transfer_receipt>>& results,
             const caf::error& err) {
    if (ready)
      ready->set(readiness::store, !err);
    if (!metrics)
      return;
    metrics->ledger_commit_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
        .count());
    metrics->ledger_batch_orders.Observe(static_cast<double>(pending.size()));
    if (err)
      return;
    for (auto& r : results)
      if (r && !r->replayed)
        metrics->transfers.Increment();
  }

  caf::error check_owner(const std::string& user, const std::string& fp) {
    auto owner = books->account_key(user);
    if (!owner)
      return owner.error();
    if (*owner != fp)
      return make_error(errc::not_permitted,
                        "the order was not signed by the account's key");
    return caf::none;
  }
};

namespace {

ledger_actor::behavior_type
bookkeeper(ledger_actor::stateful_pointer<ledger_state> self,
           std::shared_ptr<ledger_backend> books) {
  self->state.books = std::move(books);
  self->state.metrics = bank_metrics_of(self->system());
  if (auto t = telemetry_of(self->system()))
    self->state.ready = &t->ready;
  return {
    [=](account_atom, const std::string& user,
        const std::string& fp) -> caf::result<int64_t, bool> {
      auto& st = self->state;
      st.flush();
      if (auto err = st.books->begin())
        return err;
      bool created = false;
      auto balance = st.books->open_account(user, fp, created);
      if (!balance) {
        st.books->rollback();
        return balance.error();
      }
      if (auto err = st.books->commit()) {
        st.books->rollback();
        return err;
      }
      return {*balance, created};
    },
    [=](transfer_atom,
        transfer_order& order) -> caf::result<transfer_receipt> {
      auto rp = self->make_response_promise<transfer_receipt>();
      self->state.pending.push_back({std::move(order), rp});
      if (!self->state.flush_scheduled) {
        self->state.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
      return rp;
    },
    [=](balance_atom, const std::string& user,
        const std::string& fp) -> caf::result<int64_t> {
      auto& st = self->state;
      st.flush();
      if (auto err = st.check_owner(user, fp))
        return err;
      auto b = st.books->balance(user);
      if (!b)
        return b.error();
      return *b;
    },
    [=](history_atom, const std::string& user, const std::string& fp,
        uint32_t limit,
        uint64_t before) -> caf::result<std::vector<transfer_receipt>> {
      auto& st = self->state;
      st.flush();
      if (auto err = st.check_owner(user, fp))
        return err;
      auto h = st.books->history(user, limit, before);
      if (!h)
        return h.error();
      return std::move(*h);
    },
    [=](audit_atom) -> caf::result<audit_report> {
      self->state.flush();
      auto rep = self->state.books->audit();
      if (!rep)
        return rep.error();
      return std::move(*rep);
    },
    [=](flush_atom) { self->state.flush(); },
  };
}

} // namespace

ledger_actor spawn_ledger(caf::actor_system& sys,
                          std::shared_ptr<ledger_backend> books) {
  return sys.spawn(bookkeeper, std::move(books));
}

} // namespace courier::bank
