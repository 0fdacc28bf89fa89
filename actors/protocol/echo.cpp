#include "actors/protocol/echo.hpp"

namespace courier::protocol {

namespace {

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the valid UTF-8 character at the start of `s`, or 0 (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t char_length(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto c = b(0);
  if (c < 0x80)
    return 1;
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (n == 0 || s.size() < n)
    return 0;
  for (size_t i = 1; i < n; ++i)
    if (!continuation(b(i)))
      return 0;
  if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)
      || (c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F))
    return 0;
  return n;
}

} // namespace

std::string_view utf8_prefix(std::string_view text, size_t max) {
  if (text.size() <= max)
    return text;
  auto end = max;
  while (end > 0 && continuation(static_cast<unsigned char>(text[end])))
    --end;
  return text.substr(0, end);
}

std::string echo(std::string_view untrusted, size_t max) {
  std::string out;
  out.reserve(std::min(untrusted.size(), max) + 3);
  size_t i = 0;
  while (i < untrusted.size()) {
    auto n = char_length(untrusted.substr(i));
    if (out.size() + (n == 0 ? 1 : n) > max)
      return out.append("...");
    if (n == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(untrusted.data() + i, n);
      i += n;
    }
  }
  return out;
}

} // namespace courier::protocol
