#include "actors/protocol/ratchet.hpp"

#include <algorithm>

#include "actors/common/error.hpp"
#include "actors/protocol/big_endian.hpp"
#include "crypto/aead.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/hmac.hpp"
#include "crypto/x25519.hpp"

namespace courier::protocol::ratchet {

namespace {

using namespace big_endian;
using crypto::byte_view;
using crypto::bytes;
using crypto::secret;

constexpr size_t key_size = 32;

// Application-specific info strings (section 5.2).
constexpr char root_info[] = "Courier ratchet v2 root";
constexpr char message_info[] = "Courier ratchet v2 message";

caf::error refused(const char* why) {
  return make_error(errc::decrypt_failed, why);
}

// KDF_RK (section 5.2): HKDF-SHA256 with RK as salt and the DH output as
// input key material; 64 bytes: the new root key, then a chain key.
caf::error kdf_rk(secret& rk, const secret& dh_out, secret& ck) {
  auto okm = crypto::hkdf_sha256(dh_out, rk, root_info, 2 * key_size);
  if (!okm)
    return okm.error();
  rk = secret{bytes(okm->data(), okm->data() + key_size)};
  ck = secret{bytes(okm->data() + key_size, okm->data() + 2 * key_size)};
  return caf::none;
}

// KDF_CK (section 5.2): HMAC-SHA256 keyed with the chain key, over 0x01
// for the message key and 0x02 for the next chain key.
caf::error kdf_ck(secret& ck, secret& mk) {
  static constexpr uint8_t message_input[] = {0x01};
  static constexpr uint8_t chain_input[] = {0x02};
  auto m = crypto::hmac_sha256(ck, byte_view{message_input, 1});
  if (!m)
    return m.error();
  auto c = crypto::hmac_sha256(ck, byte_view{chain_input, 1});
  if (!c)
    return c.error();
  mk = std::move(*m);
  ck = std::move(*c);
  return caf::none;
}

// CONCAT (section 3.1): the associated data with its length first, so
// that (ad, header) parses back uniquely, then the encoded header.
bytes concat(byte_view ad, const header& h) {
  bytes out;
  out.reserve(4 + ad.size + header_size);
  put_u32(out, static_cast<uint32_t>(ad.size));
  out.insert(out.end(), ad.data, ad.data + ad.size);
  auto enc = encode(h);
  out.insert(out.end(), enc.begin(), enc.end());
  return out;
}

// ENCRYPT (sections 3.1 and 5.2) as AES-256-GCM: HKDF of the message key
// gives the cipher key; the nonce is random and travels in front of the
// ciphertext. A message key should encrypt one message only, but a state
// restored from an old copy could use one twice: with a random nonce that
// costs nothing, where a nonce derived from the key would repeat and leak
// both plaintexts (the misuse section 5.2 warns of).
caf::expected<secret> message_key(const secret& mk) {
  static constexpr uint8_t zero_salt[key_size] = {};
  return crypto::hkdf_sha256(mk, byte_view{zero_salt, key_size}, message_info,
                             crypto::aead_key_size);
}

caf::expected<bytes> seal(const secret& mk, byte_view plaintext,
                          const bytes& ad, const key_source& keys) {
  auto key = message_key(mk);
  if (!key)
    return key.error();
  auto nonce = keys.random(crypto::aead_nonce_size);
  if (!nonce)
    return nonce.error();
  auto sealed = crypto::aead_seal(*key, *nonce, ad, plaintext);
  if (!sealed)
    return sealed.error();
  sealed->insert(sealed->begin(), nonce->begin(), nonce->end());
  return sealed;
}

caf::expected<bytes> open(const secret& mk, byte_view sealed, const bytes& ad) {
  if (sealed.size < crypto::aead_nonce_size + crypto::aead_tag_size)
    return refused("the message is too short");
  auto key = message_key(mk);
  if (!key)
    return refused("the message does not authenticate");
  auto plain = crypto::aead_open(
    *key, byte_view{sealed.data, crypto::aead_nonce_size}, ad,
    byte_view{sealed.data + crypto::aead_nonce_size,
              sealed.size - crypto::aead_nonce_size});
  if (!plain)
    return refused("the message does not authenticate");
  return plain;
}

// DH (section 5.2: X25519). A small-order key fails in x25519_derive.
caf::expected<secret> dh(const crypto::key& own, const bytes& their_raw) {
  auto theirs = crypto::x25519_from_raw(their_raw);
  if (!theirs)
    return theirs.error();
  return crypto::x25519_derive(own, *theirs);
}

// GENERATE_DH (section 5.2).
caf::error generate_dh(const key_source& keys, crypto::key& pair, bytes& pub) {
  auto k = keys.x25519();
  if (!k)
    return k.error();
  auto raw = crypto::x25519_public_raw(*k);
  if (!raw)
    return raw.error();
  pair = std::move(*k);
  pub = std::move(*raw);
  return caf::none;
}

} // namespace

bytes encode(const header& h) {
  bytes out;
  out.reserve(header_size);
  out.insert(out.end(), h.dh.begin(), h.dh.end());
  put_u32(out, h.pn);
  put_u32(out, h.n);
  return out;
}

caf::expected<header> decode_header(byte_view data) {
  if (data.size != header_size)
    return make_error(errc::bad_encoding, "a ratchet header is 40 bytes");
  header h;
  h.dh.assign(data.data, data.data + key_size);
  h.pn = get_u32(data.data + key_size);
  h.n = get_u32(data.data + key_size + 4);
  return h;
}

// -- section 3.3: initialization -------------------------------------------

caf::expected<session> session::init_alice(const secret& sk,
                                           byte_view their_ratchet,
                                           const key_source& keys) {
  if (sk.size() != key_size || their_ratchet.size != key_size)
    return make_error(errc::bad_key, "a ratchet needs 32-byte keys");
  session s;
  s.keys_ = keys;
  if (auto err = generate_dh(s.keys_, s.dhs_, s.dhs_pub_))
    return err;
  s.dhr_.assign(their_ratchet.data, their_ratchet.data + their_ratchet.size);
  auto out = dh(s.dhs_, s.dhr_);
  if (!out)
    return out.error();
  s.rk_ = sk;
  if (auto err = kdf_rk(s.rk_, *out, s.cks_))
    return err;
  return s;
}

caf::expected<session> session::init_bob(const secret& sk,
                                         const crypto::key& own_ratchet,
                                         const key_source& keys) {
  if (sk.size() != key_size)
    return make_error(errc::bad_key, "a ratchet needs a 32-byte secret");
  auto pub = crypto::x25519_public_raw(own_ratchet);
  if (!pub)
    return pub.error();
  session s;
  s.keys_ = keys;
  s.dhs_ = own_ratchet;
  s.dhs_pub_ = std::move(*pub);
  s.rk_ = sk;
  return s;
}

// -- section 3.4: encrypting -------------------------------------------------

caf::expected<message> session::encrypt(byte_view plaintext, byte_view ad) {
  if (cks_.empty())
    return make_error(errc::not_authenticated,
                      "this side cannot send before it has received");
  if (ns_ == UINT32_MAX)
    return make_error(errc::oversize, "the sending chain is exhausted");
  auto ck = cks_;
  secret mk;
  if (auto err = kdf_ck(ck, mk))
    return err;
  message msg;
  msg.head = header{dhs_pub_, pn_, ns_};
  auto sealed = seal(mk, plaintext, concat(ad, msg.head), keys_);
  if (!sealed)
    return sealed.error();
  msg.ciphertext = std::move(*sealed);
  cks_ = std::move(ck);
  ++ns_;
  return msg;
}

// -- section 3.5: decrypting -------------------------------------------------

caf::expected<bytes> session::decrypt(const message& msg, byte_view ad,
                                      int64_t now_ms) {
  // Every failure is the same refusal: whatever a forged message makes
  // fail inside (a small-order key, a chain that does not exist yet), it
  // says nothing more than that the message does not open.
  auto result = try_decrypt(msg, ad, now_ms);
  if (!result && code_of(result.error()) != errc::decrypt_failed)
    return refused("the message does not open");
  return result;
}

caf::expected<bytes> session::try_decrypt(const message& msg, byte_view ad,
                                          int64_t now_ms) {
  const auto& h = msg.head;
  if (h.dh.size() != key_size)
    return refused("a ratchet key is 32 bytes");
  if (h.n == UINT32_MAX)
    return refused("a message number past the end of a chain");
  expire(now_ms);
  auto assoc = concat(ad, h);
  // TrySkippedMessageKeys. The key is deleted only once the message opened.
  auto found = skipped_.find({h.dh, h.n});
  if (found != skipped_.end()) {
    auto plain = open(found->second.mk, msg.ciphertext, assoc);
    if (plain)
      skipped_.erase(found);
    return plain;
  }
  // Cheap refusals first: neither a replay nor a far jump costs any work.
  bool same_chain = !dhr_.empty() && crypto::equal_ct(h.dh, dhr_);
  if (same_chain && ckr_.empty())
    return refused("a message on a chain that has not started");
  if (same_chain && h.n < nr_)
    return refused("a message that was already opened, or a replay");
  if (same_chain ? h.n - nr_ > max_skip
                 : (h.n > max_skip || (!ckr_.empty() && h.pn > nr_
                                       && h.pn - nr_ > max_skip)))
    return refused("a message too far ahead of its chain");
  // Everything below works on a copy, so a message that fails to open
  // leaves no trace (section 3.5). The copy starts without the skipped
  // keys, which are many and only grow: it collects the new ones.
  session next = copy_without_skipped();
  if (!same_chain) {
    if (auto err = next.skip_message_keys(h.pn, now_ms))
      return err;
    if (auto err = next.dh_ratchet(h))
      return err;
  }
  if (auto err = next.skip_message_keys(h.n, now_ms))
    return err;
  secret mk;
  if (auto err = kdf_ck(next.ckr_, mk))
    return err;
  ++next.nr_;
  auto plain = open(mk, msg.ciphertext, assoc);
  if (!plain)
    return plain.error();
  auto fresh = std::move(next.skipped_);
  next.skipped_ = std::move(skipped_);
  for (auto& kv : fresh)
    next.skipped_.insert(std::move(kv));
  *this = std::move(next);
  expire(now_ms);
  return plain;
}

session session::copy_without_skipped() const {
  session s;
  s.keys_ = keys_;
  s.dhs_ = dhs_;
  s.dhs_pub_ = dhs_pub_;
  s.dhr_ = dhr_;
  s.rk_ = rk_;
  s.cks_ = cks_;
  s.ckr_ = ckr_;
  s.ns_ = ns_;
  s.nr_ = nr_;
  s.pn_ = pn_;
  s.next_order_ = next_order_;
  return s;
}

// SkipMessageKeys (section 3.5), bounded by MAX_SKIP and by the number of
// keys kept.
caf::error session::skip_message_keys(uint32_t until, int64_t now_ms) {
  if (until > nr_ && until - nr_ > max_skip)
    return refused("a message too far ahead of its chain");
  if (ckr_.empty())
    return caf::none;
  while (nr_ < until) {
    secret mk;
    if (auto err = kdf_ck(ckr_, mk))
      return err;
    auto expires = now_ms > INT64_MAX - skipped_key_lifetime.count()
                     ? INT64_MAX
                     : now_ms + skipped_key_lifetime.count();
    skipped_[{dhr_, nr_}] = skipped_key{std::move(mk), expires, next_order_++};
    ++nr_;
  }
  return caf::none;
}

// DHRatchet (section 3.5).
caf::error session::dh_ratchet(const header& h) {
  pn_ = ns_;
  ns_ = 0;
  nr_ = 0;
  dhr_ = h.dh;
  auto in = dh(dhs_, dhr_);
  if (!in)
    return in.error();
  if (auto err = kdf_rk(rk_, *in, ckr_))
    return err;
  if (auto err = generate_dh(keys_, dhs_, dhs_pub_))
    return err;
  auto out = dh(dhs_, dhr_);
  if (!out)
    return out.error();
  return kdf_rk(rk_, *out, cks_);
}

// Drops expired skipped keys, then the oldest beyond the bound (section
// 8.4 leaves both policies to the application).
void session::expire(int64_t now_ms) {
  for (auto i = skipped_.begin(); i != skipped_.end();)
    i = i->second.expires_ms <= now_ms ? skipped_.erase(i) : std::next(i);
  while (skipped_.size() > max_skipped_keys) {
    auto oldest = std::min_element(
      skipped_.begin(), skipped_.end(), [](const auto& a, const auto& b) {
        return a.second.order < b.second.order;
      });
    skipped_.erase(oldest);
  }
}

// -- stored state ------------------------------------------------------------

namespace {

constexpr char state_magic[] = "CRT1";
constexpr uint8_t has_dhr = 1, has_cks = 2, has_ckr = 4;
constexpr size_t entry_size = key_size + 4 + 8 + 8 + key_size;

void put(bytes& out, byte_view b) {
  out.insert(out.end(), b.data, b.data + b.size);
}

/// Reads fixed-size fields from stored state; any overrun fails.
class state_reader {
public:
  explicit state_reader(byte_view data) : data_(data) {}
  const uint8_t* take(size_t n) {
    if (data_.size - pos_ < n)
      return nullptr;
    auto* p = data_.data + pos_;
    pos_ += n;
    return p;
  }
  bool done() const { return pos_ == data_.size; }

private:
  byte_view data_;
  size_t pos_ = 0;
};

caf::error corrupt() {
  return make_error(errc::bad_encoding, "stored ratchet state is corrupt");
}

} // namespace

caf::expected<secret> session::save() const {
  auto priv = crypto::x25519_private_raw(dhs_);
  if (!priv)
    return priv.error();
  if (skipped_.size() > max_skipped_keys)
    return make_error(errc::internal, "more skipped keys than allowed");
  // Reserved exactly, so the buffer never moves and leaves no unwiped copy
  // of a key behind.
  auto optional_keys = (dhr_.empty() ? 0 : 1) + (cks_.empty() ? 0 : 1)
                       + (ckr_.empty() ? 0 : 1);
  auto size = 4 + 2 * key_size + 1 + (1 + optional_keys) * key_size + 3 * 4
              + 8 + 4 + skipped_.size() * entry_size;
  bytes out;
  out.reserve(size);
  put(out, byte_view{state_magic});
  put(out, *priv);
  put(out, dhs_pub_);
  out.push_back(static_cast<uint8_t>((dhr_.empty() ? 0 : has_dhr)
                                     | (cks_.empty() ? 0 : has_cks)
                                     | (ckr_.empty() ? 0 : has_ckr)));
  put(out, dhr_);
  put(out, rk_);
  put(out, cks_);
  put(out, ckr_);
  put_u32(out, ns_);
  put_u32(out, nr_);
  put_u32(out, pn_);
  put_u64(out, next_order_);
  put_u32(out, static_cast<uint32_t>(skipped_.size()));
  for (const auto& [id, k] : skipped_) {
    put(out, id.first);
    put_u32(out, id.second);
    put_u64(out, static_cast<uint64_t>(k.expires_ms));
    put_u64(out, k.order);
    put(out, k.mk);
  }
  if (out.size() != size)
    return make_error(errc::internal, "ratchet state size mismatch");
  return secret{std::move(out)};
}

caf::expected<session> session::load(byte_view data) {
  state_reader r{data};
  auto* magic = r.take(4);
  if (magic == nullptr || !std::equal(magic, magic + 4, state_magic))
    return corrupt();
  session s;
  auto* priv = r.take(key_size);
  auto* pub = r.take(key_size);
  auto* flags = r.take(1);
  if (priv == nullptr || pub == nullptr || flags == nullptr || *flags > 7)
    return corrupt();
  auto pair = crypto::x25519_private_from_raw(byte_view{priv, key_size});
  if (!pair)
    return corrupt();
  auto derived = crypto::x25519_public_raw(*pair);
  if (!derived || !std::equal(derived->begin(), derived->end(), pub))
    return corrupt();
  s.dhs_ = std::move(*pair);
  s.dhs_pub_ = std::move(*derived);
  auto optional = [&](bool present, auto& field) {
    if (!present)
      return true;
    auto* p = r.take(key_size);
    if (p != nullptr)
      field = std::decay_t<decltype(field)>{bytes(p, p + key_size)};
    return p != nullptr;
  };
  if (!optional(*flags & has_dhr, s.dhr_) || !optional(true, s.rk_)
      || !optional(*flags & has_cks, s.cks_)
      || !optional(*flags & has_ckr, s.ckr_))
    return corrupt();
  auto* counters = r.take(3 * 4 + 8 + 4);
  if (counters == nullptr)
    return corrupt();
  s.ns_ = get_u32(counters);
  s.nr_ = get_u32(counters + 4);
  s.pn_ = get_u32(counters + 8);
  s.next_order_ = get_u64(counters + 12);
  auto count = get_u32(counters + 20);
  // Only the states the protocol reaches: Bob before his first message
  // (no chains), Alice before her first reply (sending only), and both
  // chains; a counter never runs ahead of its chain.
  if ((*flags != 0 && *flags != (has_dhr | has_cks) && *flags != 7)
      || (s.ns_ > 0 && s.cks_.empty()) || (s.nr_ > 0 && s.ckr_.empty())
      || count > max_skipped_keys || (count > 0 && s.ckr_.empty()))
    return corrupt();
  for (uint32_t i = 0; i < count; ++i) {
    auto* e = r.take(entry_size);
    if (e == nullptr)
      return corrupt();
    skipped_key k{secret{bytes(e + key_size + 20, e + entry_size)},
                  static_cast<int64_t>(get_u64(e + key_size + 4)),
                  get_u64(e + key_size + 12)};
    if (k.order >= s.next_order_)
      return corrupt();
    auto inserted = s.skipped_.emplace(
      std::make_pair(bytes(e, e + key_size), get_u32(e + key_size)),
      std::move(k));
    if (!inserted.second)
      return corrupt();
  }
  if (!r.done())
    return corrupt();
  return s;
}

} // namespace courier::protocol::ratchet
