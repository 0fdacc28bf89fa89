#pragma once

#include <caf/actor_system.hpp>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/interfaces.hpp"
#include "actors/sqlite.hpp"

namespace courier {

/// Opens the directory database at `path` and creates its schema.
caf::expected<std::shared_ptr<database>>
open_directory_db(const std::string& path);

/// Username -> identity key. A name is bound to the first key that proved
/// possession of it; the binding is committed before it is confirmed.
directory_actor spawn_directory(caf::actor_system& sys,
                                std::shared_ptr<database> db);

} // namespace courier
