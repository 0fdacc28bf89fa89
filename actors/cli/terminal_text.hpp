#pragma once

#include <string>
#include <string_view>

namespace courier::cli {

/// `text` made safe to print on a terminal: every character that could
/// move the cursor, start a new line, send an escape sequence or reorder
/// what follows is shown as a visible escape instead, so a peer cannot
/// draw a line that looks like it came from someone else. Shown as
/// escapes: C0 controls including tab and newline (`\n`, `\t`, `\x1b`),
/// DEL (`\x7f`), C1 controls (`\u009b`), bidi overrides and isolates
/// (`\u202e`), line and paragraph separators (`\u2028`) and bytes that
/// are not UTF-8 (`\xff`). Everything else, including other UTF-8, is
/// kept as it is.
std::string printable(std::string_view text);

} // namespace courier::cli
