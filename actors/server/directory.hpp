#pragma once

#include <caf/actor_system.hpp>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/common/atoms.hpp"
#include "actors/common/sqlite.hpp"

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
  // The key (SPKI DER) of a user, or `unknown_user`.
  caf::replies_to<lookup_atom, std::string>::with<std::string>>;

/// Opens the directory database at `path` and creates its schema.
caf::expected<std::shared_ptr<database>>
open_directory_db(const std::string& path);

/// Limits of one directory.
struct directory_limits {
  /// Names one key may hold here (0: any number). In a cluster each home
  /// router counts the names it holds.
  uint32_t max_names_per_key = 4;
};

/// Username -> identity key. A name is bound to the first key that proved
/// possession of it; the binding is committed before it is confirmed.
directory_actor spawn_directory(caf::actor_system& sys,
                                std::shared_ptr<database> db,
                                directory_limits limits = {});

} // namespace courier
