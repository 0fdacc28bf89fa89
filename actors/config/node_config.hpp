#pragma once

#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "actors/common/telemetry.hpp"

namespace courier {

/// The CAF configuration every Courier process starts from: Courier's
/// message types, its error category, and the I/O module. Its telemetry
/// slot is where a node's actors find its metrics and readiness.
class base_config : public caf::actor_system_config, public telemetry_slot {
public:
  base_config();
};

/// Turns `--key value` into CAF's `--key=value` for options that take a
/// value, so both spellings work; `-x` short flags are left alone.
std::vector<std::string> normalize_args(int argc, char** argv, int first);

/// Removes every `--name=VALUE` from `args` and returns the values in
/// order: for options that may repeat, which CAF's command line cannot.
std::vector<std::string> take_repeated(std::vector<std::string>& args,
                                       const std::string& name);

} // namespace courier
