#pragma once

#include <optional>
#include <string>

namespace courier {

/// A small letter between two people's clients that is never a message:
/// a read receipt or a typing indicator. It rides in the same session as
/// chat (a letter v3 when there is one), carries no signature of its own,
/// and is never shown or kept in the history.
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

/// A control letter if `body` is exactly one (strict: no other fields, an
/// `up_to` of 1-64 of [A-Za-z0-9-], at most 128 bytes); anything else is
/// an ordinary message.
std::optional<control_letter> parse_control_letter(const std::string& body);

/// Whether `body` is a control letter (and so stays out of the history).
inline bool is_control_letter(const std::string& body) {
  return parse_control_letter(body).has_value();
}

} // namespace courier
