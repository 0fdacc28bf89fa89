#include "actors/protocol/envelope.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/echo.hpp"
#include "actors/protocol/json_object.hpp"
#include "actors/protocol/limits.hpp"

namespace courier::protocol {

namespace {

enum class kind { string, integer, string_array, object, object_array };

struct field_rule {
  const char* name;
  kind type;
  size_t max_len; ///< for strings: bytes; for arrays: elements
  bool required;
};

struct type_rule {
  std::vector<field_rule> fields;
};

constexpr size_t id_max = 64;
constexpr size_t blob_max = 60 * 1024;
constexpr size_t text_max = 1024;
constexpr size_t key_max = 1024;

// Every type, both directions. Unknown fields are refused so that a
// schema change needs a version bump.
const std::unordered_map<std::string, type_rule>& schema() {
  static const std::unordered_map<std::string, type_rule> rules{
    {"send",
     {{{"to", kind::string, max_username, true},
       {"blob", kind::string, blob_max, true}}}},
    {"receipt",
     {{{"status", kind::string, 16, true}, {"seq", kind::integer, 0, true}}}},
    {"deliver",
     {{{"from", kind::string, max_username, true},
       {"blob", kind::string, blob_max, true},
       {"ts", kind::integer, 0, true}}}},
    {"ack", {{}}},
    // Presence for the names asked about (`users`, at most
    // max_presence_names), answered with those of them online.
    {"presence",
     {{{"users", kind::string_array, max_presence_names, false},
       {"online", kind::string_array, max_presence_names, false}}}},
    {"key_lookup",
     {{{"user", kind::string, max_username, true},
       {"key", kind::string, key_max, false}}}},
    // Prekeys (end-to-end v2): a device publishes its certificate, signed
    // prekey and one-time prekeys (answered with `prekeys_count`); anyone
    // fetches a user's bundle; a device asks how many one-time prekeys it
    // has left. The nested objects are checked by protocol/bundle.hpp.
    {"prekeys_publish",
     {{{"device", kind::object, 0, true},
       {"spk", kind::object, 0, true},
       {"spk_sig", kind::string, 88, true},
       {"opks", kind::object_array, max_publish_prekeys, false}}}},
    {"bundle_fetch",
     {{{"user", kind::string, max_username, true},
       {"bundle", kind::object, 0, false}}}},
    {"prekeys_count", {{{"count", kind::integer, 0, false}}}},
    {"welcome",
     {{{"user", kind::string, max_username, true},
       {"server", kind::string, text_max, true},
       {"new_user", kind::integer, 0, true}}}},
    {"error",
     {{{"code", kind::string, 64, true},
       {"message", kind::string, text_max, true}}}},
  };
  return rules;
}

caf::error bad(errc code, std::string context) {
  return make_error(code, std::move(context));
}

// Checks one field of the type's schema; failures stay in the reader.
void check_field(json_object_reader& r, const field_rule& rule) {
  switch (rule.type) {
    case kind::string:
      if (rule.required)
        r.str(rule.name, rule.max_len);
      else
        r.opt_str(rule.name, rule.max_len);
      return;
    case kind::integer: {
      auto* v = r.field(rule.name, rule.required);
      if (v != nullptr && !v->is_int64() && !v->is_uint64())
        r.wrong_type(rule.name);
      return;
    }
    case kind::object: {
      auto* v = r.field(rule.name, rule.required);
      if (v != nullptr && !v->is_object())
        r.wrong_type(rule.name);
      return;
    }
    case kind::object_array: {
      auto* arr = rule.required ? r.array(rule.name, rule.max_len)
                                : r.opt_array(rule.name, rule.max_len);
      if (arr != nullptr
          && std::any_of(arr->begin(), arr->end(),
                         [](const auto& e) { return !e.is_object(); }))
        r.wrong_type(rule.name);
      return;
    }
    case kind::string_array: {
      auto* arr = rule.required ? r.array(rule.name, rule.max_len)
                                : r.opt_array(rule.name, rule.max_len);
      // The only arrays are lists of usernames.
      if (arr != nullptr
          && std::any_of(arr->begin(), arr->end(), [](const auto& e) {
               return !e.is_string() || e.get_string().size() > max_username;
             }))
        r.wrong_type(rule.name);
      return;
    }
  }
}

} // namespace

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > max_username)
    return false;
  // `..` would leave the data home; `-x` reads as an option in a shell.
  if (name.front() == '.' || name.front() == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '.' || c == '-';
  });
}

const std::string_view envelope::str(std::string_view key) const {
  auto it = fields.find(key);
  if (it == fields.end() || !it->value().is_string())
    return {};
  const auto& s = it->value().get_string();
  return {s.data(), s.size()};
}

int64_t envelope::num(std::string_view key) const {
  auto it = fields.find(key);
  if (it == fields.end())
    return 0;
  if (it->value().is_int64())
    return it->value().get_int64();
  if (it->value().is_uint64())
    return static_cast<int64_t>(it->value().get_uint64());
  return 0;
}

