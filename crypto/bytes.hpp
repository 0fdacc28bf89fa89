#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace courier::crypto {

/// Plain binary data.
using bytes = std::vector<uint8_t>;

/// A read-only view on binary data.
struct byte_view {
  const uint8_t* data = nullptr;
  size_t size = 0;
  byte_view() = default;
  byte_view(const uint8_t* d, size_t n) : data(d), size(n) {}
  byte_view(const bytes& b) : data(b.data()), size(b.size()) {}
  byte_view(std::string_view s)
    : data(reinterpret_cast<const uint8_t*>(s.data())), size(s.size()) {}
  byte_view(const std::string& s) : byte_view(std::string_view{s}) {}
  byte_view(const char* s) : byte_view(std::string_view{s}) {}
};

/// Overwrites memory in a way the compiler cannot elide (OPENSSL_cleanse).
void wipe(void* ptr, size_t len);

/// Binary data that is wiped when it goes away: keys, shared secrets.
class secret {
public:
  secret() = default;
  explicit secret(size_t n) : data_(n) {}
  explicit secret(bytes b) : data_(std::move(b)) {}
  secret(const secret&) = default;
  secret& operator=(const secret&) = default;
  secret(secret&& other) noexcept : data_(std::move(other.data_)) {}
  secret& operator=(secret&& other) noexcept;
  ~secret();

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  operator byte_view() const { return {data_.data(), data_.size()}; }
  /// A copy of the bytes that the caller must treat as secret.
  const bytes& unsafe_bytes() const { return data_; }

private:
  bytes data_;
};

/// Compares two buffers in time independent of where they differ
/// (CRYPTO_memcmp); buffers of different size compare unequal.
bool equal_ct(byte_view a, byte_view b);

/// Lowercase hex.
std::string to_hex(byte_view b);

/// Standard base64 with padding (EVP_EncodeBlock).
std::string to_base64(byte_view b);

/// Strict base64 decoding into `out`; false (and `out` unspecified) on
/// malformed input: wrong length, bad characters, bad padding.
bool from_base64(std::string_view text, bytes& out);

} // namespace courier::crypto
