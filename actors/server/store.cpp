#include "actors/server/store.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/common/clock.hpp"
#include "actors/common/error.hpp"
#include "actors/common/telemetry.hpp"

namespace courier {

namespace {

/// Puts committed in one transaction at most.
constexpr size_t max_batch = 4096;

struct pending_put {
  std::string to;
  stored_message msg;
  caf::typed_response_promise<stored_message> promise;
  bool quota = false; ///< whether the recipient's quota applies
  caf::error refused; ///< set when the commit found the quota full
};

/// What waits for one recipient: committed rows plus pending puts.
struct usage {
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

/// The queue in a router's own SQLite database.
class sqlite_queue_backend : public queue_backend {
public:
  explicit sqlite_queue_backend(std::shared_ptr<database> db)
    : db_(std::move(db)) {
    auto prep = [&](const char* sql) {
      auto stmt = db_->prepare(sql);
      if (!stmt)
        throw std::runtime_error(to_string(stmt.error()));
      return std::move(*stmt);
    };
    insert_ = prep("INSERT INTO queue(seq, recipient, sender, blob, ts)"
                   " VALUES(?1, ?2, ?3, ?4, ?5)");
    remove_ = prep("DELETE FROM queue WHERE recipient = ?1 AND seq = ?2"
                   " RETURNING length(blob)");
    select_ = prep("SELECT seq, sender, blob, ts FROM queue"
                   " WHERE recipient = ?1 AND seq > ?2 AND ts >= ?4"
                   " ORDER BY seq LIMIT ?3");
    purge_ = prep("DELETE FROM queue WHERE seq IN (SELECT seq FROM queue"
                  " WHERE ts < ?1 ORDER BY ts LIMIT ?2)"
                  " RETURNING recipient, length(blob)");
  }

  caf::error begin() override {
    return db_->exec("BEGIN IMMEDIATE");
  }

  caf::error commit() override {
    return db_->exec("COMMIT");
  }

  void rollback() override {
    db_->exec("ROLLBACK");
  }

  caf::error insert(const std::string& to, stored_message& msg) override {
    if (msg.seq != 0)
      insert_.bind(1, static_cast<int64_t>(msg.seq));
    else
      insert_.bind_null(1);
    insert_.bind(2, to).bind(3, msg.from);
    insert_.bind_blob(4, msg.blob.data(), msg.blob.size());
    insert_.bind(5, msg.ts);
    if (auto err = insert_.run())
      return err;
    msg.seq = static_cast<uint64_t>(db_->last_insert_id());
    return caf::none;
  }

  caf::expected<std::optional<uint64_t>>
  remove(const std::string& to, uint64_t seq) override {
    remove_.bind(1, to).bind(2, static_cast<int64_t>(seq));
    auto row = remove_.step();
    std::optional<uint64_t> bytes;
    if (row && *row)
      bytes = static_cast<uint64_t>(remove_.int_at(0));
    remove_.reset();
    if (!row)
      return std::move(row.error());
    return bytes;
  }

  caf::expected<std::vector<stored_message>>
  fetch(const std::string& to, uint64_t after, uint32_t limit,
        int64_t cutoff) override {
    select_.bind(1, to).bind(2, static_cast<int64_t>(after));
    select_.bind(3, static_cast<int64_t>(limit));
    select_.bind(4, cutoff);
    std::vector<stored_message> rows;
    for (;;) {
      auto row = select_.step();
      if (!row) {
        select_.reset();
        return std::move(row.error());
      }
      if (!*row)
        break;
      rows.push_back({static_cast<uint64_t>(select_.int_at(0)),
                      select_.text_at(1), select_.blob_at(2),
                      select_.int_at(3)});
    }
    select_.reset();
    return rows;
  }

  caf::expected<std::vector<std::pair<std::string, uint64_t>>>
  purge(int64_t cutoff, uint32_t batch) override {
    purge_.bind(1, cutoff).bind(2, static_cast<int64_t>(batch));
    std::vector<std::pair<std::string, uint64_t>> gone;
    for (;;) {
      auto row = purge_.step();
      if (!row) {
        purge_.reset();
        return std::move(row.error());
      }
      if (!*row)
        break;
      gone.emplace_back(purge_.text_at(0),
                        static_cast<uint64_t>(purge_.int_at(1)));
    }
    purge_.reset();
    return gone;
  }

