// libFuzzer target: the Double Ratchet's untrusted inputs. The first byte
// picks one: a stored state (from the client's database file), or a message
// (header and ciphertext from the network) for a fixed live session. A
// refused message must leave the session exactly as it was.

#include <string>

#include "actors/common/error.hpp"
#include "actors/protocol/ratchet.hpp"
#include "crypto/x25519.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
using namespace courier::protocol;

namespace {

constexpr int64_t now = 1'700'000'000'000;

// Bob after one message from alice, so both chains exist.
const crypto::secret& bob_state() {
  static const crypto::secret state = [] {
    crypto::secret sk{crypto::bytes(32, 7)};
    auto spk = crypto::generate_x25519().value();
    auto alice = std::move(*ratchet::session::init_alice(
      sk, crypto::x25519_public_raw(spk).value()));
    auto bob = std::move(*ratchet::session::init_bob(sk, spk));
    auto m = alice.encrypt(std::string{"hi"}, std::string{"ad"}).value();
    (void) bob.decrypt(m, std::string{"ad"}, now).value();
    return bob.save().value();
  }();
  return state;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  crypto::byte_view rest{data + 1, size - 1};
  if (data[0] % 2 == 0) {
    if (auto s = ratchet::session::load(rest)) {
      auto again = s->save();
      fuzz::require(static_cast<bool>(again), "a loaded state cannot be saved");
      fuzz::require(again->unsafe_bytes()
                      == crypto::bytes(rest.data, rest.data + rest.size),
                    "a stored state changed in a round trip");
    }
    return 0;
  }
  if (rest.size < ratchet::header_size)
    return 0;
  auto head = ratchet::decode_header(
    crypto::byte_view{rest.data, ratchet::header_size});
  fuzz::require(static_cast<bool>(head), "a 40-byte header did not decode");
  auto bob = std::move(*ratchet::session::load(bob_state()));
  ratchet::message msg{*head,
                       crypto::bytes(rest.data + ratchet::header_size,
                                     rest.data + rest.size)};
  auto opened = bob.decrypt(msg, std::string{"ad"}, now);
  if (!opened) {
    fuzz::require(code_of(opened.error()) == errc::decrypt_failed,
                  "a refusal was not decrypt_failed");
    fuzz::require(bob.save().value().unsafe_bytes()
                    == bob_state().unsafe_bytes(),
                  "a refused message changed the session");
  }
  return 0;
}
