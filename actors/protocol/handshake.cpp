#include "actors/protocol/handshake.hpp"

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/echo.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/json_object.hpp"
#include "crypto/digest.hpp"
#include "crypto/hkdf.hpp"
#include "crypto/oaep.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"

namespace courier::protocol {

namespace {

constexpr size_t nonce_size = 32;
constexpr size_t secret_size = 32;
constexpr std::string_view server_label = "courier server hello v1";
constexpr std::string_view client_label = "courier client finish v1";

caf::error bad(std::string what) {
  return make_error(errc::bad_frame, "handshake: " + std::move(what));
}

// Reads a required base64 field of a handshake object.
caf::error get_b64(json_object_reader& r, const char* name, size_t max_len,
                   crypto::bytes& out) {
  auto s = r.str(name);
  if (!r.ok())
    return r.error();
  if (s.size() > max_len * 4 / 3 + 4 || !crypto::from_base64(s, out))
    return bad(std::string{"bad '"} + name + "'");
  return caf::none;
}

caf::expected<boost::json::object> parse_hs(const std::string& text) {
  return parse_json_object(text, errc::bad_frame, "handshake: ");
}

// Checks `v` and `type` of a handshake object.
caf::error check_header(json_object_reader& r, std::string_view type) {
  auto v = r.int64("v");
  if (r.ok() && v != envelope_version)
    return make_error(errc::unsupported_version, "handshake version");
  auto t = r.str("type");
  if (r.ok() && t != type)
    return bad("expected " + std::string{type});
  return r.error();
}

crypto::bytes labelled(std::string_view label, const crypto::bytes& th) {
  crypto::bytes msg(label.begin(), label.end());
  msg.push_back(0);
  msg.insert(msg.end(), th.begin(), th.end());
  return msg;
}

crypto::bytes transcript(const std::string& hello_text,
                         const crypto::bytes& server_key,
                         const crypto::bytes& eph, const crypto::bytes& nonce,
                         const crypto::bytes& wrapped) {
  crypto::sha256_stream h;
  h.update_framed("courier-handshake-v1");
  h.update_framed(hello_text);
  h.update_framed(server_key);
  h.update_framed(eph);
  h.update_framed(nonce);
  h.update_framed(wrapped);
  return h.digest();
}

// Traffic keys from the ECDH result and the wrapped session secret, bound
// to the transcript; `client` picks which direction is "send".
caf::expected<traffic_keys> derive(const crypto::secret& dh,
                                   const crypto::secret& session_secret,
                                   const crypto::bytes& th, bool client) {
  crypto::secret ikm{dh.size() + session_secret.size()};
  std::copy(dh.data(), dh.data() + dh.size(), ikm.data());
  std::copy(session_secret.data(), session_secret.data() + session_secret.size(),
            ikm.data() + dh.size());
  auto c2s = crypto::hkdf_sha256(ikm, th, "courier c2s v1", 32);
  auto s2c = crypto::hkdf_sha256(ikm, th, "courier s2c v1", 32);
  if (!c2s)
    return c2s.error();
  if (!s2c)
    return s2c.error();
  traffic_keys keys;
  keys.send = client ? std::move(*c2s) : std::move(*s2c);
  keys.receive = client ? std::move(*s2c) : std::move(*c2s);
  return keys;
}

} // namespace

caf::expected<client_start> start_handshake(const std::string& user,
                                            const crypto::key& identity,
                                            const key_source& keys) {
  auto eph = keys.x25519();
  if (!eph)
    return eph.error();
  auto eph_pub = crypto::x25519_public_raw(*eph);
  auto der = identity.public_der();
  if (!eph_pub)
    return eph_pub.error();
  if (!der)
    return der.error();
  auto nonce = keys.random(nonce_size);
  if (!nonce)
    return nonce.error();
  client_start st;
  st.eph = *eph;
  st.hello.user = user;
  st.hello.identity = *der;
  st.hello.identity_key = identity;
  st.hello.eph = *eph_pub;
  st.hello.nonce = std::move(*nonce);
  boost::json::object obj{{"v", envelope_version},
                          {"type", "client_hello"},
                          {"user", user},
                          {"identity", crypto::to_base64(st.hello.identity)},
                          {"eph", crypto::to_base64(st.hello.eph)},
                          {"nonce", crypto::to_base64(st.hello.nonce)}};
  st.hello.text = boost::json::serialize(obj);
  return st;
}

caf::expected<client_hello> parse_client_hello(const std::string& text) {
  auto obj = parse_hs(text);
  if (!obj)
    return obj.error();
  json_object_reader r{*obj, errc::bad_frame, "handshake: "};
  if (auto err = check_header(r, "client_hello"))
    return err;
  client_hello hello;
  hello.text = text;
  hello.user = std::string{r.str("user")};
  if (!r.ok())
    return r.error();
  if (!valid_username(hello.user))
    return make_error(errc::invalid_username, echo(hello.user));
  if (auto err = get_b64(r, "identity", 1024, hello.identity))
    return err;
  if (auto err = get_b64(r, "eph", 32, hello.eph))
    return err;
  if (auto err = get_b64(r, "nonce", nonce_size, hello.nonce))
    return err;
  if (auto err = r.finish())
    return err;
  if (hello.eph.size() != 32 || hello.nonce.size() != nonce_size)
    return bad("wrong key or nonce size");
  auto key = crypto::public_key_from_der(hello.identity);
  if (!key)
    return make_error(errc::bad_key, "identity key");
  // Checked before any work with it: see is_rsa_identity.
  if (!crypto::is_rsa_identity(*key))
    return make_error(errc::bad_key,
                      "identity must be RSA 2048, 3072 or 4096 with e=65537");
  hello.identity_key = *key;
  return hello;
}

caf::expected<std::pair<std::string, server_pending>>
answer_hello(const client_hello& hello, const crypto::key& server_key,
             const crypto::bytes& server_key_der, const key_source& keys) {
  auto eph = keys.x25519();
  if (!eph)
    return eph.error();
  auto eph_pub = crypto::x25519_public_raw(*eph);
  auto peer = crypto::x25519_from_raw(hello.eph);
  if (!eph_pub)
    return eph_pub.error();
  if (!peer)
    return bad("bad ephemeral key");
  auto dh = crypto::x25519_derive(*eph, *peer);
  if (!dh)
    return bad("bad ephemeral key");
  auto session_secret = keys.random_secret(secret_size);
  if (!session_secret)
    return session_secret.error();
  auto wrapped = keys.oaep_wrap(hello.identity_key, *session_secret);
  if (!wrapped)
    return wrapped.error();
  auto nonce = keys.random(nonce_size);
  if (!nonce)
    return nonce.error();
  auto th = transcript(hello.text, server_key_der, *eph_pub, *nonce, *wrapped);
  auto sig = crypto::sign(server_key, labelled(server_label, th));
  if (!sig)
    return sig.error();
  auto traffic = derive(*dh, *session_secret, th, false);
  if (!traffic)
    return traffic.error();
  boost::json::object obj{{"v", envelope_version},
                          {"type", "server_hello"},
                          {"server_key", crypto::to_base64(server_key_der)},
                          {"eph", crypto::to_base64(*eph_pub)},
                          {"nonce", crypto::to_base64(*nonce)},
                          {"wrapped_secret", crypto::to_base64(*wrapped)},
                          {"sig", crypto::to_base64(*sig)}};
  server_pending pending{std::move(th), std::move(*traffic)};
  return std::make_pair(boost::json::serialize(obj), std::move(pending));
}

caf::expected<client_result>
finish_handshake(const client_start& start, const crypto::key& identity,
                 const std::string& server_hello_text,
                 const crypto::bytes& pinned) {
  auto obj = parse_hs(server_hello_text);
  if (!obj)
    return obj.error();
  json_object_reader r{*obj, errc::bad_frame, "handshake: "};
  if (auto err = check_header(r, "server_hello"))
    return err;
  crypto::bytes server_key, eph, nonce, wrapped, sig;
  for (auto [name, max, out] :
       {std::tuple{"server_key", size_t{1024}, &server_key},
        std::tuple{"eph", size_t{32}, &eph},
        std::tuple{"nonce", nonce_size, &nonce},
        std::tuple{"wrapped_secret", size_t{1024}, &wrapped},
        std::tuple{"sig", size_t{1024}, &sig}})
    if (auto err = get_b64(r, name, max, *out))
      return err;
  if (auto err = r.finish())
    return err;
  if (!pinned.empty() && !crypto::equal_ct(pinned, server_key))
    return make_error(errc::key_changed,
                      "the router's key is not the pinned one: "
                        + crypto::fingerprint_of_der(server_key));
  auto skey = crypto::public_key_from_der(server_key);
  if (!skey)
    return make_error(errc::bad_key, "router key");
  auto th = transcript(start.hello.text, server_key, eph, nonce, wrapped);
  if (!crypto::verify(*skey, labelled(server_label, th), sig))
    return make_error(errc::bad_signature, "router handshake signature");
  auto peer = crypto::x25519_from_raw(eph);
  if (!peer)
    return bad("bad ephemeral key");
  auto dh = crypto::x25519_derive(start.eph, *peer);
  if (!dh)
    return bad("bad ephemeral key");
  auto session_secret = crypto::oaep_unwrap(identity, wrapped);
  if (!session_secret)
    return session_secret.error();
  auto keys = derive(*dh, *session_secret, th, true);
  if (!keys)
    return keys.error();
  auto my_sig = crypto::sign(identity, labelled(client_label, th));
  if (!my_sig)
    return my_sig.error();
  boost::json::object fin{{"v", envelope_version},
                          {"type", "client_finish"},
                          {"sig", crypto::to_base64(*my_sig)}};
  return client_result{boost::json::serialize(fin), std::move(*keys),
                       std::move(server_key)};
}

caf::error verify_finish(const client_hello& hello,
                         const server_pending& pending,
                         const std::string& finish_text) {
  auto obj = parse_hs(finish_text);
  if (!obj)
    return obj.error();
  json_object_reader r{*obj, errc::bad_frame, "handshake: "};
  if (auto err = check_header(r, "client_finish"))
    return err;
  crypto::bytes sig;
  if (auto err = get_b64(r, "sig", 1024, sig))
    return err;
  if (auto err = r.finish())
    return err;
  if (!crypto::verify(hello.identity_key,
                      labelled(client_label, pending.transcript), sig))
    return make_error(errc::bad_signature, "proof of key possession");
  return caf::none;
}

} // namespace courier::protocol
