#pragma once

#include <caf/actor_system_config.hpp>

namespace courier {

/// The CAF configuration every Courier process starts from: Courier's
/// message types, its error category, and the I/O module.
class base_config : public caf::actor_system_config {
public:
  base_config();
};

/// Turns `--key value` into CAF's `--key=value` for options that take a
/// value, so both spellings work; `-x` short flags are left alone.
std::vector<std::string> normalize_args(int argc, char** argv, int first);

} // namespace courier
