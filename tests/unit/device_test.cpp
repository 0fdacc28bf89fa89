// This device's end-to-end state: sessions started from bundles, opened in
// and out of order, kept across restarts, and what a thief of the state
// can and cannot open (forward secrecy, post-compromise security).

#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/json.hpp>
#include <map>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "actors/client/device.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/ratchet_letter.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

using namespace courier;
namespace x3dh = courier::protocol::x3dh;
namespace fs = std::filesystem;
using std::chrono::hours;

namespace {

constexpr int64_t t0 = 1'800'000'000'000;
constexpr auto week = std::chrono::milliseconds{hours{24 * 7}};

/// One user's device over its own database file.
struct user {
  std::string name;
  std::string dir;
  crypto::key identity;
  std::shared_ptr<client_db> db;
  std::unique_ptr<device> dev;
  std::string path() const { return dir + "/client.db"; }

  void open(int64_t now = t0) {
    dev.reset();
    db.reset();
    auto d = client_db::open(path());
    ASSERT_TRUE(d) << explain(d.error());
    db = std::make_shared<client_db>(std::move(*d));
    auto made = device::open(db, name, identity, now);
    ASSERT_TRUE(made) << explain(made.error());
    dev = std::move(*made);
  }

  /// A bundle as the router would hand it out, with a fresh one-time
  /// prekey or none.
  x3dh::bundle bundle(bool one_time = true, int64_t now = t0) {
    auto up = dev->upload(one_time ? 1 : 0, week, now);
    EXPECT_TRUE(up);
    x3dh::bundle b{up->device, up->signed_prekey, up->prekey_signature, {}};
    if (one_time)
      b.one_time = up->one_time.front();
    return b;
  }
};

class device_test : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path()
            / ("courier-device-" + crypto::random_uuid());
    fs::create_directories(root_);
    alice = make("alice");
    bob = make("bob");
  }
  void TearDown() override { fs::remove_all(root_); }

  /// An RSA identity per name, made once for the whole suite: making
  /// them is most of what these tests would cost.
  static const crypto::key& identity_of(const std::string& name) {
    static std::map<std::string, crypto::key> keys;
    auto& k = keys[name];
    if (!k)
      k = crypto::generate_rsa(2048).value();
    return k;
  }

  user make(const std::string& name) {
    user u;
    u.name = name;
    u.dir = (root_ / name).string();
    fs::create_directories(u.dir);
    u.identity = identity_of(name);
    u.open();
    return u;
  }

  /// A copy of `u`'s whole state (database and key) as another user
  /// object: what a thief who took the device would hold.
  user snapshot(const user& u, const std::string& as) {
    user copy;
    copy.name = u.name;
    copy.dir = (root_ / as).string();
    fs::create_directories(copy.dir);
    copy.identity = u.identity;
    // The WAL is part of the state: copy the three files.
    for (auto suffix : {"", "-wal", "-shm"})
      if (fs::exists(u.path() + suffix))
        fs::copy_file(u.path() + suffix, copy.path() + suffix);
    copy.open();
    return copy;
  }

  static protocol::letter letter(const user& from, const user& to,
                                 const std::string& body) {
    return {from.name, to.name, t0, crypto::random_uuid(), body};
  }

  /// Seals `body` from `from` to `to` in their session.
  static std::string seal(user& from, const user& to, const std::string& body,
                          bool sign = false) {
    auto blob = from.dev->seal_letter(letter(from, to, body), sign, t0);
    EXPECT_TRUE(blob) << explain(blob.error());
    return blob ? *blob : std::string{};
  }

  static caf::expected<opened_v3> open(user& to, const user& from,
                                       const std::string& blob,
                                       int64_t now = t0) {
    return to.dev->open_letter(to.name, from.name, blob, from.identity, now,
                               now);
  }

  /// Opens and checks the body; the listener then deals with it.
  static void expect_opens(user& to, const user& from, const std::string& blob,
                           const std::string& body) {
    auto got = open(to, from, blob);
    ASSERT_TRUE(got) << explain(got.error());
    ASSERT_TRUE(got->msg);
    EXPECT_EQ(got->msg->body, body);
    EXPECT_TRUE(got->msg->forward_secret);
    EXPECT_FALSE(to.db->record_inbound(*got->msg));
  }

  static void start(user& from, user& to, bool one_time = true) {
    auto err = from.dev->start_session(to.name, to.bundle(one_time),
                                       to.identity, t0);
    ASSERT_FALSE(err) << explain(err);
  }

  fs::path root_;
  user alice;
  user bob;
};

// Counts the commits of a connection (sqlite3_commit_hook), or turns each
// into a rollback, as a full disk would.
int count_commit(void* n) {
  ++*static_cast<int*>(n);
  return 0;
}

int refuse_commit(void*) {
  return 1;
}

