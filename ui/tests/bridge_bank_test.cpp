// The real bridge's wallet against a real router, a real bank and the
// real courier-cli on 127.0.0.1: money that comes in shows by itself, in
// the payer's chat, and refusals read as sentences.

#include <QSignalSpy>
#include <QtTest>

#include "tests/support/harness.hpp"
#include "ui/bridge.hpp"

using namespace courier;
using courier::test::cli;
using courier::test::run;

class BridgeBankTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::temp_dir> tmp_;
  test::router_process router_;
  test::process bank_;
  QString home_, server_, bank_fp_;

  static std::string ss(const QString& s) { return s.toStdString(); }

  test::run_result as(const std::string& user, std::vector<std::string> args) {
    args.insert(args.begin(), "--bank-fingerprint=" + ss(bank_fp_));
    return run(cli(ss(home_), ss(server_), user, std::move(args)),
               std::chrono::seconds{60});
  }

  /// Signs `b` in as bob, accepts the router's key and waits for the
  /// account.
  void sign_in(ui::Bridge& b) {
    b.configure(home_, server_, {}, bank_fp_);
    QSignalSpy connected{&b, &ui::Bridge::connected};
    b.signIn(QStringLiteral("bob"), {});
    QVERIFY(connected.wait(20000));
    if (!b.routerAccepted()) {
      b.acceptRouterFingerprint();
      QVERIFY(connected.wait(20000));
    }
    QTRY_VERIFY_WITH_TIMEOUT(b.hasAccount(), 20000);
  }

  /// True if bob's conversation with `peer` shows an event `text`.
  static bool shows_event(ui::Bridge& b, const QString& text) {
    auto& m = b.messages();
    for (int i = 0; i < m.count(); ++i) {
      auto row = m.get(i);
      if (row.value("isEvent").toBool() && row.value("body").toString() == text)
        return true;
    }
    return false;
  }

