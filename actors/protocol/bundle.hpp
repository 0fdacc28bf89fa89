#pragma once

#include <string>

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

/// `{"sender":{...},"ek","spk","opk"?}`
boost::json::object to_json(const x3dh::initiation& msg);
caf::expected<x3dh::initiation>
initiation_from_json(const boost::json::object& obj);

} // namespace courier::protocol
