#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/client/client_actor.hpp"
#include "actors/client/client_db.hpp"
#include "actors/client/vault.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"

namespace courier {

/// The id of this client's device. Every format carries one; a user has
/// one device today, and linked devices will take further ids.
constexpr uint32_t first_device_id = 1;

/// How long a retired signed prekey still opens first messages: those a
/// sender started from a bundle fetched before the rotation and that waited
/// in a queue (routers keep queued messages at most this long).
constexpr std::chrono::milliseconds retired_prekey_grace{
  std::chrono::hours{24 * 30}};

/// How long the record of an opened letter v3 is kept (longer than a
/// signed prekey lives plus its grace period).
constexpr std::chrono::milliseconds opened_record_lifetime{
  std::chrono::hours{24 * 60}};

/// How many one-time prekeys private halves a device keeps at most; the
/// oldest go first (their public halves were handed out long ago or lost).
constexpr size_t max_kept_one_time_prekeys = 1000;

/// How many ratchet sessions with one peer are kept: the current one and
/// those a simultaneous start or a peer's new install replaced, so that
/// messages still in flight on them open.
constexpr size_t max_sessions_per_peer = 4;

/// How many peers' device certificates a device remembers as verified, and
/// as many as refused: each check is an RSA verification, which a flood of
/// first messages reusing one certificate must not cost again and again.
constexpr size_t certificate_cache_size = 1024;

/// What `device::open_letter` made of a letter v3.
struct opened_v3 {
  /// The message for the listener; empty if this very blob was opened and
  /// dealt with before (only the acknowledgement is left to do).
  std::optional<inbound_message> msg;
  /// Whether the letter used up one of this device's one-time prekeys.
  bool used_one_time = false;
};

/// A received letter v3 waiting to be opened with the others of its burst
/// (see `device::open_letters`).
struct received_v3 {
  std::string from;
  std::string blob;
  crypto::key their_identity; ///< `from`'s pinned RSA key
  int64_t accepted_ts = 0;
};

/// A letter waiting to be sealed with the others of its burst (see
/// `device::seal_letters`).
struct outgoing_v3 {
  protocol::letter content;
  bool sign = false;
};

/// This device's end-to-end state for letters v3: its X25519 identity and
/// Ed25519 signing keys (certified by the user's RSA identity), its signed
/// and one-time prekeys, and its Double Ratchet sessions with other
/// devices. Every secret is kept sealed by the vault in the client's
/// database, and every change is written in the same transaction as what
/// it belongs to (see `seal_letter` and `open_letter`).
class device {
public:
  /// Loads this device from `db`, making its keys and certificate on first
  /// use (one RSA-PSS signature with `identity`). Brings the database to
  /// the current schema version first (`PRAGMA user_version`; see
  /// `migrate` in device.cpp): version 0 kept sessions partly in clear.
  static caf::expected<std::unique_ptr<device>>
  open(std::shared_ptr<client_db> db, const std::string& user,
       const crypto::key& identity, int64_t now_ms);

  uint32_t id() const { return cert_.device; }
  const protocol::x3dh::device_certificate& certificate() const {
    return cert_;
  }

  /// What to publish at the home router: the certificate, the current
  /// signed prekey (a new one first when the current one is older than
  /// `rotation`, the old one kept for `retired_prekey_grace`) and `fresh`
  /// new one-time prekeys. Their private halves are stored before this
  /// returns, so a crash after the publish loses none.
  caf::expected<protocol::prekey_upload>
  upload(size_t fresh, std::chrono::milliseconds rotation, int64_t now_ms);

  /// Whether the signed prekey is older than `rotation`, or not yet
  /// published (`published(id)` was not called for it).
  bool upload_due(std::chrono::milliseconds rotation, int64_t now_ms) const;

  /// Notes that the router holds the signed prekey `spk_id`. After a
  /// failed write nothing changes, and the next sign-in publishes again.
  caf::error published(uint32_t spk_id);

  /// Whether a session with `peer` exists to send on.
  bool has_session(const std::string& peer);

  /// Starts a session with `peer` from their bundle (X3DH as the
  /// initiator): checks the bundle against `their_identity`, the pinned
  /// RSA key, and stores the session as the one to send on.
  caf::error start_session(const std::string& peer,
                           const protocol::x3dh::bundle& theirs,
                           const crypto::key& their_identity, int64_t now_ms);

  /// Encrypts `content` for `content.to` with the current session (signed
  /// with the device key if `sign`) and stores the session's new state
  /// before the blob is returned.
  caf::expected<std::string> seal_letter(const protocol::letter& content,
                                         bool sign, int64_t now_ms);

  /// Seals each letter as `seal_letter` does, all in one transaction
  /// (group commit): the results in order, each blob usable only because
  /// the one commit stored every new state. If that commit fails, every
  /// result is its error and memory goes back to what is on disk, so no
  /// blob of the batch may leave.
  std::vector<caf::expected<std::string>>
  seal_letters(const std::vector<outgoing_v3>& batch, int64_t now_ms);

