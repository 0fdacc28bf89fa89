#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "actors/client/client_actor.hpp"

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

/// A small letter between two people's clients that is never a message:
/// a read receipt, a typing indicator or a payment notice. It rides in the
/// same session as chat (a letter v3 when there is one), carries no
/// signature of its own, and is never kept in the history as a message.
/// Its letter is marked (`protocol::letter::control`), so a chat text with
/// the same body stays a chat text.
struct control_letter {
  enum class kind { read, typing, payment };
  kind what = kind::read;
  /// read: the newest message of the reader's conversation with the
  /// sender that the reader has seen (a msg_id the sender chose).
  std::string up_to;
  /// payment: what the payer says it paid.
  payment_notice payment;

  static control_letter read(std::string up_to) {
    control_letter c;
    c.up_to = std::move(up_to);
    return c;
  }

  static control_letter typing() {
    control_letter c;
    c.what = kind::typing;
    return c;
  }

  static control_letter paid(payment_notice n) {
    control_letter c;
    c.what = kind::payment;
    c.payment = std::move(n);
    return c;
  }
};

/// The letter body, at most 256 bytes: {"v":1,"type":"read","up_to":
/// "<msg_id>"}, {"v":1,"type":"typing"} or {"v":1,"type":"payment_notice",
/// "transfer_id":"<id>","amount_minor":<n>}.
std::string make_control_letter(const control_letter& c);

/// The control letter `body` spells, if it is exactly one (strict: no
/// other fields, an `up_to` of 1-64 of [A-Za-z0-9-], a transfer id of 1-64
/// of [A-Za-z0-9._-], an amount in range, at most 256 bytes). Only for
/// bodies of letters marked as control letters: the same text in a chat
/// letter is what a person wrote.
std::optional<control_letter> parse_control_letter(const std::string& body);

/// The body of a payment notice (make_control_letter of kind payment).
std::string make_payment_notice(const payment_notice& n);

/// The notice `body` spells, if it is exactly one (parse_control_letter).
std::optional<payment_notice> parse_payment_notice(const std::string& body);

/// What `msg` asks, if it is a control letter this client understands;
/// nothing for a chat message whatever its text (and for a control letter
/// of a kind it does not know, which is dropped unseen: `msg.control`).
inline std::optional<control_letter> control_of(const inbound_message& msg) {
  if (!msg.control)
    return std::nullopt;
  return parse_control_letter(msg.body);
}

} // namespace courier
