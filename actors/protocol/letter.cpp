#include "actors/protocol/letter.hpp"

#include <map>
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
constexpr int64_t blob_version = 2;
constexpr std::string_view letter_aad = "courier-letter-v2";
/// Readers of one letter: the recipient and the sender's own copy today.
constexpr size_t max_readers = 16;
/// Wrapped keys and signatures: an RSA-4096 value at most.
constexpr size_t max_rsa_value = 512;
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
  if (content.control)
    obj["control"] = true;
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
  result.control = r.flag("control");
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

void append_u32(bytes& out, size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>((n >> shift) & 0xff));
}

void append_field(bytes& out, const void* data, size_t size) {
  append_u32(out, size);
  auto p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + size);
}

/// What the sender signs: the domain, the sender, every reader's wrapped
/// key (sorted by reader), the iv and the ciphertext, each with its
/// length, so that no field can be moved into another.
bytes signed_bytes(const std::string& from,
                   const std::map<std::string, bytes>& wrapped,
                   const bytes& iv, const bytes& ct) {
  bytes out;
  out.reserve(64 + from.size() + ct.size() + wrapped.size() * 400);
  append_field(out, letter_aad.data(), letter_aad.size());
  append_field(out, from.data(), from.size());
  append_u32(out, wrapped.size());
  for (const auto& [user, wk] : wrapped) {
    append_field(out, user.data(), user.size());
    append_field(out, wk.data(), wk.size());
  }
  append_field(out, iv.data(), iv.size());
  append_field(out, ct.data(), ct.size());
  return out;
}

caf::expected<std::string> seal_impl(const letter& content,
                                     const key& sender_private,
                                     const std::vector<reader>& readers) {
  if (auto err = check_readers(readers))
    return err;
  auto content_key = random_secret(aead_key_size);
  auto inner = inner_text(content);
  auto iv = random_bytes(aead_nonce_size);
  auto ct = aead_seal(content_key, iv, letter_aad, inner);
  wipe_string(inner);
  if (!ct)
    return std::move(ct.error());
  std::map<std::string, bytes> wrapped;
  for (const auto& r : readers) {
    auto w = oaep_wrap(r.public_key, content_key);
    if (!w)
      return std::move(w.error());
    wrapped.emplace(r.user, std::move(*w));
  }
  auto sig = sign(sender_private,
                  signed_bytes(content.from, wrapped, iv, *ct));
  if (!sig)
    return std::move(sig.error());
  json::object keys;
  for (const auto& [user, wk] : wrapped)
    keys[user] = to_base64(wk);
  json::object blob;
  blob["v"] = blob_version;
  blob["from"] = content.from;
  blob["keys"] = std::move(keys);
  blob["iv"] = to_base64(iv);
  blob["ct"] = to_base64(*ct);
  blob["sig"] = to_base64(*sig);
  return json::serialize(blob);
}

/// Checks the version before the layout so that other versions say so.
caf::error check_version(const json::object& obj) {
  auto* v = obj.if_contains("v");
  if (v == nullptr || !(v->is_int64() || v->is_uint64()))
    return make_error(errc::bad_encoding, "missing version");
  if (!v->is_int64() || v->as_int64() != blob_version)
    return make_error(errc::unsupported_version,
                      "a letter in another format than v2");
  return {};
}

bool decode(std::string_view text, bytes& out, size_t max) {
  // Base64 is 4 characters for 3 bytes: refuse before decoding.
  return text.size() <= (max + 2) / 3 * 4 && from_base64(text, out)
         && out.size() <= max;
}

caf::expected<checked_letter> check_impl(const std::string& blob,
                                         const std::string& me,
                                         const std::string& from,
                                         const key& sender_public) {
  if (blob.size() > max_blob_size)
    return make_error(errc::oversize);
  // A hostile RSA exponent would make the check itself expensive.
  if (!usable_rsa(sender_public)
      && sender_public.kind() != crypto::key_kind::ed25519)
    return make_error(errc::bad_key, "the sender's key");
  auto obj = parse_json(blob);
  if (!obj)
    return std::move(obj.error());
  if (auto err = check_version(*obj))
    return err;
  json_object_reader r{*obj, errc::bad_encoding};
  r.field("v", true); // checked above
  auto sender = r.str("from");
  auto* keys = r.object("keys");
  auto iv_text = r.str("iv");
  auto ct_text = r.str("ct");
  auto sig_text = r.str("sig");
  if (auto err = r.finish())
    return err;
  if (sender != from)
    return make_error(errc::bad_signature, "the letter names another sender");
  if (keys->empty() || keys->size() > max_readers)
    return make_error(errc::bad_encoding, "no readers or too many");
  checked_letter out;
  out.from = from;
  std::map<std::string, bytes> wrapped;
  for (const auto& kv : *keys) {
    auto* text = kv.value().if_string();
    bytes wk;
    if (text == nullptr || !decode(*text, wk, max_rsa_value) || wk.empty())
      return make_error(errc::bad_encoding, "malformed key entry");
    wrapped.emplace(std::string{kv.key()}, std::move(wk));
  }
  auto mine = wrapped.find(me);
  if (mine == wrapped.end())
    return make_error(errc::decrypt_failed, "no key for this reader");
  bytes sig;
  if (!decode(iv_text, out.iv, aead_nonce_size)
      || out.iv.size() != aead_nonce_size
      || !decode(ct_text, out.ct, max_blob_size)
      || out.ct.size() < crypto::aead_tag_size
      || !decode(sig_text, sig, max_rsa_value))
    return make_error(errc::bad_encoding, "malformed base64 or sizes");
  // The one public-key operation; nothing private runs before it passes.
  if (!verify(sender_public, signed_bytes(from, wrapped, out.iv, out.ct), sig))
    return make_error(errc::bad_signature, "the sender's signature");
  out.wrapped_key = std::move(mine->second);
  return out;
}