// The ratchet message number (N) of a blob.
uint32_t number_of(const std::string& blob) {
  auto parsed = protocol::parse_ratchet_letter(blob);
  EXPECT_TRUE(parsed);
  return parsed ? parsed->message.head.n : 0;
}

bool has_initiation(const std::string& blob) {
  auto parsed = protocol::parse_ratchet_letter(blob);
  return parsed && parsed->initiation.has_value();
}

} // namespace

TEST_F(device_test, first_message_starts_a_session_and_replies_ratchet) {
  start(alice, bob);
  auto a1 = seal(alice, bob, "hi bob");
  EXPECT_TRUE(has_initiation(a1));
  expect_opens(bob, alice, a1, "hi bob");
  ASSERT_TRUE(bob.dev->has_session("alice"));
  auto b1 = seal(bob, alice, "hi alice");
  EXPECT_FALSE(has_initiation(b1)) << "the responder sends no initiation";
  expect_opens(alice, bob, b1, "hi alice");
  // Alice heard back: her later messages no longer carry the initiation.
  auto a2 = seal(alice, bob, "second");
  EXPECT_FALSE(has_initiation(a2));
  expect_opens(bob, alice, a2, "second");
}

TEST_F(device_test, sessions_and_prekeys_survive_a_restart) {
  start(alice, bob);
  auto a1 = seal(alice, bob, "one");
  auto a2 = seal(alice, bob, "two");
  alice.open();
  auto a3 = seal(alice, bob, "three");
  expect_opens(bob, alice, a1, "one");
  bob.open();
  expect_opens(bob, alice, a3, "three"); // out of order, after a restart
  expect_opens(bob, alice, a2, "two");
}

TEST_F(device_test, without_a_one_time_prekey_the_session_still_starts) {
  start(alice, bob, false);
  auto a1 = seal(alice, bob, "no opk");
  auto parsed = protocol::parse_ratchet_letter(a1);
  ASSERT_TRUE(parsed && parsed->initiation);
  EXPECT_FALSE(parsed->initiation->one_time.has_value());
  expect_opens(bob, alice, a1, "no opk");
}

TEST_F(device_test, a_one_time_prekey_opens_one_session_only) {
  auto b = bob.bundle();
  ASSERT_FALSE(alice.dev->start_session("bob", b, bob.identity, t0));
  auto a1 = seal(alice, bob, "first");
  auto got = open(bob, alice, a1);
  ASSERT_TRUE(got && got->msg);
  EXPECT_TRUE(got->used_one_time);
  // A second device state of alice's, started from the same bundle (the
  // router handed the prekey out twice, or a thief replays the start with
  // a new ephemeral key): the one-time prekey is gone.
  auto other = snapshot(alice, "alice2");
  ASSERT_FALSE(other.dev->end_sessions("bob"));
  ASSERT_FALSE(other.dev->start_session("bob", b, bob.identity, t0));
  auto again = seal(other, bob, "second start");
  auto refused = open(bob, alice, again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), errc::decrypt_failed);
}

TEST_F(device_test, replays_and_flipped_bits_are_refused_and_change_nothing) {
  start(alice, bob);
  auto a1 = seal(alice, bob, "one");
  auto a2 = seal(alice, bob, "two");
  expect_opens(bob, alice, a1, "one");
  // The same blob again is only acknowledged: it was dealt with.
  auto replay = open(bob, alice, a1);
  ASSERT_TRUE(replay);
  EXPECT_FALSE(replay->msg);
  // Every flipped character of the ciphertext fails closed.
  auto at = a2.find("\"ct\":\"") + 6;
  for (size_t i = at; i < at + 8; ++i) {
    auto bad = a2;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto got = open(bob, alice, bad);
    EXPECT_FALSE(got) << "flipped at " << i;
  }
  // ... and the session still opens the real one.
  expect_opens(bob, alice, a2, "two");
}

TEST_F(device_test, an_opened_message_waits_on_disk_until_it_is_dealt_with) {
  start(alice, bob);
  auto a1 = seal(alice, bob, "keep me");
  auto got = open(bob, alice, a1);
  ASSERT_TRUE(got && got->msg);
  // Bob crashes before his listener dealt with it; the router delivers the
  // blob again. Its key is spent, but the message is not lost.
  bob.open();
  auto again = open(bob, alice, a1);
  ASSERT_TRUE(again) << explain(again.error());
  ASSERT_TRUE(again->msg);
  EXPECT_EQ(again->msg->body, "keep me");
  EXPECT_EQ(again->msg->to, "bob");
  ASSERT_FALSE(bob.db->record_inbound(*again->msg));
  auto third = open(bob, alice, a1);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->msg) << "dealt with: only the ack is left";
}

