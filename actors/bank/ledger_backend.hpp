#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/bank/transfer.hpp"
#include "actors/protocol/receipt.hpp"

namespace courier::bank {

/// The account that issued money is drawn from; '@' keeps it apart from
/// every username.
constexpr const char* issuance_account = "@issuance";

/// Where a double-entry ledger is stored: SQLite (ledger.hpp, the default)
/// or PostgreSQL (pg_ledger.hpp). Every transfer is one row plus two
/// postings (a debit and a credit that sum to zero) and two balance
/// updates. The caller groups calls into transactions with begin/commit;
/// the ledger actor commits a whole batch of orders at once.
class ledger_backend {
public:
  virtual ~ledger_backend();

  virtual caf::error begin() = 0;
  virtual caf::error commit() = 0;
  virtual void rollback() = 0;

  /// True when an `apply` in the open transaction failed after it had
  /// started writing: the transaction holds part of an order, so it must be
  /// rolled back, never committed. Refusals write nothing and do not tear.
  virtual bool torn() const = 0;

  /// Opens an account bound to the key fingerprint that signed the order;
  /// an existing account is returned as it is (`errc::not_permitted` if
  /// it belongs to another key). `created` says which.
  virtual caf::expected<int64_t>
  open_account(const std::string& user, const std::string& key_fp,
               bool& created)
    = 0;

  /// The key fingerprint an account was opened with (`unknown_account`).
  virtual caf::expected<std::string> account_key(const std::string& user) = 0;

  /// Lets an account go below zero (operator configuration).
  virtual caf::error allow_overdraft(const std::string& user, bool allow) = 0;

  /// Applies one order inside the current transaction. A "transfer" must
  /// be signed by the key its `from` account was opened with. A refused order
  /// writes nothing. Transfer ids are scoped by requester: a known
  /// (requester, transfer_id) returns the first receipt (same content) or
  /// `conflicting_order` (different content).
  virtual caf::expected<transfer_receipt> apply(const transfer_order& order,
                                                int64_t now_ms)
    = 0;

  /// Applies `orders` in turn inside the current transaction, as many
  /// `apply` calls would (an id seen earlier in the batch replays). A
  /// backend may write the batch with a few statements; a failure then
  /// tears the transaction. The default calls `apply` for each.
  virtual std::vector<caf::expected<transfer_receipt>>
  apply_all(const std::vector<transfer_order>& orders, int64_t now_ms);

  virtual caf::expected<int64_t> balance(const std::string& user) = 0;

  /// Newest first, only entries with seq < `before` (0: from the newest).
  virtual caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, uint32_t limit, uint64_t before) = 0;

  /// Checks the books; never changes them.
  virtual caf::expected<audit_report> audit() = 0;
};

/// What a retry must repeat exactly. The requester is part of it (and of
/// the key), so one user's ids say nothing about another's.
std::string order_content(const transfer_order& order);

/// Adds to `rep` a sentence for each thing the audit's counts show wrong.
void describe_problems(audit_report& rep, int64_t postings_sum,
                       int64_t bad_accounts, int64_t bad_transfers,
                       int64_t negative);

/// Opens (creating, migrating) the ledger at `where`: a PostgreSQL
/// connection string (postgresql://..., checked: no password in it) or a
/// SQLite file (":memory:" for tests).
caf::expected<std::unique_ptr<ledger_backend>>
open_ledger(const std::string& where);

} // namespace courier::bank
