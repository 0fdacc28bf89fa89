#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <caf/expected.hpp>

#include "actors/protocol/x3dh.hpp"

namespace courier::protocol {

/// JSON forms of what X3DH exchanges: device certificates, prekey bundles
/// and initiations. Binary values are base64; every field has an exact
/// size or a bound; unknown fields are refused. Parsing checks form only:
/// signatures are checked by `x3dh::verify` and `x3dh::initiate`.

/// `{"user","device","ik","sk","created","sig"}`
boost::json::object to_json(const x3dh::device_certificate& cert);
caf::expected<x3dh::device_certificate>
certificate_from_json(const boost::json::object& obj);

/// `{"device":{...},"spk":{"id","key"},"spk_sig","opk"?:{"id","key"}}`
boost::json::object to_json(const x3dh::bundle& b);
caf::expected<x3dh::bundle> bundle_from_json(const boost::json::object& obj);

/// What a device publishes at its home router (`prekeys_publish`): its
/// certificate, its current signed prekey with the device's signature,
/// and a batch of one-time prekeys.
struct prekey_upload {
  x3dh::device_certificate device;
  x3dh::prekey signed_prekey;
  crypto::bytes prekey_signature; ///< Ed25519 by the device, `spk_part`
  std::vector<x3dh::prekey> one_time;
};

/// `{"device":{...},"spk":{"id","key"},"spk_sig","opks"?:[{"id","key"}...]}`.
/// Parsing also refuses more than `max_publish_prekeys` one-time prekeys
/// (`oversize`) and an id given twice among them (`bad_envelope`). The
/// fields of the envelope that carries it (`v`, `type`, `id`) are allowed,
/// so a `prekeys_publish` envelope parses as it is.
boost::json::object to_json(const prekey_upload& up);
caf::expected<prekey_upload> upload_from_json(const boost::json::object& obj);

/// Checks an upload from `user` before a router stores it: the certificate
/// names `user` and is signed by `identity` (the RSA key the user signed in
/// with), and the signed prekey is signed by the certified device key
/// (`bad_signature`).
caf::error verify(const prekey_upload& up, const crypto::key& identity,
                  const std::string& user);

/// `{"sender":{...},"ek","spk","opk"?}`
boost::json::object to_json(const x3dh::initiation& msg);
caf::expected<x3dh::initiation>
initiation_from_json(const boost::json::object& obj);

} // namespace courier::protocol
