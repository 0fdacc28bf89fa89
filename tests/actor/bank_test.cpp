// Actor tests for the bank handler (actors/bank/bank.cpp) talking to a fake
// client actor and a ledger actor over an in-memory ledger.

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <caf/all.hpp>

#include "tests/support/bank_fixture.hpp"

using namespace courier;
using namespace courier::bank;
using namespace courier::bank::test;
using namespace std::chrono_literals;

namespace {

// -- (b) the bank handler --------------------------------------------------------------

struct exchange_result {
  bool answered = false;
  bool ok = false;         ///< the handler answered `true`
  caf::error err;          ///< ... or this
  std::string to;          ///< recipient of what the client sent
  std::string body;        ///< what the client sent ("" if nothing)
  json::object receipt;    ///< body, parsed (if JSON)
};

/// The fingerprint of the operator's key, as the bank is configured.
const std::string op_fp =
  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class BankHandlerTest : public BankTestBase {
protected:
  void SetUp() override {
    BankTestBase::SetUp();
    if (HasFatalFailure())
      return;
    ctl_ = std::make_shared<fake_control>();
    gate_ = sys_->spawn(gate_fun, box_->handle());
    spawned_.push_back(gate_.address());
    client_ = spawn_fake_client(*sys_, box_->handle(), ctl_, gate_);
    spawned_.push_back(client_.address());
    bank_ = caf::actor_cast<caf::actor>(
      spawn_bank(*sys_, client_, books_, {{"op", op_fp}}));
    spawned_.push_back(bank_.address());
  }

  inbound_message inbound(const std::string& from, const std::string& body,
                          std::string fp = {}) {
    if (fp.empty())
      fp = from == "op" ? op_fp : "fp-" + from;
    auto id = "msg-" + std::to_string(++next_id_);
    return {from, bank_user, body, id, 1700000000000, 1700000000001, fp,
            true, signed_orders_};
  }

  /// Whether orders arrive signed by their sender (letters v1, or v3 with
  /// the device's signature).
  bool signed_orders_ = true;

  /// Delivers `body` from `from` to the bank and waits for its answer and
  /// for what the client was asked to send; checks that the answer only
  /// came once the client had accepted the reply.
  exchange_result exchange(const std::string& from, const std::string& body,
                           std::string fp = {}) {
    exchange_result res;
    auto m = inbound(from, body, std::move(fp));
    ask(*sys_, bank_, box_->handle(), m);
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    EXPECT_TRUE(answer) << "no answer to " << body;
    if (!answer)
      return res;
    res.answered = true;
    if (answer->match_element<bool>(2))
      res.ok = answer->get_as<bool>(2);
    else
      res.err = answer->get_as<caf::error>(2);
    if (res.ok) {
      // The client recorded the reply before it answered the bank, and the
      // bank answers only after that: the reply must be in the log now.
      bool logged = false;
      for (auto& [to, b] : ctl_->log())
        if (to == from && b.find("\"" + m.msg_id + "\"") != std::string::npos)
          logged = true;
      if (body.find("\"bank\"") != std::string::npos) {
        EXPECT_TRUE(logged) << "answered before the receipt was sent";
      }
      auto sent = box_->take(sent_to(from), wait_time);
      EXPECT_TRUE(sent) << "nothing sent to " << from;
      if (sent) {
        res.to = sent->get_as<std::string>(1);
        res.body = sent->get_as<std::string>(2);
        if (!res.body.empty() && res.body.front() == '{') {
          res.receipt = parse_object(res.body);
          EXPECT_EQ(str(res.receipt, "re"), m.msg_id) << res.body;
          EXPECT_EQ(num(res.receipt, "bank"), 1) << res.body;
          EXPECT_EQ(str(res.receipt, "type"), "receipt") << res.body;
        }
      }
    }
    return res;
  }

  /// An exchange that must yield a successful receipt for `op`.
  json::object ok_receipt(const std::string& from, const std::string& body,
                          const std::string& op, std::string fp = {}) {
    auto res = exchange(from, body, std::move(fp));
    EXPECT_TRUE(res.ok) << body << ": " << explain(res.err);
    EXPECT_EQ(flag(res.receipt, "ok"), std::optional<bool>{true})
      << res.body;
    EXPECT_EQ(str(res.receipt, "op"), op) << res.body;
    return res.receipt;
  }

  /// An exchange that must yield an error receipt with `code`.
  json::object error_receipt(const std::string& from, const std::string& body,
                             errc code, std::string fp = {}) {
    auto res = exchange(from, body, std::move(fp));
    EXPECT_TRUE(res.ok) << body << ": " << explain(res.err);
    EXPECT_EQ(flag(res.receipt, "ok"), std::optional<bool>{false})
      << res.body;
    EXPECT_EQ(str(res.receipt, "code"), to_string(code)) << res.body;
    EXPECT_FALSE(str(res.receipt, "message").empty()) << res.body;
    return res.receipt;
  }

  static std::string transfer_order_json(const std::string& id,
                                         const std::string& to,
                                         int64_t amount,
                                         const char* type = "transfer") {
    json::object o{{"bank", 1},  {"type", type},         {"transfer_id", id},
                   {"to", to},   {"amount_minor", amount}};
    return json::serialize(o);
  }

  void open_via_bank(const std::string& user) {
    auto r = ok_receipt(user, R"({"bank":1,"type":"open_account"})",
                        "open_account");
    EXPECT_EQ(flag(r, "created"), std::optional<bool>{true});
  }

  /// Nothing more reaches the client within the quiet time.
  void expect_nothing_sent() {
    auto stray = box_->take(any_send(), quiet_time);
    EXPECT_FALSE(stray) << "unexpected send: "
                        << (stray ? stray->get_as<std::string>(2) : "");
  }

  std::shared_ptr<fake_control> ctl_;
  caf::actor gate_;
  client_actor client_;
  caf::actor bank_; ///< untyped: tests also send what the interface does not allow
  int next_id_ = 0;
};

TEST_F(BankHandlerTest, UnsignedOrderIsRefusedAndChangesNothing) {
  // A ratchet session authenticates an order to the bank alone; a ledger
  // entry must rest on a signature anyone can check.
  signed_orders_ = false;
  auto res = exchange("alice", R"({"bank":1,"type":"open_account"})");
  ASSERT_TRUE(res.ok);
  EXPECT_EQ(flag(res.receipt, "ok"), std::optional<bool>{false});
  EXPECT_EQ(str(res.receipt, "code"), "bad_signature");
  caf::error err;
  auto b = balance("alice", "fp-alice");
  EXPECT_FALSE(b) << "an unsigned order opened an account";
  signed_orders_ = true;
  auto r = ok_receipt("alice", R"({"bank":1,"type":"open_account"})",
                      "open_account");
  EXPECT_EQ(flag(r, "created"), std::optional<bool>{true});
}

TEST_F(BankHandlerTest, OpenAccountAndBalance) {
  auto r = ok_receipt("alice", R"({"bank":1,"type":"open_account"})",
                      "open_account");
  EXPECT_EQ(str(r, "user"), "alice");
  EXPECT_EQ(num(r, "balance_minor"), 0);
  EXPECT_EQ(flag(r, "created"), std::optional<bool>{true});

  r = ok_receipt("alice", R"({"bank":1,"type":"open_account"})",
                 "open_account");
  EXPECT_EQ(flag(r, "created"), std::optional<bool>{false});

  // The account is bound to the key that signed the first order.
  caf::error err;
  account("alice", "fp-alice", &err);
  EXPECT_FALSE(err);
  auto b = balance("alice", "fp-alice");
  ASSERT_TRUE(b) << explain(b.error());
  EXPECT_EQ(*b, 0);

  r = ok_receipt("alice", R"({"bank":1,"type":"balance"})", "balance");
  EXPECT_EQ(str(r, "user"), "alice");
  EXPECT_EQ(num(r, "balance_minor"), 0);

  error_receipt("alice", R"({"bank":1,"type":"open_account"})",
                errc::not_permitted, "fp-other");
  error_receipt("zed", R"({"bank":1,"type":"balance"})",
                errc::unknown_account);
  EXPECT_EQ(audit().accounts, 1);
}

TEST_F(BankHandlerTest, IssueTransferBalanceHistory) {
  open_via_bank("alice");
  open_via_bank("bob");

  auto r = ok_receipt("op", transfer_order_json("iss-1", "alice", 10000,
                                                "issue"),
                      "issue");
  EXPECT_EQ(str(r, "transfer_id"), "iss-1");
  EXPECT_EQ(str(r, "kind"), "issue");
  EXPECT_EQ(str(r, "from"), issuance_account);
  EXPECT_EQ(str(r, "to"), "alice");
  EXPECT_EQ(num(r, "amount_minor"), 10000);
  EXPECT_EQ(num(r, "balance_minor"), 10000);
  EXPECT_GT(num(r, "seq"), 0);
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
  auto issue_seq = num(r, "seq");

  r = ok_receipt("alice", transfer_order_json("pay-1", "bob", 1250),
                 "transfer");
  EXPECT_EQ(str(r, "transfer_id"), "pay-1");
  EXPECT_EQ(str(r, "kind"), "transfer");
  EXPECT_EQ(str(r, "from"), "alice");
  EXPECT_EQ(str(r, "to"), "bob");
  EXPECT_EQ(num(r, "amount_minor"), 1250);
  EXPECT_EQ(num(r, "balance_minor"), 8750);
  EXPECT_GT(num(r, "seq"), issue_seq);
  EXPECT_GT(num(r, "ts"), 0);
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
  auto pay_seq = num(r, "seq");

  r = ok_receipt("bob", R"({"bank":1,"type":"balance"})", "balance");
  EXPECT_EQ(str(r, "user"), "bob");
  EXPECT_EQ(num(r, "balance_minor"), 1250);
  EXPECT_EQ(balance_of("alice"), 8750);

  r = ok_receipt("alice", R"({"bank":1,"type":"history"})", "history");
  EXPECT_EQ(str(r, "user"), "alice");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  auto& entries = r.at("entries").as_array();
  ASSERT_EQ(entries.size(), 2u);
  auto e0 = entries[0].as_object();
  auto e1 = entries[1].as_object();
  EXPECT_EQ(str(e0, "transfer_id"), "pay-1"); // newest first
  EXPECT_EQ(num(e0, "seq"), pay_seq);
  EXPECT_EQ(num(e0, "balance_minor"), 8750);
  EXPECT_EQ(str(e0, "to"), "bob");
  EXPECT_EQ(str(e1, "transfer_id"), "iss-1");
  EXPECT_EQ(num(e1, "seq"), issue_seq);

  r = ok_receipt("alice",
                 R"({"bank":1,"type":"history","limit":1,"before":)"
                   + std::to_string(pay_seq) + "}",
                 "history");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  ASSERT_EQ(r.at("entries").as_array().size(), 1u);
  EXPECT_EQ(str(r.at("entries").as_array()[0].as_object(), "transfer_id"),
            "iss-1");

  r = ok_receipt("bob", R"({"bank":1,"type":"history","limit":5})",
                 "history");
  ASSERT_TRUE(r.contains("entries") && r.at("entries").is_array()) << r;
  ASSERT_EQ(r.at("entries").as_array().size(), 1u);

  auto rep = audit();
  EXPECT_TRUE(rep.ok()) << ::testing::PrintToString(rep.problems);
  EXPECT_EQ(rep.total_issued, 10000);
  EXPECT_EQ(rep.transfers, 2);
}

TEST_F(BankHandlerTest, RefusalsBecomeErrorReceipts) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 500, "issue"),
             "issue");
  auto r = error_receipt("alice", transfer_order_json("p1", "bob", 501),
                         errc::insufficient_funds);
  EXPECT_EQ(str(r, "op"), "transfer");
  error_receipt("alice", transfer_order_json("p2", "nobody", 1),
                errc::unknown_account);
  error_receipt("alice", transfer_order_json("p3", "alice", 1),
                errc::not_permitted);
  error_receipt("carol", transfer_order_json("p4", "bob", 1),
                errc::unknown_account);
  EXPECT_EQ(balance_of("alice"), 500);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(audit().transfers, 1);
}

