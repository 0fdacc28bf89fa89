#pragma once

// Every message and typed actor interface of a Courier node, in one place.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/bank/ledger.hpp"
#include "crypto/key.hpp"
#include "crypto/letter.hpp"

namespace courier {

// -- atoms (at most 10 characters) -------------------------------------------

using frame_atom = caf::atom_constant<caf::atom("frame")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using owner_atom = caf::atom_constant<caf::atom("owner")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using online_atom = caf::atom_constant<caf::atom("online")>;
using kick_atom = caf::atom_constant<caf::atom("kick")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using seal_atom = caf::atom_constant<caf::atom("seal")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;
using message_atom = caf::atom_constant<caf::atom("message")>;
using trust_atom = caf::atom_constant<caf::atom("trust")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using account_atom = caf::atom_constant<caf::atom("account")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;
using delivered_atom = caf::atom_constant<caf::atom("delivered")>;
using contacts_atom = caf::atom_constant<caf::atom("contacts")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;
using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using home_online_atom = caf::atom_constant<caf::atom("homeonline")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;

// -- message types -------------------------------------------------------------

/// One queued message as the store keeps it.
struct stored_message {
  uint64_t seq = 0;
  std::string from;
  std::string blob;
  int64_t ts = 0; ///< router clock when accepted, ms since the epoch
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_message& x) {
  return f(caf::meta::type_name("stored_message"), x.seq, x.from, x.blob, x.ts);
}

/// A verified, decrypted message as the client hands it to its listener.
struct inbound_message {
  std::string from;
  std::string to;
  std::string body;
  std::string msg_id;
  int64_t sent_ts = 0;     ///< sender's clock
  int64_t accepted_ts = 0; ///< router's clock
  std::string sender_fp;   ///< fingerprint of the key that signed it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inbound_message& x) {
  return f(caf::meta::type_name("inbound_message"), x.from, x.to, x.body,
           x.msg_id, x.sent_ts, x.accepted_ts, x.sender_fp);
}

/// What `lookup` answers on the client side: a user's key and its pin.
struct contact_key {
  std::string user;
  std::string fingerprint;
  bool pinned_now = false; ///< first seen by this lookup
  bool verified = false;   ///< the user compared fingerprints and said so
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, contact_key& x) {
  return f(caf::meta::type_name("contact_key"), x.user, x.fingerprint,
           x.pinned_now, x.verified);
}

/// One message of the local history.
struct history_entry {
  std::string peer;
  bool outgoing = false;
  std::string body;
  std::string msg_id;
  int64_t ts = 0;
  bool delivered = false; ///< outgoing: the recipient acknowledged it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("history_entry"), x.peer, x.outgoing, x.body,
           x.msg_id, x.ts, x.delivered);
}

// -- server side ---------------------------------------------------------------

/// A session: one edge connection, from its handshake to its close. It is
/// a broker, so it also gets the socket's events.
using session_actor = caf::typed_actor<
  // Timer: handshake, quiet and idle checks; only the newest one counts.
  caf::reacts_to<tick_atom, uint64_t>,
  // Timer: the frame-rate pause is over; read again.
  caf::reacts_to<resume_atom>,
  // Router pushes a queued message to the user.
  caf::reacts_to<deliver_atom, stored_message>,
  // Router ends the session (signed in elsewhere, shutting down).
  caf::reacts_to<kick_atom, std::string>,
  // Router: the recipient acknowledged message `seq` this user sent.
  caf::reacts_to<delivered_atom, uint64_t>>;

/// The server's half of one handshake, kept between the client's hello and
/// its finish (defined in actors/handshake_worker.hpp).
struct handshake_progress;
using handshake_ptr = std::shared_ptr<handshake_progress>;

/// The public-key work of server handshakes, off the I/O thread (a pool).
using handshake_worker_actor = caf::typed_actor<
  // Checks a client hello and answers it: the server hello to send, and
  // what the finish is checked against.
  caf::replies_to<hello_atom, std::string>::with<std::string, handshake_ptr>,
  // Checks the client's finish (its proof of key possession), then binds
  // the name to the key in the directory; replies whether the user is new
  // (the directory's answer, `username_taken` included).
  caf::replies_to<verify_atom, handshake_ptr, std::string>::with<bool>>;

/// Username -> identity key, durable.
using directory_actor = caf::typed_actor<
  // Binds a name to a key on first use; `true` if the user is new.
  // Fails with `username_taken` for another key.
  caf::replies_to<register_atom, std::string, std::string>::with<bool>,
  // The key (SPKI DER) of a user, or `unknown_user`.
  caf::replies_to<lookup_atom, std::string>::with<std::string>,
  // Internal: commit the registrations gathered so far.
  caf::reacts_to<tick_atom>>;

/// The durable offline queue (group commit).
using store_actor = caf::typed_actor<
  // Queues a message for `to`; replies once it is durable, or once a drop
  // of it came in the same batch. A seq of 0 lets the store pick one.
  caf::replies_to<put_atom, std::string, stored_message>::with<
    stored_message>,
  // Messages for `to` after `seq`, in order, at most `limit`.
  caf::replies_to<fetch_atom, std::string, uint64_t, uint32_t>::with<
    std::vector<stored_message>>,
  // Deletes a message the recipient acknowledged.
  caf::reacts_to<drop_atom, std::string, uint64_t>,
  // Internal: commit everything pending.
  caf::reacts_to<flush_atom>,
  // The node is stopping: writes every pending message now; replies how
  // many it wrote.
  caf::replies_to<stop_atom>::with<size_t>>;