TEST_F(device_test, a_stolen_state_does_not_open_what_was_read_before) {
  // Forward secrecy: everything bob holds after reading a message (key
  // file, database; the passphrase only unlocks the key) opens it no more.
  start(alice, bob);
  auto a1 = seal(alice, bob, "secret");
  expect_opens(bob, alice, a1, "secret");
  auto thief = snapshot(bob, "thief");
  // The thief skips the inbox's record of the blob and tries the keys.
  ASSERT_FALSE(thief.db->sql().exec("DELETE FROM inbox"));
  auto got = open(thief, alice, a1);
  ASSERT_FALSE(got) << "a stolen state opened an old message";
  EXPECT_EQ(code_of(got.error()), errc::decrypt_failed);
}

TEST_F(device_test, a_stolen_state_opens_nothing_after_a_round_trip) {
  // Post-compromise security: a snapshot of alice taken before a round
  // trip does not open what bob sends after it.
  start(alice, bob);
  expect_opens(bob, alice, seal(alice, bob, "a1"), "a1");
  auto thief = snapshot(alice, "thief");
  expect_opens(alice, bob, seal(bob, alice, "b1"), "b1");
  expect_opens(bob, alice, seal(alice, bob, "a2"), "a2");
  auto b2 = seal(bob, alice, "b2");
  auto got = open(thief, bob, b2);
  EXPECT_FALSE(got) << "a snapshot from before the round trip opened b2";
  expect_opens(alice, bob, b2, "b2");
}

TEST_F(device_test, a_rotated_signed_prekey_opens_first_messages_for_a_while) {
  auto b = bob.bundle();
  ASSERT_FALSE(alice.dev->start_session("bob", b, bob.identity, t0));
  auto a1 = seal(alice, bob, "in flight");
  // Bob rotates before the message arrives.
  auto later = t0 + week.count() + 1;
  EXPECT_TRUE(bob.dev->upload_due(week, later));
  auto up = bob.dev->upload(0, week, later);
  ASSERT_TRUE(up);
  EXPECT_NE(up->signed_prekey.id, b.signed_prekey.id);
  auto got = open(bob, alice, a1, later);
  ASSERT_TRUE(got) << explain(got.error());
  ASSERT_TRUE(got->msg);
  EXPECT_EQ(got->msg->body, "in flight");
  // Past the grace period the old prekey opens nothing.
  auto carol = make("carol");
  ASSERT_FALSE(carol.dev->start_session("bob", b, bob.identity, t0));
  auto c1 = carol.dev->seal_letter({"carol", "bob", t0, "c1", "late"}, false,
                                   t0);
  ASSERT_TRUE(c1);
  auto too_late = later + retired_prekey_grace.count() + 1;
  auto refused = bob.dev->open_letter("bob", "carol", *c1, carol.identity,
                                      too_late, too_late);
  EXPECT_FALSE(refused);
}

TEST_F(device_test, simultaneous_starts_converge_on_one_session) {
  start(alice, bob);
  start(bob, alice);
  auto a1 = seal(alice, bob, "a1");
  auto b1 = seal(bob, alice, "b1");
  expect_opens(bob, alice, a1, "a1");
  expect_opens(alice, bob, b1, "b1");
  for (int i = 0; i < 3; ++i) {
    auto a = "a" + std::to_string(i + 2), b = "b" + std::to_string(i + 2);
    expect_opens(bob, alice, seal(alice, bob, a), a);
    expect_opens(alice, bob, seal(bob, alice, b), b);
  }
}

TEST_F(device_test, orders_carry_the_device_signature_and_a_forged_one_fails) {
  start(alice, bob);
  auto got = open(bob, alice, seal(alice, bob, "order", true));
  ASSERT_TRUE(got && got->msg);
  EXPECT_TRUE(got->msg->signed_by_sender);
  auto chat = open(bob, alice, seal(alice, bob, "chat", false));
  ASSERT_TRUE(chat && chat->msg);
  EXPECT_FALSE(chat->msg->signed_by_sender) << "chat must stay deniable";
  // Mallory holds a real session in alice's name (a device certified by
  // alice's key) but signs with a key of her own.
  auto made = x3dh::make_device(alice.identity, "alice", 1, t0).value();
  auto b = bob.bundle();
  auto started =
    x3dh::initiate(made.first, made.second, b, bob.identity, "bob").value();
  auto session = std::move(*protocol::ratchet::session::init_alice(
    started.second.sk, b.signed_prekey.key));
  auto wrong = crypto::generate_ed25519().value();
  auto forged = protocol::seal_ratchet_letter(
    {"alice", "bob", t0, "forged", "pay mallory"}, session, started.second.ad,
    1, bob.dev->id(), started.first, &wrong);
  ASSERT_TRUE(forged);
  auto refused = open(bob, alice, *forged);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), errc::bad_signature);
}

