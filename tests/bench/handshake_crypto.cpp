// handshake-crypto: the public-key work a router does per handshake, each
// operation timed alone in this process (the rest of a handshake's router
// CPU is actors, sockets and scheduling).

#include <chrono>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "actors/protocol/handshake.hpp"
#include "crypto/key.hpp"
#include "crypto/oaep.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"
#include "tests/bench/scenarios.hpp"

namespace courier::bench {

namespace {

// Mean microseconds of `op` over `rounds` runs; throws if it ever fails.
template <class Op>
double time_us(uint64_t rounds, Op op) {
  auto t0 = clock::now();
  for (uint64_t i = 0; i < rounds; ++i)
    if (!op())
      throw std::runtime_error("a crypto operation failed");
  auto total = std::chrono::duration<double, std::micro>(clock::now() - t0);
  return total.count() / static_cast<double>(rounds);
}

} // namespace

int run_handshake_crypto(const options& opts, bool json) {
  auto rounds = std::max<uint64_t>(1, opts.num("rounds", 1000));
  auto& client = bench_key(); // the clients' key in the handshake scenario
  auto der = *client.public_der();
  auto client_pub = *crypto::public_key_from_der(der);
  auto server = *crypto::generate_ed25519();
  auto peer_eph = *crypto::generate_x25519();
  auto peer_raw = *crypto::x25519_public_raw(peer_eph);
  auto own_eph = *crypto::generate_x25519();
  auto secret = crypto::random_secret(32);
  std::string transcript(32, 't');
  auto client_sig = *crypto::sign(client, transcript);
  result r{"handshake-crypto"};
  r.add("rounds", static_cast<int64_t>(rounds));
  double sum = 0;
  auto add = [&](const char* key, double us) {
    r.add(key, us, "us");
    sum += us;
  };
  add("parse_client_key", time_us(rounds, [&] {
        return static_cast<bool>(crypto::public_key_from_der(der));
      }));
  add("oaep_wrap", time_us(rounds, [&] {
        return static_cast<bool>(crypto::oaep_wrap(client_pub, secret));
      }));
  add("verify_client_signature", time_us(rounds, [&] {
        return crypto::verify(client_pub, transcript, client_sig);
      }));
  add("sign_ed25519", time_us(rounds, [&] {
        return static_cast<bool>(crypto::sign(server, transcript));
      }));
  add("x25519_keygen", time_us(rounds, [&] {
        return static_cast<bool>(crypto::generate_x25519());
      }));
  add("x25519_derive", time_us(rounds, [&] {
        auto peer = crypto::x25519_from_raw(peer_raw);
        return peer && crypto::x25519_derive(own_eph, *peer);
      }));
  r.add("total_per_handshake", sum, "us");
  // The same work as the router's handshake workers do it, with JSON,
  // base64, the transcript hash, HKDF and the random nonces around it.
  auto start = *protocol::start_handshake("bench", client);
  auto server_der = *server.public_der();
  auto hello = *protocol::parse_client_hello(start.hello.text);
  auto answer = *protocol::answer_hello(hello, server, server_der);
  auto finish = *protocol::finish_handshake(start, client, answer.first, {});
  double protocol_sum = 0;
  auto add_step = [&](const char* key, double us) {
    r.add(key, us, "us");
    protocol_sum += us;
  };
  add_step("step_parse_client_hello", time_us(rounds, [&] {
             return static_cast<bool>(
               protocol::parse_client_hello(start.hello.text));
           }));
  add_step("step_answer_hello", time_us(rounds, [&] {
             return static_cast<bool>(
               protocol::answer_hello(hello, server, server_der));
           }));
  add_step("step_verify_finish", time_us(rounds, [&] {
             return !protocol::verify_finish(hello, answer.second,
                                             finish.finish_text);
           }));
  r.add("steps_total", protocol_sum, "us");
  // For comparison: OpenSSL's plain d2i_PUBKEY, which builds a decoder
  // chain per call (what public_key_from_der did before it kept one).
  r.add("openssl_d2i_pubkey", time_us(rounds, [&] {
          const unsigned char* in = der.data();
          EVP_PKEY* k = d2i_PUBKEY(nullptr, &in, static_cast<long>(der.size()));
          EVP_PKEY_free(k);
          return k != nullptr;
        }),
        "us");
  r.note("one thread, this process; the client key is the RSA key every "
         "handshake-scenario client uses");
  r.print(json);
  return 0;
}

} // namespace courier::bench
