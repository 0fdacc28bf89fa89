#include "crypto/aead.hpp"

#include <climits>
#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/error.hpp"

namespace courier::crypto {

namespace {

bool sizes_ok(byte_view key, byte_view nonce) {
  return key.size == aead_key_size && nonce.size == aead_nonce_size;
}

/// EVP update calls take int lengths.
bool fits_int(size_t n) {
  return n <= static_cast<size_t>(INT_MAX) - aead_tag_size;
}

/// Runs the payload through the cipher into `out` (in.size bytes) and
/// finishes; for decryption the final step checks the tag.
bool process(EVP_CIPHER_CTX* ctx, byte_view in, uint8_t* out) {
  int len = 0;
  if (in.size > 0
      && EVP_CipherUpdate(ctx, out, &len, in.data, static_cast<int>(in.size))
           != 1)
    return false;
  // GCM is a stream mode: the final step emits nothing.
  uint8_t rest[EVP_MAX_BLOCK_LENGTH];
  int fin = 0;
  return static_cast<size_t>(len) == in.size
         && EVP_CipherFinal_ex(ctx, rest, &fin) == 1 && fin == 0;
}

} // namespace

caf::error aead_seal_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view plaintext, bytes& out) {
  out.clear();
  if (!sizes_ok(key, nonce))
    return make_error(errc::bad_key);
  auto cipher = aead_cipher::make(key, true);
  if (!cipher)
    return cipher.error();
  return cipher->seal_into(nonce, aad, plaintext, out);
}

caf::expected<bytes> aead_seal(byte_view key, byte_view nonce, byte_view aad,
                               byte_view plaintext) {
  bytes out;
  if (auto err = aead_seal_into(key, nonce, aad, plaintext, out))
    return err;
  return out;
}

caf::error aead_open_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view sealed, bytes& out) {
  out.clear();
  if (!sizes_ok(key, nonce))
    return make_error(errc::bad_key);
  auto cipher = aead_cipher::make(key, false);
  if (!cipher)
    return cipher.error();
  return cipher->open_into(nonce, aad, sealed, out);
}

caf::expected<bytes> aead_open(byte_view key, byte_view nonce, byte_view aad,
                               byte_view sealed) {
  bytes out;
  if (auto err = aead_open_into(key, nonce, aad, sealed, out))
    return err;
  return out;
}

void aead_cipher::ctx_deleter::operator()(EVP_CIPHER_CTX* p) const {
  EVP_CIPHER_CTX_free(p); // cleanses the key schedule
}

caf::expected<aead_cipher> aead_cipher::make(byte_view key, bool encrypt) {
  if (key.size != aead_key_size)
    return make_error(errc::bad_key);
  aead_cipher c;
  c.encrypt_ = encrypt;
  c.ctx_.reset(EVP_CIPHER_CTX_new());
  int enc = encrypt ? 1 : 0;
  if (!c.ctx_
      || EVP_CipherInit_ex(c.ctx_.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                           nullptr, enc)
           != 1
      || EVP_CIPHER_CTX_ctrl(c.ctx_.get(), EVP_CTRL_GCM_SET_IVLEN,
                             static_cast<int>(aead_nonce_size), nullptr)
           != 1
      || EVP_CipherInit_ex(c.ctx_.get(), nullptr, nullptr, key.data, nullptr,
                           enc)
           != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  return c;
}

namespace {

// Starts one message on a keyed context: a new nonce, then the AAD.
bool restart(EVP_CIPHER_CTX* ctx, int enc, byte_view nonce, byte_view aad) {
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data, enc) != 1)
    return false;
  int len = 0;
  return aad.size == 0
         || EVP_CipherUpdate(ctx, nullptr, &len, aad.data,
                             static_cast<int>(aad.size))
              == 1;
}

} // namespace

caf::error aead_cipher::seal_to(byte_view nonce, byte_view aad,
                                byte_view plaintext, uint8_t* out) {
  if (!ctx_ || !encrypt_ || nonce.size != aead_nonce_size)
    return make_error(errc::bad_key);
  if (!fits_int(plaintext.size) || !fits_int(aad.size))
    return make_error(errc::oversize);
  if (!restart(ctx_.get(), 1, nonce, aad)
      || !process(ctx_.get(), plaintext, out)
      || EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG,
                             static_cast<int>(aead_tag_size),
                             out + plaintext.size)
           != 1) {
    ERR_clear_error();
    return make_error(errc::crypto_failure);
  }
  return {};
}

caf::error aead_cipher::open_to(byte_view nonce, byte_view aad,
                                byte_view sealed, uint8_t* out) {
  if (!ctx_ || encrypt_ || nonce.size != aead_nonce_size)
    return make_error(errc::bad_key);
  if (sealed.size < aead_tag_size)
    return make_error(errc::decrypt_failed);
  if (!fits_int(sealed.size) || !fits_int(aad.size))
    return make_error(errc::oversize);
  byte_view body{sealed.data, sealed.size - aead_tag_size};
  uint8_t tag[aead_tag_size];
  std::copy(sealed.data + body.size, sealed.data + sealed.size, tag);
  if (!restart(ctx_.get(), 0, nonce, aad)
      || EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_SET_TAG,
                             static_cast<int>(aead_tag_size), tag)
           != 1
      || !process(ctx_.get(), body, out)) {
    wipe(out, body.size);
    ERR_clear_error();
    return make_error(errc::decrypt_failed);
  }
  return {};
}

caf::error aead_cipher::seal_into(byte_view nonce, byte_view aad,
                                  byte_view plaintext, bytes& out) {
  out.resize(plaintext.size + aead_tag_size);
  auto err = seal_to(nonce, aad, plaintext, out.data());
  if (err)
    out.clear();
  return err;
}

caf::error aead_cipher::open_into(byte_view nonce, byte_view aad,
                                  byte_view sealed, bytes& out) {
  out.resize(sealed.size >= aead_tag_size ? sealed.size - aead_tag_size : 0);
  auto err = open_to(nonce, aad, sealed, out.data());
  if (err)
    out.clear();
  return err;
}

} // namespace courier::crypto
