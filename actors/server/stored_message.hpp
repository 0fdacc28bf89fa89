#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace courier {

/// One queued message as the store keeps it.
struct stored_message {
  uint64_t seq = 0;
  std::string from;
  std::string blob;
  int64_t ts = 0; ///< router clock when accepted, ms since the epoch
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_message& x) {
  return f(caf::meta::type_name("stored_message"), x.seq, x.from, x.blob, x.ts);
}

} // namespace courier
