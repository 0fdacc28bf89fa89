#pragma once

// Helpers the protocol unit tests share: error codes out of results, and
// sealing through a channel with the failure reported at the call site.

#include <string>

#include <gtest/gtest.h>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/channel.hpp"

namespace courier::test {

/// The error code of a result, `errc::none` when it holds a value.
template <class T>
errc code(const caf::expected<T>& x) {
  return x ? errc::none : code_of(x.error());
}

/// The error code of an error, `errc::none` when there is none.
inline errc code(const caf::error& err) {
  return code_of(err);
}

/// `msg` sealed by `ch` into one frame; a sealing error fails the test.
inline std::string seal(protocol::channel& ch, const std::string& msg) {
  std::string out;
  auto err = ch.seal(msg, out);
  EXPECT_FALSE(err) << explain(err);
  return out;
}

} // namespace courier::test
