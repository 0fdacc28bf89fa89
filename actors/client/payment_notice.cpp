#include "actors/client/payment_notice.hpp"

#include <boost/json.hpp>

#include "actors/protocol/amount.hpp"

namespace courier {

namespace {

bool valid_transfer_id(const std::string& id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

} // namespace

std::string make_payment_notice(const payment_notice& n) {
  boost::json::object obj;
  obj["v"] = 1;
  obj["type"] = "payment_notice";
  obj["transfer_id"] = n.transfer_id;
  obj["amount_minor"] = n.amount_minor;
  return boost::json::serialize(obj);
}

std::optional<payment_notice> parse_payment_notice(const std::string& body) {
  // Cheap checks first: most bodies are chat text.
  if (body.size() > 256 || body.empty() || body.front() != '{')
    return std::nullopt;
  boost::json::error_code ec;
  auto val = boost::json::parse(body, ec);
  if (ec || !val.is_object())
    return std::nullopt;
  const auto& obj = val.as_object();
  if (obj.size() != 4)
    return std::nullopt;
  auto* v = obj.if_contains("v");
  auto* type = obj.if_contains("type");
  auto* id = obj.if_contains("transfer_id");
  auto* amount = obj.if_contains("amount_minor");
  if (!v || !type || !id || !amount || !v->is_int64() || v->get_int64() != 1
      || !type->is_string() || type->get_string() != "payment_notice"
      || !id->is_string() || !amount->is_int64())
    return std::nullopt;
  payment_notice n{std::string{id->get_string()}, amount->get_int64()};
  if (!valid_transfer_id(n.transfer_id) || n.amount_minor <= 0
      || n.amount_minor > bank::max_amount_minor)
    return std::nullopt;
  return n;
}

} // namespace courier
