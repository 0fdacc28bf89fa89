#pragma once

#include <caf/actor_system.hpp>
#include <map>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/sqlite.hpp"
#include "actors/server/store_backend.hpp"

namespace courier {

/// Username -> identity key, durable.
using directory_actor = caf::typed_actor<
  // Binds a name to a key on first use; `true` if the user is new.
  // Fails with `username_taken` for another key, `too_many_names` when the
  // key holds its share of names already.
  caf::replies_to<register_atom, std::string, std::string>::with<bool>,
  // The same, but a new name only if the flag is set; else it fails with
  // `rate_limited` (the edge ran out of new names for that address).
  caf::replies_to<register_atom, std::string, std::string, bool>::with<bool>,
  // The same, with the source address of the sign-in (socket.hpp's
  // source_of): on a shared store a new name also takes one of the
  // source's new names per minute, counted in the store for every router
  // (`rate_limited` when none is left).
  caf::replies_to<register_atom, std::string, std::string, bool,
                  std::string>::with<bool>,
  // The key (SPKI DER) of a user, or `unknown_user`.
  caf::replies_to<lookup_atom, std::string>::with<std::string>,
  // Stores what `user` publishes (the JSON of a protocol::prekey_upload),
  // checked against the key `user` is registered with (see prekey_store);
  // replies how many one-time prekeys the device has now.
  caf::replies_to<prekeys_atom, std::string, std::string>::with<uint32_t>,
  // How many one-time prekeys `user`'s device has left.
  caf::replies_to<prekeys_atom, std::string>::with<uint32_t>,
  // `user`'s bundle as JSON (protocol::to_json(x3dh::bundle)), with at most
  // one one-time prekey, which is deleted; `unknown_user` or `no_bundle`.
  caf::replies_to<bundle_atom, std::string>::with<std::string>>;

/// Opens the directory database at `path` and brings its schema to the
/// newest version (see migrate_directory).
caf::expected<std::shared_ptr<database>>
open_directory_db(const std::string& path);

/// Limits of one directory.
struct directory_limits {
  /// Names one key may hold here (0: any number). In a cluster each home
  /// router counts the names it holds.
  uint32_t max_names_per_key = 4;
  /// On a shared store: new names one source address may register in any
  /// minute, across every router of the store (0: not counted there; each
  /// edge listener keeps its own buckets too).
  uint32_t registrations_per_minute = 0;
};

/// Username -> identity key. A name is bound to the first key that proved
/// possession of it; the binding is committed before it is confirmed.
/// `reserved` maps names (the bank's, its operators') to the fingerprint
/// of the only key that may register them: any other key gets
/// `name_reserved`, and a binding of such a name to another key found in
/// the database (made before the reservation) is removed at start.
directory_actor
spawn_directory(caf::actor_system& sys, std::shared_ptr<directory_backend> db,
                directory_limits limits = {},
                std::map<std::string, std::string> reserved = {});

/// The same on a SQLite database from open_directory_db.
directory_actor
spawn_directory(caf::actor_system& sys, std::shared_ptr<database> db,
                directory_limits limits = {},
                std::map<std::string, std::string> reserved = {});

/// The directory backend over a SQLite database from open_directory_db.
std::shared_ptr<directory_backend>
sqlite_directory(std::shared_ptr<database> db);

} // namespace courier
