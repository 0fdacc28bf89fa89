#pragma once

#include <chrono>
#include <cstdint>

namespace courier {

/// Wall-clock time in milliseconds since the epoch: what routers stamp on
/// accepted messages and the ledger on commits.
inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace courier
