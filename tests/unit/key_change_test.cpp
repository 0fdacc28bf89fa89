// Unit tests for the key-change error of the client (actors/client/client.hpp):
// the new fingerprint travels as data, not inside the sentence.

#include <gtest/gtest.h>

#include <string>

#include "actors/client/client.hpp"
#include "actors/common/error.hpp"

using namespace courier;

TEST(key_change, carries_user_and_fingerprint_as_data) {
  auto err = make_key_changed({"dana", "abcd 0123"}, "dana's key changed.");
  EXPECT_EQ(code_of(err), errc::key_changed);
  EXPECT_EQ(explain(err), std::string{describe(errc::key_changed)}
                            + " (dana's key changed.)");
  auto change = key_change_of(err);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->user, "dana");
  EXPECT_EQ(change->fingerprint, "abcd 0123");
}

TEST(key_change, other_errors_carry_none) {
  EXPECT_FALSE(key_change_of(make_error(errc::key_changed, "no data")));
  EXPECT_FALSE(key_change_of(make_error(errc::unknown_user, "dana")));
  EXPECT_FALSE(key_change_of(caf::error{}));
}
