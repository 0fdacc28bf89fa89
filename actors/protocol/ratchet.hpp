#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include <caf/expected.hpp>

#include "actors/protocol/key_source.hpp"
#include "crypto/bytes.hpp"
#include "crypto/key.hpp"

namespace courier::protocol {

/// The Double Ratchet (Signal, "The Double Ratchet Algorithm", revision 1,
/// 2016-11-20) with the functions of its section 5.2 recommendations, on
/// OpenSSL's X25519, HKDF-SHA256, HMAC-SHA256 and AES-256-GCM. Comments
/// cite the section each step implements.
namespace ratchet {

/// MAX_SKIP (section 3.2): how many message keys one message may make us
/// skip in a chain. Bounds what a forged header can cost before its
/// authentication fails: up to twice this many chain steps (the old chain's
/// rest and the new chain's start, two HMACs each), two X25519 agreements,
/// one key generation and two HKDFs; about a millisecond.
constexpr uint32_t max_skip = 500;

/// How many skipped message keys a session keeps; the oldest go first.
constexpr size_t max_skipped_keys = 2000;

/// How long a skipped message key is kept (section 8.4 "Deletion of
/// skipped message keys"): a message that late no longer opens.
constexpr std::chrono::milliseconds skipped_key_lifetime{
  std::chrono::hours{24 * 30}};

/// Size of an encoded header: ratchet public key, PN and N.
constexpr size_t header_size = 32 + 4 + 4;

/// A message header (section 3.1 HEADER): the sender's current ratchet
/// public key, the length of its previous sending chain and the message's
/// number in the current one.
struct header {
  crypto::bytes dh; ///< 32 raw X25519 bytes
  uint32_t pn = 0;
  uint32_t n = 0;
};

/// 32 bytes of key, then PN and N big-endian.
crypto::bytes encode(const header& h);

/// Parses exactly `header_size` bytes (`bad_encoding` otherwise).
caf::expected<header> decode_header(crypto::byte_view data);

/// One encrypted message: its header and AES-256-GCM ciphertext with tag.
struct message {
  header head;
  crypto::bytes ciphertext;
};

/// The state of one side of a session (section 3.2). Every operation
/// either succeeds and changes the state, or fails and leaves it exactly as
/// it was (section 3.5: "changes to the state object are discarded").
///
/// A session is move-only: two copies that both encrypt would use each
/// message key twice. The caller stores the state returned by `save`
/// before a ciphertext from `encrypt` leaves, and after `decrypt` before
/// it acknowledges the message.
class session {
public:
  session() = default;
  session(session&&) = default;
  session& operator=(session&&) = default;
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// RatchetInitAlice (section 3.3): `sk` is the shared secret agreed with
  /// X3DH, `their_ratchet` Bob's signed prekey, which becomes his first
  /// ratchet key (section 7.1, integration with X3DH). The session takes
  /// its new ratchet keys and nonces from `keys` (OpenSSL unless a test
  /// vector fixes them); a session from `load` always uses OpenSSL.
  static caf::expected<session> init_alice(const crypto::secret& sk,
                                           crypto::byte_view their_ratchet,
                                           const key_source& keys = {});

  /// RatchetInitBob (section 3.3): `own_ratchet` is Bob's signed prekey
  /// pair; `keys` as for `init_alice`.
  static caf::expected<session> init_bob(const crypto::secret& sk,
                                         const crypto::key& own_ratchet,
                                         const key_source& keys = {});

  /// RatchetEncrypt (section 3.4). `ad` is the session's associated data
  /// (both identity keys, from X3DH).
  caf::expected<message> encrypt(crypto::byte_view plaintext,
                                 crypto::byte_view ad);

  /// RatchetDecrypt (section 3.5). Fails closed with `decrypt_failed` on a
  /// tampered, foreign or replayed message, or one that would skip more
  /// than `max_skip` keys; the state is then unchanged. `now_ms` dates
  /// skipped keys and expires old ones.
  caf::expected<crypto::bytes> decrypt(const message& msg,
                                       crypto::byte_view ad, int64_t now_ms);

  /// The state as bytes for the client's database (secret: it holds keys).
  caf::expected<crypto::secret> save() const;

  /// Reads what `save` wrote; refuses anything malformed.
  static caf::expected<session> load(crypto::byte_view data);

  /// Skipped message keys currently kept.
  size_t skipped() const { return skipped_.size(); }

private:
  struct skipped_key {
    crypto::secret mk;
    int64_t expires_ms = 0;
    uint64_t order = 0; ///< insertion order, to drop the oldest
  };

  caf::expected<crypto::bytes> try_decrypt(const message& msg,
                                           crypto::byte_view ad,
                                           int64_t now_ms);
  session copy_without_skipped() const;
  caf::error skip_message_keys(uint32_t until, int64_t now_ms);
  caf::error dh_ratchet(const header& h);
  void expire(int64_t now_ms);

  key_source keys_;         ///< new ratchet keys and nonces; not saved
  crypto::key dhs_;         ///< DHs: our ratchet key pair
  crypto::bytes dhs_pub_;   ///< its public half, raw
  crypto::bytes dhr_;       ///< DHr: their ratchet public key (empty: None)
  crypto::secret rk_;       ///< RK
  crypto::secret cks_;      ///< CKs (empty: None)
  crypto::secret ckr_;      ///< CKr (empty: None)
  uint32_t ns_ = 0;         ///< Ns
  uint32_t nr_ = 0;         ///< Nr
  uint32_t pn_ = 0;         ///< PN
  uint64_t next_order_ = 0;
  /// MKSKIPPED: (ratchet public key, message number) -> message key.
  std::map<std::pair<crypto::bytes, uint32_t>, skipped_key> skipped_;
};

} // namespace ratchet

} // namespace courier::protocol
