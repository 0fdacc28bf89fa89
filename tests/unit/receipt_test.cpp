// Unit tests for the bank receipt: its exact JSON for every op, round
// trips, and strict parsing of hostile bodies.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "actors/common/error.hpp"
#include "actors/protocol/receipt.hpp"

using namespace courier;
using namespace courier::bank;

namespace json = boost::json;

namespace {

transfer_receipt pay(uint64_t seq) {
  return {"t-" + std::to_string(seq), "transfer", "alice", "bob", 1250,
          8750,  seq,  1700000000000 + static_cast<int64_t>(seq), seq == 2};
}

receipt base(const std::string& op, bool ok = true) {
  receipt r;
  r.re = "m-1";
  r.op = op;
  r.ok = ok;
  return r;
}

receipt transfer_one() {
  auto r = base("transfer");
  r.transfer = pay(7);
  return r;
}

receipt issue_one() {
  auto r = base("issue");
  r.transfer = {"i-1", "issue", "@issuance", "alice", 10000, 10000, 1, 5, false};
  return r;
}

receipt account_one() {
  auto r = base("open_account");
  r.user = "alice";
  r.balance_minor = 0;
  r.created = true;
  return r;
}

receipt balance_one() {
  auto r = base("balance");
  r.user = "alice";
  r.balance_minor = 8750;
  return r;
}

receipt history_one() {
  auto r = base("history");
  r.user = "alice";
  r.entries = {pay(2), pay(1)};
  return r;
}

receipt refused_one() {
  auto r = base("transfer", false);
  r.code = errc::insufficient_funds;
  r.message = "not \"enough\"";
  return r;
}

std::vector<receipt> every_op() {
  return {transfer_one(), issue_one(),   account_one(),
          balance_one(),  history_one(), refused_one()};
}

void expect_same(const transfer_receipt& a, const transfer_receipt& b) {
  EXPECT_EQ(a.transfer_id, b.transfer_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.amount_minor, b.amount_minor);
  EXPECT_EQ(a.balance_minor, b.balance_minor);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.replayed, b.replayed);
}

errc parse_code(const std::string& text) {
  auto r = parse_receipt(text);
  return r ? errc::none : code_of(r.error());
}

json::object as_object(const receipt& r) {
  return json::parse(make_receipt(r)).as_object();
}

/// The parse code of `r`'s JSON with field `name` set to `v`.
errc set(const receipt& r, const char* name, json::value v) {
  auto obj = as_object(r);
  obj[name] = std::move(v);
  return parse_code(json::serialize(obj));
}

} // namespace

// -- the JSON is exactly what the bank has always sent ----------------------

TEST(Receipt, TransferBytes) {
  EXPECT_EQ(make_receipt(transfer_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"transfer","ok":true,)"
            R"("transfer_id":"t-7","kind":"transfer","from":"alice","to":"bob",)"
            R"("amount_minor":1250,"balance_minor":8750,"seq":7,)"
            R"("ts":1700000000007,"replayed":false})");
}

TEST(Receipt, IssueBytes) {
  EXPECT_EQ(make_receipt(issue_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"issue","ok":true,)"
            R"("transfer_id":"i-1","kind":"issue","from":"@issuance",)"
            R"("to":"alice","amount_minor":10000,"balance_minor":10000,)"
            R"("seq":1,"ts":5,"replayed":false})");
}

TEST(Receipt, OpenAccountBytes) {
  EXPECT_EQ(make_receipt(account_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"open_account",)"
            R"("ok":true,"user":"alice","balance_minor":0,"created":true})");
}

TEST(Receipt, BalanceBytes) {
  EXPECT_EQ(make_receipt(balance_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"balance",)"
            R"("ok":true,"user":"alice","balance_minor":8750})");
}

TEST(Receipt, HistoryBytes) {
  std::string e2 =
    R"({"transfer_id":"t-2","kind":"transfer","from":"alice","to":"bob",)"
    R"("amount_minor":1250,"balance_minor":8750,"seq":2,)"
    R"("ts":1700000000002,"replayed":true})";
  std::string e1 =
    R"({"transfer_id":"t-1","kind":"transfer","from":"alice","to":"bob",)"
    R"("amount_minor":1250,"balance_minor":8750,"seq":1,)"
    R"("ts":1700000000001,"replayed":false})";
  EXPECT_EQ(make_receipt(history_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"history",)"
            R"("ok":true,"user":"alice","entries":[)"
              + e2 + "," + e1 + "]}");
  EXPECT_EQ(make_entry(pay(2)), e2);
  auto empty = history_one();
  empty.entries.clear();
  EXPECT_EQ(make_receipt(empty),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"history",)"
            R"("ok":true,"user":"alice","entries":[]})");
}

TEST(Receipt, RefusedBytes) {
  EXPECT_EQ(make_receipt(refused_one()),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"transfer",)"
            R"("ok":false,"code":"insufficient_funds",)"
            R"("message":"not \"enough\""})");
  auto unparsable = base("unknown", false);
  unparsable.code = errc::bad_envelope;
  unparsable.message = "x";
  EXPECT_EQ(make_receipt(unparsable),
            R"({"bank":1,"type":"receipt","re":"m-1","op":"unknown",)"
            R"("ok":false,"code":"bad_envelope","message":"x"})");
}

