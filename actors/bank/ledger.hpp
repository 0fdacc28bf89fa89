#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/bank/ledger_backend.hpp"
#include "actors/bank/transfer.hpp"
#include "actors/common/error.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/protocol/receipt.hpp"

namespace courier::bank {

/// The ledger on SQLite (WAL, synchronous=FULL): the default, in the
/// bank's data folder.
class ledger : public ledger_backend {
public:
  /// Opens (creating) the ledger at `path`; ":memory:" for tests.
  static caf::expected<ledger> open(const std::string& path);

  caf::error begin() override;
  caf::error commit() override;
  void rollback() override;

  bool torn() const override {
    return torn_;
  }

  caf::expected<int64_t> open_account(const std::string& user,
                                      const std::string& key_fp,
                                      bool& created) override;

  caf::expected<std::string> account_key(const std::string& user) override;

  caf::error allow_overdraft(const std::string& user, bool allow) override;

  caf::expected<transfer_receipt> apply(const transfer_order& order,
                                        int64_t now_ms) override;

  caf::expected<int64_t> balance(const std::string& user) override;

  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, uint32_t limit, uint64_t before) override;

  caf::expected<audit_report> audit() override;

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
