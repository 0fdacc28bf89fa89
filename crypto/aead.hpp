#pragma once

#include <memory>

#include <caf/expected.hpp>

#include "crypto/bytes.hpp"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace courier::crypto {

constexpr size_t aead_key_size = 32;
constexpr size_t aead_nonce_size = 12;
constexpr size_t aead_tag_size = 16;

/// AES-256-GCM: returns ciphertext followed by the 16-byte tag.
/// Key must be 32 bytes and nonce 12 bytes (else bad_key).
caf::expected<bytes> aead_seal(byte_view key, byte_view nonce, byte_view aad,
                               byte_view plaintext);

/// Seals into `out` (cleared first), avoiding an allocation on hot paths.
caf::error aead_seal_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view plaintext, bytes& out);

/// Opens `ciphertext || tag`; any change to key, nonce, aad, ciphertext or
/// tag yields errc::decrypt_failed, as does input shorter than a tag.
caf::expected<bytes> aead_open(byte_view key, byte_view nonce, byte_view aad,
                               byte_view sealed);

/// Opens into `out` (cleared first).
caf::error aead_open_into(byte_view key, byte_view nonce, byte_view aad,
                          byte_view sealed, bytes& out);

/// AES-256-GCM with one key for many messages in one direction. The key
/// schedule is set up once; each call only sets a new nonce, which is what
/// makes per-frame session encryption cheap.
class aead_cipher {
public:
  aead_cipher() = default;

  /// A cipher that seals (`encrypt`) or opens with `key` (32 bytes).
  static caf::expected<aead_cipher> make(byte_view key, bool encrypt);

  /// Seals to `out`, which has room for the plaintext and the tag.
  caf::error seal_to(byte_view nonce, byte_view aad, byte_view plaintext,
                     uint8_t* out);

  /// Opens to `out`, which has room for the sealed size minus the tag; on
  /// failure what was written there is wiped.
  caf::error open_to(byte_view nonce, byte_view aad, byte_view sealed,
                     uint8_t* out);

  /// Seals into `out`: ciphertext followed by the tag.
  caf::error seal_into(byte_view nonce, byte_view aad, byte_view plaintext,
                       bytes& out);

  /// Opens `ciphertext || tag` into `out`; any change fails with
  /// errc::decrypt_failed and leaves `out` empty.
  caf::error open_into(byte_view nonce, byte_view aad, byte_view sealed,
                       bytes& out);

  explicit operator bool() const { return ctx_ != nullptr; }

private:
  struct ctx_deleter {
    void operator()(EVP_CIPHER_CTX* p) const;
  };
  std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> ctx_;
  bool encrypt_ = false;
};

} // namespace courier::crypto