// -- round trips --------------------------------------------------------------

TEST(Receipt, RoundTripEveryOp) {
  for (const auto& r : every_op()) {
    auto text = make_receipt(r);
    auto back = parse_receipt(text);
    ASSERT_TRUE(back) << text << ": " << explain(back.error());
    EXPECT_EQ(back->re, r.re);
    EXPECT_EQ(back->op, r.op);
    EXPECT_EQ(back->ok, r.ok);
    EXPECT_EQ(back->code, r.code);
    EXPECT_EQ(back->message, r.message);
    EXPECT_EQ(back->user, r.user);
    EXPECT_EQ(back->balance_minor, r.balance_minor);
    EXPECT_EQ(back->created, r.created);
    expect_same(back->transfer, r.transfer);
    ASSERT_EQ(back->entries.size(), r.entries.size());
    for (size_t i = 0; i < r.entries.size(); ++i)
      expect_same(back->entries[i], r.entries[i]);
    EXPECT_EQ(make_receipt(*back), text);
  }
}

TEST(Receipt, UnknownCodeNameReadsAsInternal) {
  auto obj = as_object(refused_one());
  obj["code"] = "from_the_future";
  auto back = parse_receipt(json::serialize(obj));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->code, errc::internal);
}

// -- hostile bodies -----------------------------------------------------------

TEST(Receipt, MissingFieldsRefused) {
  for (const auto& r : every_op()) {
    auto obj = as_object(r);
    for (const auto& kv : obj) {
      auto copy = obj;
      copy.erase(kv.key());
      EXPECT_NE(parse_code(json::serialize(copy)), errc::none)
        << r.op << " without " << kv.key();
    }
  }
  auto obj = as_object(history_one());
  obj["entries"].as_array()[1].as_object().erase("seq");
  EXPECT_EQ(parse_code(json::serialize(obj)), errc::bad_envelope);
}

TEST(Receipt, WrongTypesRefused) {
  EXPECT_EQ(set(balance_one(), "re", 1), errc::bad_envelope);
  EXPECT_EQ(set(balance_one(), "ok", "true"), errc::bad_envelope);
  EXPECT_EQ(set(balance_one(), "ok", 1), errc::bad_envelope);
  EXPECT_EQ(set(balance_one(), "balance_minor", "5"), errc::bad_envelope);
  EXPECT_EQ(set(balance_one(), "balance_minor", 1.5), errc::bad_envelope);
  EXPECT_EQ(set(balance_one(), "bank", "1"), errc::bad_envelope);
  EXPECT_EQ(set(account_one(), "created", "yes"), errc::bad_envelope);
  EXPECT_EQ(set(transfer_one(), "seq", -1), errc::bad_envelope);
  EXPECT_EQ(set(transfer_one(), "replayed", json::value{}), errc::bad_envelope);
  EXPECT_EQ(set(refused_one(), "code", 24), errc::bad_envelope);
  EXPECT_EQ(set(history_one(), "entries", json::object{}), errc::bad_envelope);
  EXPECT_EQ(set(history_one(), "entries", json::array{1}), errc::bad_envelope);
  EXPECT_EQ(set(history_one(), "entries", json::array(101, json::object{})),
            errc::oversize);
}

TEST(Receipt, WrongVersionTypeOrOp) {
  EXPECT_EQ(set(balance_one(), "bank", 2), errc::unsupported_version);
  EXPECT_EQ(set(balance_one(), "type", "transfer"), errc::unknown_type);
  EXPECT_EQ(set(balance_one(), "op", "steal"), errc::unknown_type);
}

TEST(Receipt, UnknownFieldsRefused) {
  for (const auto& r : every_op()) {
    auto obj = as_object(r);
    obj["extra"] = 1;
    EXPECT_EQ(parse_code(json::serialize(obj)), errc::bad_envelope) << r.op;
  }
  // Fields of another op are unknown here too.
  auto obj = as_object(balance_one());
  obj["created"] = true;
  EXPECT_EQ(parse_code(json::serialize(obj)), errc::bad_envelope);
  obj = as_object(history_one());
  obj["entries"].as_array()[0].as_object()["note"] = "x";
  EXPECT_EQ(parse_code(json::serialize(obj)), errc::bad_envelope);
}

TEST(Receipt, TruncatedOrGarbageRefused) {
  for (const auto& r : every_op()) {
    auto text = make_receipt(r);
    for (size_t n = 0; n < text.size(); ++n)
      EXPECT_EQ(parse_code(text.substr(0, n)), errc::bad_envelope)
        << r.op << " " << n;
    EXPECT_EQ(parse_code(text + "}"), errc::bad_envelope);
  }
  for (const char* text : {"", "hello", "[]", "null", "42", "This is the bank"})
    EXPECT_EQ(parse_code(text), errc::bad_envelope) << text;
}

TEST(Receipt, OversizeRefused) {
  auto r = refused_one();
  r.message = std::string(max_receipt_size, 'x');
  EXPECT_EQ(parse_code(make_receipt(r)), errc::oversize);
  r.message = std::string(max_receipt_size - 200, 'x');
  EXPECT_EQ(parse_code(make_receipt(r)), errc::none);
}
