#include "actors/bank/bank.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/bank/ledger.hpp"
#include "actors/common/error.hpp"
#include "actors/common/fingerprint.hpp"
#include "actors/common/log.hpp"
#include "actors/common/telemetry.hpp"
#include "actors/protocol/order.hpp"
#include "actors/protocol/receipt.hpp"

namespace courier::bank {

const char* bank_help =
  "This is the Courier bank. Use courier-cli: open-account, balance, "
  "pay USER AMOUNT, history.";

namespace {

using namespace std::chrono;

struct bank_state {
  client_actor client;
  ledger_actor books;
  std::map<std::string, std::string> operators; ///< name -> fingerprint
  milliseconds backoff{200};
  /// The node's bank series; null when it serves no metrics.
  bank_metrics* metrics = nullptr;
  static inline const char* name = "bank";
};

using bank_ptr = bank_actor::stateful_pointer<bank_state>;

// Counts an order of `type` answered with a receipt (`ok`) or a refusal.
void count_order(bank_ptr self, const std::string& type, bool ok) {
  if (auto m = self->state.metrics)
    m->orders(type, ok).Increment();
}

using receipt_promise = caf::typed_response_promise<bool>;

// Sends `body` to `to`; the order counts as handled once the router holds
// the receipt, so a crash before that brings the order back (and retries
// are idempotent).
void answer(bank_ptr self, receipt_promise rp, const std::string& to,
            std::string body) {
  self->request(self->state.client, seconds{30}, send_atom::value, to,
                std::move(body))
    .then([=](const std::string&) mutable { rp.deliver(true); },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

// A receipt saying the order `re` was done; the caller fills in the rest.
receipt done(const std::string& re, const std::string& op) {
  receipt r;
  r.re = re;
  r.op = op;
  r.ok = true;
  return r;
}

// A receipt saying the order `re` was refused.
std::string refused(const std::string& re, const std::string& op, errc code,
                    const std::string& message) {
  receipt r;
  r.re = re;
  r.op = op;
  r.code = code;
  r.message = message;
  return make_receipt(r);
}

// The error half of every ledger request: a refusal becomes a receipt.
auto refusal(bank_ptr self, receipt_promise rp, std::string to,
             std::string re, std::string op) {
  return [=](caf::error& err) mutable {
    count_order(self, op, false);
    answer(self, rp, to, refused(re, op, code_of(err), explain(err)));
  };
}

void handle_order(bank_ptr self, receipt_promise rp,
                  const inbound_message& m, const order& o) {
  auto& st = self->state;
  auto user = m.from, fp = m.sender_fp, re = m.msg_id;
  auto on_error = refusal(self, rp, user, re, o.type);
  if (o.type == "open_account") {
    self->request(st.books, seconds{30}, account_atom::value, user, fp)
      .then(
        [=](int64_t balance, bool created) mutable {
          count_order(self, "open_account", true);
          auto r = done(re, "open_account");
          r.user = user;
          r.balance_minor = balance;
          r.created = created;
          answer(self, rp, user, make_receipt(r));
        },
        on_error);
  } else if (o.type == "balance") {
    self->request(st.books, seconds{30}, balance_atom::value, user, fp)
      .then(
        [=](int64_t balance) mutable {
          count_order(self, "balance", true);
          auto r = done(re, "balance");
          r.user = user;
          r.balance_minor = balance;
          answer(self, rp, user, make_receipt(r));
        },
        on_error);
  } else if (o.type == "history") {
    self->request(st.books, seconds{30}, history_atom::value, user, fp,
                  o.limit, o.before)
      .then(
        [=](const std::vector<transfer_receipt>& entries) mutable {
          count_order(self, "history", true);
          auto r = done(re, "history");
          r.user = user;
          r.entries = entries;
          answer(self, rp, user, make_receipt(r));
        },
        on_error);
  } else if (o.type == "issue" && !is_operator(st.operators, user, fp)) {
    count_order(self, o.type, false);
    answer(self, rp, user,
           refused(re, o.type, errc::not_permitted,
                   "only the bank's operators may issue money; the bank's "
                   "operator names them, bound to their keys, with --operator "
                   "NAME=FINGERPRINT (courier-cli --user NAME fingerprint "
                   "prints it)"));
  } else {
    transfer_order t{o.transfer_id, o.type, user, fp,
                     o.type == "issue" ? issuance_account : user, o.to,
                     o.amount_minor};
    self->request(st.books, seconds{30}, transfer_atom::value, t)
      .then(
        [=](const transfer_receipt& t) mutable {
          count_order(self, t.kind, true);
          auto r = done(re, t.kind);
          r.transfer = t;
          answer(self, rp, user, make_receipt(r));
        },
        on_error);
  }
}

void reconnect(bank_ptr self) {
  self->request(self->state.client, seconds{15}, connect_atom::value)
    .then(
      [=](const std::string& fp, bool) {
        self->state.backoff = milliseconds{200};
        report_ready(self->system(), readiness::signed_in, true);
        logger(component::bank).info("bank signed in; router fingerprint: {}",
                                     fp);
      },
      [=](caf::error& err) {
        auto& b = self->state.backoff;
        report_ready(self->system(), readiness::signed_in, false);
        logger(component::bank)
          .warn("cannot reach the router ({}); retrying in {} ms",
                explain(err), b.count());
        self->delayed_send(self, b, connect_atom::value);
        b = std::min(b * 2, milliseconds{10000});
      });
}

bank_actor::behavior_type
bank_handler(bank_ptr self, client_actor client, ledger_actor books,
             std::map<std::string, std::string> operators) {
  self->state.client = client;
  self->state.books = books;
  self->state.operators = std::move(operators);
  self->state.metrics = bank_metrics_of(self->system());
  self->monitor(client);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  return {
    [=](message_atom, const inbound_message& m) -> caf::result<bool> {
      if (m.from == bank_user)
        return true;
      auto rp = self->make_response_promise<bool>();
      if (!is_order(m.body)) {
        answer(self, rp, m.from, bank_help);
        return rp;
      }
      auto o = parse_order(m.body);
      bool unsigned_order = o && must_be_signed(m.from, m.to)
                            && !m.signed_by_sender;
      if (!o || unsigned_order)
        count_order(self, o ? o->type : "unknown", false);
      if (unsigned_order)
        // An order must prove who gave it, to anyone, later: a ratchet
        // session alone authenticates it to the bank only.
        answer(self, rp, m.from,
               refused(m.msg_id, o->type, errc::bad_signature,
                       "orders must carry your device's signature; update"
                       " your Courier client"));
      else if (!o)
        answer(self, rp, m.from,
               refused(m.msg_id, "unknown", code_of(o.error()),
                       explain(o.error())));
      else
        handle_order(self, rp, m, *o);
      return rp;
    },
    [=](status_atom, const std::string& text) {
      if (text == "disconnected") {
        report_ready(self->system(), readiness::signed_in, false);
        self->delayed_send(self, self->state.backoff, connect_atom::value);
      }
    },
    [=](connect_atom) { reconnect(self); },
    [=](delivered_atom, const std::string&) {
      // A receipt reached its reader; nothing to do.
    },
  };
}

} // namespace

bool is_operator(const std::map<std::string, std::string>& operators,
                 const std::string& user, const std::string& fp) {
  auto it = operators.find(user);
  // The name alone is not enough: whoever registered it first at a router
  // (or the router itself) could sign as it.
  return it != operators.end() && same_fingerprint(it->second, fp);
}

bank_actor spawn_bank(caf::actor_system& sys, client_actor client,
                      ledger_actor books,
                      std::map<std::string, std::string> operators) {
  return sys.spawn(bank_handler, std::move(client), std::move(books),
                   std::move(operators));
}

} // namespace courier::bank
