#include "actors/protocol/letter.hpp"

#include <set>
#include <string_view>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/json_object.hpp"
#include "crypto/aead.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"

namespace courier::protocol {

namespace json = boost::json;
using crypto::aead_key_size;
using crypto::aead_nonce_size;
using crypto::aead_open;
using crypto::aead_seal;
using crypto::oaep_unwrap;
using crypto::oaep_wrap;
using crypto::random_bytes;
using crypto::random_secret;
using crypto::secret;
using crypto::sign;
using crypto::verify;
using crypto::wipe;
using crypto::to_base64;
using crypto::from_base64;

namespace {

constexpr size_t max_blob_size = 1 << 20;
constexpr int64_t blob_version = 1;
constexpr std::string_view letter_aad = "courier-letter-v1";
/// Only keys with Courier's RSA parameters may wrap or unwrap content keys.
bool usable_rsa(const key& k) {
  return crypto::is_rsa_identity(k);
}

/// Scrubs the string values of a JSON object (they may hold plaintext).
void wipe_strings(json::object& obj) {
  for (auto& kv : obj)
    if (auto* s = kv.value().if_string())
      wipe(s->data(), s->size());
}

void wipe_string(std::string& s) {
  wipe(s.data(), s.size());
  s.clear();
}

/// Parses `text` as a JSON object (the blob's size is checked before).
caf::expected<json::object> parse_json(std::string_view text) {
  return parse_json_object(text, errc::bad_encoding, {},
                           json_limits{max_blob_size, 8});
}

std::string inner_text(const letter& content) {
  json::object obj;
  obj["from"] = content.from;
  obj["to"] = content.to;
  obj["ts"] = content.ts;
  obj["msg_id"] = content.msg_id;
  obj["body"] = content.body;
  auto text = json::serialize(obj);
  wipe_strings(obj);
  return text;
}

caf::expected<letter> parse_inner(const std::string& text) {
  auto obj = parse_json(text);
  if (!obj)
    return std::move(obj.error());
  json_object_reader r{*obj, errc::bad_encoding};
  letter result;
  result.from = r.str("from");
  result.to = r.str("to");
  result.ts = r.int64("ts");
  result.msg_id = r.str("msg_id");
  result.body = r.str("body");
  auto err = r.finish();
  wipe_strings(*obj);
  if (err) {
    for (auto* str : {&result.from, &result.to, &result.msg_id, &result.body})
      wipe_string(*str);
    return err;
  }
  return result;
}

/// Checks readers: at least one, unique names, RSA keys only.
caf::error check_readers(const std::vector<reader>& readers) {
  if (readers.empty())
    return make_error(errc::bad_key, "no readers");
  std::set<std::string> seen;
  for (const auto& r : readers) {
    if (!usable_rsa(r.public_key))
      return make_error(errc::bad_key, "reader key is not an RSA identity key");
    if (r.user.empty() || !seen.insert(r.user).second)
      return make_error(errc::bad_key, "empty or duplicate reader");
  }
  return {};
}

/// Encrypts the signed payload; fills `iv` and returns the ciphertext.
caf::expected<bytes> seal_payload(const letter& content, const key& sender,
                                  const secret& content_key, bytes& iv) {
  auto inner = inner_text(content);
  auto sig = sign(sender, inner);
  if (!sig) {
    wipe_string(inner);
    return std::move(sig.error());
  }
  json::object payload;
  payload["inner"] = inner;
  payload["sig"] = to_base64(*sig);
  auto text = json::serialize(payload);
  wipe_strings(payload);
  wipe_string(inner);
  iv = random_bytes(aead_nonce_size);
  auto ct = aead_seal(content_key, iv, letter_aad, text);
  wipe_string(text);
  return ct;
}

caf::expected<std::string> seal_impl(const letter& content,
                                     const key& sender_private,
                                     const std::vector<reader>& readers) {
  if (auto err = check_readers(readers))
    return err;
  auto content_key = random_secret(aead_key_size);
  bytes iv;
  auto ct = seal_payload(content, sender_private, content_key, iv);
  if (!ct)
    return std::move(ct.error());
  json::object keys;
  for (const auto& r : readers) {
    auto wrapped = oaep_wrap(r.public_key, content_key);
    if (!wrapped)
      return std::move(wrapped.error());
    keys[r.user] = to_base64(*wrapped);
  }
  json::object blob;
  blob["v"] = blob_version;
  blob["keys"] = std::move(keys);
  blob["iv"] = to_base64(iv);
  blob["ct"] = to_base64(*ct);
  return json::serialize(blob);
}

/// The parts of an outer blob that matter to `me`.
struct sealed_parts {
  bytes wrapped_key;
  bytes iv;
  bytes ct;
};

/// Checks the version before the layout so that v=2 blobs say so.
caf::error check_version(const json::object& obj) {
  auto* v = obj.if_contains("v");
  if (v == nullptr || !(v->is_int64() || v->is_uint64()))
    return make_error(errc::bad_encoding, "missing version");
  if (!v->is_int64() || v->as_int64() != blob_version)
    return make_error(errc::unsupported_version);
  return {};
}

caf::expected<sealed_parts> parse_blob(std::string_view blob,
                                       const std::string& me) {
  auto obj = parse_json(blob);
  if (!obj)
    return std::move(obj.error());
  if (auto err = check_version(*obj))
    return err;
  json_object_reader r{*obj, errc::bad_encoding};
  r.field("v", true); // checked above
  auto* keys = r.object("keys");
  auto iv = r.str("iv");
  auto ct = r.str("ct");
  if (auto err = r.finish())
    return err;
  for (const auto& kv : *keys)
    if (!kv.value().is_string())
      return make_error(errc::bad_encoding, "malformed key entry");
  auto* entry = keys->if_contains(me);
  auto* mine = entry != nullptr ? entry->if_string() : nullptr;
  if (mine == nullptr)
    return make_error(errc::decrypt_failed, "no key for this reader");
  sealed_parts parts;
  if (!from_base64(*mine, parts.wrapped_key) || !from_base64(iv, parts.iv)
      || !from_base64(ct, parts.ct) || parts.iv.size() != aead_nonce_size)
    return make_error(errc::bad_encoding, "malformed base64");
  return parts;
}

/// Splits the decrypted payload into the inner text and the signature.
caf::expected<opened_letter> parse_payload(const bytes& plain) {
  std::string_view text{reinterpret_cast<const char*>(plain.data()),
                        plain.size()};
  auto obj = parse_json(text);
  if (!obj)
    return std::move(obj.error());
  json_object_reader r{*obj, errc::bad_encoding};
  auto inner = r.str("inner");
  auto sig = r.str("sig");
  opened_letter result;
  bool ok = !r.finish() && from_base64(sig, result.signature);
  if (ok)
    result.inner.assign(inner.data(), inner.size());
  wipe_strings(*obj);
  if (!ok)
    return make_error(errc::bad_encoding, "malformed payload");
  auto content = parse_inner(result.inner);
  if (!content)
    return std::move(content.error());
  result.content = std::move(*content);
  return result;
}

caf::expected<opened_letter> open_impl(const std::string& blob,
                                       const std::string& me,
                                       const key& my_private) {
  if (blob.size() > max_blob_size)
    return make_error(errc::oversize);
  if (!usable_rsa(my_private))
    return make_error(errc::bad_key);
  auto parts = parse_blob(blob, me);
  if (!parts)
    return std::move(parts.error());
  auto content_key = oaep_unwrap(my_private, parts->wrapped_key);
  if (!content_key || content_key->size() != aead_key_size)
    return make_error(errc::decrypt_failed);
  auto plain = aead_open(*content_key, parts->iv, letter_aad, parts->ct);
  if (!plain)
    return make_error(errc::decrypt_failed);
  auto result = parse_payload(*plain);
  wipe(plain->data(), plain->size());
  return result;
}

} // namespace

caf::expected<std::string> seal_letter(const letter& content,
                                       const key& sender_private,
                                       const std::vector<reader>& readers) {
  try {
    return seal_impl(content, sender_private, readers);
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

caf::expected<opened_letter> open_letter(const std::string& blob,
                                         const std::string& me,
                                         const key& my_private) {
  // Boost.JSON throws only on allocation failure; never let it escape.
  try {
    return open_impl(blob, me, my_private);
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

bool verify_letter(const opened_letter& opened, const key& sender_public) {
  return verify(sender_public, opened.inner, opened.signature);
}

} // namespace courier::protocol
