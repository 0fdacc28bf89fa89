#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/common/error.hpp"

namespace courier::protocol {

/// No limit on a string's or an array's length.
constexpr size_t json_no_limit = std::numeric_limits<size_t>::max();

/// What untrusted JSON text may cost us.
struct json_limits {
  size_t max_size = 64 * 1024; ///< bytes of text
  int max_depth = 8;           ///< nesting, the top-level object is 1
};

/// Parses `text` into a JSON object. Failures carry `code` ("not JSON: ...",
/// "not a JSON object") or `errc::oversize`, after `context`. The object's
/// memory comes from `sp`, so a caller can keep it in one block.
caf::expected<boost::json::object>
parse_json_object(std::string_view text, errc code, std::string_view context,
                  const json_limits& limits = {},
                  boost::json::storage_ptr sp = {});

/// Reads the fields of one JSON object strictly: every getter records the
/// first failure (missing field, wrong type, over its limit) with the
/// reader's code and the field's name, and `finish` also refuses fields
/// nobody asked for, so a schema change needs a version bump. After a
/// failure getters return empty values; check `finish` before using them.
/// Costs no allocation unless something fails.
class json_object_reader {
public:
  /// Reads `obj`, which must outlive the reader; errors carry `code` and
  /// start with `context` (e.g. "handshake: ").
  json_object_reader(const boost::json::object& obj, errc code,
                     std::string_view context = {});

  /// The field's value, or nullptr if it is absent (recorded as missing
  /// when `required`). Marks the field as known.
  const boost::json::value* field(std::string_view name, bool required);

  /// A required string of at most `max_len` bytes (longer: `oversize`).
  std::string_view str(std::string_view name, size_t max_len = json_no_limit);
  /// An optional string of at most `max_len` bytes.
  std::optional<std::string_view> opt_str(std::string_view name,
                                          size_t max_len = json_no_limit);
  /// A required integer (JSON numbers without fraction that fit int64).
  int64_t int64(std::string_view name);
  /// An optional integer.
  std::optional<int64_t> opt_int64(std::string_view name);
  /// A required boolean.
  bool boolean(std::string_view name);
  /// An optional flag: absent is false, `true` is true, anything else
  /// (`false` too) is refused, so that a flag has one encoding.
  bool flag(std::string_view name);
  /// A required object (nullptr after a failure).
  const boost::json::object* object(std::string_view name);
  /// A required array of at most `max_len` elements (nullptr after a
  /// failure).
  const boost::json::array* array(std::string_view name,
                                  size_t max_len = json_no_limit);
  /// An optional array of at most `max_len` elements.
  const boost::json::array* opt_array(std::string_view name,
                                      size_t max_len = json_no_limit);

  /// Records that `name` has the wrong type (for checks the getters
  /// cannot make).
  void wrong_type(std::string_view name);

  /// True while nothing has failed.
  bool ok() const { return !err_; }
  /// The first failure so far.
  const caf::error& error() const { return err_; }

  /// The first failure, else the first field nobody asked for.
  caf::error finish();

private:
  void fail(errc code, std::string_view before, std::string_view name,
            std::string_view after);
  std::optional<std::string_view> checked_str(const boost::json::value* v,
                                              std::string_view name,
                                              size_t max_len);
  std::optional<int64_t> checked_int64(const boost::json::value* v,
                                       std::string_view name);
  const boost::json::array* checked_array(const boost::json::value* v,
                                          std::string_view name,
                                          size_t max_len);

  /// Objects with more fields than bits here are refused outright.
  static constexpr size_t max_fields = 64;

  const boost::json::object& obj_;
  errc code_;
  std::string_view context_;
  uint64_t asked_ = 0; ///< bit i: field i of obj_ was asked for
  caf::error err_;
};

} // namespace courier::protocol
