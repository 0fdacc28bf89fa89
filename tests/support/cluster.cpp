#include "tests/support/cluster.hpp"

#include <stdexcept>

#include "actors/server/cluster/rendezvous.hpp"

namespace courier::test {

void make_certs(const std::string& dir, const std::vector<std::string>& nodes) {
  std::vector<std::string> argv{"/bin/bash",
                                COURIER_SOURCE_DIR "/deploy/make-certs.sh", dir};
  argv.insert(argv.end(), nodes.begin(), nodes.end());
  auto r = run(argv);
  if (r.exit_code != 0)
    throw std::runtime_error("make-certs.sh failed (exit " + std::to_string(r.exit_code) + "): " + r.out + r.err);
}

router_process start_cluster_router(const temp_dir& dir, const std::string& certs,
                                    const std::vector<router_spec>& cluster,
                                    size_t index,
                                    std::vector<std::string> extra) {
  auto& me = cluster.at(index);
  std::vector<std::string> args{
    "--name=" + me.name,
    "--backbone=" + me.host + ":" + std::to_string(me.backbone),
    "--tls-cert=" + certs + "/" + me.name + ".crt",
    "--tls-key=" + certs + "/" + me.name + ".key",
    "--tls-ca=" + certs + "/ca.crt"};
  for (size_t i = 0; i < cluster.size(); ++i)
    if (i != index)
      args.push_back("--peer=" + cluster[i].name + "@" + cluster[i].host + ":"
                     + std::to_string(cluster[i].backbone));
  args.insert(args.end(), extra.begin(), extra.end());
  return router_process::start(dir / ("router-" + me.name), me.edge, args,
                               me.prefix, me.host);
}

std::string homed_at(const std::string& prefix, const std::string& router,
                     const std::vector<std::string>& routers) {
  for (int i = 0; i < 1000; ++i) {
    auto name = i == 0 ? prefix : prefix + std::to_string(i);
    if (routers[cluster::home_index(routers, name)] == router)
      return name;
  }
  throw std::runtime_error("no name homed at " + router);
}

std::string servers(const std::vector<router_spec>& cluster,
                    const std::vector<size_t>& indexes) {
  std::string out;
  for (auto i : indexes)
    out += (out.empty() ? "" : ",") + cluster.at(i).host + ":"
           + std::to_string(cluster.at(i).edge);
  return out;
}

} // namespace courier::test
