#include "actors/common/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "crypto/error.hpp"

namespace courier {

namespace {

// A primitive's error is a Courier error with the same number.
constexpr bool same(crypto::errc x, errc y) {
  return static_cast<uint8_t>(x) == static_cast<uint8_t>(y);
}
static_assert(same(crypto::errc::crypto_failure, errc::crypto_failure)
              && same(crypto::errc::bad_key, errc::bad_key)
              && same(crypto::errc::decrypt_failed, errc::decrypt_failed)
              && same(crypto::errc::bad_signature, errc::bad_signature)
              && same(crypto::errc::bad_encoding, errc::bad_encoding)
              && same(crypto::errc::wrong_passphrase, errc::wrong_passphrase)
              && same(crypto::errc::oversize, errc::oversize)
              && same(crypto::errc::passphrase_required,
                      errc::passphrase_required),
              "crypto::errc values are pinned to courier::errc's");
static_assert(crypto::error_category == errc_category);

/// One row per code, in enumerator order: wire name and description.
struct errc_info {
  errc code;
  const char* name;
  const char* text;
};

// Rows in code order; `internal`, the fallback, comes last.
constexpr errc_info infos[] = {
  {errc::none, "none", "No error occurred."},
  {errc::crypto_failure, "crypto_failure",
   "A cryptographic operation failed."},
  {errc::bad_key, "bad_key",
   "A key could not be parsed or has the wrong type."},
  {errc::decrypt_failed, "decrypt_failed",
   "The data could not be decrypted because it was altered or is not "
   "addressed to this key."},
  {errc::bad_signature, "bad_signature", "A signature did not verify."},
  {errc::bad_encoding, "bad_encoding",
   "The data is not well-formed base64, PEM, DER or JSON."},
  {errc::wrong_passphrase, "wrong_passphrase",
   "The passphrase does not unlock the private key."},
  {errc::io_error, "io_error", "A file could not be read or written."},
  {errc::bad_frame, "bad_frame", "A frame broke the framing rules."},
  {errc::bad_envelope, "bad_envelope",
   "An envelope did not follow the message schema."},
  {errc::unknown_type, "unknown_type",
   "An envelope has a type that is not known."},
  {errc::unsupported_version, "unsupported_version",
   "The data uses a protocol version that is not supported."},
  {errc::oversize, "oversize", "A frame or field is over its size limit."},
  {errc::invalid_username, "invalid_username",
   "A username must be 1 to 32 characters of a-z, 0-9, '_', '.' or '-', "
   "not starting with '.' or '-'."},
  {errc::unknown_user, "unknown_user", "No user with that name exists."},
  {errc::username_taken, "username_taken",
   "That username is already registered with a different key."},
  {errc::key_changed, "key_changed",
   "A key no longer matches the one pinned earlier."},
  {errc::rate_limited, "rate_limited",
   "Too many requests were sent in a short time."},
  {errc::not_authenticated, "not_authenticated",
   "The connection has not completed authentication yet."},
  {errc::timeout, "timeout", "The operation took too long."},
  {errc::unreachable, "unreachable", "The router could not be reached."},
  {errc::storage_failure, "storage_failure",
   "The database refused an operation."},
  {errc::invalid_amount, "invalid_amount",
   "The amount is malformed or out of range."},
  {errc::insufficient_funds, "insufficient_funds",
   "The account does not have enough funds for this debit."},
  {errc::unknown_account, "unknown_account",
   "There is no account for this user."},
  {errc::conflicting_order, "conflicting_order",
   "A transfer with the same id but different content already exists."},
  {errc::not_permitted, "not_permitted",
   "The requester is not permitted to do this."},
  {errc::busy, "busy",
   "The router is too busy to take this connection now; try again shortly "
   "or use another router."},
  {errc::too_many_connections, "too_many_connections",
   "Too many connections come from this address; close some and try "
   "again."},
  {errc::too_many_names, "too_many_names",
   "This key already holds as many usernames as the router allows; sign in "
   "with one of them or use another key."},
  {errc::quota_exceeded, "quota_exceeded",
   "The recipient has as many messages waiting as the router keeps; send "
   "again after they have read some."},
  {errc::sending_too_fast, "sending_too_fast",
   "You are sending messages faster than the router allows; wait a few "
   "seconds and send again."},
  {errc::name_reserved, "name_reserved",
   "That username is reserved for another key by the router's operator."},
  {errc::bank_unverified, "bank_unverified",
   "The bank's key is not verified against a configured fingerprint."},
  {errc::passphrase_required, "passphrase_required",
   "A private key must be protected by a passphrase that is not empty."},
  {errc::peer_refused, "peer_refused",
   "A router refused a backbone peer: its certificate does not carry the "
   "name it claims, or a router of that name is already connected."},
  {errc::membership_changed, "membership_changed",
   "The configured routers differ from the set recorded in the data "
   "folder; stop every router and run courier-node migrate first."},
  {errc::no_bundle, "no_bundle",
   "That user has published no prekeys yet, so no forward-secret "
   "conversation can start with them."},
  {errc::bad_store_address, "bad_store_address",
   "The --store address cannot be used; give a PostgreSQL connection "
   "string (postgresql://...) without a password in it."},
  {errc::schema_too_new, "schema_too_new",
   "The database was set up by a newer Courier; run that version or "
   "newer."},
  {errc::store_unavailable, "store_unavailable",
   "The router's database cannot be reached now; try again in a few "
   "seconds."},
  {errc::bundle_withdrawn, "bundle_withdrawn",
   "The router says this contact has no forward-secret keys any more, "
   "though they had some: it may be tampering. Nothing was sent; ask "
   "them to sign in again."},
  {errc::store_conflict, "store_conflict",
   "Some names are bound to other keys in the PostgreSQL store than in "
   "the data folder; nothing was copied. Settle each name first."},
  {errc::ledger_unavailable, "ledger_unavailable",
   "The bank cannot reach its ledger database now; try again in a few "
   "seconds (an order retried with the same transfer id is applied once)."},
  {errc::connection_closed, "connection_closed",
   "The router closed the connection, which was idle or slow to sign "
   "in; nothing is lost, and trying again is safe."},
  {errc::backup_damaged, "backup_damaged",
   "The backup file is cut short, was altered, or is not a Courier backup; "
   "use another copy."},
  {errc::backup_too_costly, "backup_too_costly",
   "The backup file asks for more memory or time to open than Courier "
   "allows; it was not written by Courier."},
  {errc::name_blocked, "name_blocked",
   "The router's operator has blocked that name: it cannot sign in or "
   "receive messages."},
  {errc::node_running, "node_running",
   "A running courier-node uses that data folder; stop it first."},
  {errc::internal, "internal", "An internal error occurred; this is a bug."},
};

// The codes are pinned with gaps, so a row is found by its code.
const errc_info* find_info(uint8_t code) {
  for (const auto& row : infos)
    if (static_cast<uint8_t>(row.code) == code)
      return &row;
  return nullptr;
}

const errc_info& info_of(errc x) {
  static const errc_info& fallback
    = *find_info(static_cast<uint8_t>(errc::internal));
  auto row = find_info(static_cast<uint8_t>(x));
  return row ? *row : fallback;
}

} // namespace

const char* to_string(errc x) {
  return info_of(x).name;
}

errc errc_from_string(const std::string& name) {
  for (const auto& row : infos)
    if (name == row.name)
      return row.code;
  return errc::internal;
}

const char* describe(errc x) {
  return info_of(x).text;
}

errc code_of(const caf::error& err) {
  if (!err)
    return errc::none;
  if (err.category() == errc_category) {
    return find_info(err.code()) ? static_cast<errc>(err.code())
                                 : errc::internal;
  }
  if (err.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(err.code());
    if (code == caf::sec::request_timeout)
      return errc::timeout;
    // Everything else CAF reports at this layer means the actor is gone.
    return errc::unreachable;
  }
  return errc::internal;
}

std::string explain(const caf::error& err) {
  std::string result = describe(code_of(err));
  if (!err)
    return result; // CAF's context() of an empty error is not safe to read
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0)) {
    const auto& detail = ctx.get_as<std::string>(0);
    // Errors that crossed the wire already carry the whole sentence.
    if (detail.compare(0, result.size(), result) == 0)
      return detail;
    result += " (" + detail + ")";
  }
  return result;
}

} // namespace courier
