#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/sqlite.hpp"

namespace courier::bank {

/// The account that issued money is drawn from; '@' keeps it apart from
/// every username.
constexpr const char* issuance_account = "@issuance";

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

/// The outcome of a committed transfer.
struct transfer_receipt {
  std::string transfer_id;
  std::string kind;
  std::string from;
  std::string to;
  int64_t amount_minor = 0;
  int64_t balance_minor = 0; ///< requester's balance after (issue: the
                             ///< credited account's)
  uint64_t seq = 0;          ///< ledger sequence number
  int64_t ts = 0;            ///< commit time, ms since the epoch
  bool replayed = false;     ///< the first result, returned again
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transfer_receipt& x) {
  return f(caf::meta::type_name("transfer_receipt"), x.transfer_id, x.kind,
           x.from, x.to, x.amount_minor, x.balance_minor, x.seq, x.ts,
           x.replayed);
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

/// A double-entry ledger on SQLite. Every transfer is one row plus two
/// postings (a debit and a credit that sum to zero) and two balance updates.
/// The caller groups calls into transactions with begin/commit.
class ledger {
public:
  /// Opens (creating) the ledger at `path`; ":memory:" for tests.
  static caf::expected<ledger> open(const std::string& path);

  caf::error begin();
  caf::error commit();
  void rollback();

  /// Opens an account bound to the key fingerprint that signed the order;
  /// an existing account is returned as it is (`errc::not_permitted` if
  /// it belongs to another key). `created` says which.
  caf::expected<int64_t> open_account(const std::string& user,
                                      const std::string& key_fp, bool& created);

  /// The key fingerprint an account was opened with (`unknown_account`).
  caf::expected<std::string> account_key(const std::string& user);

  /// Lets an account go below zero (operator configuration).
  caf::error allow_overdraft(const std::string& user, bool allow);

  /// Applies one order inside the current transaction. A "transfer" must
  /// be signed by the key its `from` account was opened with. A refused order
  /// writes nothing. A known transfer_id returns the first receipt (same
  /// content) or `conflicting_order` (different content).
  caf::expected<transfer_receipt> apply(const transfer_order& order,
                                        int64_t now_ms);

  caf::expected<int64_t> balance(const std::string& user);

  /// Newest first, only entries with seq < `before` (0: from the newest).
  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, uint32_t limit, uint64_t before);

  /// Checks the books; never changes them.
  caf::expected<audit_report> audit();

private:
  caf::expected<transfer_receipt> replay(const transfer_order& order);
  caf::error prepare_hot_path();

  database db_;
  // Prepared once: apply() runs them thousands of times per second.
  // Declared after db_ so they are finalized before it closes.
  statement seen_;
  statement lookup_;
  statement insert_;
  statement post_;
  statement update_;
};

} // namespace courier::bank
