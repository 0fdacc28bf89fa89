#pragma once

#include "crypto/bytes.hpp"

namespace courier::crypto {

/// SHA-256 of `data` (32 bytes).
bytes sha256(byte_view data);

/// Incremental SHA-256 for transcripts.
class sha256_stream {
public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  /// Appends data.
  void update(byte_view data);
  /// Appends a 4-byte big-endian length followed by the data, so that
  /// concatenated fields cannot be confused.
  void update_framed(byte_view data);
  /// The digest of everything so far (the stream can keep going).
  bytes digest() const;

private:
  void* ctx_;
};

} // namespace courier::crypto