TEST_F(BankHandlerTest, IssueFromNonOperatorIsNotPermitted) {
  open_via_bank("alice");
  auto r = error_receipt("alice",
                         transfer_order_json("iss-x", "alice", 100, "issue"),
                         errc::not_permitted);
  EXPECT_EQ(str(r, "op"), "issue");
  EXPECT_EQ(balance_of("alice"), 0);
  auto rep = audit();
  EXPECT_EQ(rep.transfers, 0);
  EXPECT_EQ(rep.total_issued, 0);
  // The operator may, with the same order.
  ok_receipt("op", transfer_order_json("iss-x", "alice", 100, "issue"),
             "issue");
  EXPECT_EQ(balance_of("alice"), 100);
}

TEST_F(BankHandlerTest, IssueFromAnOperatorsNameWithAnotherKeyIsNotPermitted) {
  // Whoever registered the operator's name first, or a router, can sign
  // as "op"; only the configured key may issue.
  open_via_bank("alice");
  auto other_key = std::string(64, 'e');
  for (std::string fp : {other_key, std::string{"fp-op"},
                         op_fp.substr(0, 63) + "0", op_fp + "00"}) {
    SCOPED_TRACE(fp);
    auto r = error_receipt("op",
                           transfer_order_json("iss-k", "alice", 100, "issue"),
                           errc::not_permitted, fp);
    EXPECT_NE(str(r, "message").find("NAME=FINGERPRINT"), std::string::npos)
      << str(r, "message");
  }
  EXPECT_EQ(balance_of("alice"), 0);
  EXPECT_EQ(audit().total_issued, 0);
  // The right key, written as people copy it (spaced, upper case), may.
  std::string spaced;
  for (size_t i = 0; i < op_fp.size(); ++i)
    spaced += (i > 0 && i % 4 == 0 ? " " : "")
              + std::string(1, static_cast<char>(std::toupper(op_fp[i])));
  ok_receipt("op", transfer_order_json("iss-k", "alice", 100, "issue"),
             "issue", spaced);
  EXPECT_EQ(balance_of("alice"), 100);
}

