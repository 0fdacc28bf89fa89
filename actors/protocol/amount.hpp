#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace courier::bank {

/// Largest amount one order may move, in minor units (one trillion units).
constexpr int64_t max_amount_minor = 100'000'000'000'000;

/// Parses a positive decimal amount with at most two decimals ("12.5",
/// "12.50", "3") into minor units. Refuses negatives, zero, more than two
/// decimals, signs, exponents, spaces, overflow and anything not a number.
caf::expected<int64_t> parse_amount(const std::string& text);

/// Formats minor units as a decimal with two places ("-3.05").
std::string format_amount(int64_t minor);

} // namespace courier::bank