TEST_F(device_test, a_letter_from_a_device_another_key_certified_is_refused) {
  // A router that answers with a bundle of its own making: the certificate
  // is not signed by the key pinned for bob.
  auto b = bob.bundle();
  auto mallory = identity_of("mallory");
  EXPECT_TRUE(alice.dev->start_session("bob", b, mallory, t0));
  EXPECT_FALSE(alice.dev->has_session("bob"));
  // An initiation whose device alice's key did not certify.
  start(alice, bob);
  auto a1 = seal(alice, bob, "hi");
  auto got = bob.dev->open_letter("bob", "alice", a1, mallory, t0, t0);
  EXPECT_FALSE(got);
}

TEST_F(device_test, a_changed_key_ends_the_sessions) {
  start(alice, bob);
  ASSERT_TRUE(alice.dev->has_session("bob"));
  ASSERT_FALSE(alice.dev->end_sessions("bob"));
  EXPECT_FALSE(alice.dev->has_session("bob"));
  alice.open();
  EXPECT_FALSE(alice.dev->has_session("bob"));
}

TEST_F(device_test, device_secrets_are_sealed_in_the_database) {
  // The database alone opens nothing: another identity cannot open it.
  auto stranger = identity_of("stranger");
  auto d = client_db::open(alice.path());
  ASSERT_TRUE(d);
  auto db = std::make_shared<client_db>(std::move(*d));
  auto opened = device::open(db, "alice", stranger, t0);
  EXPECT_FALSE(opened);
}

TEST_F(device_test, a_re_encoded_first_message_starts_no_second_session) {
  // A router replays alice's first message with its JSON re-encoded, after
  // bob's session from it is gone: it is the same letter, not a new start
  // (bob's replies would go to a session alice does not have).
  start(alice, bob, false);
  auto a1 = seal(alice, bob, "once");
  expect_opens(bob, alice, a1, "once");
  ASSERT_FALSE(bob.dev->end_sessions("alice"));
  auto re_encoded = "{ " + a1.substr(1);
  auto got = open(bob, alice, re_encoded);
  ASSERT_TRUE(got) << explain(got.error());
  EXPECT_FALSE(got->msg);
  EXPECT_FALSE(bob.dev->has_session("alice"));
}

TEST_F(device_test, a_first_message_from_an_unused_device_id_is_refused) {
  // Each device id would be a session of its own: a peer that certifies
  // devices at will could grow bob's sessions without bound.
  auto made = x3dh::make_device(alice.identity, "alice", 2, t0).value();
  auto b = bob.bundle(false);
  auto started =
    x3dh::initiate(made.first, made.second, b, bob.identity, "bob").value();
  auto session = std::move(*protocol::ratchet::session::init_alice(
    started.second.sk, b.signed_prekey.key));
  auto blob = protocol::seal_ratchet_letter(
    {"alice", "bob", t0, "d2", "from device 2"}, session, started.second.ad, 2,
    bob.dev->id(), started.first);
  ASSERT_TRUE(blob);
  EXPECT_FALSE(open(bob, alice, *blob));
  EXPECT_FALSE(bob.dev->has_session("alice"));
}

// A flood of first messages that reuse alice's (public, valid) device
// certificate, or one forged copy of it: bob checks each certificate with
// RSA once, and refuses every forged message.
TEST_F(device_test, a_flood_of_initiations_costs_one_rsa_check_per_cert) {
  auto b = bob.bundle(false);
  // Mallory's own X25519 keys behind alice's real certificate: her
  // messages cannot open, as she lacks alice's device key.
  auto mallory = x3dh::make_device(identity_of("mallory"), "alice", 1, t0)
                   .value();
  auto flood = [&](const x3dh::device_certificate& cert) {
    for (int i = 0; i < 100; ++i) {
      auto started =
        x3dh::initiate(mallory.first, cert, b, bob.identity, "bob").value();
      auto session = std::move(*protocol::ratchet::session::init_alice(
        started.second.sk, b.signed_prekey.key));
      auto blob = protocol::seal_ratchet_letter(
        {"alice", "bob", t0, crypto::random_uuid(), "pay mallory"}, session,
        started.second.ad, 1, bob.dev->id(), started.first);
      ASSERT_TRUE(blob);
      auto got = open(bob, alice, *blob);
      ASSERT_FALSE(got) << "a forged first message opened";
    }
  };
  auto before = bob.dev->certificate_checks();
  flood(alice.dev->certificate());
  EXPECT_EQ(bob.dev->certificate_checks() - before, 1u);
  EXPECT_FALSE(bob.dev->has_session("alice"));
  auto forged = alice.dev->certificate();
  forged.signature[7] ^= 1;
  flood(forged);
  EXPECT_EQ(bob.dev->certificate_checks() - before, 2u)
    << "a certificate refused once is checked again";
  // Alice's real first message needs no second check of her certificate.
  start(alice, bob);
  expect_opens(bob, alice, seal(alice, bob, "hi"), "hi");
  EXPECT_EQ(bob.dev->certificate_checks() - before, 2u);
  // Another device key under the same name is a certificate of its own.
  auto other = x3dh::make_device(alice.identity, "alice", 1, t0).value();
  auto started = x3dh::initiate(other.first, other.second, bob.bundle(false),
                                bob.identity, "bob");
  ASSERT_TRUE(started);
  auto session = std::move(*protocol::ratchet::session::init_alice(
    started->second.sk, b.signed_prekey.key));
  auto blob = protocol::seal_ratchet_letter(
    {"alice", "bob", t0, "new-install", "new phone"}, session,
    started->second.ad, 1, bob.dev->id(), started->first);
  ASSERT_TRUE(blob);
  EXPECT_TRUE(open(bob, alice, *blob));
  EXPECT_EQ(bob.dev->certificate_checks() - before, 3u);
}

