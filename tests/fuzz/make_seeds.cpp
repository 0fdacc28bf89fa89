// Writes the seed corpora of the fuzz targets: valid inputs made with the
// project's own functions, one directory per target under DIR, one file
// per seed. Also writes the fixed keys to $COURIER_FUZZ_KEYS (see
// fuzz_support.hpp) so the sealed seeds open in the targets.
//
// Usage: make_seeds DIR

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "actors/protocol/amount.hpp"
#include "actors/protocol/bundle.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/frame.hpp"
#include "actors/protocol/letter.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "actors/protocol/order.hpp"
#include "actors/protocol/ratchet.hpp"
#include "actors/protocol/receipt.hpp"
#include "actors/protocol/x3dh.hpp"
#include "crypto/x25519.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace courier;
namespace fs = std::filesystem;

namespace {

/// Writes seeds into DIR/TARGET/seed-N; a rerun overwrites them and keeps
/// what the fuzzer added beside them.
class corpus {
public:
  explicit corpus(fs::path dir) : dir_(std::move(dir)) {}

  void add(const std::string& target, std::string_view seed) {
    auto dir = dir_ / target;
    fs::create_directories(dir);
    auto n = per_target_[target]++;
    std::ofstream{dir / ("seed-" + std::to_string(n)), std::ios::binary}
      << seed;
    ++count_;
  }

  void add(const std::string& target, const std::vector<std::string>& seeds) {
    for (const auto& s : seeds)
      add(target, s);
  }

  size_t count() const { return count_; }

private:
  fs::path dir_;
  std::map<std::string, size_t> per_target_;
  size_t count_ = 0;
};

std::string frames(const std::vector<std::string>& payloads) {
  std::vector<char> out;
  for (const auto& p : payloads)
    protocol::append_frame(out, p);
  return {out.begin(), out.end()};
}

std::string sealed_frames(const std::vector<std::string>& payloads) {
  protocol::channel ch{fuzz::channel_keys(true)};
  std::vector<char> out;
  for (const auto& p : payloads)
    fuzz::require(!ch.seal_frame(p, out), "seal_frame");
  return {out.begin(), out.end()};
}

std::vector<std::string> envelopes() {
  using boost::json::array;
  return {
    protocol::make_envelope("send", "1", {{"to", "bob"}, {"blob", "eyJ2IjoxfQ=="}}),
    protocol::make_receipt_envelope("1", "accepted", 7),
    protocol::make_deliver_envelope(8, "alice", "eyJ2IjoxfQ==", 1700000000000),
    protocol::make_envelope("ack", "8"),
    protocol::make_envelope("presence", "2", {{"online", array{"alice", "bob"}}}),
    protocol::make_envelope("key_lookup", "3", {{"user", "bob"}}),
    protocol::make_envelope("welcome", "", {{"user", "alice"},
                                            {"server", "courier"},
                                            {"new_user", 1}}),
    protocol::make_error_envelope("4", errc::bad_envelope, "field 'to'"),
  };
}

std::vector<std::string> orders() {
  std::vector<std::string> out;
  for (const char* type : {"open_account", "balance", "history"}) {
    bank::order o;
    o.type = type;
    out.push_back(bank::make_order(o));
  }
  bank::order t;
  t.type = "transfer";
  t.transfer_id = "t-1";
  t.to = "bob";
  t.amount_minor = 1250;
  out.push_back(bank::make_order(t));
  t.type = "issue";
  out.push_back(bank::make_order(t));
  bank::order h;
  h.type = "history";
  h.limit = 5;
  h.before = 42;
  out.push_back(bank::make_order(h));
  return out;
}

std::vector<std::string> receipts() {
  bank::transfer_receipt t;
  t.transfer_id = "t-1";
  t.kind = "transfer";
  t.from = "alice";
  t.to = "bob";
  t.amount_minor = 1250;
  t.balance_minor = 8750;
  t.seq = 3;
  t.ts = 1700000000000;
  std::vector<std::string> out;
  bank::receipt r;
  r.re = "m-1";
  r.op = "transfer";
  r.ok = false;
  r.code = errc::insufficient_funds;
  r.message = "not enough money";
  out.push_back(bank::make_receipt(r));
  r.ok = true;
  r.code = errc::none;
  r.message.clear();
  r.transfer = t;
  out.push_back(bank::make_receipt(r));
  bank::receipt a;
  a.re = "m-2";
  a.op = "open_account";
  a.ok = true;
  a.user = "alice";
  a.created = true;
  out.push_back(bank::make_receipt(a));
  a.op = "balance";
  a.balance_minor = 8750;
  out.push_back(bank::make_receipt(a));
  a.op = "history";
  a.entries = {t, t};
  out.push_back(bank::make_receipt(a));
  return out;
}

std::string letter_blob() {
  protocol::letter l;
  l.from = "alice";
  l.to = "bob";
  l.ts = 1700000000000;
  l.msg_id = "m-1";
  l.body = "hi bob";
  auto bob_der = fuzz::fixture_key("bob").public_der();
  auto bob = crypto::public_key_from_der(*bob_der);
  auto blob = protocol::seal_letter(l, fuzz::fixture_key("alice"),
                                    {{"bob", *bob}});
  fuzz::require(static_cast<bool>(blob), "seal_letter");
  // The target opens with the same key: the seed must get all the way in.
  auto opened = protocol::open_letter(*blob, "bob", "alice",
                                     fuzz::fixture_key("alice"),
                                     fuzz::fixture_key("bob"));
  fuzz::require(static_cast<bool>(opened), "the letter seed does not open");
  return *blob;
}

std::string pem(const crypto::key& k) {
  auto text = crypto::private_key_to_plain_pem(k);
  fuzz::require(static_cast<bool>(text), "private_key_to_plain_pem");
  return *text;
}

} // namespace

