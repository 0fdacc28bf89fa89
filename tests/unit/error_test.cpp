// Unit tests for Courier's error codes: names, sentences, pinned values.

#include <gtest/gtest.h>

#include <string>

#include <caf/sec.hpp>

#include "actors/common/error.hpp"
#include "crypto/error.hpp"

using namespace courier;

// -- errc ----------------------------------------------------------------------

TEST(errc, names_round_trip) {
  for (int i = 0; i <= static_cast<int>(errc::too_many_names); ++i) {
    if (i == 22 || i == 26)
      continue; // retired numbers
    auto x = static_cast<errc>(i);
    EXPECT_EQ(errc_from_string(to_string(x)), x) << i;
    EXPECT_GT(std::string{describe(x)}.size(), 5u);
  }
  EXPECT_STREQ(to_string(errc::username_taken), "username_taken");
  for (auto x : {errc::peer_refused, errc::membership_changed,
                 errc::no_bundle, errc::bad_store_address,
                 errc::schema_too_new, errc::store_unavailable,
                 errc::bundle_withdrawn, errc::store_conflict,
                 errc::ledger_unavailable, errc::connection_closed,
                 errc::backup_damaged, errc::backup_too_costly,
                 errc::name_blocked,
                 errc::node_running}) {
    EXPECT_EQ(errc_from_string(to_string(x)), x);
    EXPECT_NE(std::string{to_string(x)}, "internal");
  }
  EXPECT_EQ(errc_from_string("no_such_code"), errc::internal);
}

TEST(errc, code_of_and_explain) {
  EXPECT_EQ(code_of(make_error(errc::oversize)), errc::oversize);
  EXPECT_EQ(code_of(caf::make_error(caf::sec::request_timeout)),
            errc::timeout);
  EXPECT_EQ(code_of(caf::make_error(caf::sec::request_receiver_down)),
            errc::unreachable);
  EXPECT_EQ(code_of(caf::error{}), errc::none);
  EXPECT_EQ(explain(caf::error{}), describe(errc::none)); // no crash
  EXPECT_EQ(explain(make_error(errc::username_taken)),
            "That username is already registered with a different key.");
  EXPECT_EQ(explain(make_error(errc::bad_frame, "len 9")),
            std::string{describe(errc::bad_frame)} + " (len 9)");
}

TEST(errc, values_are_pinned) {
  // They travel between routers as numbers: a change here breaks a cluster
  // of mixed versions.
  EXPECT_EQ(static_cast<int>(errc::bad_key), 2);
  EXPECT_EQ(static_cast<int>(errc::bad_frame), 8);
  EXPECT_EQ(static_cast<int>(errc::username_taken), 15);
  EXPECT_EQ(static_cast<int>(errc::insufficient_funds), 24);
  EXPECT_EQ(static_cast<int>(errc::internal), 29);
  EXPECT_EQ(static_cast<int>(errc::busy), 30);
  EXPECT_EQ(static_cast<int>(errc::too_many_connections), 31);
  EXPECT_EQ(static_cast<int>(errc::too_many_names), 32);
  EXPECT_EQ(static_cast<int>(errc::quota_exceeded), 34);
  EXPECT_EQ(static_cast<int>(errc::sending_too_fast), 35);
  EXPECT_EQ(static_cast<int>(errc::passphrase_required), 42);
  EXPECT_EQ(static_cast<int>(crypto::errc::passphrase_required), 42);
  EXPECT_EQ(errc_from_string("passphrase_required"), errc::passphrase_required);
  EXPECT_EQ(code_of(caf::error{uint8_t{42}, errc_category}),
            errc::passphrase_required);
  EXPECT_EQ(static_cast<int>(errc::peer_refused), 44);
  EXPECT_EQ(static_cast<int>(errc::membership_changed), 45);
  EXPECT_EQ(static_cast<int>(errc::no_bundle), 46);
  EXPECT_EQ(static_cast<int>(errc::bad_store_address), 52);
  EXPECT_EQ(static_cast<int>(errc::schema_too_new), 53);
  EXPECT_EQ(static_cast<int>(errc::store_unavailable), 54);
  EXPECT_EQ(static_cast<int>(errc::bundle_withdrawn), 57);
  EXPECT_EQ(static_cast<int>(errc::store_conflict), 58);
  EXPECT_EQ(static_cast<int>(errc::ledger_unavailable), 59);
  EXPECT_EQ(static_cast<int>(errc::connection_closed), 60);
  EXPECT_EQ(static_cast<int>(errc::backup_damaged), 61);
  EXPECT_EQ(static_cast<int>(errc::backup_too_costly), 62);
  EXPECT_EQ(static_cast<int>(errc::name_blocked), 63);
  EXPECT_EQ(static_cast<int>(errc::node_running), 64);
  EXPECT_EQ(static_cast<int>(errc::name_reserved), 38);
  EXPECT_EQ(static_cast<int>(errc::bank_unverified), 39);
}

TEST(errc, trust_codes_have_names_and_sentences) {
  for (auto x : {errc::name_reserved, errc::bank_unverified}) {
    EXPECT_EQ(errc_from_string(to_string(x)), x);
    EXPECT_EQ(code_of(make_error(x)), x);
    EXPECT_GT(std::string{describe(x)}.size(), 5u);
  }
  EXPECT_STREQ(to_string(errc::name_reserved), "name_reserved");
  EXPECT_STREQ(to_string(errc::bank_unverified), "bank_unverified");
}

TEST(errc, queue_and_rate_codes_have_names_and_sentences) {
  for (auto x : {errc::quota_exceeded, errc::sending_too_fast}) {
    EXPECT_EQ(errc_from_string(to_string(x)), x);
    EXPECT_EQ(code_of(make_error(x)), x);
    EXPECT_NE(std::string{describe(x)}, describe(errc::internal));
  }
  EXPECT_STREQ(to_string(errc::quota_exceeded), "quota_exceeded");
  EXPECT_STREQ(to_string(errc::sending_too_fast), "sending_too_fast");
}

TEST(errc, crypto_errors_read_as_courier_errors) {
  auto err = crypto::make_error(crypto::errc::decrypt_failed, "tag");
  EXPECT_EQ(code_of(err), errc::decrypt_failed);
  EXPECT_EQ(explain(err), std::string{describe(errc::decrypt_failed)}
                            + " (tag)");
}

TEST(errc, retired_and_unknown_numbers_read_as_internal) {
  for (uint8_t code : {22, 26, 200})
    EXPECT_EQ(code_of(caf::error{code, errc_category}), errc::internal)
      << int{code};
}