TEST(BankOperators, AreBoundToTheirKeys) {
  std::map<std::string, std::string> ops{{"op", op_fp}};
  EXPECT_TRUE(is_operator(ops, "op", op_fp));
  EXPECT_FALSE(is_operator(ops, "op", std::string(64, 'e')));
  EXPECT_FALSE(is_operator(ops, "op", ""));
  EXPECT_FALSE(is_operator(ops, "alice", op_fp));
  EXPECT_FALSE(is_operator({}, "op", op_fp));
}

TEST_F(BankHandlerTest, MalformedOrdersGetErrorReceiptsAndChangeNothing) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  struct bad {
    std::string body;
    errc code;
  };
  for (auto& [body, code] : std::vector<bad>{
         {R"({"bank":1,"type":"transfer"})", errc::bad_envelope},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob"})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","amount_minor":5})",
          errc::bad_envelope},
         {R"({"bank":2,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5})",
          errc::unsupported_version},
         {R"({"bank":"1","type":"balance"})", errc::bad_envelope},
         {R"({"bank":1})", errc::bad_envelope},
         {R"({"bank":1,"type":"steal"})", errc::unknown_type},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":"5"})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5.5})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":-5})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":0})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":100000000000001})",
          errc::invalid_amount},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"Bob!","amount_minor":5})",
          errc::invalid_username},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"@issuance","amount_minor":5})",
          errc::invalid_username},
         {R"({"bank":1,"type":"transfer","transfer_id":"","to":"bob","amount_minor":5})",
          errc::bad_envelope},
         {R"({"bank":1,"type":"transfer","transfer_id":"x","to":"bob","amount_minor":5,"from":"carol"})",
          errc::bad_envelope},
         {R"({"bank":1,"type":"history","limit":0})", errc::bad_envelope},
         {R"({"bank":1,"type":"history","limit":101})", errc::bad_envelope},
         {R"({"bank":1,"type":"history","before":-1})", errc::bad_envelope},
         {R"({"bank":1,"type":"balance","user":"bob"})", errc::bad_envelope},
       }) {
    SCOPED_TRACE(body);
    auto r = error_receipt("alice", body, code);
    EXPECT_EQ(str(r, "op"), "unknown");
  }
  EXPECT_EQ(balance_of("alice"), 1000);
  EXPECT_EQ(balance_of("bob"), 0);
  auto rep = audit();
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.transfers, 1);
}

