#include "actors/cli/terminal_text.hpp"

#include <cstdint>
#include <cstdio>

namespace courier::cli {

namespace {

// Code points that a terminal or a bidi-aware renderer acts on instead of
// drawing: C1 controls, line/paragraph separators, bidi embeddings,
// overrides and isolates.
bool acts_on_display(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029
         || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// Length of the well-formed UTF-8 sequence at the start of `s` and its code
// point, or 0 if it is not one (stray, overlong, surrogate, truncated).
size_t decode_utf8(std::string_view s, uint32_t& cp) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto lead = b(0);
  size_t len = lead >= 0xf0 && lead <= 0xf4 ? 4
               : lead >= 0xe0 && lead < 0xf0  ? 3
               : lead >= 0xc2 && lead < 0xe0  ? 2
                                              : 0;
  if (len == 0 || s.size() < len)
    return 0;
  cp = lead & (0x7f >> len);
  for (size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  bool shortest = (len == 3 && cp >= 0x800) || (len == 4 && cp >= 0x10000)
                  || len == 2;
  bool scalar = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
  return shortest && scalar ? len : 0;
}

void append_hex(std::string& out, const char* format, uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), format, value);
  out += buf;
}

} // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto c = static_cast<unsigned char>(text.front());
    if (c < 0x80) {
      if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c < 0x20 || c == 0x7f)
        append_hex(out, "\\x%02x", c);
      else
        out += static_cast<char>(c);
      text.remove_prefix(1);
      continue;
    }
    uint32_t cp = 0;
    auto len = decode_utf8(text, cp);
    if (len == 0) {
      // Not UTF-8: a lone 0x9b is CSI to an 8-bit terminal.
      append_hex(out, "\\x%02x", c);
      text.remove_prefix(1);
      continue;
    }
    if (acts_on_display(cp))
      append_hex(out, "\\u%04x", cp);
    else
      out.append(text.substr(0, len));
    text.remove_prefix(len);
  }
  return out;
}

} // namespace courier::cli