caf::expected<envelope> parse_envelope(std::string_view text) {
  // The value's memory in one block that goes with the envelope: an
  // envelope costs two allocations instead of one per node. The frame
  // layer already caps the size.
  auto obj = parse_json_object(
    text, errc::bad_envelope, {}, json_limits{json_no_limit, 8},
    boost::json::make_shared_resource<boost::json::monotonic_resource>(
      text.size() + 256));
  if (!obj)
    return std::move(obj.error());
  json_object_reader r{*obj, errc::bad_envelope};
  auto v = r.int64("v");
  if (r.ok() && v != envelope_version)
    return bad(errc::unsupported_version, "version " + std::to_string(v));
  std::string type_name{r.str("type")};
  if (!r.ok())
    return r.error();
  std::string id_text;
  if (auto* id = r.field("id", false)) {
    if (!id->is_string() || id->get_string().size() > id_max)
      return bad(errc::bad_envelope, "field 'id' must be a short string");
    id_text = std::string{id->get_string()};
  }
  auto rule = schema().find(type_name);
  if (rule == schema().end())
    return bad(errc::unknown_type, "type '" + echo(type_name) + "'");
  for (const auto& f : rule->second.fields)
    check_field(r, f);
  if (auto err = r.finish())
    return err;
  // Moved by construction, so the fields keep the parser's memory block
  // (assigning across memory resources would copy them).
  return envelope{std::move(type_name), std::move(id_text),
                  boost::json::object{std::move(*obj)}};
}

std::string peek_id(std::string_view text) {
  boost::json::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 8;
  auto val = boost::json::parse(text, ec, {}, opts);
  if (ec || !val.is_object())
    return {};
  auto id = val.as_object().find("id");
  if (id == val.as_object().end() || !id->value().is_string()
      || id->value().get_string().size() > id_max)
    return {};
  return std::string{id->value().get_string()};
}

std::string make_envelope(std::string_view type, std::string_view id,
                          boost::json::object fields) {
  fields["v"] = envelope_version;
  fields["type"] = type;
  if (!id.empty())
    fields["id"] = id;
  return boost::json::serialize(fields);
}

namespace {

bool plain_json_char(char c) {
  return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
}

// The short escape of a character that needs one, or 0 for \u00XX.
char short_escape(unsigned char u) {
  switch (u) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
  }
}

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters that need no escape go in one append.
  for (size_t i = 0; i < s.size();) {
    auto start = i;
    while (i < s.size() && plain_json_char(s[i]))
      ++i;
    out.append(s.data() + start, i - start);
    if (i == s.size())
      break;
    auto u = static_cast<unsigned char>(s[i++]);
    out.push_back('\\');
    if (auto c = short_escape(u)) {
      out.push_back(c);
    } else {
      out.append("u00");
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    }
  }
  out.push_back('"');
}

size_t json_string_size(std::string_view s) {
  size_t n = 2;
  for (char c : s)
    n += plain_json_char(c) ? 1 : short_escape(static_cast<unsigned char>(c)) ? 2 : 6;
  return n;
}

std::string make_deliver_envelope(uint64_t seq, std::string_view from,
                                  std::string_view blob, int64_t ts) {
  std::string out;
  out.reserve(blob.size() + from.size() + 96);
  out.append(R"({"v":)").append(std::to_string(envelope_version));
  out.append(R"(,"type":"deliver","id":")").append(std::to_string(seq));
  out.append(R"(","from":)");
  append_json_string(out, from);
  out.append(R"(,"blob":)");
  append_json_string(out, blob);
  out.append(R"(,"ts":)").append(std::to_string(ts)).push_back('}');
  return out;
}

size_t max_deliver_envelope_size(std::string_view from, std::string_view blob) {
  // The envelope of make_deliver_envelope with its numbers at their
  // longest (20 characters: a uint64_t, or a negative int64_t).
  static const size_t fixed
    = make_deliver_envelope(UINT64_MAX, "", "", INT64_MIN).size() - 4;
  return fixed + json_string_size(from) + json_string_size(blob);
}

std::string make_receipt_envelope(std::string_view id, std::string_view status,
                                  uint64_t seq) {
  std::string out;
  out.reserve(96);
  out.append(R"({"v":)").append(std::to_string(envelope_version));
  out.append(R"(,"type":"receipt")");
  if (!id.empty()) {
    out.append(R"(,"id":)");
    append_json_string(out, id);
  }
  out.append(R"(,"status":)");
  append_json_string(out, status);
  out.append(R"(,"seq":)").append(std::to_string(seq)).push_back('}');
  return out;
}

std::string make_error_envelope(std::string_view id, errc code,
                                std::string_view message) {
  // Bounded here as well as at each echo: whatever a caller passes, the
  // answer stays within what clients accept.
  return make_envelope("error", id,
                       {{"code", to_string(code)},
                        {"message", utf8_prefix(message, text_max)}});
}

} // namespace courier::protocol
