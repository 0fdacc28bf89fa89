#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/protocol/bundle.hpp"

namespace courier {

/// A verified, decrypted message as the client hands it to its listener.
struct inbound_message {
  std::string from;
  std::string to;
  std::string body;
  std::string msg_id;
  int64_t sent_ts = 0;     ///< sender's clock
  int64_t accepted_ts = 0; ///< router's clock
  std::string sender_fp;   ///< fingerprint of the sender's RSA identity
  /// Came in a ratchet session (letters v3): a later theft of either
  /// side's keys does not open it.
  bool forward_secret = false;
  /// Carries the sender's signature, which proves to anyone who wrote it:
  /// every letter v1, and the bank's orders and receipts in v3. A chat
  /// message in v3 is not signed (deniable).
  bool signed_by_sender = false;
  /// A control letter (read receipt, typing), never a message: its letter
  /// said so in a field only clients set, whatever its body looks like.
  bool control = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inbound_message& x) {
  return f(caf::meta::type_name("inbound_message"), x.from, x.to, x.body,
           x.msg_id, x.sent_ts, x.accepted_ts, x.sender_fp, x.forward_secret,
           x.signed_by_sender, x.control);
}

/// What `lookup` answers on the client side: a user's key and its pin.
struct contact_key {
  std::string user;
  std::string fingerprint;
  bool pinned_now = false; ///< first seen by this lookup
  bool verified = false;   ///< the user compared fingerprints and said so
  /// Letters to this contact go in a ratchet session (forward secret);
  /// false: letters v1, because the contact published no prekeys yet.
  bool forward_secret = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, contact_key& x) {
  return f(caf::meta::type_name("contact_key"), x.user, x.fingerprint,
           x.pinned_now, x.verified, x.forward_secret);
}

/// One message of the local history.
struct history_entry {
  std::string peer;
  bool outgoing = false;
  std::string body;
  std::string msg_id;
  int64_t ts = 0;
  bool delivered = false; ///< outgoing: the recipient acknowledged it
  bool read = false;      ///< outgoing: the recipient's read receipt covers it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("history_entry"), x.peer, x.outgoing, x.body,
           x.msg_id, x.ts, x.delivered, x.read);
}

/// What a client tells the one actor that listens to it: the app's bridge,
/// the CLI, or the bank's handler.
using listener_actor = caf::typed_actor<
  // A message for the user. Reply `true` once it is dealt with (only then
  // is it recorded and acknowledged), `false` to leave it on the router.
  caf::replies_to<message_atom, inbound_message>::with<bool>,
  // "connected", "disconnected", "reconnecting" (see
  // client_config::reconnect) or a warning.
  caf::reacts_to<status_atom, std::string>,
  // The recipient acknowledged message `msg_id` this user sent.
  caf::reacts_to<delivered_atom, std::string>>;

/// The client: one connection to a router, the user's keys, pins and
/// history. Used by the CLI, the bank and the desktop app.
using client_actor = caf::typed_actor<
  // Connects and signs in; replies the router's fingerprint and whether
  // this login registered the user.
  caf::replies_to<connect_atom>::with<std::string, bool>,
  // Seals and sends `body` to `to`; replies the msg_id once the router
  // accepted it (stored durably).
  caf::replies_to<send_atom, std::string, std::string>::with<std::string>,
  // Tells payee `to` of transfer (id, amount in minor units) in a control
  // letter, so that no chat text can pass for one; replies its msg_id.
  caf::replies_to<paid_atom, std::string, std::string, int64_t>::with<
    std::string>,
  // Which of the named users are online (sorted); any number of names,
  // asked about max_presence_names at a time. No names: one empty
  // request, a round trip to the router.
  caf::replies_to<online_atom, std::vector<std::string>>::with<
    std::vector<std::string>>,
  // A contact's key fingerprint (pinned on first sight).
  caf::replies_to<lookup_atom, std::string>::with<contact_key>,
  // Accepts a contact's new key if its fingerprint matches, as verified
  // (the user gave the fingerprint) ...
  caf::replies_to<trust_atom, std::string, std::string>::with<contact_key>,
  // ... or as `verified` says (the app's "Accept new key" is not a check).
  caf::replies_to<trust_atom, std::string, std::string, bool>::with<
    contact_key>,
  // Marks the pinned key of a contact as verified by the user.
  caf::replies_to<verify_atom, std::string>::with<contact_key>,
  // Every contact: pinned keys and history peers.
  caf::replies_to<contacts_atom>::with<std::vector<contact_key>>,
  // The newest `limit` messages with a peer, oldest first.
  caf::replies_to<history_atom, std::string, uint32_t>::with<
    std::vector<history_entry>>,
  // Publishes this device's certificate, signed prekey and one-time
  // prekeys at the user's home router; replies how many one-time prekeys
  // the router holds for the device now.
  caf::replies_to<prekeys_atom, protocol::prekey_upload>::with<uint32_t>,
  // How many one-time prekeys this device has left at the router.
  caf::replies_to<prekeys_atom>::with<uint32_t>,
  // A user's bundle (uses up the one-time prekey in it), its certificate
  // checked against the user's pinned key (pinned now on first sight) and
  // its signed prekey against the device key; `no_bundle` if the user
  // published none.
  caf::replies_to<bundle_atom, std::string>::with<protocol::x3dh::bundle>,
  // Sets the actor that hears of messages and events.
  caf::reacts_to<listen_atom, listener_actor>,
  // From the connection broker.
  caf::reacts_to<frame_atom, std::string>,
  // Its own timer: the pause before the next reconnect is over.
  caf::reacts_to<deadline_atom, uint64_t>,
  // Its own timer: request `id` (one it makes by itself: a bundle fetch,
  // a prekey count or publish) has waited long enough for its answer.
  caf::reacts_to<tick_atom, uint64_t>,
  // Its own: records (and then acknowledges) the messages the listener
  // has dealt with since the last time, in one transaction.
  caf::reacts_to<flush_atom>,
  // Closes the connection and quits.
  caf::reacts_to<stop_atom>,
  // Deletes the local history with a peer (pin and seen ids stay, so the
  // key is still checked and old messages are not shown again); replies
  // how many messages were deleted.
  caf::replies_to<forget_atom, std::string>::with<uint64_t>,
  // The newest `limit` (at most 200) messages with a peer ("": with
  // anyone) whose text contains `text` (ASCII letters in any case), newest
  // first; `text` is matched as written, '%' and '_' too.
  caf::replies_to<search_atom, std::string, std::string, uint32_t>::with<
    std::vector<history_entry>>,
  // Tells `peer` that this user read their messages up to `msg_id` (a
  // control letter, kept out of the history); at most one a second per
  // peer: a newer one waits for the rest of the second and replaces the
  // older. Best effort: nothing is said if it cannot go.
  caf::reacts_to<read_atom, std::string, std::string>,
  // Its own timer: the read receipt that waited for `peer` goes now.
  caf::reacts_to<read_atom, std::string>,
  // Tells `peer` this user is typing, at most once every 3 s per peer and
  // only while `peer` is online (a typing letter is never left queued for
  // later). Best effort.
  caf::reacts_to<typing_atom, std::string>>;

} // namespace courier

// Local messages only: they never leave the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::protocol::prekey_upload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::protocol::x3dh::bundle)