  caf::error
  each_queue(const std::function<void(const std::string&, uint64_t,
                                      uint64_t)>& f) override {
    auto stmt = db_->prepare("SELECT recipient, COUNT(*), SUM(length(blob))"
                             " FROM queue GROUP BY recipient");
    if (!stmt)
      return std::move(stmt.error());
    return stmt->each_row([&](statement& r) {
      f(r.text_at(0), static_cast<uint64_t>(r.int_at(1)),
        static_cast<uint64_t>(r.int_at(2)));
    });
  }

  caf::expected<uint64_t> max_seq() override {
    auto stmt = db_->prepare("SELECT COALESCE(MAX(seq), 0) FROM queue");
    if (!stmt)
      return std::move(stmt.error());
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    return *row ? static_cast<uint64_t>(stmt->int_at(0)) : uint64_t{0};
  }

private:
  std::shared_ptr<database> db_;
  statement insert_;
  statement remove_;
  statement select_;
  statement purge_;
};

} // namespace

std::shared_ptr<queue_backend> sqlite_queue(std::shared_ptr<database> db) {
  return std::make_shared<sqlite_queue_backend>(std::move(db));
}

struct store_state {
  std::shared_ptr<queue_backend> db;
  queue_limits limits;
  /// Per recipient with anything queued; entries at zero are erased.
  std::unordered_map<std::string, usage> queued;
  std::vector<pending_put> puts; ///< since the last flush
  std::vector<std::pair<std::string, uint64_t>> drops;
  bool flush_scheduled = false;
  size_t last_written = 0; ///< messages the last flush wrote
  std::chrono::microseconds window{0};
  /// The node's router series and readiness; null without them.
  router_metrics* metrics = nullptr;
  readiness* ready = nullptr;
  static inline const char* name = "store";

  // Tells the node whether the database answers.
  void reachable(bool yes) {
    if (ready)
      ready->set(readiness::store, yes);
  }

  // Writes what is pending (commit_puts), timed and counted, and tells
  // the node whether the database answered.
  caf::error commit(const std::vector<bool>& drop_skip) {
    if (puts.empty()
        && std::count(drop_skip.begin(), drop_skip.end(), false) == 0)
      return caf::none; // nothing to write
    auto start = std::chrono::steady_clock::now();
    auto err = commit_puts(drop_skip);
    reachable(!err);
    if (metrics) {
      metrics->store_commit_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now()
                                      - start)
          .count());
      if (!err)
        metrics->stored.Increment(static_cast<double>(written()));
    }
    return err;
  }

  // Writes `puts`, and the drops not settled otherwise, in one
  // transaction.
  caf::error commit_puts(const std::vector<bool>& drop_skip) {
    if (auto err = db->begin())
      return err;
    // Routers sharing a queue lock recipients as they write to them: all
    // in one order, so two batches never wait for each other in a circle.
    // Each recipient's messages keep their order.
    if (db->shared())
      std::stable_sort(puts.begin(), puts.end(),
                       [](const pending_put& x, const pending_put& y) {
                         return x.to < y.to;
                       });
    for (size_t i = 0; i < puts.size();) {
      auto j = i;
      while (j < puts.size() && puts[j].to == puts[i].to)
        ++j;
      if (auto err = write_group(i, j)) {
        db->rollback();
        return err;
      }
      i = j;
    }
    // Bytes of each deleted row, counted off once the commit holds.
    std::vector<std::pair<std::string, uint64_t>> gone;
    for (size_t i = 0; i < drops.size(); ++i)
      if (!drop_skip[i])
        gone.push_back(drops[i]);
    std::vector<std::optional<uint64_t>> freed;
    if (!gone.empty()) {
      auto sizes = db->remove_all(gone);
      if (!sizes) {
        db->rollback();
        return std::move(sizes.error());
      }
      freed = std::move(*sizes);
    }
    if (auto err = db->commit()) {
      db->rollback();
      return err;
    }
    for (size_t i = 0; i < gone.size(); ++i)
      if (i < freed.size() && freed[i])
        release(gone[i].first, *freed[i]);
    return caf::none;
  }

  /// Writes puts[first, last), all to one recipient, in one call. A shared
  /// queue checks the quota here, under the recipient's lock, against what
  /// every router wrote: the puts that do not fit are refused, not written.
  caf::error write_group(size_t first, size_t last) {
    const auto& to = puts[first].to;
    std::optional<usage> u;
    if (db->shared()
        && std::any_of(puts.begin() + first, puts.begin() + last,
                       [](const pending_put& p) { return p.quota; })) {
      auto in_db = db->lock_usage(to);
      if (!in_db)
        return std::move(in_db.error());
      u = usage{in_db->first, in_db->second};
    }
    std::vector<stored_message*> msgs;
    msgs.reserve(last - first);
    for (auto i = first; i < last; ++i) {
      auto& p = puts[i];
      auto size = p.msg.blob.size();
      if (u && p.quota && !fits(*u, size)) {
        p.refused = quota_error(to, *u);
        continue;
      }
      if (u) {
        u->messages += 1;
        u->bytes += size;
      }
      msgs.push_back(&p.msg);
    }
    return msgs.empty() ? caf::none : db->insert_all(to, msgs);
  }

