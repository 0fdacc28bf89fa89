#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <caf/expected.hpp>

#include "actors/common/error.hpp"

namespace courier::protocol {

/// The only envelope version this build speaks.
constexpr int envelope_version = 1;

/// Longest username; names are 1-32 chars of [a-z0-9_.-], not starting
/// with '.' or '-'.
constexpr size_t max_username = 32;

/// The username rule in one sentence for a person.
constexpr const char* username_rule =
  "usernames are 1-32 characters of a-z 0-9 _ . - and do not start with "
  "'.' or '-'";

/// True for a valid username. A name is also a folder name on clients
/// (`user_dir`), so `.`, `..` and hidden names are refused, and so are
/// names that a command line would read as an option.
bool valid_username(std::string_view name);

/// A parsed, schema-checked envelope: `{v, type, id, ...}`.
struct envelope {
  std::string type;
  std::string id;
  boost::json::object fields; ///< the whole object, already validated

  /// A string field that the schema guarantees is present.
  const std::string_view str(std::string_view key) const;
  /// An integer field that the schema guarantees is present.
  int64_t num(std::string_view key) const;
  /// True if the (optional) field is present.
  bool has(std::string_view key) const { return fields.contains(key); }
};

/// Parses and validates one envelope against the schema of its type.
/// Errors carry the code the peer should see and a short context.
caf::expected<envelope> parse_envelope(std::string_view text);

/// The `id` of a JSON object that failed validation, if it has a usable
/// one, so an error can still name the request it answers.
std::string peek_id(std::string_view text);

/// Serializes `fields` with `v`, `type` and `id` added.
std::string make_envelope(std::string_view type, std::string_view id,
                          boost::json::object fields = {});

/// A `deliver` envelope, written without building a JSON object: it is
/// the one every relayed message needs.
std::string make_deliver_envelope(uint64_t seq, std::string_view from,
                                  std::string_view blob, int64_t ts);

/// The largest `make_deliver_envelope(seq, from, blob, ts)` can be, for any
/// `seq` and `ts`: a router takes a message only if its delivery fits in a
/// frame, or its recipient could never be handed it.
size_t max_deliver_envelope_size(std::string_view from, std::string_view blob);

/// A `receipt` envelope (`id` may be empty).
std::string make_receipt_envelope(std::string_view id, std::string_view status,
                                  uint64_t seq);

/// Appends `s` to `out` as a JSON string: quoted, with quotes, backslashes
/// and control characters escaped, each as short as JSON allows (`\n` is
/// two bytes, as its sender wrote it, not six).
void append_json_string(std::string& out, std::string_view s);

/// How many bytes `append_json_string(out, s)` appends.
size_t json_string_size(std::string_view s);

/// An `error` envelope answering request `id` (may be empty).
std::string make_error_envelope(std::string_view id, errc code,
                                std::string_view message);

} // namespace courier::protocol