private Q_SLOTS:
  void initTestCase() {
    tmp_ = std::make_unique<test::temp_dir>();
    home_ = QString::fromStdString(*tmp_ / "home");
    for (auto user : {"alice", "bob", "dana"}) {
      auto r = run(cli(ss(home_), "127.0.0.1:1", user,
                       {"init", "--bits", "2048"}));
      QVERIFY2(r.exit_code == 0, r.err.c_str());
    }
    // As deploy/run.sh does: alice is the operator, the bank's key is
    // given to everyone.
    auto alice_fp = test::user_fingerprint(ss(home_), "alice");
    bank_fp_ = QString::fromStdString(test::bank_fingerprint(*tmp_ / "bank"));
    QVERIFY(!bank_fp_.isEmpty());
    router_ = test::router_process::start(
      *tmp_ / "router", 0,
      {"--reserve=bank=" + ss(bank_fp_), "--reserve=alice=" + alice_fp});
    server_ = QString::fromStdString(router_.address());
    auto log = *tmp_ / "bank.log";
    bank_ = test::process::start({COURIER_NODE, "bank",
                                  "--server=" + router_.address(),
                                  "--data=" + (*tmp_ / "bank"),
                                  "--operator=alice=" + alice_fp},
                                 log);
    QVERIFY2(test::wait_for_text(log, "bank signed in"),
             test::slurp(log).c_str());
    for (auto user : {"alice", "bob", "dana"}) {
      auto r = as(user, {"open-account"});
      QVERIFY2(r.exit_code == 0, r.err.c_str());
    }
    auto r = as("alice", {"issue", "dana", "100.00"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
  }

  void incoming_money_shows_by_itself_and_in_the_payers_chat() {
    ui::Bridge b;
    sign_in(b);
    QCOMPARE(b.balance(), QStringLiteral("0.00"));
    QSignalSpy paid{&b, &ui::Bridge::paymentArrived};
    auto r = as("dana", {"pay", "bob", "12.34"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    // Nobody presses Refresh.
    QTRY_COMPARE_WITH_TIMEOUT(b.balance(), QStringLiteral("12.34"), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(b.contacts().indexOf(QStringLiteral("dana")) >= 0,
                             10000);
    // It notifies (the Notifier shows it) and counts as unread, once.
    QTRY_COMPARE_WITH_TIMEOUT(paid.count(), 1, 10000);
    QCOMPARE(paid.at(0).at(0).toString(), QStringLiteral("dana"));
    QCOMPARE(paid.at(0).at(1).toString(), QStringLiteral("dana paid you 12.34"));
    QCOMPARE(b.contacts().unread(QStringLiteral("dana")), 1);
    QCOMPARE(b.contacts().totalUnread(), 1);
    b.openConversation(QStringLiteral("dana"));
    QTRY_VERIFY_WITH_TIMEOUT(shows_event(b, QStringLiteral("dana paid you 12.34")),
                             10000);
    for (int i = 0; i < b.messages().count(); ++i) {
      // The payer's notice is no bubble; the event is the bank's word.
      QVERIFY(b.messages().get(i).value("isEvent").toBool());
      QVERIFY(b.messages().get(i).value("detail").toString().contains(
        "signed by the bank"));
    }
  }

  void wallet_errors_are_plain_words() {
    ui::Bridge b;
    QSignalSpy paid{&b, &ui::Bridge::paymentArrived};
    sign_in(b);
    QTRY_COMPARE_WITH_TIMEOUT(b.balance(), QStringLiteral("12.34"), 20000);
    // A payment notified before does not notify again at the next start.
    b.openConversation(QStringLiteral("dana"));
    QTRY_VERIFY_WITH_TIMEOUT(shows_event(b, QStringLiteral("dana paid you 12.34")),
                             10000);
    QCOMPARE(paid.count(), 0);
    QSignalSpy receipts{&b, &ui::Bridge::receiptArrived};
    QCOMPARE(b.pay(QStringLiteral("dana"), QStringLiteral("50")), QString{});
    QVERIFY(receipts.wait(20000));
    auto why = receipts.at(0).at(0).toMap().value("message").toString();
    QCOMPARE(why, QStringLiteral("You have 12.34; that is not enough."));
    QCOMPARE(b.pay(QStringLiteral("eli"), QStringLiteral("1")), QString{});
    QVERIFY(receipts.wait(20000));
    why = receipts.at(1).at(0).toMap().value("message").toString();
    QVERIFY2(why.contains("no user called eli"), qPrintable(why));
    // The chat with yourself and with the bank are refused in words.
    b.openConversation(QStringLiteral("bob"));
    QVERIFY2(b.notice().contains("That is you"), qPrintable(b.notice()));
    QSignalSpy wallet{&b, &ui::Bridge::walletRequested};
    b.openConversation(QStringLiteral("bank"));
    QCOMPARE(wallet.count(), 1);
    QCOMPARE(b.contacts().indexOf(QStringLiteral("bob")), -1);
    QCOMPARE(b.contacts().indexOf(QStringLiteral("bank")), -1);
    QVERIFY(b.sendTo(QStringLiteral("bob"), QStringLiteral("me")).isEmpty());
  }

  // The app tells the payee too (the bank tells only the payer); the CLI
  // shows the notice as a hint, not as the bank's word.
  void a_payment_from_the_app_tells_the_payee() {
    // dana reads what waited (alice's notice of the issue).
    auto r = as("dana", {"recv", "--wait", "3"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    ui::Bridge b;
    sign_in(b);
    QTRY_COMPARE_WITH_TIMEOUT(b.balance(), QStringLiteral("12.34"), 20000);
    QSignalSpy receipts{&b, &ui::Bridge::receiptArrived};
    QCOMPARE(b.pay(QStringLiteral("dana"), QStringLiteral("1.50")), QString{});
    QVERIFY(receipts.wait(20000));
    QVERIFY(receipts.at(0).at(0).toMap().value("ok").toBool());
    r = as("dana", {"recv", "--wait", "15", "--count", "1"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QVERIFY2(r.out.find("bob says they paid you 1.50 (transfer ")
               != std::string::npos,
             r.out.c_str());
  }

  void cleanupTestCase() {
    bank_.kill_hard();
    router_.proc.kill_hard();
    tmp_.reset();
  }
};

QTEST_MAIN(BridgeBankTest)

#include "bridge_bank_test.moc"
