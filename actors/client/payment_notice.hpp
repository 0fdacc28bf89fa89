#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace courier {

/// What a payer's client sends the payee after the bank's receipt: a hint
/// that money came. The payee's app never believes it: it only asks the
/// bank for the balance and history, whose receipts are signed. The bank
/// tells only whoever ordered, so without this the payee would have to
/// ask the bank on a timer.
struct payment_notice {
  std::string transfer_id; ///< the bank's transfer (1-64 of [A-Za-z0-9._-])
  int64_t amount_minor = 0;
};

/// The message body: {"v":1,"type":"payment_notice","transfer_id":...,
/// "amount_minor":...}.
std::string make_payment_notice(const payment_notice& n);

/// A notice if `body` is exactly one (strict: no other fields, sane
/// values, at most 256 bytes); anything else is an ordinary message.
std::optional<payment_notice> parse_payment_notice(const std::string& body);

} // namespace courier
