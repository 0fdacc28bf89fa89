#include "actors/protocol/order.hpp"

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/envelope.hpp"

namespace courier::bank {

namespace {

caf::error bad(std::string what) {
  return make_error(errc::bad_envelope, std::move(what));
}

boost::json::object base(const std::string& re, const std::string& op, bool ok) {
  return {{"bank", order_version}, {"type", "receipt"}, {"re", re},
          {"op", op}, {"ok", ok}};
}

boost::json::object to_json(const transfer_receipt& r) {
  return {{"transfer_id", r.transfer_id}, {"kind", r.kind},
          {"from", r.from},               {"to", r.to},
          {"amount_minor", r.amount_minor}, {"balance_minor", r.balance_minor},
          {"seq", r.seq},                 {"ts", r.ts},
          {"replayed", r.replayed}};
}

} // namespace

bool is_order(const std::string& body) {
  boost::json::error_code ec;
  auto val = boost::json::parse(body, ec);
  return !ec && val.is_object() && val.as_object().contains("bank");
}

caf::expected<order> parse_order(const std::string& body) {
  boost::json::error_code ec;
  auto val = boost::json::parse(body, ec);
  if (ec || !val.is_object())
    return bad("an order must be a JSON object");
  auto& obj = val.as_object();
  auto v = obj.find("bank");
  if (v == obj.end() || !v->value().is_int64())
    return bad("missing 'bank' version");
  if (v->value().get_int64() != order_version)
    return make_error(errc::unsupported_version, "order version");
  auto t = obj.find("type");
  if (t == obj.end() || !t->value().is_string())
    return bad("missing 'type'");
  order o;
  o.type = std::string{t->value().get_string()};
  std::vector<std::string> allowed{"bank", "type"};
  if (o.type == "transfer" || o.type == "issue") {
    allowed.insert(allowed.end(), {"transfer_id", "to", "amount_minor"});
    auto id = obj.find("transfer_id");
    auto to = obj.find("to");
    auto amount = obj.find("amount_minor");
    if (id == obj.end() || !id->value().is_string()
        || id->value().get_string().empty()
        || id->value().get_string().size() > 64)
      return bad("'transfer_id' must be a string of 1-64 characters");
    if (to == obj.end() || !to->value().is_string())
      return bad("missing 'to'");
    if (amount == obj.end() || !amount->value().is_int64())
      return make_error(errc::invalid_amount, "'amount_minor' must be an integer");
    o.transfer_id = std::string{id->value().get_string()};
    o.to = std::string{to->value().get_string()};
    o.amount_minor = amount->value().get_int64();
    if (!protocol::valid_username(o.to))
      return make_error(errc::invalid_username, o.to.substr(0, 40));
    if (o.amount_minor <= 0 || o.amount_minor > max_amount_minor)
      return make_error(errc::invalid_amount, format_amount(o.amount_minor));
  } else if (o.type == "history") {
    allowed.insert(allowed.end(), {"limit", "before"});
    if (auto l = obj.find("limit"); l != obj.end()) {
      if (!l->value().is_int64() || l->value().get_int64() < 1
          || l->value().get_int64() > 100)
        return bad("'limit' must be 1-100");
      o.limit = static_cast<uint32_t>(l->value().get_int64());
    }
    if (auto b = obj.find("before"); b != obj.end()) {
      if (!b->value().is_int64() || b->value().get_int64() < 0)
        return bad("'before' must be a ledger sequence number");
      o.before = static_cast<uint64_t>(b->value().get_int64());
    }
  } else if (o.type != "open_account" && o.type != "balance") {
    return make_error(errc::unknown_type, "order type '" + o.type + "'");
  }
  for (auto& kv : obj)
    if (std::find(allowed.begin(), allowed.end(), std::string{kv.key()})
        == allowed.end())
      return bad("unknown field '" + std::string{kv.key()} + "'");
  return o;
}

std::string make_order(const order& o) {
  boost::json::object obj{{"bank", order_version}, {"type", o.type}};
  if (o.type == "transfer" || o.type == "issue") {
    obj["transfer_id"] = o.transfer_id;
    obj["to"] = o.to;
    obj["amount_minor"] = o.amount_minor;
  } else if (o.type == "history") {
    obj["limit"] = o.limit;
    if (o.before > 0)
      obj["before"] = o.before;
  }
  return boost::json::serialize(obj);
}

std::string make_transfer_receipt(const std::string& re,
                                  const transfer_receipt& r) {
  auto obj = base(re, r.kind, true);
  for (auto& kv : to_json(r))
    obj[kv.key()] = kv.value();
  return boost::json::serialize(obj);
}

std::string make_account_receipt(const std::string& re, const std::string& user,
                                 int64_t balance, bool created) {
  auto obj = base(re, "open_account", true);
  obj["user"] = user;
  obj["balance_minor"] = balance;
  obj["created"] = created;
  return boost::json::serialize(obj);
}

std::string make_balance_receipt(const std::string& re, const std::string& user,
                                 int64_t balance) {
  auto obj = base(re, "balance", true);
  obj["user"] = user;
  obj["balance_minor"] = balance;
  return boost::json::serialize(obj);
}

std::string make_history_receipt(const std::string& re, const std::string& user,
                                 const std::vector<transfer_receipt>& entries) {
  auto obj = base(re, "history", true);
  obj["user"] = user;
  boost::json::array arr;
  for (auto& e : entries)
    arr.push_back(to_json(e));
  obj["entries"] = std::move(arr);
  return boost::json::serialize(obj);
}

std::string make_error_receipt(const std::string& re, const std::string& op,
                               errc code, const std::string& message) {
  auto obj = base(re, op, false);
  obj["code"] = to_string(code);
  obj["message"] = message;
  return boost::json::serialize(obj);
}

} // namespace courier::bank
