#include "crypto/digest.hpp"

#include <climits>

#include <openssl/err.h>
#include <openssl/evp.h>

namespace courier::crypto {

namespace {

EVP_MD_CTX* as_ctx(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

} // namespace

bytes sha256(byte_view data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data, data.size, out.data(), &len, EVP_sha256(),
                 nullptr)
      != 1) {
    ERR_clear_error();
    return {};
  }
  out.resize(len);
  return out;
}

// A failed step frees the context; digest() then returns an empty result,
// which no caller can mistake for a real 32-byte hash.
sha256_stream::sha256_stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr
      && EVP_DigestInit_ex(as_ctx(ctx_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = nullptr;
    ERR_clear_error();
  }
}

sha256_stream::~sha256_stream() {
  EVP_MD_CTX_free(as_ctx(ctx_));
}

void sha256_stream::update(byte_view data) {
  if (ctx_ == nullptr || data.size == 0)
    return;
  if (EVP_DigestUpdate(as_ctx(ctx_), data.data, data.size) != 1) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = nullptr;
    ERR_clear_error();
  }
}

void sha256_stream::update_framed(byte_view data) {
  if (data.size > UINT32_MAX) {
    // Cannot be framed faithfully: poison the stream.
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = nullptr;
    return;
  }
  auto n = static_cast<uint32_t>(data.size);
  uint8_t len[4] = {static_cast<uint8_t>(n >> 24),
                    static_cast<uint8_t>(n >> 16),
                    static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  update(byte_view{len, sizeof(len)});
  update(data);
}

bytes sha256_stream::digest() const {
  if (ctx_ == nullptr)
    return {};
  // Finish a copy so the stream itself can keep going.
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  bool ok = copy != nullptr && EVP_MD_CTX_copy_ex(copy, as_ctx(ctx_)) == 1
            && EVP_DigestFinal_ex(copy, out.data(), &len) == 1;
  EVP_MD_CTX_free(copy);
  if (!ok) {
    ERR_clear_error();
    return {};
  }
  out.resize(len);
  return out;
}

} // namespace courier::crypto
