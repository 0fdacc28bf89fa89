#pragma once

// A gtest fixture for whole-process tests of a two-router cluster.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace courier::test {

/// Routers A and B as one cluster, and CLI users in one home folder.
/// A test fills `spec` (and `certs`) and calls start_routers().
class two_routers : public ::testing::Test {
protected:
  /// Starts A and B and waits until they see each other.
  void start_routers();
  router_process start(size_t index);
  /// `courier-cli init` for `user`; fails the test if it fails.
  void init(const std::string& user);
  /// Runs a CLI command as `user` against the routers `via` (in order),
  /// telling it the bank's fingerprint `bank_fp` if there is one.
  run_result as(const std::string& user, std::vector<size_t> via,
                std::vector<std::string> args);
  /// Bodies of what `user` receives through router `via`, in order.
  std::vector<std::string> bodies(const std::string& user, size_t via,
                                  int count, int wait = 10);
  /// Makes the bank's key in `dir/bank` and notes its fingerprint in
  /// `bank_fp`; returns `--operator=OP=FINGERPRINT` for the bank's command
  /// line, `op` having been initialized.
  std::string prepare_bank(const std::string& op);

  static inline const std::vector<std::string> names{"A", "B"};
  temp_dir dir;
  std::string certs = dir / "tls";
  std::vector<router_spec> spec;
  std::vector<std::string> extra; ///< options every router is given
  router_process a;
  router_process b;
  std::string bank_fp; ///< the bank's key, once prepare_bank() ran
};

} // namespace courier::test
