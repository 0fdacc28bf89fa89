#include "actors/protocol/channel.hpp"

#include "crypto/aead.hpp"
#include "crypto/errc.hpp"

namespace courier::protocol {

namespace {

constexpr std::string_view frame_aad = "courier-frame-v1";

void make_nonce(uint64_t counter, uint8_t (&nonce)[crypto::aead_nonce_size]) {
  for (size_t i = 0; i < 4; ++i)
    nonce[i] = 0;
  for (size_t i = 0; i < 8; ++i)
    nonce[4 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
}

// Keys a context for one direction unless it is there already.
caf::error ensure(crypto::aead_cipher& cipher, const crypto::secret& key,
                  bool encrypt) {
  if (cipher)
    return caf::none;
  auto made = crypto::aead_cipher::make(key, encrypt);
  if (!made)
    return made.error();
  cipher = std::move(*made);
  return caf::none;
}

} // namespace

channel::channel(traffic_keys keys) : keys_(std::move(keys)) {
  // Both keys or none: a channel with half its keys is not ready.
  if (keys_.send.empty() || keys_.receive.empty())
    keys_ = traffic_keys{};
}

void channel::release() {
  send_ = crypto::aead_cipher{};
  receive_ = crypto::aead_cipher{};
  crypto::bytes{}.swap(scratch_);
}

caf::error channel::seal(const std::string& plaintext, std::string& out) {
  if (!ready())
    return make_error(errc::not_authenticated);
  uint8_t nonce[crypto::aead_nonce_size];
  if (auto err = ensure(send_, keys_.send, true))
    return err;
  make_nonce(sent_++, nonce);
  if (auto err = send_.seal_into({nonce, sizeof(nonce)}, frame_aad, plaintext,
                                 scratch_))
    return err;
  out.assign(scratch_.begin(), scratch_.end());
  return caf::none;
}

caf::error channel::open(const std::string& sealed, std::string& out) {
  if (!ready())
    return make_error(errc::not_authenticated);
  uint8_t nonce[crypto::aead_nonce_size];
  if (auto err = ensure(receive_, keys_.receive, false)) {
    broken_ = true;
    return err;
  }
  make_nonce(received_++, nonce);
  if (auto err = receive_.open_into({nonce, sizeof(nonce)}, frame_aad, sealed,
                                    scratch_)) {
    broken_ = true;
    return err;
  }
  out.assign(scratch_.begin(), scratch_.end());
  return caf::none;
}

} // namespace courier::protocol
