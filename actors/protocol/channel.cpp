#include "actors/protocol/channel.hpp"

#include "actors/common/error.hpp"
#include "actors/protocol/frame.hpp"
#include "crypto/aead.hpp"

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
}

caf::error channel::seal_to(std::string_view plaintext, char* out) {
  if (!ready())
    return make_error(errc::not_authenticated);
  if (auto err = ensure(send_, keys_.send, true))
    return err;
  uint8_t nonce[crypto::aead_nonce_size];
  make_nonce(sent_++, nonce);
  return send_.seal_to({nonce, sizeof(nonce)}, frame_aad, plaintext,
                       reinterpret_cast<uint8_t*>(out));
}

caf::error channel::seal(std::string_view plaintext, std::string& out) {
  out.resize(plaintext.size() + crypto::aead_tag_size);
  auto err = seal_to(plaintext, out.data());
  if (err)
    out.clear();
  return err;
}

caf::error channel::seal_frame(std::string_view plaintext,
                               std::vector<char>& out) {
  auto start = out.size();
  auto len = plaintext.size() + crypto::aead_tag_size;
  out.resize(start + frame_header_size + len);
  write_frame_header(out.data() + start, static_cast<uint32_t>(len));
  auto err = seal_to(plaintext, out.data() + start + frame_header_size);
  if (err)
    out.resize(start);
  return err;
}

caf::error channel::open(std::string_view sealed, std::string& out) {
  if (!ready())
    return make_error(errc::not_authenticated);
  if (auto err = ensure(receive_, keys_.receive, false)) {
    broken_ = true;
    return err;
  }
  if (sealed.size() < crypto::aead_tag_size) {
    broken_ = true;
    return make_error(errc::decrypt_failed);
  }
  uint8_t nonce[crypto::aead_nonce_size];
  make_nonce(received_++, nonce);
  out.resize(sealed.size() - crypto::aead_tag_size);
  if (auto err = receive_.open_to({nonce, sizeof(nonce)}, frame_aad, sealed,
                                  reinterpret_cast<uint8_t*>(out.data()))) {
    out.clear();
    broken_ = true;
    return err;
  }
  return caf::none;
}

} // namespace courier::protocol
