#pragma once

#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/client/client_actor.hpp"
#include "actors/client/vault.hpp"
#include "actors/common/sqlite.hpp"
#include "crypto/bytes.hpp"

namespace courier {

/// A client's durable local state: pinned keys (routers and contacts),
/// ids of messages already received, and the message history. The text of
/// every message (history rows, letters waiting in the inbox) is sealed
/// with the vault, one label per row; reading or writing it needs
/// `unlock` first (`device::open` does it).
class client_db {
public:
  static caf::expected<client_db> open(const std::string& path);

  /// Seals and opens message text with `v` from now on.
  void unlock(vault v) { vault_ = std::move(v); }

  /// Whether `unlock` was called.
  bool unlocked() const { return vault_.has_value(); }

  /// Seals, in place, the message text that a database of schema version
  /// 1 or older kept in clear (history bodies, inbox bodies); runs inside
  /// the caller's migration transaction. Needs `unlock`.
  caf::error seal_clear_text();

  /// Most rows of one conversation that `search` reads (the newest), and
  /// most rows of all conversations together: the text is sealed, so a
  /// search opens each row it looks at.
  static constexpr uint32_t max_search_rows_per_peer = 5000;
  static constexpr uint32_t max_search_rows = 50000;

  /// The pinned key (SPKI DER) of a router address or a contact.
  std::optional<std::string> pinned(const std::string& kind,
                                    const std::string& name);
  caf::error pin(const std::string& kind, const std::string& name,
                 const std::string& der);

  /// True if this message was received before.
  bool seen(const std::string& from, const std::string& msg_id);

  /// A letter v3 that was opened before, found by the SHA-256 of its
  /// blob: `msg` is the message if the listener has not dealt with it yet,
  /// empty if it has (or the letter held nothing to deliver).
  struct opened_letter {
    std::optional<inbound_message> msg;
  };
  std::optional<opened_letter> opened(const crypto::bytes& hash);

  /// Keeps an opened letter v3 until the listener deals with it: called
  /// inside the transaction that stores the session state that opened it.
  caf::error record_opened(const crypto::bytes& hash,
                           const std::optional<inbound_message>& msg,
                           int64_t now_ms);

  /// Forgets letters dealt with before `before_ms`: by then their keys are
  /// long gone and a replay of one fails to open anyway.
  caf::error prune_opened(int64_t before_ms);

  /// Records a received message as seen, and in the history if
  /// `keep_history`, in one transaction.
  caf::error record_inbound(const inbound_message& msg,
                            bool keep_history = true);

  /// Records several received messages as `record_inbound` does, all in
  /// one transaction (a burst the listener dealt with: one commit, and
  /// pages shared by the rows written once).
  caf::error record_inbound(const std::vector<inbound_message>& msgs,
                            bool keep_history = true);

  /// Records a sent message in the history, as delivered already if its
  /// recipient acknowledged it before the router answered.
  caf::error record_outbound(const std::string& to, const std::string& body,
                             const std::string& msg_id, int64_t ts,
                             bool delivered = false);

  /// Marks an outgoing message as acknowledged by its recipient.
  caf::error mark_delivered(const std::string& msg_id);

  /// `peer` read the messages this user sent them up to `msg_id`: marks
  /// those (and the earlier ones to `peer`) read. An id of no message to
  /// `peer` marks nothing. How many were marked now.
  caf::expected<uint64_t> mark_read(const std::string& peer,
                                    const std::string& msg_id);

  /// The newest `limit` messages with `peer`, oldest first.
  std::vector<history_entry> history(const std::string& peer, uint32_t limit);

  /// Pinned contacts and everyone in the history.
  std::vector<contact_key> contacts();

  /// Marks a contact's pinned key as verified (false if none is pinned).
  bool set_verified(const std::string& user, bool verified);

  /// Whether a contact's pin is marked verified.
  bool verified(const std::string& user);

  /// The connection, for the tables of other concepts (the device's).
  database& sql() { return db_; }

  /// Deletes the history with `peer` (its pin and seen ids stay); how many
  /// messages were deleted.
  caf::expected<uint64_t> forget(const std::string& peer);

  /// Longest text `search` looks for.
  static constexpr size_t max_search_text = 256;

  /// The newest `limit` (at most 200) messages with `peer` (any peer if
  /// empty) whose body contains `text` (ASCII letters in any case; no
  /// wildcards), newest first, among the newest `max_search_rows_per_peer`
  /// of each conversation; none for an empty or too long text.
  std::vector<history_entry> search(const std::string& peer,
                                    const std::string& text, uint32_t limit);

private:
  /// Adds one history row with its body sealed under its id, peer and
  /// direction; the caller holds a transaction.
  caf::error insert_history(const std::string& peer, bool outgoing,
                            const std::string& body, const std::string& msg_id,
                            int64_t ts, bool delivered);
  /// The body of a history row, opened; nothing if it does not open.
  std::optional<std::string> open_history(int64_t id, const std::string& peer,
                                          bool outgoing,
                                          const std::string& sealed) const;

  database db_;
  std::optional<vault> vault_;
};

} // namespace courier
