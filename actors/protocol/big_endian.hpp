#pragma once

#include <cstdint>

#include "crypto/bytes.hpp"

/// Fixed-size big-endian integers and length-prefixed fields, for what is
/// signed, hashed or stored as bytes (ratchet headers and state, X3DH's
/// signed parts, letter signatures).
namespace courier::protocol::big_endian {

inline void put_u32(crypto::bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

inline void put_u64(crypto::bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

inline uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16)
         | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

inline uint64_t get_u64(const uint8_t* p) {
  return (uint64_t{get_u32(p)} << 32) | get_u32(p + 4);
}

/// A field with its length first, so that no two inputs encode alike.
inline void put_field(crypto::bytes& out, crypto::byte_view b) {
  put_u32(out, static_cast<uint32_t>(b.size));
  out.insert(out.end(), b.data, b.data + b.size);
}

} // namespace courier::protocol::big_endian
