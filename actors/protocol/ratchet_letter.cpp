#include "actors/protocol/ratchet_letter.hpp"

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/big_endian.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/json_object.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/signature.hpp"

namespace courier::protocol {

namespace {

using namespace big_endian;
namespace json = boost::json;
using crypto::byte_view;
using crypto::bytes;

constexpr size_t max_blob = 1 << 20;
constexpr size_t max_ed25519_signature = 64; // Ed25519
constexpr int64_t max_device = UINT32_MAX;
constexpr char signature_label[] = "Courier signed ratchet letter";

caf::error malformed(std::string what) {
  return make_error(errc::bad_encoding, "ratchet letter: " + std::move(what));
}

uint32_t read_device(json_object_reader& r, const char* name) {
  auto v = r.int64(name);
  if (r.ok() && (v < 0 || v > max_device))
    r.wrong_type(name);
  return r.ok() ? static_cast<uint32_t>(v) : 0;
}

bool read_b64(json_object_reader& r, const char* name, size_t max, bytes& out) {
  auto text = r.str(name, max / 3 * 4 + 8);
  if (!r.ok())
    return false;
  if (!crypto::from_base64(text, out) || out.size() > max) {
    r.wrong_type(name);
    return false;
  }
  return true;
}

std::string inner_text(const letter& c, const std::optional<bytes>& sig) {
  json::object obj{{"from", c.from},     {"to", c.to},    {"ts", c.ts},
                   {"msg_id", c.msg_id}, {"body", c.body}};
  if (c.control)
    obj["control"] = true;
  if (sig)
    obj["sig"] = crypto::to_base64(*sig);
  return json::serialize(obj);
}

caf::expected<opened_ratchet_letter> parse_inner(const bytes& plain) {
  auto obj = parse_json_object(
    std::string_view{reinterpret_cast<const char*>(plain.data()), plain.size()},
    errc::bad_encoding, "ratchet letter: ", json_limits{max_blob, 4});
  if (!obj)
    return obj.error();
  json_object_reader r{*obj, errc::bad_encoding, "ratchet letter: "};
  opened_ratchet_letter out;
  out.content.from = std::string{r.str("from", max_username)};
  out.content.to = std::string{r.str("to", max_username)};
  out.content.ts = r.int64("ts");
  out.content.msg_id = std::string{r.str("msg_id", 64)};
  out.content.body = std::string{r.str("body")};
  out.content.control = r.flag("control");
  if (r.field("sig", false) != nullptr) {
    bytes sig;
    if (read_b64(r, "sig", max_ed25519_signature, sig))
      out.signature = std::move(sig);
  }
  if (auto err = r.finish())
    return err;
  return out;
}

} // namespace

caf::expected<int64_t> letter_version(const std::string& blob) {
  if (blob.size() > max_blob)
    return make_error(errc::oversize, "a letter over 1 MiB");
  auto obj = parse_json_object(blob, errc::bad_encoding, "letter: ",
                               json_limits{max_blob, 8});
  if (!obj)
    return obj.error();
  auto it = obj->find("v");
  if (it == obj->end() || !it->value().is_int64())
    return malformed("no version");
  auto v = it->value().get_int64();
  if (v < 1 || v > ratchet_letter_version)
    return make_error(errc::unsupported_version,
                      "letter version " + std::to_string(v));
  return v;
}

caf::expected<ratchet_letter_blob> parse_ratchet_letter(const std::string& blob) {
  if (blob.size() > max_blob)
    return make_error(errc::oversize, "a letter over 1 MiB");
  auto obj = parse_json_object(blob, errc::bad_encoding, "ratchet letter: ",
                               json_limits{max_blob, 8});
  if (!obj)
    return obj.error();
  json_object_reader r{*obj, errc::bad_encoding, "ratchet letter: "};
  if (r.int64("v") != ratchet_letter_version && r.ok())
    return malformed("not version 2");
  ratchet_letter_blob out;
  out.from_device = read_device(r, "from_device");
  out.to_device = read_device(r, "to_device");
  bytes head;
  read_b64(r, "h", ratchet::header_size, head);
  read_b64(r, "ct", max_blob, out.message.ciphertext);
  auto* init = r.field("x3dh", false);
  if (init != nullptr && !init->is_object())
    r.wrong_type("x3dh");
  if (auto err = r.finish())
    return err;
  auto decoded = ratchet::decode_header(head);
  if (!decoded)
    return malformed("the header is not 40 bytes");
  out.message.head = std::move(*decoded);
  if (init != nullptr) {
    auto parsed = initiation_from_json(init->get_object());
    if (!parsed)
      return malformed("bad x3dh initiation");
    out.initiation = std::move(*parsed);
  }
  return out;
}

std::string write_ratchet_letter(const ratchet_letter_blob& msg) {
  json::object obj{{"v", ratchet_letter_version},
                   {"from_device", int64_t{msg.from_device}},
                   {"to_device", int64_t{msg.to_device}},
                   {"h", crypto::to_base64(ratchet::encode(msg.message.head))},
                   {"ct", crypto::to_base64(msg.message.ciphertext)}};
  if (msg.initiation)
    obj["x3dh"] = to_json(*msg.initiation);
  return json::serialize(obj);
}

bytes signed_letter_part(const letter& c) {
  bytes out;
  put_field(out, signature_label);
  put_field(out, c.from);
  put_field(out, c.to);
  put_field(out, std::to_string(c.ts));
  put_field(out, c.msg_id);
  put_field(out, c.body);
  if (c.control) // absent otherwise: signatures made before it still verify
    put_field(out, "control");
  return out;
}

caf::expected<std::string>
seal_ratchet_letter(const letter& content, ratchet::session& session,
               const bytes& ad, uint32_t from_device, uint32_t to_device,
               const std::optional<x3dh::initiation>& initiation,
               const crypto::key* signing) {
  std::optional<bytes> sig;
  if (signing != nullptr) {
    auto s = crypto::sign(*signing, signed_letter_part(content));
    if (!s)
      return s.error();
    sig = std::move(*s);
  }
  auto inner = inner_text(content, sig);
  auto sealed = session.encrypt(inner, ad);
  crypto::wipe(inner.data(), inner.size());
  if (!sealed)
    return sealed.error();
  return write_ratchet_letter(
    ratchet_letter_blob{from_device, to_device, initiation, std::move(*sealed)});
}

caf::expected<opened_ratchet_letter> open_ratchet_letter(const ratchet_letter_blob& blob,
                                               ratchet::session& session,
                                               const bytes& ad,
                                               int64_t now_ms) {
  // An authenticated message with a malformed inside still moves the
  // session on: only the peer could have sent it, and its key is spent.
  auto plain = session.decrypt(blob.message, ad, now_ms);
  if (!plain)
    return plain.error();
  auto opened = parse_inner(*plain);
  crypto::wipe(plain->data(), plain->size());
  return opened;
}

bool verify_ratchet_letter(const opened_ratchet_letter& opened,
                      const x3dh::device_certificate& device) {
  if (!opened.signature)
    return false;
  auto key = crypto::ed25519_from_raw(device.signing);
  return key
         && crypto::verify(*key, signed_letter_part(opened.content),
                           *opened.signature);
}

} // namespace courier::protocol
