#pragma once

// Several routers as one cluster, for whole-process tests: certificates
// from deploy/make-certs.sh, the same router list on every node.

#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace courier::test {

/// One router of a test cluster.
struct router_spec {
  std::string name;
  std::string host = "127.0.0.1";
  uint16_t edge = 0;
  uint16_t backbone = 0;
  std::vector<std::string> prefix; ///< e.g. `ip netns exec NS`
};

/// Runs deploy/make-certs.sh into `dir` for `nodes`; throws on failure.
void make_certs(const std::string& dir, const std::vector<std::string>& nodes);

/// Starts router `index` of `cluster` with its certificate from `certs`
/// (`certs/NAME.crt`, `.key`, `ca.crt`) and its data under `dir`.
router_process start_cluster_router(const temp_dir& dir, const std::string& certs,
                                    const std::vector<router_spec>& cluster,
                                    size_t index,
                                    std::vector<std::string> extra = {});

/// The first of `prefix`, `prefix`1, `prefix`2 ... whose home is `router`.
std::string homed_at(const std::string& prefix, const std::string& router,
                     const std::vector<std::string>& routers);

/// Comma-separated edge addresses of `cluster` in the order of `indexes`.
std::string servers(const std::vector<router_spec>& cluster,
                    const std::vector<size_t>& indexes);

} // namespace courier::test
