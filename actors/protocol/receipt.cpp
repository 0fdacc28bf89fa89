#include "actors/protocol/receipt.hpp"

#include <boost/json.hpp>

#include "actors/protocol/json_object.hpp"

namespace courier::bank {

namespace {

namespace json = boost::json;
using protocol::json_object_reader;

constexpr std::string_view context = "receipt: ";

bool is_transfer(const std::string& op) {
  return op == "transfer" || op == "issue";
}

void append_transfer(json::object& obj, const transfer_receipt& t) {
  obj["transfer_id"] = t.transfer_id;
  obj["kind"] = t.kind;
  obj["from"] = t.from;
  obj["to"] = t.to;
  obj["amount_minor"] = t.amount_minor;
  obj["balance_minor"] = t.balance_minor;
  obj["seq"] = t.seq;
  obj["ts"] = t.ts;
  obj["replayed"] = t.replayed;
}

json::object entry_json(const transfer_receipt& t) {
  json::object obj;
  append_transfer(obj, t);
  return obj;
}

// Reads the fields `append_transfer` writes; the caller finishes `r`.
transfer_receipt read_transfer(json_object_reader& r) {
  transfer_receipt t;
  t.transfer_id = r.str("transfer_id");
  t.kind = r.str("kind");
  t.from = r.str("from");
  t.to = r.str("to");
  t.amount_minor = r.int64("amount_minor");
  t.balance_minor = r.int64("balance_minor");
  auto seq = r.int64("seq");
  if (seq < 0)
    r.wrong_type("seq");
  t.seq = static_cast<uint64_t>(seq);
  t.ts = r.int64("ts");
  t.replayed = r.boolean("replayed");
  return t;
}

caf::expected<std::vector<transfer_receipt>>
read_entries(json_object_reader& r) {
  std::vector<transfer_receipt> out;
  auto* arr = r.array("entries", max_history_entries);
  if (arr == nullptr)
    return r.error();
  for (const auto& v : *arr) {
    if (!v.is_object())
      return make_error(errc::bad_envelope,
                        std::string{context} + "an entry must be an object");
    json_object_reader e{v.get_object(), errc::bad_envelope, context};
    out.push_back(read_transfer(e));
    if (auto err = e.finish())
      return err;
  }
  return out;
}

// Reads what follows `ok` for `x.op`.
caf::error read_body(json_object_reader& r, receipt& x) {
  if (!x.ok) {
    x.code = errc_from_string(std::string{r.str("code")});
    x.message = r.str("message");
  } else if (is_transfer(x.op)) {
    x.transfer = read_transfer(r);
  } else if (x.op == "open_account" || x.op == "balance") {
    x.user = r.str("user");
    x.balance_minor = r.int64("balance_minor");
    if (x.op == "open_account")
      x.created = r.boolean("created");
  } else if (x.op == "history") {
    x.user = r.str("user");
    auto entries = read_entries(r);
    if (!entries)
      return entries.error();
    x.entries = std::move(*entries);
  } else {
    return make_error(errc::unknown_type,
                      std::string{context} + "op '" + x.op + "'");
  }
  return r.finish();
}

} // namespace

std::string make_receipt(const receipt& r) {
  json::object obj{{"bank", order_version}, {"type", "receipt"},
                   {"re", r.re},            {"op", r.op},
                   {"ok", r.ok}};
  if (!r.ok) {
    obj["code"] = to_string(r.code);
    obj["message"] = r.message;
  } else if (is_transfer(r.op)) {
    append_transfer(obj, r.transfer);
  } else if (r.op == "history") {
    obj["user"] = r.user;
    json::array arr;
    for (auto& e : r.entries)
      arr.push_back(entry_json(e));
    obj["entries"] = std::move(arr);
  } else {
    obj["user"] = r.user;
    obj["balance_minor"] = r.balance_minor;
    if (r.op == "open_account")
      obj["created"] = r.created;
  }
  return json::serialize(obj);
}

std::string make_entry(const transfer_receipt& t) {
  return json::serialize(entry_json(t));
}

caf::expected<receipt> parse_receipt(const std::string& text) {
  auto obj = protocol::parse_json_object(
    text, errc::bad_envelope, context,
    protocol::json_limits{max_receipt_size, 8});
  if (!obj)
    return std::move(obj.error());
  json_object_reader r{*obj, errc::bad_envelope, context};
  auto version = r.int64("bank");
  if (r.ok() && version != order_version)
    return make_error(errc::unsupported_version, "receipt version");
  if (r.str("type") != "receipt" && r.ok())
    return make_error(errc::unknown_type, std::string{context} + "not a receipt");
  receipt x;
  x.re = r.str("re");
  x.op = r.str("op");
  x.ok = r.boolean("ok");
  if (!r.ok())
    return r.error();
  if (auto err = read_body(r, x))
    return err;
  return x;
}

} // namespace courier::bank
