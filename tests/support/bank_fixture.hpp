#pragma once

// Fixtures of the bank tests (tests/actor/ledger_actor_test.cpp and
// tests/actor/bank_test.cpp): a ledger actor over an in-memory ledger, a fake
// client the bank handler talks to, and predicates on what they report.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/bank/bank.hpp"
#include "actors/bank/ledger.hpp"
#include "actors/bank/ledger_actor.hpp"
#include "actors/client/client_actor.hpp"
#include "actors/common/error.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/order.hpp"
#include "tests/support/inbox.hpp"

// In the bank's namespace, so the fixtures name its types as bank.cpp does.
namespace courier::bank::test {

using courier::test::ms;
using courier::test::steady;
namespace json = boost::json;

/// How long we wait for something that must arrive.
constexpr ms wait_time{5000};
/// How long we watch for something that must not arrive.
constexpr ms quiet_time{300};

// Tags of what the test's helper actors report to the inbox.
using answer_atom = caf::atom_constant<caf::atom("answer")>;
using held_atom = caf::atom_constant<caf::atom("held")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;

using courier::test::inbox;
using courier::test::predicate;

// -- the fake client ------------------------------------------------------------

/// Shared between the test and its fake client.
struct fake_control {
  std::mutex mtx;
  std::vector<std::pair<std::string, std::string>> sent; ///< (to, body)
  bool fail_sends = false; ///< make every send fail (under mtx)
  int connects = 0;        ///< connect requests seen (under mtx)

  std::vector<std::pair<std::string, std::string>> log() {
    std::lock_guard<std::mutex> guard{mtx};
    return sent;
  }

  void fail(bool on) {
    std::lock_guard<std::mutex> guard{mtx};
    fail_sends = on;
  }
};

/// Recipient for which the fake client holds the send until the gate
/// releases it.
constexpr const char* slow_user = "slowpoke";
/// Recipient for which every send fails.
constexpr const char* doomed_user = "doomed";

/// Holds sends until told to release them; reports what it holds to `sink`.
inline caf::behavior gate_fun(caf::event_based_actor* self, caf::actor sink) {
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [=](send_atom, const std::string& to,
        const std::string& body) -> caf::result<std::string> {
      held->push_back(self->make_response_promise());
      caf::anon_send(sink, held_atom::value, to, body);
      return held->back();
    },
    [=](release_atom) {
      for (auto& rp : *held)
        rp.deliver(std::string{"held-msg-id"});
      held->clear();
    },
  };
}

