// Unit tests for a router's record of its cluster, the data folder lock,
// and peer fingerprints.

#include <gtest/gtest.h>

#include <fstream>

#include "actors/common/error.hpp"
#include "actors/server/cluster/membership.hpp"
#include "actors/server/cluster/peer_certs.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace courier;
using namespace courier::cluster;

TEST(membership, first_start_records_and_later_starts_must_match) {
  test::scratch_dir dir;
  ASSERT_FALSE(check_membership(dir.path(), "A", {"B", "A"}));
  auto rec = read_membership(dir.path());
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->self, "A");
  EXPECT_EQ((*rec)->routers, (std::vector<std::string>{"A", "B"}));
  // The same set in another order is the same set.
  EXPECT_FALSE(check_membership(dir.path(), "A", {"A", "B"}));
  // Another set, or another router's name, is refused with the command.
  auto err = check_membership(dir.path(), "A", {"A", "B", "C"});
  EXPECT_EQ(code_of(err), errc::membership_changed);
  EXPECT_NE(explain(err).find("courier-node migrate --from A,B --to A,B,C"),
            std::string::npos)
    << explain(err);
  EXPECT_EQ(code_of(check_membership(dir.path(), "B", {"A", "B"})),
            errc::membership_changed);
  // An unfinished migration is refused too.
  ASSERT_FALSE(write_membership(dir.path(), {"A", {"A", "B"}, {"A", "B", "C"}}));
  err = check_membership(dir.path(), "A", {"A", "B", "C"});
  EXPECT_EQ(code_of(err), errc::membership_changed);
  EXPECT_NE(explain(err).find("did not finish"), std::string::npos);
}

TEST(membership, a_damaged_record_is_an_error_not_a_first_start) {
  test::scratch_dir dir;
  std::ofstream{dir.path() + "/cluster-members"} << "self A\nrouters A ../x\n";
  EXPECT_EQ(code_of(check_membership(dir.path(), "A", {"A"})),
            errc::bad_encoding);
  std::ofstream{dir.path() + "/cluster-members"} << "routers A\n";
  EXPECT_EQ(code_of(check_membership(dir.path(), "A", {"A"})),
            errc::bad_encoding);
}

TEST(membership, a_data_folder_has_one_user_at_a_time) {
  test::scratch_dir dir;
  auto first = lock_data_dir(dir.path());
  ASSERT_TRUE(first) << explain(first.error());
  auto second = lock_data_dir(dir.path());
  ASSERT_FALSE(second);
  EXPECT_NE(explain(second.error()).find("stop it first"), std::string::npos);
  unlock_data_dir(*first);
  auto third = lock_data_dir(dir.path());
  EXPECT_TRUE(third);
  if (third)
    unlock_data_dir(*third);
}

TEST(peer_certs, fingerprints_are_normalized) {
  std::string hex(64, 'a');
  EXPECT_EQ(parse_fingerprint(hex), hex);
  std::string colons;
  std::string plain;
  for (int i = 0; i < 32; ++i) {
    colons += (i ? ":" : "") + std::string{"AB"};
    plain += "ab";
  }
  EXPECT_EQ(parse_fingerprint(colons), plain);
  EXPECT_FALSE(parse_fingerprint(hex.substr(1)));
  EXPECT_FALSE(parse_fingerprint(hex + "0"));
  EXPECT_FALSE(parse_fingerprint(std::string(63, 'a') + "g"));
  EXPECT_FALSE(parse_fingerprint(""));
}
