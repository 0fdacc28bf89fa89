#include "actors/common/bank_metrics.hpp"

#include <string>

namespace courier {

bank_metrics::bank_metrics(prometheus::Registry& r)
  : transfers(prometheus::BuildCounter()
                .Name("courier_bank_transfers_total")
                .Help("Transfers and issues committed to the ledger")
                .Register(r)
                .Add({})),
    ledger_commit_seconds(
      prometheus::BuildHistogram()
        .Name("courier_ledger_commit_seconds")
        .Help("Time of one ledger transaction (a group commit of orders)")
        .Register(r)
        .Add({}, prometheus::Histogram::BucketBoundaries{
                   0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                   0.1, 0.25, 0.5, 1, 2.5})),
    ledger_batch_orders(
      prometheus::BuildHistogram()
        .Name("courier_ledger_batch_orders")
        .Help("Transfers and issues in one ledger transaction")
        .Register(r)
        .Add({}, prometheus::Histogram::BucketBoundaries{
                   1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})) {
  auto& family = prometheus::BuildCounter()
                   .Name("courier_bank_orders_total")
                   .Help("Orders answered, by type and result (ok: a "
                         "receipt; refused: a refusal)")
                   .Register(r);
  for (size_t i = 0; i < order_types.size(); ++i)
    for (bool ok : {false, true})
      orders_[i][ok] = &family.Add({{"type", std::string{order_types[i]}},
                                    {"result", ok ? "ok" : "refused"}});
}

prometheus::Counter& bank_metrics::orders(std::string_view type, bool ok) {
  size_t i = 0;
  while (i + 1 < order_types.size() && order_types[i] != type)
    ++i;
  return *orders_[i][ok];
}

} // namespace courier
