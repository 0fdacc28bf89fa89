#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/common/error.hpp"

namespace courier::bank {

/// Version of the order and receipt bodies.
constexpr int order_version = 1;

/// Longest receipt text we read (a history of 100 entries fits easily).
constexpr size_t max_receipt_size = 256 * 1024;

/// Most entries a history receipt holds (an order's `limit` is 1-100).
constexpr size_t max_history_entries = 100;

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

/// What the bank answers an order with: the body of a sealed message from
/// `bank`. JSON: `{"bank":1,"type":"receipt","re":..,"op":..,"ok":..,...}`
/// and then, by case: refused {code,message}; transfer and issue: the
/// transfer's fields; open_account {user,balance_minor,created}; balance
/// {user,balance_minor}; history {user,entries}.
struct receipt {
  std::string re;            ///< msg_id of the order
  std::string op;            ///< the order's type ("unknown" if unparsable)
  bool ok = false;
  errc code = errc::none;    ///< why not, when !ok
  std::string message;       ///< why not, for a person, when !ok
  std::string user;          ///< open_account, balance, history
  int64_t balance_minor = 0; ///< open_account, balance
  bool created = false;      ///< open_account: a new account
  transfer_receipt transfer; ///< transfer, issue
  std::vector<transfer_receipt> entries; ///< history, newest first
};

/// Serializes a receipt; the one place its fields are written.
std::string make_receipt(const receipt& r);

/// The JSON of one transfer, as it appears in a history's `entries`.
std::string make_entry(const transfer_receipt& t);

/// Strict parsing: wrong version or type, a missing, mistyped or unknown
/// field, an unknown op, more than `max_receipt_size` bytes all fail.
caf::expected<receipt> parse_receipt(const std::string& text);

} // namespace courier::bank
