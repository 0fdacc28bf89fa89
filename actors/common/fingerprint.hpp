#pragma once

#include <string>

#include <caf/expected.hpp>

namespace courier {

/// Normalizes a fingerprint for comparison: hex digits only, lowercase, so
/// "ABCD ef01 ..." as printed and "abcdef01..." as typed are the same.
std::string normalize_fingerprint(const std::string& fp);

/// Whether `fp` is a whole key fingerprint (SHA-256: 64 hex digits, with
/// any spaces or colons between them).
bool is_fingerprint(const std::string& fp);

/// Compares two fingerprints, normalized, in time independent of where
/// they differ.
bool same_fingerprint(const std::string& a, const std::string& b);

/// A name bound to a key in configuration: `NAME=FINGERPRINT` for
/// operators and reserved usernames, `HOST:PORT=FINGERPRINT` for routers.
struct named_fingerprint {
  std::string name;
  std::string fingerprint; ///< normalized
};

/// Parses `NAME=FINGERPRINT` given to `--option`; the error is a sentence
/// that names the option and the expected form. The name is not checked.
caf::expected<named_fingerprint>
parse_named_fingerprint(const std::string& text, const std::string& option);

} // namespace courier