/// Stands in for the bank's client (the parts the bank does not use answer
/// trivially): records every (to, body) it is asked
/// to send in `ctl` (before answering), forwards it to `sink` as
/// (send_atom, to, body) and answers a msg_id; fails for `doomed_user` or
/// when `ctl->fail_sends`; lets `gate` decide when to answer for
/// `slow_user`.
inline client_actor spawn_fake_client(caf::actor_system& sys, caf::actor sink,
                               std::shared_ptr<fake_control> ctl,
                               caf::actor gate) {
  return sys.spawn([sink, ctl, gate](client_actor::pointer self)
                     -> client_actor::behavior_type {
    auto counter = std::make_shared<int>(0);
    return {
      [=](connect_atom) -> caf::result<std::string, bool> {
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          ++ctl->connects;
        }
        caf::anon_send(sink, connect_atom::value);
        return {std::string{"router-fp"}, false};
      },
      [=](paid_atom, const std::string&, const std::string&,
          int64_t) -> std::string { return "notice"; },
      [=](send_atom, const std::string& to,
          const std::string& body) -> caf::result<std::string> {
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          if (ctl->fail_sends || to == doomed_user) {
            caf::anon_send(sink, failed_atom::value, to, body);
            return make_error(errc::unreachable, "fake client: send failed");
          }
        }
        if (to == slow_user) {
          auto rp = self->make_response_promise<std::string>();
          self->request(gate, caf::infinite, send_atom::value, to, body)
            .then(
              [=](const std::string& id) mutable {
                {
                  std::lock_guard<std::mutex> guard{ctl->mtx};
                  ctl->sent.emplace_back(to, body);
                }
                rp.deliver(id);
              },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        }
        {
          std::lock_guard<std::mutex> guard{ctl->mtx};
          ctl->sent.emplace_back(to, body);
        }
        caf::anon_send(sink, send_atom::value, to, body);
        return "fake-msg-" + std::to_string(++*counter);
      },
      [=](online_atom, const std::vector<std::string>& users)
        -> std::vector<std::string> {
        std::vector<std::string> on;
        for (auto& u : users)
          if (u == bank_user)
            on.push_back(u);
        return on;
      },
      [=](lookup_atom, const std::string& user) -> contact_key {
        return {user, "fp-" + user, false};
      },
      [=](trust_atom, const std::string& user,
          const std::string& fp) -> contact_key { return {user, fp, false}; },
      [=](trust_atom, const std::string& user, const std::string& fp,
          bool) -> contact_key { return {user, fp, false}; },
      [=](verify_atom, const std::string& user) -> contact_key {
        return {user, "fp-" + user, false};
      },
      [=](contacts_atom) -> std::vector<contact_key> { return {}; },
      [=](history_atom, const std::string&,
          uint32_t) -> std::vector<history_entry> { return {}; },
      // The bank does not use prekeys yet.
      [=](prekeys_atom, const protocol::prekey_upload&)
        -> caf::result<uint32_t> {
        return make_error(errc::unreachable, "fake client: no prekeys");
      },
      [=](prekeys_atom) -> caf::result<uint32_t> {
        return make_error(errc::unreachable, "fake client: no prekeys");
      },
      [=](bundle_atom,
          const std::string& user) -> caf::result<protocol::x3dh::bundle> {
        return make_error(errc::no_bundle, user);
      },
      [=](listen_atom, const listener_actor&) {},
      [=](frame_atom, const std::string&) {},
      [=](deadline_atom, uint64_t) {},
      [=](tick_atom, uint64_t) {},
      [=](flush_atom) {},
      [=](stop_atom) { self->quit(); },
      [=](forget_atom, const std::string&) -> uint64_t { return 0; },
      [=](search_atom, const std::string&, const std::string&,
          uint32_t) -> std::vector<history_entry> { return {}; },
      // The bank sends no read receipts or typing indicators.
      [=](read_atom, const std::string&, const std::string&) {},
      [=](read_atom, const std::string&) {},
      [=](typing_atom, const std::string&) {},
    };
  });
}

// -- predicates -------------------------------------------------------------------

inline predicate answer_for(std::string msg_id) {
  return [msg_id](const caf::message& m) {
    return (m.match_elements<answer_atom, std::string, bool>()
            || m.match_elements<answer_atom, std::string, caf::error>())
           && m.get_as<std::string>(1) == msg_id;
  };
}

inline predicate any_send() {
  return [](const caf::message& m) {
    return m.match_elements<send_atom, std::string, std::string>();
  };
}

inline predicate sent_to(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<send_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

inline predicate held_for(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<held_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

inline predicate failed_for(std::string to) {
  return [to](const caf::message& m) {
    return m.match_elements<failed_atom, std::string, std::string>()
           && m.get_as<std::string>(1) == to;
  };
}

inline predicate tagged(caf::atom_value tag) {
  return [tag](const caf::message& m) {
    return m.size() > 0 && m.match_element<caf::atom_value>(0)
           && m.get_as<caf::atom_value>(0) == tag;
  };
}

inline predicate down_of(caf::actor_addr addr) {
  return [addr](const caf::message& m) {
    return m.match_elements<caf::down_msg>()
           && m.get_as<caf::down_msg>(0).source == addr;
  };
}

/// Sends `(message_atom, m)` to the bank as a request from a short-lived
/// actor and reports `(answer_atom, msg_id, bool|error)` to `sink`.
inline void ask(caf::actor_system& sys, caf::actor bank, caf::actor sink,
         inbound_message m) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(bank, std::chrono::seconds{20}, message_atom::value, m)
      .then(
        [=](bool ok) {
          caf::anon_send(sink, answer_atom::value, m.msg_id, ok);
        },
        [=](caf::error& err) {
          caf::anon_send(sink, answer_atom::value, m.msg_id, err);
        });
  });
}

