#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace courier::bank {

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

} // namespace courier::bank