caf::expected<letter> open_checked_impl(const checked_letter& checked,
                                        const key& my_private) {
  if (!usable_rsa(my_private))
    return make_error(errc::bad_key);
  if (checked.wrapped_key.size() != static_cast<size_t>(my_private.bits() / 8))
    return make_error(errc::decrypt_failed, "wrapped key of the wrong size");
  auto content_key = oaep_unwrap(my_private, checked.wrapped_key);
  if (!content_key || content_key->size() != aead_key_size)
    return make_error(errc::decrypt_failed);
  auto plain = aead_open(*content_key, checked.iv, letter_aad, checked.ct);
  if (!plain)
    return make_error(errc::decrypt_failed);
  std::string text{reinterpret_cast<const char*>(plain->data()),
                   plain->size()};
  wipe(plain->data(), plain->size());
  auto content = parse_inner(text);
  wipe_string(text);
  if (!content)
    return std::move(content.error());
  // Signed as from `checked.from`; the inner text must agree.
  if (content->from != checked.from)
    return make_error(errc::bad_signature, "the inner sender differs");
  return content;
}

// -- letters v1: opened, never written ----------------------------------------
//
// v1 signed the inner text inside the encryption, so a reader unwraps
// before it can check anything. Routers refuse v1 blobs from clients now
// (`is_legacy_letter`: the same first bytes this side takes for v1), so
// they come only from queues written before the upgrade, which expire
// after the queue expiry; opening them can go once those have.

constexpr std::string_view letter_aad_v1 = "courier-letter-v1";

caf::expected<letter> open_v1(const std::string& blob, const std::string& me,
                              const std::string& from,
                              const key& sender_public, const key& my_private) {
  if (blob.size() > max_blob_size)
    return make_error(errc::oversize);
  if (!usable_rsa(my_private) || !usable_rsa(sender_public))
    return make_error(errc::bad_key);
  auto obj = parse_json(blob);
  if (!obj)
    return std::move(obj.error());
  json_object_reader r{*obj, errc::bad_encoding};
  r.int64("v");
  auto* keys = r.object("keys");
  auto iv_text = r.str("iv");
  auto ct_text = r.str("ct");
  if (auto err = r.finish())
    return err;
  auto* entry = keys->if_contains(me);
  auto* mine = entry != nullptr ? entry->if_string() : nullptr;
  bytes wrapped, iv, ct;
  if (mine == nullptr)
    return make_error(errc::decrypt_failed, "no key for this reader");
  if (!from_base64(*mine, wrapped) || !from_base64(iv_text, iv)
      || !from_base64(ct_text, ct) || iv.size() != aead_nonce_size)
    return make_error(errc::bad_encoding, "malformed base64");
  auto content_key = oaep_unwrap(my_private, wrapped);
  if (!content_key || content_key->size() != aead_key_size)
    return make_error(errc::decrypt_failed);
  auto plain = aead_open(*content_key, iv, letter_aad_v1, ct);
  if (!plain)
    return make_error(errc::decrypt_failed);
  auto payload = parse_json(std::string_view{
    reinterpret_cast<const char*>(plain->data()), plain->size()});
  wipe(plain->data(), plain->size());
  if (!payload)
    return std::move(payload.error());
  json_object_reader pr{*payload, errc::bad_encoding};
  std::string inner{pr.str("inner")};
  auto sig_text = pr.str("sig");
  bytes sig;
  bool ok = !pr.finish() && from_base64(sig_text, sig);
  wipe_strings(*payload);
  if (!ok || !verify(sender_public, inner, sig)) {
    wipe_string(inner);
    return make_error(errc::bad_signature, "a v1 letter's signature");
  }
  auto content = parse_inner(inner);
  wipe_string(inner);
  if (!content)
    return std::move(content.error());
  if (content->from != from)
    return make_error(errc::bad_signature, "a v1 letter from someone else");
  return content;
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

caf::expected<checked_letter> check_letter(const std::string& blob,
                                           const std::string& me,
                                           const std::string& from,
                                           const key& sender_public) {
  // Boost.JSON throws only on allocation failure; never let it escape.
  try {
    return check_impl(blob, me, from, sender_public);
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

caf::expected<letter> open_checked_letter(const checked_letter& checked,
                                          const key& my_private) {
  try {
    return open_checked_impl(checked, my_private);
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

caf::expected<letter> open_letter(const std::string& blob,
                                  const std::string& me,
                                  const std::string& from,
                                  const key& sender_public,
                                  const key& my_private) {
  if (is_legacy_letter(blob)) {
    try {
      return open_v1(blob, me, from, sender_public, my_private);
    } catch (const std::exception& e) {
      return make_error(errc::internal, e.what());
    }
  }
  auto checked = check_letter(blob, me, from, sender_public);
  if (!checked)
    return std::move(checked.error());
  return open_checked_letter(*checked, my_private);
}

bool is_legacy_letter(std::string_view blob) {
  return blob.substr(0, 7) == R"({"v":1,)";
}

} // namespace courier::protocol
