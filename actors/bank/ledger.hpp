#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/bank/transfer.hpp"
#include "actors/common/error.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/protocol/receipt.hpp"

namespace courier::bank {

/// The account that issued money is drawn from; '@' keeps it apart from
/// every username.
constexpr const char* issuance_account = "@issuance";

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

  /// True when an `apply` in the open transaction failed after it had
  /// started writing: the transaction holds part of an order, so it must be
  /// rolled back, never committed. Refusals write nothing and do not tear.
  bool torn() const { return torn_; }

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
  /// writes nothing. Transfer ids are scoped by requester: a known
  /// (requester, transfer_id) returns the first receipt (same content) or
  /// `conflicting_order` (different content).
  caf::expected<transfer_receipt> apply(const transfer_order& order,
                                        int64_t now_ms);

  caf::expected<int64_t> balance(const std::string& user);

  /// Newest first, only entries with seq < `before` (0: from the newest).
  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, uint32_t limit, uint64_t before);

  /// Checks the books; never changes them.
  caf::expected<audit_report> audit();

private:
  /// What `apply` reads of an account.
  struct account_state {
    int64_t balance = 0;
    bool overdraft = false;
  };

  caf::expected<transfer_receipt> replay(const transfer_order& order);
  caf::expected<account_state> read_account(const std::string& name);
  /// One posting and the balance it leaves.
  caf::error post(int64_t seq, const std::string& account, int64_t delta,
                  int64_t balance_after);
  caf::error prepare_hot_path();
  /// Marks the transaction torn and passes `err` on.
  caf::error tear(caf::error err);

  database db_;
  // Prepared once: apply() runs them thousands of times per second.
  // Declared after db_ so they are finalized before it closes.
  statement seen_;
  statement lookup_;
  statement insert_;
  statement post_;
  statement update_;
  bool torn_ = false;
};

} // namespace courier::bank
