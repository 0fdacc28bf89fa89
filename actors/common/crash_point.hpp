#pragma once

#include <cstdlib>
#include <cstring>

namespace courier {

/// A place where the crash tests stop the process as `kill -9` would (no
/// destructor, no flush) when the environment variable
/// COURIER_TEST_CRASH_AT names it. The tests kill a client between the
/// steps of receiving a message and check that nothing is lost or shown
/// twice; without the variable this is one cached comparison.
inline void crash_point(const char* name) {
  static const char* wanted = std::getenv("COURIER_TEST_CRASH_AT");
  if (wanted != nullptr && std::strcmp(wanted, name) == 0)
    std::_Exit(137);
}

} // namespace courier
