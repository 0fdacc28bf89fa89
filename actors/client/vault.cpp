#include "actors/client/vault.hpp"

#include "actors/common/error.hpp"
#include "crypto/aead.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"

namespace courier {

caf::expected<vault> vault::open(database& db, const crypto::key& identity) {
  if (auto err = db.exec("CREATE TABLE IF NOT EXISTS vault("
                         "id INTEGER PRIMARY KEY CHECK(id = 1),"
                         " wrapped BLOB NOT NULL)"))
    return err;
  auto get = db.prepare("SELECT wrapped FROM vault WHERE id = 1");
  if (!get)
    return get.error();
  auto row = get->step();
  if (!row)
    return row.error();
  vault result;
  if (*row) {
    auto wrapped = get->blob_at(0);
    auto key = crypto::oaep_unwrap(identity, wrapped);
    if (!key)
      return make_error(errc::decrypt_failed,
                        "this client database belongs to another identity:"
                        " its keys do not open with this identity file");
    if (key->size() != crypto::aead_key_size)
      return make_error(errc::bad_key, "the client database's vault key");
    result.key_ = std::move(*key);
    return result;
  }
  result.key_ = crypto::random_secret(crypto::aead_key_size);
  auto wrapped = crypto::oaep_wrap(identity, result.key_);
  if (!wrapped)
    return wrapped.error();
  auto put = db.prepare("INSERT INTO vault(id, wrapped) VALUES(1, ?1)");
  if (!put)
    return put.error();
  put->bind_blob(1, wrapped->data(), wrapped->size());
  if (auto err = put->run())
    return err;
  return result;
}

caf::expected<crypto::bytes> vault::seal(std::string_view label,
                                         crypto::byte_view plaintext) const {
  auto nonce = crypto::random_bytes(crypto::aead_nonce_size);
  auto ct = crypto::aead_seal(key_, nonce, label, plaintext);
  if (!ct)
    return ct.error();
  nonce.insert(nonce.end(), ct->begin(), ct->end());
  return nonce;
}

caf::expected<crypto::secret> vault::open(std::string_view label,
                                          crypto::byte_view sealed) const {
  if (sealed.size < crypto::aead_nonce_size + crypto::aead_tag_size)
    return make_error(errc::decrypt_failed, "a sealed value is too short");
  crypto::byte_view nonce{sealed.data, crypto::aead_nonce_size};
  crypto::byte_view rest{sealed.data + crypto::aead_nonce_size,
                         sealed.size - crypto::aead_nonce_size};
  auto plain = crypto::aead_open(key_, nonce, label, rest);
  if (!plain)
    return plain.error();
  return crypto::secret{std::move(*plain)};
}

} // namespace courier
