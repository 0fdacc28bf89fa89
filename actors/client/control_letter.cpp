#include "actors/client/control_letter.hpp"

#include <boost/json.hpp>

namespace courier {

namespace {

// Message ids are UUIDs; anything else could only name no message.
bool valid_msg_id(const std::string& id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

} // namespace

std::string make_control_letter(const control_letter& c) {
  boost::json::object obj;
  obj["v"] = 1;
  if (c.what == control_letter::kind::read) {
    obj["type"] = "read";
    obj["up_to"] = c.up_to;
  } else {
    obj["type"] = "typing";
  }
  return boost::json::serialize(obj);
}

std::optional<control_letter> parse_control_letter(const std::string& body) {
  // Cheap checks first: most bodies are chat text.
  if (body.size() > 128 || body.empty() || body.front() != '{')
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
  if (type->get_string() == "typing" && obj.size() == 2)
    return control_letter{control_letter::kind::typing, {}};
  auto* up_to = obj.if_contains("up_to");
  if (type->get_string() != "read" || obj.size() != 3 || !up_to
      || !up_to->is_string())
    return std::nullopt;
  control_letter c{control_letter::kind::read, std::string{up_to->get_string()}};
  if (!valid_msg_id(c.up_to))
    return std::nullopt;
  return c;
}

} // namespace courier