// What the client checks before it believes a router's `no_bundle`: a
// peer seen with letters v3, under the key pinned now.
TEST_F(device_test, peers_seen_with_letters_v3_are_remembered_per_key) {
  EXPECT_FALSE(alice.dev->knows_v3("bob", bob.identity));
  start(alice, bob);
  EXPECT_TRUE(alice.dev->knows_v3("bob", bob.identity)) << "from the bundle";
  EXPECT_FALSE(bob.dev->knows_v3("alice", alice.identity));
  expect_opens(bob, alice, seal(alice, bob, "hi"), "hi");
  EXPECT_TRUE(bob.dev->knows_v3("alice", alice.identity)) << "from a letter";
  // A changed key (trusted anew) starts from nothing.
  EXPECT_FALSE(alice.dev->knows_v3("bob", identity_of("mallory")));
  alice.open();
  EXPECT_TRUE(alice.dev->knows_v3("bob", bob.identity)) << "kept on disk";
}

TEST_F(device_test, records_of_letters_dealt_with_long_ago_are_pruned) {
  start(alice, bob);
  expect_opens(bob, alice, seal(alice, bob, "old"), "old");
  auto got = open(bob, alice, seal(alice, bob, "kept"));
  ASSERT_TRUE(got && got->msg); // not dealt with yet: it must stay
  auto rows = [&] {
    auto stmt = bob.db->sql().prepare("SELECT COUNT(*) FROM inbox");
    EXPECT_TRUE(stmt && *stmt->step());
    return stmt->int_at(0);
  };
  ASSERT_EQ(rows(), 2);
  bob.open(t0 + opened_record_lifetime.count() - 1);
  EXPECT_EQ(rows(), 2);
  bob.open(t0 + opened_record_lifetime.count() + 1);
  EXPECT_EQ(rows(), 1) << "the handled record stays, or the unhandled one went";
}

TEST_F(device_test, a_signed_order_is_kept_as_proof_a_third_party_can_check) {
  start(alice, bob);
  auto got = open(bob, alice, seal(alice, bob, "pay carol 5", true));
  ASSERT_TRUE(got && got->msg && got->msg->signed_by_sender);
  auto stmt = bob.db->sql().prepare(
    "SELECT sender, recipient, ts, msg_id, body, sig, certificate"
    " FROM signed_letters");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step()) << "no proof kept";
  protocol::opened_ratchet_letter proof;
  proof.content = {stmt->text_at(0), stmt->text_at(1), stmt->int_at(2),
                   stmt->text_at(3), stmt->text_at(4)};
  auto sig = stmt->blob_at(5);
  proof.signature = crypto::bytes{sig.begin(), sig.end()};
  auto cert = protocol::certificate_from_json(
    boost::json::parse(stmt->text_at(6)).as_object());
  ASSERT_TRUE(cert);
  // Anyone with alice's RSA key checks the certificate, then the order.
  EXPECT_FALSE(x3dh::verify(*cert, alice.identity, "alice"));
  EXPECT_TRUE(protocol::verify_ratchet_letter(proof, *cert));
  EXPECT_EQ(proof.content.body, "pay carol 5");
  proof.content.body = "pay carol 500";
  EXPECT_FALSE(protocol::verify_ratchet_letter(proof, *cert));
  // Chat is not kept: it proves nothing and should not.
  ASSERT_TRUE(open(bob, alice, seal(alice, bob, "just chat")));
  EXPECT_FALSE(*stmt->step());
}

namespace {

int64_t scalar(user& u, const std::string& sql) {
  auto stmt = u.db->sql().prepare(sql);
  EXPECT_TRUE(stmt);
  if (!stmt)
    return -1;
  auto row = stmt->step();
  EXPECT_TRUE(row && *row) << sql;
  return row && *row ? stmt->int_at(0) : -1;
}

} // namespace

