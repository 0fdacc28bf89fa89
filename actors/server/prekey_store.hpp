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
/// one transaction per version: version 1 adds the prekey tables, version 2
/// the blocked names and the operators' audit record.
caf::error migrate_directory(database& db);

/// The prekeys that users' devices published at their home router, in the
/// directory's store. One device per user today: a publish with another
/// certificate replaces the user's device and drops its prekeys. Every
/// change is one transaction: a refused publish leaves nothing behind.
/// SQLite and PostgreSQL implement it (sqlite_prekey_store here,
/// pg_backend.hpp).
class prekey_store {
public:
  virtual ~prekey_store() = default;

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
  /// is deleted as it is handed out (the lowest id first), exactly once
  /// even when routers ask at the same time; none when none is left.
  /// `no_bundle` if the user published nothing.
  virtual caf::expected<protocol::x3dh::bundle>
  take_bundle(const std::string& user) = 0;

  /// How many one-time prekeys `user`'s device has left (0 if none
  /// published).
  virtual caf::expected<uint32_t> count(const std::string& user) = 0;

protected:
  /// Stores a verified upload in one transaction (see publish); the count
  /// of one-time prekeys after it.
  virtual caf::expected<uint32_t>
  store_verified(const std::string& user, const protocol::prekey_upload& up)
    = 0;
};

/// What a refused publish says; shared by the backends so that both refuse
/// alike.
namespace prekey_refusal {

/// A signed prekey id published before with another key.
caf::error signed_id_reused(uint32_t id);
/// A one-time prekey id published before with another key.
caf::error one_time_id_reused(uint32_t id);
/// More than `max_stored_prekeys` one-time prekeys would be stored.
caf::error too_many(uint64_t n);

} // namespace prekey_refusal

/// Parses a stored device certificate (JSON written by a router): a
/// damaged row is `storage_failure`, not a crash.
caf::expected<protocol::x3dh::device_certificate>
stored_certificate(const std::string& json);

/// The certificate as a store keeps it (compared byte for byte).
std::string stored_certificate_text(const protocol::x3dh::device_certificate& cert);

/// The prekey store in a router's SQLite directory database.
class sqlite_prekey_store : public prekey_store {
public:
  explicit sqlite_prekey_store(std::shared_ptr<database> db);

  caf::expected<protocol::x3dh::bundle>
  take_bundle(const std::string& user) override;

  caf::expected<uint32_t> count(const std::string& user) override;

protected:
  caf::expected<uint32_t>
  store_verified(const std::string& user,
                 const protocol::prekey_upload& up) override;

private:
  caf::expected<uint32_t> count_in_transaction(const std::string& user);
  caf::error store(const std::string& user, const protocol::prekey_upload& up);

  std::shared_ptr<database> db_;
};

} // namespace courier
