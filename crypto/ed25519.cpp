#include "crypto/ed25519.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

namespace courier::crypto {

namespace {


} // namespace

caf::expected<bytes> ed25519_public_raw(const key& k) {
  if (k.kind() != key_kind::ed25519)
    return make_error(errc::bad_key);
  bytes out(ed25519_key_size);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(k.get(), out.data(), &len) != 1
      || len != ed25519_key_size)
    return openssl_failure(errc::crypto_failure);
  return out;
}

caf::expected<key> ed25519_from_raw(byte_view raw) {
  if (raw.size != ed25519_key_size)
    return make_error(errc::bad_key);
  auto* pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data,
                                         raw.size);
  if (pk == nullptr)
    return openssl_failure(errc::bad_key);
  return key{pk};
}

caf::expected<secret> ed25519_private_raw(const key& k) {
  if (k.kind() != key_kind::ed25519)
    return make_error(errc::bad_key);
  secret out(ed25519_key_size);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_private_key(k.get(), out.data(), &len) != 1
      || len != ed25519_key_size)
    return openssl_failure(errc::bad_key);
  return out;
}

caf::expected<key> ed25519_private_from_raw(byte_view raw) {
  if (raw.size != ed25519_key_size)
    return make_error(errc::bad_key);
  auto* pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data,
                                          raw.size);
  if (pk == nullptr)
    return openssl_failure(errc::bad_key);
  return key{pk};
}

} // namespace courier::crypto
