#include "actors/protocol/bundle.hpp"

#include <cstdint>
#include <limits>
#include <unordered_set>

#include "actors/common/error.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/json_object.hpp"
#include "actors/protocol/limits.hpp"

namespace courier::protocol {

namespace {

namespace json = boost::json;
using crypto::bytes;

constexpr size_t key_size = 32;
constexpr size_t max_rsa_signature = 512; // RSA-4096
constexpr int64_t max_id = std::numeric_limits<uint32_t>::max();

std::string b64(const bytes& b) {
  return crypto::to_base64(b);
}

// A base64 field of exactly `size` bytes (or at most, if `exact` is false).
void read_bytes(json_object_reader& r, const char* name, size_t size,
                bool exact, bytes& out) {
  auto text = r.str(name, size * 4 / 3 + 4);
  if (!r.ok())
    return;
  if (!crypto::from_base64(text, out) || (exact ? out.size() != size
                                                : out.size() > size))
    r.wrong_type(name);
}

uint32_t read_id(json_object_reader& r, const char* name) {
  auto v = r.int64(name);
  if (r.ok() && (v < 0 || v > max_id))
    r.wrong_type(name);
  return r.ok() ? static_cast<uint32_t>(v) : 0;
}

json::object prekey_json(const x3dh::prekey& k) {
  return {{"id", int64_t{k.id}}, {"key", b64(k.key)}};
}

caf::expected<x3dh::prekey> prekey_from_json(const json::object& obj) {
  json_object_reader r{obj, errc::bad_envelope, "prekey: "};
  x3dh::prekey k;
  k.id = read_id(r, "id");
  read_bytes(r, "key", key_size, true, k.key);
  if (auto err = r.finish())
    return err;
  return k;
}

} // namespace

json::object to_json(const x3dh::device_certificate& c) {
  return {{"user", c.user},        {"device", int64_t{c.device}},
          {"ik", b64(c.identity)}, {"sk", b64(c.signing)},
          {"created", c.created_ms}, {"sig", b64(c.signature)}};
}

caf::expected<x3dh::device_certificate>
certificate_from_json(const json::object& obj) {
  json_object_reader r{obj, errc::bad_envelope, "device certificate: "};
  x3dh::device_certificate c;
  c.user = std::string{r.str("user", max_username)};
  c.device = read_id(r, "device");
  read_bytes(r, "ik", key_size, true, c.identity);
  read_bytes(r, "sk", key_size, true, c.signing);
  c.created_ms = r.int64("created");
  read_bytes(r, "sig", max_rsa_signature, false, c.signature);
  if (auto err = r.finish())
    return err;
  if (!valid_username(c.user) || c.created_ms < 0)
    return make_error(errc::bad_envelope, "device certificate: bad user or time");
  return c;
}

json::object to_json(const x3dh::bundle& b) {
  json::object out{{"device", to_json(b.device)},
                   {"spk", prekey_json(b.signed_prekey)},
                   {"spk_sig", b64(b.prekey_signature)}};
  if (b.one_time)
    out["opk"] = prekey_json(*b.one_time);
  return out;
}

caf::expected<x3dh::bundle> bundle_from_json(const json::object& obj) {
  json_object_reader r{obj, errc::bad_envelope, "bundle: "};
  x3dh::bundle b;
  auto* device = r.object("device");
  auto* spk = r.object("spk");
  read_bytes(r, "spk_sig", 64, true, b.prekey_signature);
  auto* opk = r.field("opk", false);
  if (opk != nullptr && !opk->is_object())
    r.wrong_type("opk");
  if (auto err = r.finish())
    return err;
  auto cert = certificate_from_json(*device);
  if (!cert)
    return cert.error();
  b.device = std::move(*cert);
  auto signed_prekey = prekey_from_json(*spk);
  if (!signed_prekey)
    return signed_prekey.error();
  b.signed_prekey = std::move(*signed_prekey);
  if (opk != nullptr) {
    auto one_time = prekey_from_json(opk->get_object());
    if (!one_time)
      return one_time.error();
    b.one_time = std::move(*one_time);
  }
  return b;
}

json::object to_json(const prekey_upload& up) {
  json::array opks;
  for (auto& k : up.one_time)
    opks.push_back(prekey_json(k));
  return {{"device", to_json(up.device)},
          {"spk", prekey_json(up.signed_prekey)},
          {"spk_sig", b64(up.prekey_signature)},
          {"opks", std::move(opks)}};
}

caf::expected<prekey_upload> upload_from_json(const json::object& obj) {
  json_object_reader r{obj, errc::bad_envelope, "prekeys: "};
  // The envelope's own fields, checked by parse_envelope.
  for (auto name : {"v", "type", "id"})
    r.field(name, false);
  prekey_upload up;
  auto* device = r.object("device");
  auto* spk = r.object("spk");
  read_bytes(r, "spk_sig", 64, true, up.prekey_signature);
  auto* opks = r.opt_array("opks", max_publish_prekeys);
  if (auto err = r.finish())
    return err;
  auto cert = certificate_from_json(*device);
  if (!cert)
    return cert.error();
  up.device = std::move(*cert);
  auto signed_prekey = prekey_from_json(*spk);
  if (!signed_prekey)
    return signed_prekey.error();
  up.signed_prekey = std::move(*signed_prekey);
  if (opks == nullptr)
    return up;
  std::unordered_set<uint32_t> ids;
  up.one_time.reserve(opks->size());
  for (auto& v : *opks) {
    if (!v.is_object())
      return make_error(errc::bad_envelope, "prekeys: 'opks' holds a non-object");
    auto k = prekey_from_json(v.get_object());
    if (!k)
      return k.error();
    if (!ids.insert(k->id).second)
      return make_error(errc::bad_envelope,
                        "prekeys: one-time prekey id " + std::to_string(k->id)
                          + " given twice");
    up.one_time.push_back(std::move(*k));
  }
  return up;
}

caf::error verify(const prekey_upload& up, const crypto::key& identity,
                  const std::string& user) {
  if (auto err = x3dh::verify(up.device, identity, user))
    return err;
  return x3dh::verify_prekey(up.device, up.signed_prekey, up.prekey_signature);
}

json::object to_json(const x3dh::initiation& msg) {
  json::object out{{"sender", to_json(msg.sender)},
                   {"ek", b64(msg.ephemeral)},
                   {"spk", int64_t{msg.signed_prekey}}};
  if (msg.one_time)
    out["opk"] = int64_t{*msg.one_time};
  return out;
}

caf::expected<x3dh::initiation>
initiation_from_json(const json::object& obj) {
  json_object_reader r{obj, errc::bad_envelope, "initiation: "};
  x3dh::initiation msg;
  auto* sender = r.object("sender");
  read_bytes(r, "ek", key_size, true, msg.ephemeral);
  msg.signed_prekey = read_id(r, "spk");
  if (r.field("opk", false) != nullptr)
    msg.one_time = read_id(r, "opk");
  if (auto err = r.finish())
    return err;
  auto cert = certificate_from_json(*sender);
  if (!cert)
    return cert.error();
  msg.sender = std::move(*cert);
  return msg;
}

} // namespace courier::protocol
