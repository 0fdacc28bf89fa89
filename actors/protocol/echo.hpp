#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace courier::protocol {

/// How much of an untrusted string an error message repeats.
constexpr size_t echo_max = 40;

/// What of an untrusted string (a name, a type, an amount) may go into an
/// error message: at most `max` bytes, cut on a character boundary and
/// marked with "..." when cut, with every byte that is not part of valid
/// UTF-8 shown as '?'. The answer is then always valid UTF-8 and short,
/// whatever the input.
std::string echo(std::string_view untrusted, size_t max = echo_max);

/// The longest prefix of `text` of at most `max` bytes that does not end
/// inside a UTF-8 character.
std::string_view utf8_prefix(std::string_view text, size_t max);

} // namespace courier::protocol
