#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace courier {

/// Every error Courier reports, from crypto up to the ledger. Values travel
/// inside `caf::error` (category `courier`) and on the wire as `code` strings.
enum class errc : uint8_t {
  none = 0,
  crypto_failure,      ///< an OpenSSL call failed
  bad_key,             ///< a key could not be parsed or has the wrong type
  decrypt_failed,      ///< authentication tag or OAEP padding did not verify
  bad_signature,       ///< a signature did not verify
  bad_encoding,        ///< malformed base64, PEM, DER or JSON
  wrong_passphrase,    ///< a private key could not be unlocked
  io_error,            ///< a file could not be read or written
  bad_frame,           ///< a frame broke the framing rules
  bad_envelope,        ///< an envelope broke the schema
  unknown_type,        ///< an envelope type we do not know
  unsupported_version, ///< a `v` we do not speak
  oversize,            ///< a frame or field over its limit
  invalid_username,    ///< not 1-32 chars of [a-z0-9_.-]
  unknown_user,        ///< no such user in the directory
  username_taken,      ///< the name is bound to another key
  key_changed,         ///< a pinned key no longer matches
  rate_limited,        ///< too many frames per second
  not_authenticated,   ///< the handshake has not completed
  timeout,             ///< an operation took too long
  unreachable,         ///< the peer could not be reached
  storage_failure,     ///< SQLite refused an operation
  duplicate,           ///< already seen
  invalid_amount,      ///< an amount out of range or malformed
  insufficient_funds,  ///< a debit would overdraw the account
  unknown_account,     ///< no account for this user
  account_exists,      ///< the account is already open
  conflicting_order,   ///< same transfer id, different content
  not_permitted,       ///< the requester may not do this
  internal,            ///< a bug: should never be seen
};

/// The stable wire name of a code, e.g. `"username_taken"`.
const char* to_string(errc x);

/// Parses a wire name back; unknown names map to `errc::internal`.
errc errc_from_string(const std::string& name);

/// One sentence a person can read for a code.
const char* describe(errc x);

/// CAF error category for `errc`.
constexpr caf::atom_value errc_category = caf::atom("courier");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), errc_category};
}

inline caf::error make_error(errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), errc_category,
                    caf::make_message(std::move(context))};
}

/// Extracts a Courier code from a CAF error (`internal` for foreign ones,
/// `timeout` for CAF's request timeout, `unreachable` for dead actors).
errc code_of(const caf::error& err);

/// One sentence for a person: the code's description plus any context.
std::string explain(const caf::error& err);

} // namespace courier