  /// The pending puts that the quota did not refuse.
  size_t written() const {
    return static_cast<size_t>(
      std::count_if(puts.begin(), puts.end(),
                    [](const pending_put& p) { return !p.refused; }));
  }

  /// Whether one more message of `size` bytes fits beside `u`.
  bool fits(const usage& u, size_t size) const {
    return (limits.max_messages == 0 || u.messages < limits.max_messages)
           && (limits.max_bytes == 0 || u.bytes + size <= limits.max_bytes);
  }

  /// Whether one more message of `size` bytes fits in `to`'s queue as this
  /// store counts it.
  bool fits(const std::string& to, size_t size) const {
    auto it = queued.find(to);
    return it == queued.end() || fits(it->second, size);
  }

  static caf::error quota_error(const std::string& to, const usage& u) {
    return make_error(errc::quota_exceeded,
                      to + " has " + std::to_string(u.messages)
                        + " messages (" + std::to_string(u.bytes / 1024)
                        + " KiB) waiting");
  }

  void charge(const std::string& to, size_t size) {
    auto& u = queued[to];
    u.messages += 1;
    u.bytes += size;
    if (metrics) {
      metrics->queue_messages.Increment();
      metrics->queue_bytes.Increment(static_cast<double>(size));
    }
  }

  /// One message of `bytes` left `to`'s queue.
  void release(const std::string& to, uint64_t bytes) {
    auto it = queued.find(to);
    if (it == queued.end())
      return;
    auto& u = it->second;
    auto messages = std::min<uint64_t>(u.messages, 1);
    bytes = std::min(u.bytes, bytes);
    u.messages -= messages;
    u.bytes -= bytes;
    if (metrics) {
      metrics->queue_messages.Decrement(static_cast<double>(messages));
      metrics->queue_bytes.Decrement(static_cast<double>(bytes));
    }
    if (u.messages == 0)
      queued.erase(it);
  }

  /// The oldest ts still delivered.
  int64_t cutoff() const {
    if (limits.expiry.count() <= 0)
      return INT64_MIN;
    return now_ms() - static_cast<int64_t>(limits.expiry.count());
  }

  /// Counts what waits for each recipient (once, at start).
  caf::error count_queued() {
    return db->each_queue(
      [this](const std::string& to, uint64_t messages, uint64_t bytes) {
        queued[to] = usage{messages, bytes};
        if (metrics) {
          metrics->queue_messages.Increment(static_cast<double>(messages));
          metrics->queue_bytes.Increment(static_cast<double>(bytes));
        }
      });
  }

  /// Deletes at most one batch of expired messages; returns how many.
  size_t purge_expired() {
    if (limits.expiry.count() <= 0)
      return 0;
    auto gone = db->purge(cutoff(), limits.purge_batch);
    if (!gone)
      return 0; // the next pass tries again
    for (auto& [to, bytes] : *gone)
      release(to, bytes);
    return gone->size();
  }

  // Writes the pending puts and drops and answers every put. An ack in
  // this batch for a put in this batch spares both the insert and the
  // delete.
  void flush() {
    flush_scheduled = false;
    std::vector<bool> drop_skip(drops.size(), false);
    std::unordered_map<uint64_t, size_t> acked;
    for (size_t i = 0; i < drops.size(); ++i)
      acked.emplace(drops[i].second, i);
    std::vector<pending_put> fresh;
    fresh.swap(puts);
    for (auto& p : fresh) {
      auto a = p.msg.seq != 0 ? acked.find(p.msg.seq) : acked.end();
      if (a != acked.end() && drops[a->second].first == p.to
          && !drop_skip[a->second]) {
        drop_skip[a->second] = true;
        release(p.to, p.msg.blob.size());
        p.promise.deliver(std::move(p.msg));
      } else {
        puts.push_back(std::move(p));
      }
    }
    auto err = commit(drop_skip);
    last_written = written();
    for (auto& p : puts) {
      if (err || p.refused) {
        release(p.to, p.msg.blob.size());
        p.promise.deliver(err ? err : p.refused);
      } else {
        p.promise.deliver(std::move(p.msg));
      }
    }
    puts.clear();
    drops.clear();
  }
};