TEST_F(BankHandlerTest, PlainChatGetsTheHelpText) {
  for (std::string body : {"hello", "", "{\"hello\":1}", "[1,2]", "{bank"}) {
    SCOPED_TRACE(body);
    auto res = exchange("alice", body);
    EXPECT_TRUE(res.ok) << explain(res.err);
    EXPECT_EQ(res.to, "alice");
    EXPECT_EQ(res.body, bank_help);
  }
  EXPECT_EQ(audit().accounts, 0);
}

TEST_F(BankHandlerTest, MessagesFromTheBankItselfAreIgnored) {
  auto before = ctl_->log().size();
  for (std::string body : {"hello", R"({"bank":1,"type":"open_account"})"}) {
    auto m = inbound(bank_user, body);
    ask(*sys_, bank_, box_->handle(), m);
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    ASSERT_TRUE(answer);
    ASSERT_TRUE(answer->match_element<bool>(2));
    EXPECT_TRUE(answer->get_as<bool>(2));
  }
  expect_nothing_sent();
  EXPECT_EQ(ctl_->log().size(), before);
  EXPECT_EQ(audit().accounts, 0);
}

TEST_F(BankHandlerTest, OrdersSignedWithAnotherKeyAreNotPermitted) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  auto r = error_receipt("alice", transfer_order_json("steal-1", "bob", 600),
                         errc::not_permitted, "fp-mallory");
  EXPECT_EQ(str(r, "op"), "transfer");
  error_receipt("alice", R"({"bank":1,"type":"balance"})", errc::not_permitted,
                "fp-mallory");
  error_receipt("alice", R"({"bank":1,"type":"history"})", errc::not_permitted,
                "fp-mallory");
  EXPECT_EQ(balance_of("alice"), 1000);
  EXPECT_EQ(balance_of("bob"), 0);
  EXPECT_EQ(audit().transfers, 1);
  // With the right key the same id still works (the refusal wrote nothing).
  r = ok_receipt("alice", transfer_order_json("steal-1", "bob", 600),
                 "transfer");
  EXPECT_EQ(flag(r, "replayed"), std::optional<bool>{false});
}

