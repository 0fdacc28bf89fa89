#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/common/sqlite.hpp"
#include "actors/protocol/bundle.hpp"
#include "crypto/key.hpp"

namespace courier {

/// Brings a directory database to the newest schema (PRAGMA user_version),
/// in one transaction: version 1 adds the prekey tables.
caf::error migrate_directory(database& db);

/// The prekeys that users' devices published at their home router, in the
/// directory's database. One device per user today: a publish with another
/// certificate replaces the user's device and drops its prekeys. Every
/// change is one transaction: a refused publish leaves nothing behind.
class prekey_store {
public:
  explicit prekey_store(std::shared_ptr<database> db);

  /// Verifies `up` against `identity` (the RSA key `user` signed in with),
  /// then stores it: the certificate, the signed prekey (replacing the
  /// previous one; the device keeps that one's private half for its grace
  /// period, a bundle hands out only the current one) and the one-time
  /// prekeys not stored yet. Replies how many one-time prekeys the device
  /// has now. Refuses (storing nothing): `bad_signature`, `bad_envelope`
  /// for a known id with another key, `quota_exceeded` past
  /// `max_stored_prekeys`.
  caf::expected<uint32_t> publish(const std::string& user,
                                  const crypto::key& identity,
                                  const protocol::prekey_upload& up);

  /// The bundle of `user`'s device with at most one one-time prekey, which
  /// is deleted as it is handed out (the lowest id first); none when none
  /// is left. `no_bundle` if the user published nothing.
  caf::expected<protocol::x3dh::bundle> take_bundle(const std::string& user);

  /// How many one-time prekeys `user`'s device has left (0 if none
  /// published).
  caf::expected<uint32_t> count(const std::string& user);

private:
  caf::expected<uint32_t> count_in_transaction(const std::string& user);
  caf::error store(const std::string& user, const protocol::prekey_upload& up);

  std::shared_ptr<database> db_;
};

} // namespace courier
