#include "actors/common/fingerprint.hpp"

#include <cctype>

#include "actors/common/error.hpp"
#include "crypto/bytes.hpp"

namespace courier {

std::string normalize_fingerprint(const std::string& fp) {
  std::string out;
  for (char c : fp)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

bool is_fingerprint(const std::string& fp) {
  size_t digits = 0;
  for (char c : fp) {
    if (std::isxdigit(static_cast<unsigned char>(c)))
      ++digits;
    else if (c != ' ' && c != ':')
      return false;
  }
  return digits == 64;
}

bool same_fingerprint(const std::string& a, const std::string& b) {
  auto x = normalize_fingerprint(a);
  auto y = normalize_fingerprint(b);
  return !x.empty() && crypto::equal_ct(x, y);
}

caf::expected<named_fingerprint>
parse_named_fingerprint(const std::string& text, const std::string& option) {
  auto eq = text.find('=');
  auto form = "--" + option + " takes NAME=FINGERPRINT";
  if (eq == std::string::npos || eq == 0)
    return make_error(errc::bad_key, form + ", not '" + text + "'");
  auto fp = text.substr(eq + 1);
  if (!is_fingerprint(fp))
    return make_error(errc::bad_key, form + ": the fingerprint of '"
                                       + text.substr(0, eq)
                                       + "' is not 64 hex digits");
  return named_fingerprint{text.substr(0, eq), normalize_fingerprint(fp)};
}

} // namespace courier
