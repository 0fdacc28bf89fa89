#include "tests/support/two_routers.hpp"

#include <sstream>

#include <boost/json.hpp>

namespace courier::test {

void two_routers::start_routers() {
  make_certs(certs, names);
  a = start(0);
  b = start(1);
  ASSERT_TRUE(wait_for_text(a.log, "peer B is up")) << slurp(a.log);
  ASSERT_TRUE(wait_for_text(b.log, "peer A is up")) << slurp(b.log);
}

router_process two_routers::start(size_t index) {
  return start_cluster_router(dir, certs, spec, index, extra);
}

void two_routers::init(const std::string& user) {
  auto r = init_identity(dir / "home", user);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

run_result two_routers::as(const std::string& user, std::vector<size_t> via,
                           std::vector<std::string> args) {
  if (!bank_fp.empty())
    args.insert(args.begin(), "--bank-fingerprint=" + bank_fp);
  return run(cli(dir / "home", servers(spec, via), user, std::move(args)));
}

std::string two_routers::prepare_bank(const std::string& op) {
  bank_fp = bank_fingerprint(dir / "bank");
  EXPECT_FALSE(bank_fp.empty()) << "no bank key";
  auto op_fp = user_fingerprint(dir / "home", op);
  EXPECT_FALSE(op_fp.empty()) << "no key for " << op;
  return "--operator=" + op + "=" + op_fp;
}

std::vector<std::string> two_routers::bodies(const std::string& user,
                                             size_t via, int count, int wait) {
  auto r = as(user, {via}, {"--json", "recv", "--wait", std::to_string(wait),
                            "--count", std::to_string(count)});
  std::vector<std::string> out;
  std::istringstream lines{r.out};
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty())
      out.emplace_back(
        boost::json::parse(line).as_object()["body"].as_string().c_str());
  return out;
}

} // namespace courier::test
