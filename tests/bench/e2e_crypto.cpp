// e2e-crypto: what a client (or the bank) spends to open one message, old
// letters (v1: RSA-OAEP unwrap + RSA-PSS verify) against the ratchet (v2),
// and the first message of a session (X3DH), each timed alone in one
// thread of this process.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "actors/client/device.hpp"
#include "actors/protocol/letter.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/key.hpp"
#include "crypto/random.hpp"
#include "crypto/signature.hpp"
#include "crypto/x25519.hpp"
#include "tests/bench/scenarios.hpp"

namespace courier::bench {

namespace {

using protocol::ratchet::session;

// Mean microseconds per run of `op`, which runs `rounds` times.
template <class Op>
double mean_us(uint64_t rounds, Op op) {
  auto t0 = clock::now();
  for (uint64_t i = 0; i < rounds; ++i)
    if (!op(i))
      throw std::runtime_error("a crypto operation failed");
  auto total = std::chrono::duration<double, std::micro>(clock::now() - t0);
  return total.count() / static_cast<double>(rounds);
}

// What a client spends on one letter v3 as it really handles it: seal
// (state written before the blob leaves) and open (plaintext, state and
// the inbox record in one SQLite transaction, then the history), with the
// client databases in a temporary folder. One direction, so no DH step.
void device_costs(result& r, uint64_t rounds, const std::string& body) {
  namespace fs = std::filesystem;
  auto root = fs::temp_directory_path() / ("courier-bench-" + crypto::random_uuid());
  struct side {
    std::string name;
    crypto::key identity;
    std::shared_ptr<client_db> db;
    std::unique_ptr<device> dev;
  };
  auto make = [&](const std::string& name, crypto::key identity) {
    fs::create_directories(root / name);
    side s{name, std::move(identity), nullptr, nullptr};
    s.db = std::make_shared<client_db>(
      std::move(*client_db::open((root / name / "client.db").string())));
    s.dev = std::move(*device::open(s.db, name, s.identity, 0));
    return s;
  };
  auto alice = make("alice", bench_key());
  auto bob = make("bob", *crypto::generate_rsa(2048));
  auto up = *bob.dev->upload(1, std::chrono::hours{24}, 0);
  protocol::x3dh::bundle b{up.device, up.signed_prekey, up.prekey_signature,
                           up.one_time.front()};
  if (alice.dev->start_session("bob", b, bob.identity, 0))
    throw std::runtime_error("device session");
  std::vector<std::string> blobs(rounds);
  auto cpu0 = std::clock();
  r.add("device_seal_letter", mean_us(rounds, [&](uint64_t i) {
          auto blob = alice.dev->seal_letter(
            {"alice", "bob", 1, std::to_string(i), body}, false, 1);
          if (blob)
            blobs[i] = std::move(*blob);
          return static_cast<bool>(blob);
        }), "us");
  auto cpu_us = [&] {
    auto now = std::clock();
    auto us = 1e6 * static_cast<double>(now - cpu0) / CLOCKS_PER_SEC
              / static_cast<double>(rounds);
    cpu0 = now;
    return us;
  };
  r.add("device_seal_letter_cpu", cpu_us(), "us");
  r.add("device_open_letter", mean_us(rounds, [&](uint64_t i) {
          auto got = bob.dev->open_letter("bob", "alice", blobs[i],
                                          alice.identity, 1, 1);
          return got && got->msg && !bob.db->record_inbound(*got->msg);
        }), "us");
  r.add("device_open_letter_cpu", cpu_us(), "us");
  alice = side{};
  bob = side{};
  fs::remove_all(root);
}

} // namespace

int run_e2e_crypto(const options& opts, bool json) {
  auto rounds = std::max<uint64_t>(1, opts.num("rounds", 2000));
  auto size = opts.num("size", 256);
  std::string body(size, 'x');
  result r{"e2e-crypto"};
  r.add("rounds", static_cast<int64_t>(rounds));
  r.add("body_bytes", static_cast<int64_t>(size));

  // "v1": the RSA letter every message is today (blob version 2 since
  // issue 13: the signature is verified before the unwrap).
  auto& alice_rsa = bench_key();
  auto bob_rsa = *crypto::generate_rsa(3072);
  protocol::letter content{"alice", "bob", 1, "id", body};
  auto blob = *protocol::seal_letter(content, alice_rsa,
                                     {{"bob", bob_rsa}, {"alice", alice_rsa}});
  auto v1_rounds = std::max<uint64_t>(1, rounds / 20);
  r.add("v1_seal", mean_us(v1_rounds, [&](uint64_t) {
          return static_cast<bool>(protocol::seal_letter(
            content, alice_rsa, {{"bob", bob_rsa}, {"alice", alice_rsa}}));
        }), "us");
  r.add("v1_open_and_verify", mean_us(v1_rounds, [&](uint64_t) {
          return static_cast<bool>(
            protocol::open_letter(blob, "bob", "alice", alice_rsa, bob_rsa));
        }), "us");

  // v2: X3DH once, then the ratchet.
  auto alice_dev = *protocol::x3dh::make_device(alice_rsa, "alice", 1, 0);
  auto bob_dev = *protocol::x3dh::make_device(bob_rsa, "bob", 1, 0);
  auto spk = *crypto::generate_x25519();
  auto opk = *crypto::generate_x25519();
  protocol::x3dh::bundle bundle{bob_dev.second,
                                {1, *crypto::x25519_public_raw(spk)},
                                {},
                                protocol::x3dh::prekey{
                                  2, *crypto::x25519_public_raw(opk)}};
  bundle.prekey_signature = *protocol::x3dh::sign_prekey(
    bob_dev.first, bob_dev.second, bundle.signed_prekey);
  auto x3dh_rounds = std::max<uint64_t>(1, rounds / 10);
  r.add("x3dh_initiate", mean_us(x3dh_rounds, [&](uint64_t) {
          return static_cast<bool>(protocol::x3dh::initiate(
            alice_dev.first, alice_dev.second, bundle, bob_rsa, "bob"));
        }), "us");
  auto started = *protocol::x3dh::initiate(alice_dev.first, alice_dev.second,
                                           bundle, bob_rsa, "bob");
  r.add("x3dh_respond", mean_us(x3dh_rounds, [&](uint64_t) {
          // Bob checks alice's certificate against her pinned key first.
          return !protocol::x3dh::verify(started.first.sender, alice_rsa,
                                         "alice")
                 && protocol::x3dh::respond(bob_dev.first, bob_dev.second, spk,
                                            opk, started.first);
        }), "us");
  auto& agreed = started.second;
  auto alice = std::move(*session::init_alice(agreed.sk, bundle.signed_prekey.key));
  auto bob = std::move(*session::init_bob(agreed.sk, spk));
  std::vector<protocol::ratchet::message> sent;
  sent.reserve(rounds);
  r.add("ratchet_encrypt", mean_us(rounds, [&](uint64_t) {
          auto m = alice.encrypt(body, agreed.ad);
          if (m)
            sent.push_back(std::move(*m));
          return static_cast<bool>(m);
        }), "us");
  r.add("ratchet_decrypt", mean_us(rounds, [&](uint64_t i) {
          return static_cast<bool>(bob.decrypt(sent[i], agreed.ad, 0));
        }), "us");
  r.add("ratchet_save_state", mean_us(rounds, [&](uint64_t) {
          return static_cast<bool>(bob.save());
        }), "us");
  // A reply makes a DH ratchet step on each side: the first message after
  // a change of direction costs two X25519 agreements and a key pair.
  r.add("ratchet_decrypt_with_dh_step", mean_us(x3dh_rounds, [&](uint64_t) {
          auto m = bob.encrypt(body, agreed.ad);
          auto a = m && alice.decrypt(*m, agreed.ad, 0);
          auto n = alice.encrypt(body, agreed.ad);
          return a && n && bob.decrypt(*n, agreed.ad, 0);
        }) / 2, "us");
  auto device_key = alice_dev.first.signing;
  auto device_pub = *crypto::public_key_from_der(*device_key.public_der());
  auto signature = *crypto::sign(device_key, body);
  r.add("order_sign_ed25519", mean_us(rounds, [&](uint64_t) {
          return static_cast<bool>(crypto::sign(device_key, body));
        }), "us");
  r.add("order_verify_ed25519", mean_us(rounds, [&](uint64_t) {
          return crypto::verify(device_pub, body, signature);
        }), "us");
  device_costs(r, rounds, body);
  r.note("one thread, this process; v1 letters are sealed to a 3072-bit key;"
         " device_*: a letter v3 with the client's SQLite writes");
  r.print(json);
  return 0;
}

} // namespace courier::bench
