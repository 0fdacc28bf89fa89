#include "crypto/x25519.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/openssl_ptr.hpp"

namespace courier::crypto {

namespace {

constexpr size_t raw_size = 32;


/// True if all bytes are zero, without branching on the contents.
bool all_zero(const secret& s) {
  uint8_t acc = 0;
  for (size_t i = 0; i < s.size(); ++i)
    acc |= s.data()[i];
  return acc == 0;
}

} // namespace

caf::expected<key> generate_x25519() {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0
      || EVP_PKEY_generate(ctx.get(), &raw) <= 0)
    return openssl_failure(errc::crypto_failure);
  return key{raw};
}

caf::expected<bytes> x25519_public_raw(const key& k) {
  if (k.kind() != key_kind::x25519)
    return make_error(errc::bad_key);
  bytes out(raw_size);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(k.get(), out.data(), &len) != 1
      || len != raw_size)
    return openssl_failure(errc::crypto_failure);
  return out;
}

caf::expected<key> x25519_from_raw(byte_view raw) {
  if (raw.size != raw_size)
    return make_error(errc::bad_key);
  auto* pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, raw.data,
                                         raw.size);
  if (pk == nullptr)
    return openssl_failure(errc::bad_key);
  return key{pk};
}

caf::expected<secret> x25519_private_raw(const key& k) {
  if (k.kind() != key_kind::x25519)
    return make_error(errc::bad_key);
  secret out(raw_size);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_private_key(k.get(), out.data(), &len) != 1
      || len != raw_size)
    return openssl_failure(errc::bad_key);
  return out;
}

caf::expected<key> x25519_private_from_raw(byte_view raw) {
  if (raw.size != raw_size)
    return make_error(errc::bad_key);
  auto* pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, raw.data,
                                          raw.size);
  if (pk == nullptr)
    return openssl_failure(errc::bad_key);
  return key{pk};
}

caf::expected<secret> x25519_derive(const key& own_private,
                                    const key& peer_public) {
  if (own_private.kind() != key_kind::x25519
      || peer_public.kind() != key_kind::x25519)
    return make_error(errc::bad_key);
  pkey_ctx_ptr ctx{
    EVP_PKEY_CTX_new_from_pkey(nullptr, own_private.get(), nullptr)};
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0
      || EVP_PKEY_derive_set_peer(ctx.get(), peer_public.get()) <= 0
      || EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0 || len != raw_size)
    return openssl_failure(errc::crypto_failure);
  secret out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) <= 0 || len != raw_size)
    return openssl_failure(errc::crypto_failure);
  // A small-order peer forces an all-zero secret (RFC 7748 section 6.1).
  if (all_zero(out))
    return make_error(errc::crypto_failure);
  return out;
}

} // namespace courier::crypto
