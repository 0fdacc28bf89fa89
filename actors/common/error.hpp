#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace courier {

/// Every error Courier reports, from crypto up to the ledger. The values are
/// pinned: they travel between routers as numbers inside `caf::error`
/// (category `courier`), so a code is never renumbered or reused; clients
/// see them as `code` strings. The first ones are `crypto::errc`'s.
enum class errc : uint8_t {
  none = 0,
  crypto_failure = 1, ///< an OpenSSL call failed
  bad_key = 2, ///< a key could not be parsed or has the wrong type
  decrypt_failed = 3, ///< authentication tag or OAEP padding did not verify
  bad_signature = 4, ///< a signature did not verify
  bad_encoding = 5, ///< malformed base64, PEM, DER or JSON
  wrong_passphrase = 6, ///< a private key could not be unlocked
  io_error = 7, ///< a file could not be read or written
  bad_frame = 8, ///< a frame broke the framing rules
  bad_envelope = 9, ///< an envelope broke the schema
  unknown_type = 10, ///< an envelope type we do not know
  unsupported_version = 11, ///< a `v` we do not speak
  oversize = 12, ///< a frame or field over its limit
  invalid_username = 13, ///< not 1-32 chars of [a-z0-9_.-], or starts with . or -
  unknown_user = 14, ///< no such user in the directory
  username_taken = 15, ///< the name is bound to another key
  key_changed = 16, ///< a pinned key no longer matches
  rate_limited = 17, ///< too many frames per second
  not_authenticated = 18, ///< the handshake has not completed
  timeout = 19, ///< an operation took too long
  unreachable = 20, ///< the peer could not be reached
  storage_failure = 21, ///< SQLite refused an operation
  // 22 was `duplicate`, never used: never reuse it.
  invalid_amount = 23, ///< an amount out of range or malformed
  insufficient_funds = 24, ///< a debit would overdraw the account
  unknown_account = 25, ///< no account for this user
  // 26 was `account_exists`, never used: never reuse it.
  conflicting_order = 27, ///< same transfer id, different content
  not_permitted = 28, ///< the requester may not do this
  internal = 29, ///< a bug: should never be seen
  busy = 30, ///< the router is at capacity now; retry, or use another router
  too_many_connections = 31, ///< the source address has its share of connections
  too_many_names = 32, ///< the key holds as many usernames as allowed
  quota_exceeded = 34, ///< the recipient's offline queue is full
  sending_too_fast = 35, ///< the sender spent its message budget
  name_reserved = 38, ///< the name is reserved for another key by the router's configuration
  bank_unverified = 39, ///< the bank's key is not the one configured or trusted
  passphrase_required = 42, ///< a key would be written without a passphrase
  peer_refused = 44, ///< a backbone peer's name does not match its certificate, or is up already
  membership_changed = 45, ///< the configured routers differ from the recorded set
  no_bundle = 46, ///< the user has published no prekeys (send with letters v1)
  bad_store_address = 52, ///< --store is not a PostgreSQL address, or holds a password
  schema_too_new = 53, ///< the store was migrated by a newer Courier
  store_unavailable = 54, ///< PostgreSQL cannot be reached now; retry
  bundle_withdrawn = 57, ///< the router says a peer known to have letters v3 has no bundle
  store_conflict = 58, ///< a name the store binds to another key than the data being migrated
  ledger_unavailable = 59, ///< the bank's PostgreSQL ledger cannot be reached now; retry
  connection_closed = 60, ///< the router closed an idle or slow-to-sign-in connection; retry
  backup_damaged = 61, ///< a backup file is cut short, altered or not one
  backup_too_costly = 62, ///< a backup file asks for more KDF memory or time than allowed
  name_blocked = 63, ///< an operator blocked the name (courier-node admin block)
  node_running = 64, ///< a running node uses the data folder (stop it first)
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
