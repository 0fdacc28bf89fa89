#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "actors/protocol/receipt.hpp"

namespace courier::bank {

/// A request to move money; `kind` is "transfer" or "issue".
struct transfer_order {
  std::string transfer_id; ///< client-chosen, makes retries idempotent
  std::string kind;
  std::string requester;   ///< who signed the order
  std::string key_fp;      ///< fingerprint of the key that signed it
  std::string from;        ///< debited account
  std::string to;          ///< credited account
  int64_t amount_minor = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transfer_order& x) {
  return f(caf::meta::type_name("transfer_order"), x.transfer_id, x.kind,
           x.requester, x.key_fp, x.from, x.to, x.amount_minor);
}

/// What the audit found.
struct audit_report {
  int64_t total_issued = 0;
  int64_t total_balances = 0; ///< over user accounts
  int64_t accounts = 0;
  int64_t transfers = 0;
  std::vector<std::string> problems; ///< empty when the books balance
  bool ok() const { return problems.empty(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_report& x) {
  return f(caf::meta::type_name("audit_report"), x.total_issued,
           x.total_balances, x.accounts, x.transfers, x.problems);
}

} // namespace courier::bank