  /// Opens each letter as `open_letter` does, all in one transaction with
  /// a savepoint per letter (a letter that fails to store rolls back alone):
  /// the results in order, valid only once this returns, as the one commit
  /// has stored them. If that commit fails, every result is its error
  /// (`storage_failure`: nothing may be acknowledged) and memory goes back
  /// to what is on disk.
  std::vector<caf::expected<opened_v3>>
  open_letters(const std::string& me, const std::vector<received_v3>& batch,
               int64_t now_ms);

  /// Opens a letter v3 from `from`, whose RSA key is `their_identity`
  /// (pinned). A first message (with an X3DH initiation) starts a session
  /// as the responder. The plaintext, the session's new state and the
  /// spent one-time prekey go into the database in one transaction before
  /// this returns; the caller acknowledges only after that. A blob seen
  /// before is answered from the database (its keys are gone).
  caf::expected<opened_v3> open_letter(const std::string& me,
                                       const std::string& from,
                                       const std::string& blob,
                                       const crypto::key& their_identity,
                                       int64_t accepted_ts, int64_t now_ms);

  /// Whether `peer`, under the key `their_identity`, was seen with letters
  /// v3 (a verified bundle, or a letter v3 opened). Such a peer has no
  /// reason to lose its bundle while its key stays; a router that says so
  /// may be downgrading it to letters v1. A changed key answers false.
  bool knows_v3(const std::string& peer, const crypto::key& their_identity);

  /// Ends every session with `peer`: their key changed, and sessions
  /// rooted in the old key must carry nothing more.
  caf::error end_sessions(const std::string& peer);

  /// How many RSA verifications of peers' device certificates this device
  /// made (the rest were answered from memory); tests count them.
  size_t certificate_checks() const { return certificate_checks_; }

  /// Drops what is kept in memory (sessions are read again from the
  /// database): after a failed write, memory must not run ahead of disk.
  void forget_cached() {
    cache_.clear();
    damaged_.clear();
  }

private:
  struct session_entry {
    int64_t row = 0; ///< 0: not stored yet
    uint32_t device = 0;
    protocol::ratchet::session state;
    crypto::bytes ad;
    protocol::x3dh::device_certificate peer;
    /// Sent with every message until the peer's first reply.
    std::optional<protocol::x3dh::initiation> initiation;
    crypto::bytes base; ///< the initiation's ephemeral key
    int64_t active_ms = 0;
  };
  using entries = std::vector<session_entry>;

  device(std::shared_ptr<client_db> db, vault v) : db_(std::move(db)), vault_(std::move(v)) {}

  caf::error load_keys(const std::string& user, const crypto::key& identity,
                       int64_t now_ms);
  caf::expected<entries*> sessions_of(const std::string& peer);
  /// One stored session; `decrypt_failed` with a sentence if its record
  /// does not open under its peer and device or is not one.
  caf::expected<session_entry> load_session(const std::string& peer,
                                            int64_t row, uint32_t dev,
                                            crypto::byte_view sealed) const;
  caf::error delete_one_time(uint32_t id);
  caf::error keep_signed(const protocol::letter& content,
                         const crypto::bytes& sig,
                         const protocol::x3dh::device_certificate& cert);
  caf::error save_session(const std::string& peer, session_entry& e);
  caf::error trim_sessions(const std::string& peer, entries& list);
  caf::expected<session_entry>
  respond(const std::string& from, uint32_t from_device,
          const protocol::x3dh::initiation& init,
          const crypto::key& their_identity, int64_t now_ms);
  /// `x3dh::verify`, each certificate at most once per pinned key.
  caf::error note_v3(const std::string& peer,
                     const crypto::key& their_identity);
  caf::error check_certificate(const protocol::x3dh::device_certificate& cert,
                               const crypto::key& their_identity,
                               const std::string& user);
  caf::expected<crypto::key> prekey_private(const char* kind, uint32_t id,
                                            int64_t now_ms);
  caf::expected<uint32_t> next_id(const char* counter);
  const std::string& fingerprint_of(const std::string& peer,
                                    const crypto::key& identity);

  std::shared_ptr<client_db> db_;
  vault vault_;
  protocol::x3dh::device_keys keys_;
  protocol::x3dh::device_certificate cert_;
  uint32_t spk_id_ = 0;
  int64_t spk_created_ms_ = 0;
  uint32_t published_spk_ = 0;
  /// Sessions by peer, read from the database on first use.
  std::map<std::string, entries> cache_;
  /// Why a stored session of a cached peer was left out, if one was.
  std::map<std::string, caf::error> damaged_;
  /// The RSA key each peer's last letter came with and its fingerprint
  /// (a DER encoding and a hash, once per key rather than per letter).
  /// Holding the key keeps its address from being reused.
  std::map<std::string, std::pair<crypto::key, std::string>> fingerprints_;
  /// Certificates checked, by the SHA-256 of the pinned key's fingerprint
  /// and the certificate's signed bytes and signature: those that verified
  /// and why the others did not. Each is emptied when full (a flood costs
  /// one RSA verification per distinct certificate at most per fill).
  std::set<crypto::bytes> verified_certs_;
  std::map<crypto::bytes, caf::error> refused_certs_;
  size_t certificate_checks_ = 0;
};

} // namespace courier
