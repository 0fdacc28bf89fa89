#include "crypto/bytes.hpp"

#include <climits>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace courier::crypto {

void wipe(void* ptr, size_t len) {
  if (ptr != nullptr && len > 0)
    OPENSSL_cleanse(ptr, len);
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe(data_.data(), data_.size());
    data_ = std::move(other.data_);
  }
  return *this;
}

secret::~secret() {
  wipe(data_.data(), data_.size());
}

bool equal_ct(byte_view a, byte_view b) {
  if (a.size != b.size)
    return false;
  if (a.size == 0)
    return true;
  return CRYPTO_memcmp(a.data, b.data, a.size) == 0;
}

std::string to_hex(byte_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size * 2);
  for (size_t i = 0; i < b.size; ++i) {
    out += digits[b.data[i] >> 4];
    out += digits[b.data[i] & 0x0f];
  }
  return out;
}

std::string to_base64(byte_view b) {
  if (b.size == 0)
    return {};
  // EVP_EncodeBlock takes an int length.
  if (b.size > static_cast<size_t>(INT_MAX / 4 * 3))
    return {};
  std::string out(4 * ((b.size + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           b.data, static_cast<int>(b.size));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

namespace {

bool is_b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// Counts trailing '=' or returns -1 if the alphabet or padding is wrong.
int check_b64_syntax(std::string_view text) {
  if (text.size() % 4 != 0)
    return -1;
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
    ++pad;
  for (size_t i = 0; i < text.size() - pad; ++i)
    if (!is_b64_char(text[i]))
      return -1;
  return static_cast<int>(pad);
}

} // namespace

bool from_base64(std::string_view text, bytes& out) {
  out.clear();
  if (text.empty())
    return true;
  auto pad = check_b64_syntax(text);
  if (pad < 0 || text.size() > static_cast<size_t>(INT_MAX))
    return false;
  bytes buf(text.size() / 4 * 3);
  auto n = EVP_DecodeBlock(buf.data(),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != buf.size())
    return false;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  buf.resize(buf.size() - static_cast<size_t>(pad));
  // Reject non-canonical encodings (stray bits under the padding).
  if (to_base64(buf) != text)
    return false;
  out = std::move(buf);
  return true;
}

} // namespace courier::crypto
