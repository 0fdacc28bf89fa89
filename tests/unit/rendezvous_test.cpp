// Home routers by rendezvous hashing, and the cluster's address syntax.

#include <gtest/gtest.h>

#include <map>

#include "actors/common/endpoint.hpp"
#include "actors/server/cluster/peer_link.hpp"
#include "actors/server/cluster/rendezvous.hpp"

using namespace courier::cluster;

namespace {

std::string user(int i) {
  return "user" + std::to_string(i);
}

} // namespace

TEST(rendezvous, the_home_does_not_depend_on_the_order_of_the_routers) {
  std::vector<std::string> one{"A", "B", "C"};
  std::vector<std::string> two{"C", "A", "B"};
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(one[home_index(one, user(i))], two[home_index(two, user(i))]);
}

TEST(rendezvous, users_spread_evenly) {
  std::vector<std::string> routers{"A", "B", "C"};
  std::map<size_t, int> count;
  for (int i = 0; i < 3000; ++i)
    ++count[home_index(routers, user(i))];
  for (auto& [index, n] : count) {
    EXPECT_GT(n, 850) << routers[index];
    EXPECT_LT(n, 1150) << routers[index];
  }
}

TEST(rendezvous, removing_a_router_moves_only_its_users) {
  std::vector<std::string> three{"A", "B", "C"};
  std::vector<std::string> two{"A", "B"};
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    auto before = three[home_index(three, user(i))];
    auto after = two[home_index(two, user(i))];
    if (before != "C")
      EXPECT_EQ(before, after) << user(i);
    else
      ++moved;
  }
  EXPECT_GT(moved, 0);
}

TEST(rendezvous, the_weight_is_pinned_across_builds) {
  // Every router of a cluster must compute the same homes, whatever
  // compiler or machine built it: these values must never change.
  EXPECT_NE(weight("A", "alice"), weight("B", "alice"));
  // The separator keeps ("AB", "c") and ("A", "Bc") apart.
  EXPECT_NE(weight("AB", "c"), weight("A", "Bc"));
  // Reference values from an independent implementation (Python) of
  // FNV-1a(router, 0xff, user) with the splitmix64 finaliser.
  EXPECT_EQ(weight("A", "alice"), 0xea78329dd8cbcc22ULL);
  EXPECT_EQ(weight("router-2", "bank"), 0xc09e7e0d864b5287ULL);
}

TEST(rendezvous, one_router_is_home_to_everyone) {
  std::vector<std::string> one{"solo"};
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(home_index(one, user(i)), 0u);
}

TEST(peer_address, parses_name_host_and_port) {
  auto p = parse_peer("B@10.0.0.2:7500");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "B");
  EXPECT_EQ(p->backbone.host, "10.0.0.2");
  EXPECT_EQ(p->backbone.port, 7500);
  auto v6 = parse_peer("r-2@[::1]:7500");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->backbone.host, "[::1]");
}

TEST(peer_address, rejects_what_is_not_name_at_host_colon_port) {
  for (auto bad : {"", "B", "B@", "@h:1", "B@h", "B@h:", "B@h:0", "B@h:65536",
                   "B@h:12x", "B@:1", "b a@h:1", "B@h:-1",
                   "waytoolongnamewaytoolongnamewaytoolong@h:1"})
    EXPECT_FALSE(parse_peer(bad)) << bad;
}

TEST(endpoint, parses_host_and_port_and_nothing_else) {
  auto ep = courier::parse_endpoint("127.0.0.1:7400");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 7400);
  EXPECT_FALSE(courier::parse_endpoint("127.0.0.1:0"));
  ASSERT_TRUE(courier::parse_endpoint("127.0.0.1:0", true)); // listen: any
  for (auto bad : {"", ":7400", "127.0.0.1", "127.0.0.1:", "127.0.0.1:74OO",
                   "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1: 7400",
                   "127.0.0.1:7400 "})
    EXPECT_FALSE(courier::parse_endpoint(bad, true)) << bad;
  std::vector<courier::endpoint> list;
  EXPECT_TRUE(courier::parse_endpoints("a:1,b:2", list));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].to_string(), "b:2");
  for (auto bad : {"", "a:1,", ",a:1", "a:1,,b:2", "a:1,b"})
    EXPECT_FALSE(courier::parse_endpoints(bad, list)) << bad;
}