caf::expected<std::shared_ptr<database>> open_store_db(const std::string& path) {
  auto db = database::open(
    path,
    "CREATE TABLE IF NOT EXISTS queue("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " recipient TEXT NOT NULL, sender TEXT NOT NULL,"
    " blob BLOB NOT NULL, ts INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS queue_by_recipient ON queue(recipient, seq);"
    // Expiry finds the oldest rows without a scan.
    "CREATE INDEX IF NOT EXISTS queue_by_ts ON queue(ts);");
  if (!db)
    return db.error();
  return std::make_shared<database>(std::move(*db));
}

store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self,
                                 std::shared_ptr<queue_backend> db,
                                 std::chrono::microseconds window,
                                 queue_limits limits) {
  auto& st = self->state;
  st.db = std::move(db);
  st.window = window;
  st.limits = limits;
  st.metrics = router_metrics_of(self->system());
  if (auto t = telemetry_of(self->system()))
    st.ready = &t->ready;
  if (auto err = st.count_queued())
    throw std::runtime_error(to_string(err));
  // The first purge pass runs as soon as the store starts.
  if (st.limits.expiry.count() > 0)
    self->send(self, tick_atom::value);
  // Commits once the mailbox is drained, or after the window: acks that
  // arrive within it spare both the insert and the delete. A full batch
  // goes at once.
  auto schedule = [self] {
    auto& st = self->state;
    if (st.puts.size() >= max_batch) {
      st.flush();
      return;
    }
    if (st.flush_scheduled)
      return;
    st.flush_scheduled = true;
    if (st.window.count() == 0)
      self->send(self, flush_atom::value);
    else
      self->delayed_send(self, st.window, flush_atom::value);
  };
  return {
    [=](put_atom, std::string& to, stored_message& msg,
        bool quota) -> caf::result<stored_message> {
      auto& st = self->state;
      // A shared queue's quota counts every router's writes: it is
      // checked at the commit, under the recipient's lock.
      if (quota && !st.db->shared() && !st.fits(to, msg.blob.size()))
        return st.quota_error(to, st.queued[to]);
      st.charge(to, msg.blob.size());
      auto rp = self->make_response_promise<stored_message>();
      if (msg.ts == 0)
        msg.ts = now_ms();
      self->state.puts.push_back(
        {std::move(to), std::move(msg), rp, quota, caf::error{}});
      schedule();
      return rp;
    },
    [=](fetch_atom, const std::string& to, uint64_t after,
        uint32_t limit) -> caf::result<std::vector<stored_message>> {
      auto& st = self->state;
      st.flush(); // a fetch must see every put before it
      // Expired: never delivered.
      auto rows = st.db->fetch(to, after, limit, st.cutoff());
      st.reachable(static_cast<bool>(rows));
      if (!rows)
        return std::move(rows.error());
      return std::move(*rows);
    },
    [=](drop_atom, std::string& to, uint64_t seq) {
      self->state.drops.emplace_back(std::move(to), seq);
      schedule();
    },
    [=](flush_atom) { self->state.flush(); },
    [=](tick_atom) {
      auto& st = self->state;
      // A full batch means there may be more: the next pass comes after
      // what waits in the mailbox, not a whole interval later.
      if (st.purge_expired() >= st.limits.purge_batch)
        self->send(self, tick_atom::value);
      else
        self->delayed_send(self, st.limits.purge_interval, tick_atom::value);
    },
    [=](stop_atom) -> size_t {
      self->state.flush();
      return self->state.last_written;
    },
  };
}

uint64_t next_free_seq(queue_backend& db) {
  // Never below the clock in microseconds, so seqs keep growing across
  // restarts even for messages that were delivered without being stored.
  using namespace std::chrono;
  auto clock = static_cast<uint64_t>(
    duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
  uint64_t highest = 0;
  if (auto max = db.max_seq())
    highest = *max;
  return std::max(clock, highest) + 1;
}

uint64_t next_free_seq(database& db) {
  sqlite_queue_backend queue{std::shared_ptr<database>{&db, [](database*) {}}};
  return next_free_seq(queue);
}

store_actor spawn_store(caf::actor_system& sys,
                        std::shared_ptr<queue_backend> db,
                        std::chrono::microseconds window,
                        queue_limits limits) {
  return sys.spawn(store, std::move(db), window, limits);
}

store_actor spawn_store(caf::actor_system& sys, std::shared_ptr<database> db,
                        std::chrono::microseconds window,
                        queue_limits limits) {
  return spawn_store(sys, sqlite_queue(std::move(db)), window, limits);
}

} // namespace courier
