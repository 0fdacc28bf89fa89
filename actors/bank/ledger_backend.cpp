#include "actors/bank/ledger_backend.hpp"

#include "actors/bank/ledger.hpp"
#include "actors/bank/pg_ledger.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/postgres/address.hpp"

namespace courier::bank {

ledger_backend::~ledger_backend() {
  // nop
}

std::vector<caf::expected<transfer_receipt>>
ledger_backend::apply_all(const std::vector<transfer_order>& orders,
                          int64_t now_ms) {
  std::vector<caf::expected<transfer_receipt>> out;
  out.reserve(orders.size());
  for (auto& o : orders)
    out.push_back(apply(o, now_ms));
  return out;
}

std::string order_content(const transfer_order& o) {
  return o.requester + "\n" + o.kind + "\n" + o.from + "\n" + o.to + "\n"
         + std::to_string(o.amount_minor);
}

void describe_problems(audit_report& rep, int64_t postings_sum,
                       int64_t bad_accounts, int64_t bad_transfers,
                       int64_t negative) {
  if (rep.total_balances != rep.total_issued)
    rep.problems.push_back("the balances sum to "
                           + format_amount(rep.total_balances) + " but "
                           + format_amount(rep.total_issued) + " was issued");
  if (postings_sum != 0)
    rep.problems.push_back("the postings sum to " + format_amount(postings_sum)
                           + " instead of zero");
  if (bad_accounts > 0)
    rep.problems.push_back(std::to_string(bad_accounts)
                           + " account(s) whose balance differs from the sum"
                             " of their postings");
  if (bad_transfers > 0)
    rep.problems.push_back(std::to_string(bad_transfers)
                           + " transfer(s) without a balanced pair of postings");
  if (negative > 0)
    rep.problems.push_back(std::to_string(negative)
                           + " account(s) below zero without an overdraft");
}

caf::expected<std::unique_ptr<ledger_backend>>
open_ledger(const std::string& where) {
  if (is_postgresql_address(where)) {
    if (auto err = check_postgresql_address(where, "--ledger"))
      return err;
    if (auto err = migrate_pg_ledger(where))
      return err;
    return pg_ledger(where);
  }
  auto books = ledger::open(where);
  if (!books)
    return books.error();
  return std::unique_ptr<ledger_backend>{new ledger(std::move(*books))};
}

} // namespace courier::bank