TEST_F(BankHandlerTest, ReplayedOrderGetsTheSameReceipt) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  auto order = transfer_order_json("pay-7", "bob", 300);
  auto first = ok_receipt("alice", order, "transfer");
  auto second = ok_receipt("alice", order, "transfer");
  EXPECT_EQ(flag(first, "replayed"), std::optional<bool>{false});
  EXPECT_EQ(flag(second, "replayed"), std::optional<bool>{true});
  EXPECT_EQ(num(second, "seq"), num(first, "seq"));
  EXPECT_EQ(num(second, "balance_minor"), num(first, "balance_minor"));
  EXPECT_EQ(num(second, "amount_minor"), 300);
  EXPECT_NE(str(second, "re"), str(first, "re"));
  EXPECT_EQ(balance_of("alice"), 700);
  EXPECT_EQ(balance_of("bob"), 300);
  EXPECT_EQ(audit().transfers, 2);
  // Same id, other amount.
  error_receipt("alice", transfer_order_json("pay-7", "bob", 301),
                errc::conflicting_order);
  EXPECT_EQ(balance_of("alice"), 700);
}

TEST_F(BankHandlerTest, AnswerWaitsUntilTheClientAcceptedTheReceipt) {
  auto m = inbound(slow_user, R"({"bank":1,"type":"open_account"})");
  ask(*sys_, bank_, box_->handle(), m);
  auto held = box_->take(held_for(slow_user), wait_time);
  ASSERT_TRUE(held) << "the receipt never reached the client";
  auto receipt = parse_object(held->get_as<std::string>(2));
  EXPECT_EQ(str(receipt, "re"), m.msg_id);
  EXPECT_EQ(flag(receipt, "ok"), std::optional<bool>{true});
  // The ledger has committed, but the client has not accepted the receipt.
  EXPECT_FALSE(box_->take(answer_for(m.msg_id), quiet_time))
    << "answered before the client accepted the receipt";
  self()->send(gate_, release_atom::value);
  auto answer = box_->take(answer_for(m.msg_id), wait_time);
  ASSERT_TRUE(answer);
  ASSERT_TRUE(answer->match_element<bool>(2));
  EXPECT_TRUE(answer->get_as<bool>(2));
}

