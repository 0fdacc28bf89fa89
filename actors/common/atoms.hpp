#pragma once

// Every atom Courier's actors speak, in one block, grouped by the
// conversation that uses it. An atom's text is part of the backbone's wire
// format (routers speak typed messages to each other): never rename one
// that a router interface uses.

#include <caf/atom.hpp>

namespace courier {

// -- connection and session: the socket's side --------------------------------
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// A deadline of a listener, session or connection is due.
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;

// -- handshake workers --------------------------------------------------------
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;
/// A handshake worker finished its job and takes the next.
using idle_atom = caf::atom_constant<caf::atom("idle")>;

// -- edge listener <-> session, doorman ----------------------------------------
/// May this connection's address register a new name (takes a token)?
using name_token_atom = caf::atom_constant<caf::atom("nametoken")>;
/// The token taken was not used: the name already existed, or sign-in failed.
using refund_atom = caf::atom_constant<caf::atom("refund")>;
/// The listening socket hit the descriptor limit: back off accepting.
using exhausted_atom = caf::atom_constant<caf::atom("exhausted")>;

// -- session <-> router -------------------------------------------------------
using login_atom = caf::atom_constant<caf::atom("login")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using delivered_atom = caf::atom_constant<caf::atom("delivered")>;
using online_atom = caf::atom_constant<caf::atom("online")>;
using kick_atom = caf::atom_constant<caf::atom("kick")>;

// -- router <-> router (backbone) ---------------------------------------------
using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using home_online_atom = caf::atom_constant<caf::atom("homeonline")>;
/// Which router's certificate stands behind a backbone handle (local only).
using identify_atom = caf::atom_constant<caf::atom("identify")>;
/// A held message's time is up (the router's own timer).
using tick_atom = caf::atom_constant<caf::atom("tick")>;

// -- directory and store ------------------------------------------------------
using register_atom = caf::atom_constant<caf::atom("register")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
/// A device's prekeys: publish them, or count the one-time ones left.
using prekeys_atom = caf::atom_constant<caf::atom("prekeys")>;
/// A user's prekey bundle (takes one one-time prekey).
using bundle_atom = caf::atom_constant<caf::atom("bundle")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;
/// Another router wrote to these users' queues (a shared store's notice).
using queued_atom = caf::atom_constant<caf::atom("queued")>;
/// Commit what is pending now (store, directory, ledger).
using flush_atom = caf::atom_constant<caf::atom("flush")>;

// -- client and its listener --------------------------------------------------
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;
using message_atom = caf::atom_constant<caf::atom("message")>;
using key_changed_atom = caf::atom_constant<caf::atom("keychanged")>;
using trust_atom = caf::atom_constant<caf::atom("trust")>;
using contacts_atom = caf::atom_constant<caf::atom("contacts")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using seal_atom = caf::atom_constant<caf::atom("seal")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
/// Deletes the local history with one peer.
using forget_atom = caf::atom_constant<caf::atom("forget")>;
/// Finds messages of the local history by text.
using search_atom = caf::atom_constant<caf::atom("search")>;
/// A read receipt to a peer (control letter).
using read_atom = caf::atom_constant<caf::atom("read")>;
/// A typing indicator to a peer (control letter).
using typing_atom = caf::atom_constant<caf::atom("typing")>;
/// Tells a payee of a payment (control letter: a payment notice).
using paid_atom = caf::atom_constant<caf::atom("paid")>;

// -- ledger -------------------------------------------------------------------
using account_atom = caf::atom_constant<caf::atom("account")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;

// -- every node ---------------------------------------------------------------
using status_atom = caf::atom_constant<caf::atom("status")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

} // namespace courier
