#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <openssl/err.h>

namespace courier::crypto {

/// What a primitive can report, and nothing else: no frame, envelope or
/// ledger codes live here. The values are pinned to the same numbers as
/// in Courier's error enum (actors/common/error.hpp) and share its CAF
/// category, so an error from a primitive travels and reads like any other.
enum class errc : uint8_t {
  crypto_failure = 1,   ///< an OpenSSL call failed
  bad_key = 2,          ///< a key could not be parsed or has the wrong type
  decrypt_failed = 3,   ///< authentication tag or OAEP padding did not verify
  bad_signature = 4,    ///< a signature did not verify
  bad_encoding = 5,     ///< malformed base64, PEM or DER
  wrong_passphrase = 6, ///< a private key could not be unlocked
  oversize = 12,        ///< an input over the size a primitive accepts
  passphrase_required = 42, ///< a key would be written without a passphrase
};

/// The CAF error category shared with `courier::errc`.
constexpr caf::atom_value error_category = caf::atom("courier");

inline caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), error_category};
}

inline caf::error make_error(errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(context))};
}

/// `code` for a failed OpenSSL call, with OpenSSL's error queue emptied:
/// the reasons the call left there must not be read as the next call's.
inline caf::error openssl_failure(errc code) {
  ERR_clear_error();
  return make_error(code);
}

} // namespace courier::crypto
