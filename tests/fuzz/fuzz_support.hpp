// What the libFuzzer targets and make_seeds share: the input helpers, the
// fixed keys, and one handshake run, so that seeds and targets agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/protocol/channel.hpp"
#include "actors/protocol/handshake.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::fuzz {

/// The fuzz input as text.
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Longest piece a `chunker` cuts.
constexpr size_t max_piece = 64;

/// Cuts a fuzz input into pieces, each one control byte and then
/// `(control & 63) + 1` bytes of data (fewer at the end), so the fuzzer
/// also chooses how a stream arrives. The top two bits of the control
/// byte are an action for the target to interpret.
class chunker {
public:
  chunker(const uint8_t* data, size_t size)
    : text_(as_text(data, size)) {}

  /// The next piece and its action (0-3); false at the end.
  bool next(std::string_view& piece, unsigned& action);

private:
  std::string_view text_;
};

/// `stream` as `chunker` input: full pieces, action 0.
std::string chunked(std::string_view stream);

/// The traffic keys of the channel target: the sealing side (the seeds)
/// when `sealer`, else the opening side (the target).
protocol::traffic_keys channel_keys(bool sealer);

/// A fixed RSA-2048 key by name. Read from `$COURIER_FUZZ_KEYS/NAME.pem`
/// if there, else made and (with the variable set) written there, so the
/// seeds make_seeds seals open in the targets.
const crypto::key& fixture_key(const std::string& name);

/// One complete, successful handshake between the fixed client key
/// ("alice") and a fresh server key, made once per process.
struct handshake_run {
  crypto::key server_key;        ///< Ed25519
  crypto::bytes server_der;
  protocol::client_start start;
  protocol::client_hello hello;  ///< as the server parsed it
  std::string server_hello;
  protocol::server_pending pending;
  std::string finish;            ///< the client's finish frame
};

/// The handshake run; aborts if the handshake itself fails.
const handshake_run& handshake();

/// Aborts with `what` unless `ok`: a broken invariant is a finding.
void require(bool ok, const char* what);

} // namespace courier::fuzz