// Someone who can write bob's database (but has not his key file) changes
// his session with alice: with the peer's certificate in clear, they could
// put in one whose signing key is theirs, and orders "from alice" would
// verify. Each session is sealed whole under its peer and device, so a
// record from another row, or one written in clear, does not open.
class device_tamper_test : public device_test,
                           public ::testing::WithParamInterface<bool> {};

TEST_P(device_tamper_test, a_changed_session_row_is_not_used) {
  bool in_clear = GetParam();
  start(alice, bob);
  expect_opens(bob, alice, seal(alice, bob, "a1"), "a1");
  expect_opens(alice, bob, seal(bob, alice, "b1"), "b1");
  auto carol = make("carol");
  start(carol, bob);
  expect_opens(bob, carol, seal(carol, bob, "c1"), "c1");
  auto& sql = bob.db->sql();
  auto put = sql.prepare("UPDATE ratchets SET sealed = ?1 WHERE peer = ?2");
  ASSERT_TRUE(put);
  if (in_clear) {
    // Carol's certificate where alice's was.
    auto cert = boost::json::serialize(
      protocol::to_json(carol.dev->certificate()));
    put->bind_blob(1, cert.data(), cert.size());
  } else {
    auto get = sql.prepare("SELECT sealed FROM ratchets WHERE peer = 'carol'");
    ASSERT_TRUE(get && *get->step());
    auto moved = get->blob_at(0);
    put->bind_blob(1, moved.data(), moved.size());
  }
  ASSERT_FALSE(put->bind(2, std::string_view{"alice"}).run());
  bob.open();
  auto order = seal(alice, bob, "pay mallory", true);
  ASSERT_FALSE(has_initiation(order));
  auto got = open(bob, alice, order);
  ASSERT_FALSE(got) << "a letter opened in a changed session row";
  EXPECT_EQ(code_of(got.error()), errc::decrypt_failed);
  EXPECT_NE(explain(got.error()).find("stored session with alice"),
            std::string::npos)
    << explain(got.error());
  EXPECT_FALSE(bob.dev->has_session("alice"));
  // Carol's own session is untouched.
  expect_opens(bob, carol, seal(carol, bob, "c2"), "c2");
  // Bob starts anew; alice's signed orders then verify in the new session
  // with her own certificate.
  start(bob, alice);
  expect_opens(alice, bob, seal(bob, alice, "b2"), "b2");
  auto again = open(bob, alice, seal(alice, bob, "pay carol 5", true));
  ASSERT_TRUE(again) << explain(again.error());
  ASSERT_TRUE(again->msg);
  EXPECT_TRUE(again->msg->signed_by_sender);
}

INSTANTIATE_TEST_SUITE_P(sealed_or_clear, device_tamper_test,
                         ::testing::Values(false, true));

TEST_F(device_test, a_database_of_the_previous_version_is_migrated) {
  // Alice's session with bob as the previous version kept it: the state
  // sealed under "ratchet PEER DEVICE", the rest of the row in clear.
  auto made = x3dh::make_device(alice.identity, "alice", 1, t0).value();
  auto b = bob.bundle();
  auto started =
    x3dh::initiate(made.first, made.second, b, bob.identity, "bob").value();
  auto state = std::move(*protocol::ratchet::session::init_alice(
    started.second.sk, b.signed_prekey.key));
  auto saved = state.save();
  ASSERT_TRUE(saved);
  auto v = vault::open(alice.db->sql(), alice.identity);
  ASSERT_TRUE(v);
  auto sealed = v->seal("ratchet bob 1", *saved);
  ASSERT_TRUE(sealed);
  auto& sql = alice.db->sql();
  ASSERT_FALSE(sql.exec(
    "DROP TABLE ratchets;"
    "CREATE TABLE ratchets(id INTEGER PRIMARY KEY,"
    " peer TEXT NOT NULL, device INTEGER NOT NULL, state BLOB NOT NULL,"
    " ad BLOB NOT NULL, peer_cert TEXT NOT NULL, initiation TEXT,"
    " base BLOB NOT NULL, active_ms INTEGER NOT NULL);"
    "CREATE INDEX ratchets_by_peer ON ratchets(peer);"
    "PRAGMA user_version = 0"));
  auto put = sql.prepare("INSERT INTO ratchets(peer, device, state, ad,"
                         " peer_cert, initiation, base, active_ms)"
                         " VALUES('bob', 1, ?1, ?2, ?3, ?4, ?5, ?6)");
  ASSERT_TRUE(put);
  auto& ad = started.second.ad;
  auto& base = started.first.ephemeral;
  put->bind_blob(1, sealed->data(), sealed->size())
    .bind_blob(2, ad.data(), ad.size())
    .bind(3, boost::json::serialize(protocol::to_json(b.device)))
    .bind(4, boost::json::serialize(protocol::to_json(started.first)))
    .bind_blob(5, base.data(), base.size())
    .bind(6, t0);
  ASSERT_FALSE(put->run());
  alice.open();
  EXPECT_EQ(scalar(alice, "PRAGMA user_version"), 2);
  EXPECT_EQ(scalar(alice, "SELECT COUNT(*) FROM pragma_table_info('ratchets')"
                          " WHERE name IN ('state', 'ad', 'peer_cert',"
                          " 'initiation', 'base', 'active_ms')"),
            0)
    << "clear columns are left";
  EXPECT_EQ(scalar(alice, "SELECT COUNT(*) FROM ratchets"), 1);
  ASSERT_TRUE(alice.dev->has_session("bob"));
  auto a1 = seal(alice, bob, "after the upgrade");
  EXPECT_TRUE(has_initiation(a1)) << "the initiation was lost";
  expect_opens(bob, alice, a1, "after the upgrade");
  expect_opens(alice, bob, seal(bob, alice, "reply"), "reply");
  // Migrated once: the next start finds version 2 and changes nothing.
  alice.open();
  expect_opens(bob, alice, seal(alice, bob, "again"), "again");
}