// A stored state (first byte even) and messages of a live session (odd).
std::vector<std::string> ratchet_seeds() {
  using namespace protocol::ratchet;
  crypto::secret sk{crypto::bytes(32, 7)};
  auto spk = crypto::generate_x25519().value();
  auto alice = std::move(
    *session::init_alice(sk, crypto::x25519_public_raw(spk).value()));
  auto bob = std::move(*session::init_bob(sk, spk));
  std::vector<std::string> out;
  for (int i = 0; i < 3; ++i) {
    auto m = alice.encrypt(std::string{"seed"}, std::string{"ad"}).value();
    if (i == 1)
      (void) bob.decrypt(m, std::string{"ad"}, 0);
    auto head = encode(m.head);
    std::string msg(1, '\x01');
    msg.append(head.begin(), head.end());
    msg.append(m.ciphertext.begin(), m.ciphertext.end());
    out.push_back(msg);
  }
  for (auto* s : {&alice, &bob}) {
    auto saved = s->save().value().unsafe_bytes();
    out.push_back(std::string(1, '\x00') + std::string(saved.begin(), saved.end()));
  }
  return out;
}

// A bundle, an initiation and a certificate made from fixed keys.
std::vector<std::string> bundle_seeds(const crypto::key& rsa) {
  using namespace protocol;
  auto dev = x3dh::make_device(rsa, "alice", 1, 1700000000000).value();
  x3dh::bundle b;
  b.device = dev.second;
  auto spk = crypto::generate_x25519().value();
  b.signed_prekey = {1, crypto::x25519_public_raw(spk).value()};
  b.prekey_signature =
    x3dh::sign_prekey(dev.first, dev.second, b.signed_prekey).value();
  b.one_time = x3dh::prekey{2, crypto::x25519_public_raw(spk).value()};
  x3dh::initiation init{dev.second, b.signed_prekey.key, 1, 2};
  crypto::secret sk{crypto::bytes(32, 9)};
  auto s = std::move(*ratchet::session::init_alice(sk, b.signed_prekey.key));
  auto letter = seal_ratchet_letter({"alice", "bob", 1, "m1", "hi"}, s,
                               crypto::bytes(8, 1), 1, 1, init)
                  .value();
  return {boost::json::serialize(to_json(b)),
          boost::json::serialize(to_json(init)),
          boost::json::serialize(to_json(dev.second)), letter};
}

