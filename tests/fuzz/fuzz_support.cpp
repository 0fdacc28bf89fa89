#include "tests/fuzz/fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace courier::fuzz {

bool chunker::next(std::string_view& piece, unsigned& action) {
  if (text_.empty())
    return false;
  auto control = static_cast<uint8_t>(text_.front());
  text_.remove_prefix(1);
  action = control >> 6;
  piece = text_.substr(0, (control & 63u) + 1);
  text_.remove_prefix(piece.size());
  return true;
}

std::string chunked(std::string_view stream) {
  std::string out;
  while (!stream.empty()) {
    auto piece = stream.substr(0, max_piece);
    out.push_back(static_cast<char>(piece.size() - 1));
    out.append(piece);
    stream.remove_prefix(piece.size());
  }
  return out;
}

protocol::traffic_keys channel_keys(bool sealer) {
  // Fixed and distinct per direction: a target can be rerun on a crash.
  crypto::secret a{crypto::bytes(32, 0x11)};
  crypto::secret b{crypto::bytes(32, 0x22)};
  if (sealer)
    return {a, b};
  return {b, a};
}

void require(bool ok, const char* what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

namespace {

std::string key_file(const std::string& name) {
  const char* dir = std::getenv("COURIER_FUZZ_KEYS");
  return dir ? std::string{dir} + "/" + name + ".pem" : std::string{};
}

crypto::key load_or_make(const std::string& name) {
  auto path = key_file(name);
  if (!path.empty()) {
    std::ifstream in{path};
    std::stringstream pem;
    pem << in.rdbuf();
    if (in)
      if (auto k = crypto::private_key_from_pem(pem.str(), ""))
        return *k;
  }
  auto k = crypto::generate_rsa(2048);
  require(static_cast<bool>(k), "RSA key generation");
  if (!path.empty()) {
    auto pem = crypto::private_key_to_plain_pem(*k);
    require(static_cast<bool>(pem), "PEM encoding");
    std::ofstream{path} << *pem;
  }
  return *k;
}

handshake_run make_handshake() {
  handshake_run r;
  auto server = crypto::generate_ed25519();
  require(static_cast<bool>(server), "Ed25519 key generation");
  r.server_key = *server;
  r.server_der = *r.server_key.public_der();
  const auto& alice = fixture_key("alice");
  auto start = protocol::start_handshake("alice", alice);
  require(static_cast<bool>(start), "start_handshake");
  r.start = *start;
  auto hello = protocol::parse_client_hello(r.start.hello.text);
  require(static_cast<bool>(hello), "parse_client_hello of a real hello");
  r.hello = *hello;
  auto answer = protocol::answer_hello(r.hello, r.server_key, r.server_der);
  require(static_cast<bool>(answer), "answer_hello");
  r.server_hello = answer->first;
  r.pending = answer->second;
  auto done = protocol::finish_handshake(r.start, alice, r.server_hello,
                                         r.server_der);
  require(static_cast<bool>(done), "finish_handshake of a real hello");
  r.finish = done->finish_text;
  require(!protocol::verify_finish(r.hello, r.pending, r.finish),
          "verify_finish of a real finish");
  return r;
}

} // namespace

const crypto::key& fixture_key(const std::string& name) {
  static std::map<std::string, crypto::key> keys;
  auto i = keys.find(name);
  if (i == keys.end())
    i = keys.emplace(name, load_or_make(name)).first;
  return i->second;
}

const handshake_run& handshake() {
  static const handshake_run run = make_handshake();
  return run;
}

} // namespace courier::fuzz