/// Who is online; moves messages from senders to recipients. In a cluster
/// every user has one home router (rendezvous hashing over the router
/// names) that owns the user's directory entry, offline queue and live
/// session, wherever the session is connected. Routers publish this
/// interface on the backbone; a request about a user homed elsewhere is
/// passed to the home router, or refused with `unreachable` while it is
/// down. A request from another node is always answered as the home.
using router_actor = caf::typed_actor<
  // An authenticated session for a user.
  caf::reacts_to<login_atom, std::string, session_actor>,
  // Accepts a sealed blob from `from` to `to`; replies its seq once it is
  // durable or acknowledged, and whether the recipient acknowledged it
  // (then no delivered notice follows).
  caf::replies_to<send_atom, std::string, std::string, std::string>::with<
    uint64_t, bool>,
  // The user acknowledged message `seq`.
  caf::reacts_to<ack_atom, std::string, uint64_t>,
  // Tells `user` that message `seq` it sent was acknowledged.
  caf::reacts_to<delivered_atom, std::string, uint64_t>,
  // Usernames with a live session (the whole cluster).
  caf::replies_to<online_atom>::with<std::vector<std::string>>,
  // Usernames homed here with a live session (what peers ask each other).
  caf::replies_to<home_online_atom>::with<std::vector<std::string>>,
  // The directory of the user's home router (see directory_actor).
  caf::replies_to<register_atom, std::string, std::string>::with<bool>,
  caf::replies_to<lookup_atom, std::string>::with<std::string>,
  // This router's name in the cluster.
  caf::replies_to<status_atom>::with<std::string>,
  // Internal: a held message's time is up.
  caf::reacts_to<tick_atom>,
  // The node is stopping: hands every held message to the store; replies
  // how many. Ignored from other nodes.
  caf::replies_to<flush_atom>::with<size_t>,
  // Router `name` is reachable at this handle (from this router's peer
  // link, or from the peer's own link that dialled this router). The
  // router watches it and forgets it when it goes.
  caf::reacts_to<peer_up_atom, std::string, caf::strong_actor_ptr>>;

// -- client side ---------------------------------------------------------------

/// Public-key work off the caller's thread (a pool of these).
using crypto_worker_actor = caf::typed_actor<
  // Seals a letter for its readers with the owner's key.
  caf::replies_to<seal_atom, crypto::letter, std::vector<crypto::reader>>::with<
    std::string>,
  // Decrypts a blob addressed to the owner (signature not yet checked).
  caf::replies_to<open_atom, std::string>::with<crypto::opened_letter>>;

/// The client: one connection to a router, the user's keys, pins and
/// history. Used by the CLI, the bank and the desktop app.
using client_actor = caf::typed_actor<
  // Connects and signs in; replies the router's fingerprint and whether
  // this login registered the user.
  caf::replies_to<connect_atom>::with<std::string, bool>,
  // Seals and sends `body` to `to`; replies the msg_id once the router
  // accepted it (stored durably).
  caf::replies_to<send_atom, std::string, std::string>::with<std::string>,
  // Users online on the router.
  caf::replies_to<online_atom>::with<std::vector<std::string>>,
  // A contact's key fingerprint (pinned on first sight).
  caf::replies_to<lookup_atom, std::string>::with<contact_key>,
  // Accepts a contact's new key if its fingerprint matches.
  caf::replies_to<trust_atom, std::string, std::string>::with<contact_key>,
  // Marks the pinned key of a contact as verified by the user.
  caf::replies_to<verify_atom, std::string>::with<contact_key>,
  // Every contact: pinned keys and history peers.
  caf::replies_to<contacts_atom>::with<std::vector<contact_key>>,
  // The newest `limit` messages with a peer, oldest first.
  caf::replies_to<history_atom, std::string, uint32_t>::with<
    std::vector<history_entry>>,
  // Sets the actor that receives `(message_atom, inbound_message)` requests
  // (reply `true` once handled, `false` to leave it on the router) and the
  // events `(status_atom, std::string)` ("connected", "disconnected" or a
  // warning) and `(delivered_atom, std::string msg_id)`.
  caf::reacts_to<listen_atom, caf::actor>,
  // From the connection broker.
  caf::reacts_to<frame_atom, std::string>,
  // Closes the connection and quits.
  caf::reacts_to<stop_atom>>;

// -- bank ----------------------------------------------------------------------

/// The durable ledger (group commit: every order in the mailbox is applied
/// in one transaction, committed before any of them is answered).
/// Requests carry the fingerprint of the key that signed the order; an
/// account only answers to the key it was opened with.
using ledger_actor = caf::typed_actor<
  // Opens (or finds) `user`'s account for key `fp`: balance, created.
  caf::replies_to<account_atom, std::string, std::string>::with<int64_t, bool>,
  // Applies a transfer or issue.
  caf::replies_to<transfer_atom, bank::transfer_order>::with<
    bank::transfer_receipt>,
  // Balance of `user` for key `fp`.
  caf::replies_to<balance_atom, std::string, std::string>::with<int64_t>,
  // History of `user` for key `fp`: limit, before.
  caf::replies_to<history_atom, std::string, std::string, uint32_t,
                  uint64_t>::with<std::vector<bank::transfer_receipt>>,
  // Checks the books.
  caf::replies_to<audit_atom>::with<bank::audit_report>,
  // Internal: commit everything pending.
  caf::reacts_to<flush_atom>>;

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::crypto::letter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::crypto::reader)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<courier::crypto::reader>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::crypto::opened_letter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::handshake_ptr)
