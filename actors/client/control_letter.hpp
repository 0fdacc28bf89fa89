#pragma once

#include <optional>
#include <string>

#include "actors/client/client_actor.hpp"

namespace courier {

/// A small letter between two people's clients that is never a message:
/// a read receipt or a typing indicator. It rides in the same session as
/// chat (a letter v3 when there is one), carries no signature of its own,
/// and is never shown or kept in the history. Its letter is marked
/// (`protocol::letter::control`), so a chat text with the same body stays
/// a chat text.
struct control_letter {
  enum class kind { read, typing };
  kind what = kind::read;
  /// read: the newest message of the reader's conversation with the
  /// sender that the reader has seen (a msg_id the sender chose).
  std::string up_to;
};

/// The letter body: {"v":1,"type":"read","up_to":"<msg_id>"} or
/// {"v":1,"type":"typing"}.
std::string make_control_letter(const control_letter& c);

/// The control letter `body` spells, if it is exactly one (strict: no
/// other fields, an `up_to` of 1-64 of [A-Za-z0-9-], at most 128 bytes).
/// Only for bodies of letters marked as control letters: the same text in
/// a chat letter is what a person wrote.
std::optional<control_letter> parse_control_letter(const std::string& body);

/// What `msg` asks, if it is a control letter this client understands;
/// nothing for a chat message whatever its text (and for a control letter
/// of a kind it does not know, which is dropped unseen: `msg.control`).
inline std::optional<control_letter> control_of(const inbound_message& msg) {
  if (!msg.control)
    return std::nullopt;
  return parse_control_letter(msg.body);
}

} // namespace courier
