#include "actors/protocol/key_source.hpp"

#include <memory>

#include "actors/common/error.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

namespace courier::protocol {

key_source::key_source(x25519_fn keys, bytes_fn random, wrap_fn wrap)
  : keys_(std::move(keys)), random_(std::move(random)), wrap_(std::move(wrap)) {
}

caf::expected<crypto::key> key_source::x25519() const {
  return keys_ ? keys_() : crypto::generate_x25519();
}

caf::expected<crypto::bytes> key_source::random(size_t n) const {
  if (random_)
    return random_(n);
  return crypto::random_bytes(n);
}

caf::expected<crypto::secret> key_source::random_secret(size_t n) const {
  if (!random_)
    return crypto::random_secret(n);
  auto b = random_(n);
  if (!b)
    return b.error();
  return crypto::secret{std::move(*b)};
}

caf::expected<crypto::bytes>
key_source::oaep_wrap(const crypto::key& rsa_public,
                      crypto::byte_view plaintext) const {
  return wrap_ ? wrap_(rsa_public, plaintext)
               : crypto::oaep_wrap(rsa_public, plaintext);
}

namespace {

/// The lists of a fixed source and how far each has been read.
struct fixed_state {
  std::vector<crypto::bytes> keys;
  std::vector<crypto::bytes> random;
  std::vector<crypto::bytes> wrapped;
  size_t next_key = 0;
  size_t next_random = 0;
  size_t next_wrapped = 0;
};

caf::error used_up(const char* what) {
  return make_error(errc::internal,
                    std::string{"the fixed key source has no more "} + what);
}

} // namespace

key_source fixed_key_source(std::vector<crypto::bytes> x25519_private,
                            std::vector<crypto::bytes> random,
                            std::vector<crypto::bytes> wrapped) {
  auto st = std::make_shared<fixed_state>();
  st->keys = std::move(x25519_private);
  st->random = std::move(random);
  st->wrapped = std::move(wrapped);
  auto keys = [st]() -> caf::expected<crypto::key> {
    if (st->next_key == st->keys.size())
      return used_up("X25519 keys");
    return crypto::x25519_private_from_raw(st->keys[st->next_key++]);
  };
  auto rand = [st](size_t n) -> caf::expected<crypto::bytes> {
    if (st->next_random == st->random.size()
        || st->random[st->next_random].size() != n)
      return used_up("random bytes of that length");
    return st->random[st->next_random++];
  };
  auto wrap = [st](const crypto::key&,
                   crypto::byte_view) -> caf::expected<crypto::bytes> {
    if (st->next_wrapped == st->wrapped.size())
      return used_up("wrapped secrets");
    return st->wrapped[st->next_wrapped++];
  };
  return key_source{std::move(keys), std::move(rand), std::move(wrap)};
}

} // namespace courier::protocol
