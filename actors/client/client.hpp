#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/io/broker.hpp>

#include "actors/client/client_actor.hpp"
#include "actors/client/connection.hpp"
#include "actors/common/endpoint.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/protocol/limits.hpp"
#include "crypto/key.hpp"

namespace courier {

/// What a client enforces on its router's stream: the frame and buffer
/// caps, but no frame rate. The rate cap protects routers from clients; a
/// client that paused on a burst of answers it asked for would make the
/// router's write buffer overflow and lose the connection.
inline edge_limits router_stream_limits() {
  edge_limits l;
  l.max_frames_per_second = UINT32_MAX;
  return l;
}

/// Everything a client actor needs to start.
struct client_config {
  std::string user;
  std::string dir;                ///< the user's data folder
  crypto::key identity;           ///< unlocked RSA key
  std::vector<endpoint> servers;  ///< tried in order
  std::string server_fingerprint; ///< explicit pin of every router, may be empty
  /// Explicit pins per router address (`HOST:PORT` as in `servers`); an
  /// address here is checked against its own fingerprint, not
  /// `server_fingerprint`, so failover works with pins.
  std::map<std::string, std::string> server_fingerprints;
  /// The bank's key fingerprint, from configuration. A key for `bank` that
  /// a router answers is used only if it matches this, or, when this is
  /// empty, if it is the pinned key the user trusted explicitly
  /// (`courier-cli trust bank FP`): orders never go to, and receipts never
  /// come from, a key a router made up.
  std::string bank_fingerprint;
  edge_limits limits = router_stream_limits();
  std::chrono::milliseconds connect_timeout{5000};
  size_t crypto_workers = 2;
  /// Messages handed to the listener before it answers (1 keeps order).
  size_t max_handovers = 1;
  /// After losing an open connection, connect again by itself (each router
  /// in turn, pausing 0.1 s doubling to 5 s) and send the unanswered
  /// requests again, instead of failing them: the listener hears
  /// "reconnecting", then "connected", or "disconnected" if no router took
  /// it back within `resend_window` or the failure cannot pass (a changed
  /// key). Off for the app, which reconnects with a new client itself.
  bool reconnect = false;
  std::chrono::milliseconds resend_window{60000};
  /// Letters v3: publish prekeys and send in ratchet sessions to every
  /// recipient with a bundle. Off, the client sends letters v1 only (the
  /// old path, for comparisons); it opens both either way.
  bool forward_secrecy = true;
  /// Writes conversations to the local history (the app and the CLI show
  /// it). The bank keeps none: its ledger and the signed letters it keeps
  /// as proof are its records, and a history would cost two writes per
  /// order and grow with every order.
  bool keep_history = true;
  /// How often the device makes a new signed prekey.
  std::chrono::milliseconds prekey_rotation{std::chrono::hours{24 * 7}};
  /// How long the client waits for the answer to a request it makes by
  /// itself (a bundle fetch, a prekey count or publish), which no caller's
  /// timeout would end: a router that never answers fails the sends
  /// waiting on a bundle with `unreachable` instead of leaving them hang.
  std::chrono::milliseconds own_request_timeout{30000};
};

/// The client actor (see `client_actor` in interfaces.hpp).
/// Opens the user's local database and spawns a client actor.
caf::expected<client_actor> spawn_client(caf::actor_system& sys,
                                         client_config cfg);

/// Connects with a timeout (non-blocking connect + poll); the socket fd.
caf::expected<int> tcp_connect(const endpoint& ep,
                               std::chrono::milliseconds timeout);

/// Reads router pins given as `FP` (allowed with one router only) or
/// `HOST:PORT=FP` (one per router) into address -> fingerprint for
/// `client_config::server_fingerprints`; the error is a sentence.
caf::expected<std::map<std::string, std::string>>
parse_router_pins(const std::vector<std::string>& values,
                  const std::vector<endpoint>& servers);

/// A contact's key that no longer matches the one pinned for them.
struct key_change {
  std::string user;
  std::string fingerprint; ///< of the key the router has now
};

/// `errc::key_changed` with a sentence for a person and the change as data.
caf::error make_key_changed(const key_change& change, std::string sentence);

/// The change a `key_changed` error carries; nothing for any other error.
std::optional<key_change> key_change_of(const caf::error& err);

} // namespace courier

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(courier::client_config)