inline json::object parse_object(const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  EXPECT_FALSE(ec) << body;
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << body;
    return {};
  }
  return v.as_object();
}

inline std::string str(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string())
    return "<missing " + std::string{key} + ">";
  return std::string{it->value().get_string()};
}

inline int64_t num(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end())
    return -424242;
  if (it->value().is_int64())
    return it->value().get_int64();
  if (it->value().is_uint64())
    return static_cast<int64_t>(it->value().get_uint64());
  return -434343;
}

inline std::optional<bool> flag(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool())
    return std::nullopt;
  return it->value().get_bool();
}

// -- base fixture -----------------------------------------------------------------

class BankTestBase : public ::testing::Test {
protected:
  void SetUp() override {
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    box_ = std::make_unique<inbox>(*sys_);
    auto l = ledger::open(":memory:");
    ASSERT_TRUE(l) << explain(l.error());
    books_ = spawn_ledger(*sys_, std::make_shared<ledger>(std::move(*l)));
  }

  void TearDown() override {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    spawned_.clear();
    caf::anon_send_exit(books_, caf::exit_reason::kill);
    books_ = nullptr;
    box_.reset();
    sys_.reset();
  }

  caf::scoped_actor& self() {
    return box_->self();
  }

  // Ledger requests from the scoped actor; errors come back in `err`.

  std::pair<int64_t, bool> account(const std::string& user,
                                   const std::string& fp,
                                   caf::error* err = nullptr) {
    std::pair<int64_t, bool> res{-1, false};
    bool answered = false;
    self()
      ->request(books_, wait_time, account_atom::value, user, fp)
      .receive(
        [&](int64_t balance, bool created) {
          answered = true;
          res = {balance, created};
        },
        [&](caf::error& e) {
          answered = true;
          if (err)
            *err = e;
          else
            ADD_FAILURE() << "account " << user << ": " << explain(e);
        });
    EXPECT_TRUE(answered);
    return res;
  }

  caf::expected<transfer_receipt> apply(const transfer_order& o) {
    caf::expected<transfer_receipt> res{make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, transfer_atom::value, o)
      .receive([&](transfer_receipt& r) { res = std::move(r); },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  caf::expected<int64_t> balance(const std::string& user,
                                 const std::string& fp) {
    caf::expected<int64_t> res{make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, balance_atom::value, user, fp)
      .receive([&](int64_t b) { res = b; },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  /// Balance with the standard key "fp-<user>"; -999999 on failure.
  int64_t balance_of(const std::string& user) {
    auto b = balance(user, "fp-" + user);
    EXPECT_TRUE(b) << user << ": " << explain(b.error());
    return b ? *b : -999999;
  }

  caf::expected<std::vector<transfer_receipt>>
  history(const std::string& user, const std::string& fp, uint32_t limit,
          uint64_t before) {
    caf::expected<std::vector<transfer_receipt>> res{
      make_error(errc::internal, "none")};
    self()
      ->request(books_, wait_time, history_atom::value, user, fp, limit,
                before)
      .receive([&](std::vector<transfer_receipt>& h) { res = std::move(h); },
               [&](caf::error& e) { res = std::move(e); });
    return res;
  }

  audit_report audit() {
    audit_report rep;
    rep.problems.push_back("<no answer>");
    self()
      ->request(books_, wait_time, audit_atom::value)
      .receive([&](audit_report& r) { rep = std::move(r); },
               [&](caf::error& e) {
                 ADD_FAILURE() << "audit: " << explain(e);
               });
    return rep;
  }

  static transfer_order transfer(std::string id, std::string from,
                                 std::string to, int64_t amount) {
    auto fp = "fp-" + from;
    return {std::move(id), "transfer", from, fp, from, std::move(to), amount};
  }

  static transfer_order issue(std::string id, std::string to, int64_t amount) {
    return {std::move(id), "issue", "op", "fp-op", issuance_account,
            std::move(to), amount};
  }

  base_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<inbox> box_;
  ledger_actor books_;
  std::vector<caf::actor_addr> spawned_;
};

} // namespace courier::bank::test
