#include "actors/protocol/json_object.hpp"

#include <boost/json.hpp>

#include "actors/protocol/echo.hpp"

namespace courier::protocol {

namespace json = boost::json;

caf::expected<json::object>
parse_json_object(std::string_view text, errc code, std::string_view context,
                  const json_limits& limits, json::storage_ptr sp) {
  auto fail = [&](errc c, std::string what) {
    return make_error(c, std::string{context} + what);
  };
  if (text.size() > limits.max_size)
    return fail(errc::oversize, std::to_string(text.size()) + " bytes of JSON");
  json::parse_options opts;
  opts.max_depth = static_cast<size_t>(limits.max_depth);
  // The parser's scratch space lives on the stack: parsing costs only the
  // value's own memory.
  unsigned char scratch[1024];
  json::parser p(std::move(sp), opts, scratch, sizeof(scratch));
  json::error_code ec;
  p.write(text.data(), text.size(), ec);
  if (ec)
    return fail(code, "not JSON: " + ec.message());
  auto val = p.release();
  if (!val.is_object())
    return fail(code, "not a JSON object");
  // Moved by construction, so the object keeps its memory resource.
  return json::object{std::move(val.as_object())};
}

json_object_reader::json_object_reader(const json::object& obj, errc code,
                                       std::string_view context)
  : obj_(obj), code_(code), context_(context) {
  if (obj_.size() > max_fields)
    fail(code_, "too many fields", {}, {});
}

void json_object_reader::fail(errc code, std::string_view before,
                              std::string_view name, std::string_view after) {
  if (err_)
    return; // the first failure is the one to report
  std::string text{context_};
  text.append(before).append(echo(name)).append(after);
  err_ = make_error(code, std::move(text));
}

void json_object_reader::wrong_type(std::string_view name) {
  fail(code_, "field '", name, "' has the wrong type");
}

const json::value* json_object_reader::field(std::string_view name,
                                             bool required) {
  if (err_)
    return nullptr;
  auto it = obj_.find(name);
  if (it == obj_.end()) {
    if (required)
      fail(code_, "missing field '", name, "'");
    return nullptr;
  }
  asked_ |= uint64_t{1} << static_cast<size_t>(it - obj_.begin());
  return &it->value();
}

std::optional<std::string_view>
json_object_reader::checked_str(const json::value* v, std::string_view name,
                                size_t max_len) {
  if (v == nullptr)
    return std::nullopt;
  if (!v->is_string()) {
    wrong_type(name);
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > max_len) {
    fail(errc::oversize, "field '", name, "'");
    return std::nullopt;
  }
  return std::string_view{s.data(), s.size()};
}

std::string_view json_object_reader::str(std::string_view name,
                                         size_t max_len) {
  return checked_str(field(name, true), name, max_len)
    .value_or(std::string_view{});
}

std::optional<std::string_view>
json_object_reader::opt_str(std::string_view name, size_t max_len) {
  return checked_str(field(name, false), name, max_len);
}

std::optional<int64_t>
json_object_reader::checked_int64(const json::value* v, std::string_view name) {
  if (v == nullptr)
    return std::nullopt;
  if (!v->is_int64()) {
    wrong_type(name);
    return std::nullopt;
  }
  return v->get_int64();
}

int64_t json_object_reader::int64(std::string_view name) {
  return checked_int64(field(name, true), name).value_or(0);
}

std::optional<int64_t> json_object_reader::opt_int64(std::string_view name) {
  return checked_int64(field(name, false), name);
}

bool json_object_reader::boolean(std::string_view name) {
  auto* v = field(name, true);
  if (v != nullptr && !v->is_bool())
    wrong_type(name);
  return ok() && v->get_bool();
}

bool json_object_reader::flag(std::string_view name) {
  auto* v = field(name, false);
  if (v == nullptr)
    return false;
  if (!v->is_bool() || !v->get_bool())
    wrong_type(name);
  return ok();
}

const json::object* json_object_reader::object(std::string_view name) {
  auto* v = field(name, true);
  if (v != nullptr && !v->is_object())
    wrong_type(name);
  return ok() ? &v->get_object() : nullptr;
}

const json::array* json_object_reader::checked_array(const json::value* v,
                                                     std::string_view name,
                                                     size_t max_len) {
  if (v == nullptr)
    return nullptr;
  if (!v->is_array()) {
    wrong_type(name);
    return nullptr;
  }
  if (v->get_array().size() > max_len) {
    fail(errc::oversize, "field '", name, "'");
    return nullptr;
  }
  return &v->get_array();
}

const json::array* json_object_reader::array(std::string_view name,
                                             size_t max_len) {
  return checked_array(field(name, true), name, max_len);
}

const json::array* json_object_reader::opt_array(std::string_view name,
                                                 size_t max_len) {
  return checked_array(field(name, false), name, max_len);
}

caf::error json_object_reader::finish() {
  if (err_)
    return err_;
  for (size_t i = 0; i < obj_.size(); ++i)
    if ((asked_ & (uint64_t{1} << i)) == 0) {
      auto key = (obj_.begin() + i)->key();
      fail(code_, "unknown field '", {key.data(), key.size()}, "'");
      break;
    }
  return err_;
}

} // namespace courier::protocol