TEST_F(BankHandlerTest, FailedSendIsAnErrorSoTheOrderComesBack) {
  // A recipient the client cannot reach.
  for (std::string body : {std::string{"hello"},
                           std::string{R"({"bank":1,"type":"open_account"})"},
                           std::string{R"({"bank":1,"type":"nope"})"}}) {
    SCOPED_TRACE(body);
    auto m = inbound(doomed_user, body);
    ask(*sys_, bank_, box_->handle(), m);
    EXPECT_TRUE(box_->take(failed_for(doomed_user), wait_time));
    auto answer = box_->take(answer_for(m.msg_id), wait_time);
    ASSERT_TRUE(answer);
    EXPECT_FALSE(answer->match_element<bool>(2))
      << "answered true although the receipt was not sent";
    if (answer->match_element<caf::error>(2)) {
      EXPECT_TRUE(answer->get_as<caf::error>(2));
    }
  }

  // A transfer whose receipt cannot be sent: the redelivered order gets
  // the first result again and the money moves only once.
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 1000, "issue"),
             "issue");
  ctl_->fail(true);
  auto order = transfer_order_json("pay-1", "bob", 400);
  auto res = exchange("alice", order);
  EXPECT_TRUE(res.answered);
  EXPECT_FALSE(res.ok) << "answered true although the receipt was not sent";
  EXPECT_TRUE(res.err);
  EXPECT_TRUE(box_->take(failed_for("alice"), wait_time));
  ctl_->fail(false);
  auto again = ok_receipt("alice", order, "transfer");
  EXPECT_EQ(flag(again, "replayed"), std::optional<bool>{true});
  EXPECT_EQ(balance_of("alice"), 600);
  EXPECT_EQ(balance_of("bob"), 400);
}

TEST_F(BankHandlerTest, ManyOrdersAtOnceAllGetReceipts) {
  open_via_bank("alice");
  open_via_bank("bob");
  ok_receipt("op", transfer_order_json("iss-1", "alice", 100000, "issue"),
             "issue");
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto m = inbound("alice", transfer_order_json("b" + std::to_string(i),
                                                  "bob", 10));
    ids.push_back(m.msg_id);
    ask(*sys_, bank_, box_->handle(), m);
  }
  for (auto& id : ids) {
    auto answer = box_->take(answer_for(id), wait_time);
    ASSERT_TRUE(answer) << id;
    ASSERT_TRUE(answer->match_element<bool>(2)) << id;
    EXPECT_TRUE(answer->get_as<bool>(2));
  }
  std::set<std::string> receipts;
  for (auto& [to, body] : ctl_->log()) {
    auto o = parse_object(body);
    if (to == "alice" && str(o, "op") == "transfer" && flag(o, "ok") == true)
      receipts.insert(str(o, "re"));
  }
  EXPECT_EQ(receipts, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(balance_of("alice"), 100000 - 1000);
  EXPECT_EQ(balance_of("bob"), 1000);
  EXPECT_TRUE(audit().ok());
}

TEST_F(BankHandlerTest, ReconnectsWhenDisconnectedAndQuitsWithItsClient) {
  caf::anon_send(bank_, status_atom::value, std::string{"disconnected"});
  EXPECT_TRUE(box_->take(tagged(connect_atom::value), wait_time))
    << "the bank did not reconnect";
  caf::anon_send(bank_, status_atom::value, std::string{"connected"});
  EXPECT_FALSE(box_->take(tagged(connect_atom::value), quiet_time));

  self()->monitor(bank_);
  caf::anon_send(client_, stop_atom::value);
  EXPECT_TRUE(box_->take(down_of(bank_.address()), wait_time))
    << "the bank outlived its client";
}

} // namespace
