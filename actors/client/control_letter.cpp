#include "actors/client/control_letter.hpp"

#include <cstring>

#include <boost/json.hpp>

#include "actors/protocol/amount.hpp"

namespace courier {

namespace {

/// The longest body a control letter has.
constexpr size_t max_body = 256;

// Message ids are UUIDs and transfer ids the bank's; anything else could
// only name no message or transfer. `extra` are the allowed punctuation
// besides letters and digits (strchr also finds the terminator: a NUL in
// an id is refused first).
bool valid_id(const boost::json::value* v, const char* extra) {
  if (!v || !v->is_string())
    return false;
  const auto& id = v->get_string();
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || (c != '\0' && std::strchr(extra, c))))
      return false;
  return true;
}

} // namespace

std::string make_control_letter(const control_letter& c) {
  boost::json::object obj;
  obj["v"] = 1;
  switch (c.what) {
    case control_letter::kind::read:
      obj["type"] = "read";
      obj["up_to"] = c.up_to;
      break;
    case control_letter::kind::typing:
      obj["type"] = "typing";
      break;
    case control_letter::kind::payment:
      obj["type"] = "payment_notice";
      obj["transfer_id"] = c.payment.transfer_id;
      obj["amount_minor"] = c.payment.amount_minor;
      break;
  }
  return boost::json::serialize(obj);
}

std::optional<control_letter> parse_control_letter(const std::string& body) {
  // Cheap checks first: most bodies are chat text.
  if (body.size() > max_body || body.empty() || body.front() != '{')
    return std::nullopt;
  boost::json::error_code ec;
  auto val = boost::json::parse(body, ec);
  if (ec || !val.is_object())
    return std::nullopt;
  const auto& obj = val.as_object();
  auto* v = obj.if_contains("v");
  auto* type = obj.if_contains("type");
  if (!v || !type || !v->is_int64() || v->get_int64() != 1
      || !type->is_string())
    return std::nullopt;
  control_letter c;
  const auto& name = type->get_string();
  if (name == "typing" && obj.size() == 2) {
    c.what = control_letter::kind::typing;
    return c;
  }
  if (name == "read" && obj.size() == 3) {
    auto* up_to = obj.if_contains("up_to");
    if (!valid_id(up_to, "-"))
      return std::nullopt;
    c.up_to = std::string{up_to->get_string()};
    return c;
  }
  if (name == "payment_notice" && obj.size() == 4) {
    auto* id = obj.if_contains("transfer_id");
    auto* amount = obj.if_contains("amount_minor");
    if (!valid_id(id, "-_.") || !amount || !amount->is_int64()
        || amount->get_int64() <= 0
        || amount->get_int64() > bank::max_amount_minor)
      return std::nullopt;
    c.what = control_letter::kind::payment;
    c.payment = {std::string{id->get_string()}, amount->get_int64()};
    return c;
  }
  return std::nullopt;
}

std::string make_payment_notice(const payment_notice& n) {
  return make_control_letter(control_letter::paid(n));
}

std::optional<payment_notice> parse_payment_notice(const std::string& body) {
  auto c = parse_control_letter(body);
  if (!c || c->what != control_letter::kind::payment)
    return std::nullopt;
  return std::move(c->payment);
}

} // namespace courier
