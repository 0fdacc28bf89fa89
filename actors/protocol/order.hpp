#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/receipt.hpp"

namespace courier::bank {

/// The name the bank signs in with.
constexpr const char* bank_user = "bank";

/// Whether letters between `from` and `to` must carry the sender's device
/// signature: orders to the bank and the bank's receipts are proofs for a
/// third party; chat is deniable. The sender signs by this rule, and a
/// receiver drops (the client) or refuses (the bank) what breaks it.
inline bool must_be_signed(const std::string& from, const std::string& to) {
  return from == bank_user || to == bank_user;
}

/// A parsed order: the body of a sealed message to `bank`.
/// JSON: `{"bank":1,"type":T,...}` with T one of open_account, balance,
/// transfer{transfer_id,to,amount_minor}, issue{transfer_id,to,amount_minor},
/// history{limit?,before?}.
struct order {
  std::string type;
  std::string transfer_id;
  std::string to;
  int64_t amount_minor = 0;
  uint32_t limit = 20;
  uint64_t before = 0;
};

/// True if `body` is meant as an order (a JSON object with "bank").
bool is_order(const std::string& body);

/// Strict parsing: unknown type or field, missing or mistyped field,
/// amount out of range, bad username all fail with a code.
caf::expected<order> parse_order(const std::string& body);

/// Serializes an order for sending.
std::string make_order(const order& o);

} // namespace courier::bank