// A prekeys_publish envelope with two one-time prekeys and the answer to
// a bundle_fetch, made from fixed keys.
std::vector<std::string> prekeys_seeds(const crypto::key& rsa) {
  using namespace protocol;
  auto dev = x3dh::make_device(rsa, "alice", 1, 1700000000000).value();
  prekey_upload up;
  up.device = dev.second;
  auto spk = crypto::generate_x25519().value();
  auto raw = crypto::x25519_public_raw(spk).value();
  up.signed_prekey = {1, raw};
  up.prekey_signature =
    x3dh::sign_prekey(dev.first, dev.second, up.signed_prekey).value();
  up.one_time = {{2, raw}, {3, raw}};
  x3dh::bundle b{up.device, up.signed_prekey, up.prekey_signature,
                 up.one_time.front()};
  return {make_envelope("prekeys_publish", "1", to_json(up)),
          make_envelope("bundle_fetch", "2",
                        {{"user", "alice"}, {"bundle", to_json(b)}})};
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  corpus c{argv[1]};
  const auto& run = fuzz::handshake();
  const auto& alice = fuzz::fixture_key("alice");
  auto envs = envelopes();

  c.add("frame_fuzz", fuzz::chunked(frames({"a", envs[0], envs[1]})));
  c.add("frame_pump_fuzz",
        fuzz::chunked(frames({"1", "2", "3", "4", "5", "6", "7"})));
  c.add("channel_fuzz", sealed_frames({envs[0], envs[3], envs[5]}));
  c.add("envelope_fuzz", envs);
  c.add("client_hello_fuzz", run.start.hello.text);
  c.add("server_hello_fuzz", run.server_hello);
  c.add("client_finish_fuzz", run.finish);
  c.add("letter_fuzz", letter_blob());
  c.add("order_fuzz", orders());
  c.add("receipt_fuzz", receipts());
  c.add("amount_fuzz", {"12.50", "3", "0.01", "999999999999.99"});
  c.add("control_letter_fuzz",
        {R"({"v":1,"type":"typing"})",
         R"({"v":1,"type":"read","up_to":"0b7e7e2c-3c1f-4f55-9c1a-2d1b3a4c5d6e"})",
         R"({"v":1,"type":"payment_notice","transfer_id":"t-1","amount_minor":1250})"});
  auto answered = envs;
  answered.push_back(run.start.hello.text);
  for (auto& o : orders())
    answered.push_back(o);
  answered.push_back("12.50");
  c.add("error_reply_fuzz", answered);
  c.add("ratchet_fuzz", ratchet_seeds());
  c.add("bundle_fuzz", bundle_seeds(alice));
  c.add("prekeys_fuzz", prekeys_seeds(alice));
  c.add("json_object_fuzz",
        R"({"s":"abc","i":-5,"b":true,"o":{"x":[1]},"a":[1,"2",null]})");
  c.add("base64_fuzz", {crypto::to_base64("a"), crypto::to_base64("ab"),
                        crypto::to_base64(run.server_der)});
  c.add("der_fuzz", {std::string{run.server_der.begin(), run.server_der.end()},
                     std::string{run.hello.identity.begin(),
                                 run.hello.identity.end()}});
  c.add("pem_fuzz", {pem(alice), pem(run.server_key)});
  c.add("endpoint_fuzz", {"127.0.0.1:7400", "localhost:0",
                          "10.0.0.1:7400,10.0.0.2:7401"});
  std::printf("make_seeds: %zu seeds in %s\n", c.count(), argv[1]);
  return 0;
}
