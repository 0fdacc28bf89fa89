#pragma once

#include <string>

#include <caf/error.hpp>

namespace courier {

/// Whether `store` names a PostgreSQL server (postgresql:// or
/// postgres://) rather than the default SQLite files.
bool is_postgresql_address(const std::string& store);

/// Checks a libpq connection string before any connection: it must parse,
/// and it must not carry a password (a command line is visible to every
/// user of the machine; libpq reads PGPASSFILE or ~/.pgpass instead).
/// Fails with `bad_store_address`; the message never repeats the address
/// and names `option`, the command-line option that gave it.
caf::error check_postgresql_address(const std::string& conninfo,
                                    const std::string& option = "--store");

} // namespace courier
