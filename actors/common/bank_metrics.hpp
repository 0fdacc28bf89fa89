#pragma once

#include <array>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace courier {

/// The bank's Prometheus series, made once before its actors start; the
/// actors keep a pointer to this.
struct bank_metrics {
  explicit bank_metrics(prometheus::Registry& registry);

  bank_metrics(const bank_metrics&) = delete;
  bank_metrics& operator=(const bank_metrics&) = delete;

  /// Order types with a series of their own; anything else is "unknown".
  static constexpr std::array<std::string_view, 6> order_types{
    "open_account", "balance", "history", "transfer", "issue", "unknown"};

  /// The orders of `type` answered with a receipt (`ok`) or a refusal.
  prometheus::Counter& orders(std::string_view type, bool ok);

  /// Transfers and issues committed to the ledger (retries excluded).
  prometheus::Counter& transfers;
  /// One group commit of the ledger, begin to commit.
  prometheus::Histogram& ledger_commit_seconds;
  /// Orders in one group commit.
  prometheus::Histogram& ledger_batch_orders;

private:
  std::array<std::array<prometheus::Counter*, 2>, order_types.size()> orders_{};
};

} // namespace courier