TEST_F(device_test, message_text_of_a_version_1_database_is_sealed) {
  // History and inbox as version 1 kept them: the text in clear.
  alice.dev.reset();
  auto& sql = alice.db->sql();
  ASSERT_FALSE(sql.exec(
    "DROP TABLE history; DROP TABLE inbox;"
    "CREATE TABLE history(id INTEGER PRIMARY KEY, peer TEXT NOT NULL,"
    " outgoing INTEGER NOT NULL, body TEXT NOT NULL, msg_id TEXT NOT NULL,"
    " ts INTEGER NOT NULL, delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX history_by_peer ON history(peer, id);"
    "CREATE TABLE inbox(hash BLOB PRIMARY KEY, sender TEXT NOT NULL,"
    " msg_id TEXT NOT NULL, body TEXT NOT NULL, ts INTEGER NOT NULL,"
    " accepted_ts INTEGER NOT NULL, sender_fp TEXT NOT NULL,"
    " signed INTEGER NOT NULL, handled INTEGER NOT NULL,"
    " opened_ms INTEGER NOT NULL);"
    "INSERT INTO history(peer, outgoing, body, msg_id, ts, delivered) VALUES"
    " ('bob', 1, 'old outgoing 5521', 'a1', 1, 1),"
    " ('bob', 0, 'old incoming 6632', 'b1', 2, 0);"
    "INSERT INTO inbox VALUES(X'0101', 'bob', 'b2', 'old waiting 7743', 3, 4,"
    " 'fp', 0, 0, 5);"
    "PRAGMA user_version = 1"));
  alice.db.reset();
  alice.open();
  EXPECT_EQ(scalar(alice, "PRAGMA user_version"), 2);
  auto h = alice.db->history("bob", 10);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].body, "old outgoing 5521");
  EXPECT_TRUE(h[0].outgoing);
  EXPECT_TRUE(h[0].delivered);
  EXPECT_EQ(h[1].body, "old incoming 6632");
  EXPECT_EQ(alice.db->search("bob", "INCOMING", 10).size(), 1u);
  auto waiting = alice.db->opened(crypto::bytes{1, 1});
  ASSERT_TRUE(waiting && waiting->msg);
  EXPECT_EQ(waiting->msg->body, "old waiting 7743");
  // Nothing of the old text is left in the file or its log.
  std::string raw;
  for (auto path : {alice.path(), alice.path() + "-wal"}) {
    std::ifstream in{path, std::ios::binary};
    raw.append(std::istreambuf_iterator<char>{in}, {});
  }
  ASSERT_FALSE(raw.empty());
  for (auto text : {"old outgoing 5521", "old incoming 6632",
                    "old waiting 7743"})
    EXPECT_EQ(raw.find(text), std::string::npos) << text << " is in clear";
  // The next start changes nothing.
  alice.open();
  EXPECT_EQ(alice.db->history("bob", 10).size(), 2u);
}

TEST_F(device_test, a_database_of_a_newer_version_is_refused) {
  ASSERT_FALSE(alice.db->sql().exec("PRAGMA user_version = 3"));
  alice.dev.reset();
  auto made = device::open(alice.db, "alice", alice.identity, t0);
  ASSERT_FALSE(made);
  EXPECT_EQ(code_of(made.error()), errc::storage_failure);
}

