#include "actors/protocol/order.hpp"

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/echo.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/json_object.hpp"

namespace courier::bank {

namespace {

caf::error bad(std::string what) {
  return make_error(errc::bad_envelope, std::move(what));
}

// Reads the fields of a transfer or issue into `o`.
caf::error read_transfer(protocol::json_object_reader& r, order& o) {
  auto id = r.field("transfer_id", false);
  if (id == nullptr || !id->is_string() || id->get_string().empty()
      || id->get_string().size() > 64)
    return bad("'transfer_id' must be a string of 1-64 characters");
  o.transfer_id = std::string{id->get_string()};
  o.to = r.str("to");
  auto* amount = r.field("amount_minor", false);
  if (!r.ok())
    return r.error();
  if (amount == nullptr || !amount->is_int64())
    return make_error(errc::invalid_amount, "'amount_minor' must be an integer");
  o.amount_minor = amount->get_int64();
  if (!protocol::valid_username(o.to))
    return make_error(errc::invalid_username, protocol::echo(o.to));
  if (o.amount_minor <= 0 || o.amount_minor > max_amount_minor)
    return make_error(errc::invalid_amount, format_amount(o.amount_minor));
  return caf::none;
}

// Reads the optional paging fields of a history order into `o`.
caf::error read_history(protocol::json_object_reader& r, order& o) {
  auto limit = r.opt_int64("limit");
  if (!r.ok() || (limit && (*limit < 1 || *limit > 100)))
    return bad("'limit' must be 1-100");
  if (limit)
    o.limit = static_cast<uint32_t>(*limit);
  auto before = r.opt_int64("before");
  if (!r.ok() || (before && *before < 0))
    return bad("'before' must be a ledger sequence number");
  if (before)
    o.before = static_cast<uint64_t>(*before);
  return caf::none;
}

} // namespace

bool is_order(const std::string& body) {
  boost::json::error_code ec;
  auto val = boost::json::parse(body, ec);
  return !ec && val.is_object() && val.as_object().contains("bank");
}

caf::expected<order> parse_order(const std::string& body) {
  auto obj = protocol::parse_json_object(body, errc::bad_envelope, "order: ");
  if (!obj)
    return std::move(obj.error());
  protocol::json_object_reader r{*obj, errc::bad_envelope, "order: "};
  auto version = r.int64("bank");
  if (r.ok() && version != order_version)
    return make_error(errc::unsupported_version, "order version");
  order o;
  o.type = r.str("type");
  if (!r.ok())
    return r.error();
  caf::error err;
  if (o.type == "transfer" || o.type == "issue")
    err = read_transfer(r, o);
  else if (o.type == "history")
    err = read_history(r, o);
  else if (o.type != "open_account" && o.type != "balance")
    return make_error(errc::unknown_type, "order type '" + o.type + "'");
  if (err)
    return err;
  if (auto unknown = r.finish())
    return unknown;
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

} // namespace courier::bank