TEST_F(device_test, a_burst_of_letters_is_sealed_and_opened_in_one_commit_each) {
  start(alice, bob);
  std::vector<outgoing_v3> out;
  for (int i = 0; i < 5; ++i)
    out.push_back({letter(alice, bob, "order " + std::to_string(i)), i % 2 == 0});
  int commits = 0;
  sqlite3_commit_hook(alice.db->sql().get(), count_commit, &commits);
  auto blobs = alice.dev->seal_letters(out, t0);
  sqlite3_commit_hook(alice.db->sql().get(), nullptr, nullptr);
  EXPECT_EQ(commits, 1);
  std::vector<received_v3> in;
  for (auto& b : blobs) {
    ASSERT_TRUE(b) << explain(b.error());
    in.push_back({"alice", *b, alice.identity, t0});
  }
  commits = 0;
  sqlite3_commit_hook(bob.db->sql().get(), count_commit, &commits);
  auto opened = bob.dev->open_letters("bob", in, t0);
  sqlite3_commit_hook(bob.db->sql().get(), nullptr, nullptr);
  EXPECT_EQ(commits, 1);
  ASSERT_EQ(opened.size(), 5u);
  for (size_t i = 0; i < opened.size(); ++i) {
    ASSERT_TRUE(opened[i]) << explain(opened[i].error());
    ASSERT_TRUE(opened[i]->msg);
    EXPECT_EQ(opened[i]->msg->body, "order " + std::to_string(i));
    EXPECT_EQ(opened[i]->msg->signed_by_sender, i % 2 == 0);
  }
  // The one commit holds them all: after a restart each waits on disk.
  bob.open();
  for (auto& l : in) {
    auto again = open(bob, alice, l.blob);
    ASSERT_TRUE(again) << explain(again.error());
    EXPECT_TRUE(again->msg);
  }
}

TEST_F(device_test, a_letter_failing_in_a_burst_loses_none_of_the_others) {
  start(alice, bob);
  std::vector<received_v3> in;
  for (int i = 0; i < 5; ++i)
    in.push_back({"alice", seal(alice, bob, "m" + std::to_string(i)),
                  alice.identity, t0});
  in[2].blob[in[2].blob.size() / 2] ^= 0x01; // tampered on the way
  auto opened = bob.dev->open_letters("bob", in, t0);
  ASSERT_EQ(opened.size(), 5u);
  EXPECT_FALSE(opened[2]);
  for (size_t i : {0u, 1u, 3u, 4u}) {
    ASSERT_TRUE(opened[i]) << i << ": " << explain(opened[i].error());
    ASSERT_TRUE(opened[i]->msg);
    EXPECT_EQ(opened[i]->msg->body, "m" + std::to_string(i));
  }
  // Stored, and the session goes on from there after a restart.
  bob.open();
  for (size_t i : {0u, 1u, 3u, 4u}) {
    auto again = open(bob, alice, in[i].blob);
    ASSERT_TRUE(again) << explain(again.error());
    ASSERT_TRUE(again->msg);
    EXPECT_EQ(again->msg->body, "m" + std::to_string(i));
  }
  expect_opens(bob, alice, seal(alice, bob, "next"), "next");
}

TEST_F(device_test, a_failed_batch_commit_keeps_nothing_and_spends_no_key) {
  start(alice, bob);
  expect_opens(bob, alice, seal(alice, bob, "hello"), "hello");
  auto before = number_of(seal(alice, bob, "lost on the way"));
  std::vector<outgoing_v3> out;
  for (int i = 0; i < 3; ++i)
    out.push_back({letter(alice, bob, "s" + std::to_string(i)), false});
  // Sealing: no blob of a batch whose commit failed may be used.
  sqlite3_commit_hook(alice.db->sql().get(), refuse_commit, nullptr);
  auto failed = alice.dev->seal_letters(out, t0);
  sqlite3_commit_hook(alice.db->sql().get(), nullptr, nullptr);
  ASSERT_EQ(failed.size(), 3u);
  for (auto& r : failed) {
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), errc::storage_failure);
  }
  // Memory went back to the disk: the numbers the failed batch used come
  // again (their blobs never left), and nothing beyond them is skipped.
  auto blobs = alice.dev->seal_letters(out, t0);
  std::vector<received_v3> in;
  for (size_t i = 0; i < blobs.size(); ++i) {
    ASSERT_TRUE(blobs[i]) << explain(blobs[i].error());
    EXPECT_EQ(number_of(*blobs[i]), before + 1 + i);
    in.push_back({"alice", *blobs[i], alice.identity, t0});
  }
  // Opening: nothing is kept, nothing may be acknowledged, and the same
  // letters open when they come again.
  sqlite3_commit_hook(bob.db->sql().get(), refuse_commit, nullptr);
  auto refused = bob.dev->open_letters("bob", in, t0);
  sqlite3_commit_hook(bob.db->sql().get(), nullptr, nullptr);
  for (auto& r : refused) {
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), errc::storage_failure);
  }
  auto opened = bob.dev->open_letters("bob", in, t0);
  for (size_t i = 0; i < opened.size(); ++i) {
    ASSERT_TRUE(opened[i]) << explain(opened[i].error());
    ASSERT_TRUE(opened[i]->msg);
    EXPECT_EQ(opened[i]->msg->body, "s" + std::to_string(i));
  }
}
