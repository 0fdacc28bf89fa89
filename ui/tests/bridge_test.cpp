// The real bridge (and its client actor) against a real router process
// and the real courier-cli on 127.0.0.1.

#include <QQmlComponent>
#include <QQmlEngine>
#include <QSettings>
#include <QSignalSpy>
#include <QtTest>

#include <sqlite3.h>

#include "actors/client/identity.hpp"
#include "tests/support/harness.hpp"
#include "ui/bridge.hpp"
#include "ui/theme.hpp"

using namespace courier;
using courier::test::cli;
using courier::test::run;

namespace {

/// True if the open conversation of `b` shows a message with `body`.
bool shows(ui::Bridge& b, const QString& body, bool outgoing) {
  auto& m = b.messages();
  for (int i = 0; i < m.count(); ++i) {
    auto row = m.get(i);
    if (row.value("body").toString() == body
        && row.value("outgoing").toBool() == outgoing)
      return true;
  }
  return false;
}

/// How many messages of `user`'s local history `where` selects (-1: no
/// database).
int history_rows(const QString& home, const std::string& user,
                 const std::string& where) {
  sqlite3* db = nullptr;
  auto path = user_dir(home.toStdString(), user) + "/client.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr)
      != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  int n = -1;
  auto sql = "SELECT count(*) FROM history WHERE " + where;
  sqlite3_exec(
    db, sql.c_str(),
    [](void* out, int, char** vals, char**) {
      *static_cast<int*>(out) = std::atoi(vals[0]);
      return 0;
    },
    &n, nullptr);
  sqlite3_close(db);
  return n;
}

} // namespace

class BridgeTest : public QObject {
  Q_OBJECT

  std::unique_ptr<test::temp_dir> tmp_;
  test::router_process router_;
  QString home_, server_;

  test::run_result cli_run(const std::string& user,
                           std::vector<std::string> args) {
    return run(cli(ss(home_), ss(server_), user, std::move(args)),
               std::chrono::seconds{40});
  }
  static std::string ss(const QString& s) { return s.toStdString(); }

  /// Opens the chat with `peer` (a new name is looked up first).
  static void open(ui::Bridge& b, const QString& peer) {
    b.openConversation(peer);
    QTRY_COMPARE_WITH_TIMEOUT(b.currentPeer(), peer, 10000);
  }

  /// Signs `b` in as `user`, accepts the router's key as a person would
  /// and waits for "connected".
  void sign_in(ui::Bridge& b, const QString& user = QStringLiteral("alice")) {
    b.configure(home_, server_, {});
    QSignalSpy connected{&b, &ui::Bridge::connected};
    b.signIn(user, {});
    QVERIFY(connected.wait(20000));
    if (!b.routerAccepted()) {
      b.acceptRouterFingerprint();
      QVERIFY(connected.wait(20000));
    }
    QCOMPARE(b.status(), QStringLiteral("connected"));
    QVERIFY(b.signedIn());
    QVERIFY(!b.routerFingerprint().isEmpty());
    QCOMPARE(normalize_fingerprint(ss(b.routerFingerprint())),
             normalize_fingerprint(router_.fingerprint));
  }

private Q_SLOTS:
  void initTestCase() {
    tmp_ = std::make_unique<test::temp_dir>();
    router_ = test::router_process::start(*tmp_ / "router");
    home_ = QString::fromStdString(*tmp_ / "home");
    server_ = QString::fromStdString(router_.address());
    for (auto user : {"alice", "bob"}) {
      auto r = cli_run(user, {"init", "--bits", "2048"});
      QVERIFY2(r.exit_code == 0, r.err.c_str());
    }
    // bob signs in once so that his name is registered.
    auto r = cli_run("bob", {"recv", "--wait", "1"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
  }

  void without_a_display_the_app_says_so() {
    auto r = run({"/usr/bin/env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "-u",
                  "QT_QPA_PLATFORM", COURIER_CHAT, "--home", ss(home_)},
                 std::chrono::seconds{20});
    QCOMPARE(r.exit_code, 1);
    QVERIFY2(r.err.find("no graphical display") != std::string::npos,
             r.err.c_str());
    QVERIFY2(r.err.find("reinstalling") == std::string::npos, r.err.c_str());
  }

  void cli_message_appears_in_the_conversation() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("bob"));
    QCOMPARE(b.currentPeer(), QStringLiteral("bob"));
    QSignalSpy arrived{&b, &ui::Bridge::messageArrived};
    auto r = cli_run("bob", {"send", "alice", "hello from the cli"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QVERIFY(arrived.wait(20000));
    QCOMPARE(arrived.at(0).at(0).toString(), QStringLiteral("bob"));
    QVERIFY(shows(b, QStringLiteral("hello from the cli"), false));
    // It is the open conversation: nothing unread.
    QCOMPARE(b.contacts().unread(QStringLiteral("bob")), 0);
    // Search finds it in the local history, in any case; a wildcard is
    // only a character.
    QSignalSpy found{&b, &ui::Bridge::searchResultsChanged};
    b.search(QStringLiteral("FROM THE"), false);
    QVERIFY(found.wait(10000));
    QCOMPARE(b.searchResults().size(), 1);
    auto hit = b.searchResults().at(0).toMap();
    QCOMPARE(hit.value("body").toString(), QStringLiteral("hello from the cli"));
    QCOMPARE(hit.value("peer").toString(), QStringLiteral("bob"));
    QCOMPARE(hit.value("outgoing").toBool(), false);
    b.search(QStringLiteral("hello%cli"), true);
    QVERIFY(found.wait(10000));
    QCOMPARE(b.searchResults().size(), 0);
    b.search(QString{}, true);
    QVERIFY(b.searchResults().isEmpty());
  }

  // Issue 16: "Back up identity" and "Restore from backup" (setup page):
  // the restored user signs in on a fresh data home with the same key and
  // receives; a wrong passphrase writes nothing.
  void backup_and_restore_through_the_bridge() {
    auto r = cli_run("gina", {"init", "--bits", "2048"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    auto file = QString::fromStdString(*tmp_ / "gina.backup");
    QString fp;
    {
      ui::Bridge b;
      sign_in(b, QStringLiteral("gina"));
      fp = b.myFingerprint();
      QSignalSpy written{&b, &ui::Bridge::backupWritten};
      b.backupIdentity(file, QStringLiteral("bridge backup pass"));
      QVERIFY(written.wait(20000));
      QVERIFY2(written.at(0).at(0).toBool(),
               qPrintable(written.at(0).at(1).toString()));
      b.shutdown();
    }
    auto fresh = QString::fromStdString(*tmp_ / "fresh-home");
    ui::Bridge b;
    b.configure(fresh, server_, {});
    QSignalSpy restored{&b, &ui::Bridge::identityRestored};
    b.restoreIdentity(file, QStringLiteral("not the pass"),
                      QStringLiteral("new key pass"));
    QVERIFY(restored.wait(20000));
    QVERIFY(!restored.at(0).at(0).toBool());
    QVERIFY2(restored.at(0).at(2).toString().contains("does not open"),
             qPrintable(restored.at(0).at(2).toString()));
    QVERIFY(!b.identityExists(QStringLiteral("gina")));
    b.restoreIdentity(file, QStringLiteral("bridge backup pass"),
                      QStringLiteral("new key pass"));
    QVERIFY(restored.wait(20000));
    QVERIFY2(restored.at(1).at(0).toBool(),
             qPrintable(restored.at(1).at(2).toString()));
    QCOMPARE(restored.at(1).at(1).toString(), QStringLiteral("gina"));
    QCOMPARE(restored.at(1).at(2).toString(), fp);
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QSignalSpy arrived{&b, &ui::Bridge::messageArrived};
    b.signIn(QStringLiteral("gina"), QStringLiteral("new key pass"));
    QVERIFY(connected.wait(20000));
    if (!b.routerAccepted()) {
      b.acceptRouterFingerprint();
      QVERIFY(connected.wait(20000));
    }
    QCOMPARE(b.myFingerprint(), fp);
    r = cli_run("bob", {"send", "gina", "hello restored gina"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QTRY_VERIFY_WITH_TIMEOUT(arrived.count() >= 1, 20000);
    QCOMPARE(arrived.at(0).at(1).toString(),
             QStringLiteral("hello restored gina"));
  }

  void nothing_moves_until_the_router_key_is_accepted() {
    auto r = cli_run("erin", {"init", "--bits", "2048"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    r = cli_run("erin", {"recv", "--wait", "0"}); // registers the name
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    r = cli_run("bob", {"send", "erin", "held until accepted"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    ui::Bridge b;
    b.configure(home_, server_, {});
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QSignalSpy arrived{&b, &ui::Bridge::messageArrived};
    b.signIn(QStringLiteral("erin"), {});
    QVERIFY(connected.wait(20000));
    QVERIFY(!b.routerAccepted());
    auto id = b.sendTo(QStringLiteral("bob"),
                       QStringLiteral("not before the accept"));
    QTest::qWait(2000);
    QCOMPARE(arrived.count(), 0);
    QCOMPARE(b.messages().stateOf(id), QStringLiteral("sending"));
    b.acceptRouterFingerprint();
    QVERIFY(b.routerAccepted());
    QVERIFY(connected.wait(20000));
    QCOMPARE(b.resendFailed(), 1); // as the app's connection manager does
    QTRY_COMPARE_WITH_TIMEOUT(arrived.count(), 1, 20000);
    QCOMPARE(arrived.at(0).at(1).toString(), QStringLiteral("held until accepted"));
    QTRY_COMPARE_WITH_TIMEOUT(b.messages().stateOf(id),
                              QStringLiteral("accepted"), 20000);
    r = cli_run("bob", {"--json", "recv", "--count", "1", "--wait", "10"});
    QVERIFY(r.out.find("not before the accept") != std::string::npos);
  }

  void message_to_another_conversation_counts_as_unread() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("erin"));
    QSignalSpy arrived{&b, &ui::Bridge::messageArrived};
    auto r = cli_run("bob", {"send", "alice", "are you there?"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QVERIFY(arrived.wait(20000));
    QCOMPARE(b.contacts().unread(QStringLiteral("bob")), 1);
    QVERIFY(!shows(b, QStringLiteral("are you there?"), false));
    open(b, QStringLiteral("bob"));
    QCOMPARE(b.contacts().unread(QStringLiteral("bob")), 0);
    QTRY_VERIFY_WITH_TIMEOUT(shows(b, QStringLiteral("are you there?"), false),
                             10000);
    // The "New messages" divider is above it, and stays while bob's chat
    // is open.
    auto row = b.messages().firstUnreadRow();
    QVERIFY(row >= 0);
    QCOMPARE(b.messages().get(row).value("body").toString(),
             QStringLiteral("are you there?"));
    QCOMPARE(b.messages().get(row).value("firstUnread").toBool(), true);
  }

  void bridge_message_arrives_at_the_cli() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("bob"));
    auto id = b.sendMessage(QStringLiteral("hello from the app"));
    QVERIFY(!id.isEmpty());
    QCOMPARE(b.messages().stateOf(id), QStringLiteral("sending"));
    QTRY_COMPARE_WITH_TIMEOUT(b.messages().stateOf(id),
                              QStringLiteral("accepted"), 20000);
    auto r = cli_run("bob", {"--json", "recv", "--count", "1", "--wait", "10"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QVERIFY2(r.out.find("hello from the app") != std::string::npos,
             r.out.c_str());
    QVERIFY(r.out.find("\"from\":\"alice\"") != std::string::npos);
    // bob acknowledged it: the router tells alice.
    QTRY_COMPARE_WITH_TIMEOUT(b.messages().stateOf(id),
                              QStringLiteral("delivered"), 20000);
  }

  void history_survives_a_restart() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("bob"));
    QTRY_VERIFY_WITH_TIMEOUT(shows(b, QStringLiteral("hello from the cli"),
                                   false)
                               && shows(b, QStringLiteral("hello from the app"),
                                        true),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(b.contacts().indexOf(QStringLiteral("bob")) >= 0
                               && !b.contacts()
                                     .get(QStringLiteral("bob"))
                                     .value("fingerprint")
                                     .toString()
                                     .isEmpty(),
                             10000);
  }

  void send_while_offline_goes_out_after_reconnect() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("bob"));
    QSignalSpy lost{&b, &ui::Bridge::connectionLost};
    router_.proc.kill_hard();
    QVERIFY(lost.wait(15000));
    QCOMPARE(b.status(), QStringLiteral("offline"));
    auto id = b.sendMessage(QStringLiteral("written while offline"));
    QCOMPARE(b.messages().stateOf(id), QStringLiteral("sending"));
    // Reconnecting while the router is still down fails cleanly ...
    QSignalSpy failed{&b, &ui::Bridge::connectFailed};
    b.reconnect();
    QVERIFY(failed.wait(15000));
    QCOMPARE(failed.at(0).at(1).toBool(), false); // not fatal: retry
    // ... and works once it is back (same data, same key, same port).
    router_ = test::router_process::start(router_.data, router_.port);
    QSignalSpy connected{&b, &ui::Bridge::connected};
    b.reconnect();
    QVERIFY(connected.wait(20000));
    QCOMPARE(b.resendFailed(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(b.messages().stateOf(id),
                              QStringLiteral("accepted"), 20000);
    auto r = cli_run("bob", {"--json", "recv", "--count", "1", "--wait", "10"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    QVERIFY(r.out.find("written while offline") != std::string::npos);
  }

  void presence_is_asked_for_the_contacts() {
    ui::Bridge b;
    sign_in(b);
    open(b, QStringLiteral("bob")); // bob is a contact now
    b.refreshPresence();
    QTest::qWait(500);
    QVERIFY(!b.contacts().get(QStringLiteral("bob")).value("online").toBool());
    auto bob = test::process::start(
      cli(ss(home_), ss(server_), "bob", {"recv", "--wait", "30"}),
      *tmp_ / "bob-presence.log");
    bool online = false;
    for (int i = 0; i < 40 && !online; ++i) {
      b.refreshPresence();
      QTest::qWait(250);
      online = b.contacts().get(QStringLiteral("bob")).value("online").toBool();
    }
    bob.kill_hard();
    QVERIFY(online);
  }

  // fred gets a new key while alice had his old one verified, and writes
  // to her with it: accepting the new key shows his message and does not
  // count as verifying.
  void accepting_a_new_key_is_not_verifying_and_shows_what_waited() {
    for (auto args : {std::vector<std::string>{"init", "--bits", "2048"},
                      std::vector<std::string>{"recv", "--wait", "0"}}) {
      auto r = cli_run("fred", args);
      QVERIFY2(r.exit_code == 0, r.err.c_str());
    }
    ui::Bridge b;
    sign_in(b);
    auto fred = QStringLiteral("fred");
    open(b, fred);
    QTRY_VERIFY_WITH_TIMEOUT(
      !b.contacts().get(fred).value("fingerprint").toString().isEmpty(), 10000);
    b.verifyContact(fred);
    QTRY_VERIFY_WITH_TIMEOUT(b.contacts().get(fred).value("verified").toBool(),
                             10000);
    // The directory forgets fred; a new fred registers another key.
    QSignalSpy lost{&b, &ui::Bridge::connectionLost};
    router_.proc.kill_hard();
    QVERIFY(lost.wait(15000));
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open((router_.data + "/directory.db").c_str(), &db),
             SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, "DELETE FROM users WHERE name = 'fred'",
                          nullptr, nullptr, nullptr),
             SQLITE_OK);
    sqlite3_close(db);
    router_ = test::router_process::start(router_.data, router_.port);
    std::filesystem::remove_all(ss(home_) + "/fred");
    for (auto args : {std::vector<std::string>{"init", "--bits", "2048"},
                      std::vector<std::string>{"send", "alice", "from my new key"}}) {
      auto r = cli_run("fred", args);
      QVERIFY2(r.exit_code == 0, r.err.c_str());
    }
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QSignalSpy arrived{&b, &ui::Bridge::messageArrived};
    b.reconnect();
    QVERIFY(connected.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(b.contacts().get(fred).value("keyChanged").toBool(),
                             10000);
    QCOMPARE(arrived.count(), 0); // held: signed with a key not accepted
    b.acceptNewKey(fred);
    QTRY_VERIFY_WITH_TIMEOUT(!b.contacts().get(fred).value("keyChanged").toBool(),
                             10000);
    QVERIFY(!b.contacts().get(fred).value("verified").toBool());
    QTRY_COMPARE_WITH_TIMEOUT(arrived.count(), 1, 20000);
    QCOMPARE(arrived.at(0).at(1).toString(), QStringLiteral("from my new key"));
    QVERIFY(shows(b, QStringLiteral("from my new key"), false));
  }

  void an_unknown_name_makes_no_contact_and_a_chat_can_be_deleted() {
    {
      ui::Bridge b;
      sign_in(b);
      b.openConversation(QStringLiteral("nosuchuser"));
      QTRY_VERIFY_WITH_TIMEOUT(b.notice().contains("no user called nosuchuser"),
                               10000);
      QCOMPARE(b.contacts().indexOf(QStringLiteral("nosuchuser")), -1);
      QVERIFY(b.currentPeer() != QStringLiteral("nosuchuser"));
      open(b, QStringLiteral("bob"));
      QTRY_VERIFY_WITH_TIMEOUT(shows(b, QStringLiteral("hello from the cli"),
                                     false),
                               10000);
      auto others = history_rows(home_, "alice", "peer <> 'bob'");
      QVERIFY(history_rows(home_, "alice", "peer = 'bob'") > 0);
      b.deleteConversation(QStringLiteral("bob"));
      // As long as the bridge gives the client to delete (a busy machine
      // took over 10 s once).
      QTRY_COMPARE_WITH_TIMEOUT(b.contacts().indexOf(QStringLiteral("bob")), -1,
                                20000);
      QVERIFY(b.currentPeer().isEmpty());
      // Deleted from the database the CLI shares, not only hidden; the
      // other conversations keep theirs.
      QCOMPARE(history_rows(home_, "alice", "peer = 'bob'"), 0);
      QCOMPARE(history_rows(home_, "alice", "peer <> 'bob'"), others);
    }
    // Still gone after a restart; opening the chat again starts it empty.
    ui::Bridge b;
    sign_in(b);
    QTest::qWait(1500); // the contacts have been read
    QCOMPARE(b.contacts().indexOf(QStringLiteral("bob")), -1);
    open(b, QStringLiteral("bob"));
    QTRY_COMPARE_WITH_TIMEOUT(b.currentPeer(), QStringLiteral("bob"), 10000);
    QTest::qWait(1000);
    QVERIFY(!shows(b, QStringLiteral("hello from the cli"), false));
  }

  void the_notifications_setting_is_remembered() {
    {
      ui::Bridge b;
      b.configure(home_, server_, {});
      QVERIFY(b.notificationsEnabled()); // on by default
      QSignalSpy changed{&b, &ui::Bridge::notificationsEnabledChanged};
      b.setNotificationsEnabled(false);
      QCOMPARE(changed.count(), 1);
    }
    ui::Bridge b;
    b.configure(home_, server_, {});
    QVERIFY(!b.notificationsEnabled());
    b.setNotificationsEnabled(true);
    ui::Bridge again;
    again.configure(home_, server_, {});
    QVERIFY(again.notificationsEnabled());
  }

  void the_last_user_and_the_window_size_are_remembered() {
    {
      ui::Bridge b;
      sign_in(b, QStringLiteral("bob"));
      b.saveWindowState(900, 700, false);
    }
    // A start without --user offers bob, who signed in last.
    ui::Bridge b;
    b.configure(home_, server_, {});
    QCOMPARE(b.user(), QStringLiteral("bob"));
    auto w = b.windowState();
    QCOMPARE(w.value("width").toInt(), 900);
    QCOMPARE(w.value("height").toInt(), 700);
    QCOMPARE(w.value("maximized").toBool(), false);
    // Maximized, the size to come back to stays.
    b.saveWindowState(3000, 2000, true);
    w = b.windowState();
    QCOMPARE(w.value("width").toInt(), 900);
    QCOMPARE(w.value("maximized").toBool(), true);
    b.saveWindowState(900, 700, false);
    // --user wins; a last user whose identity is gone is not offered.
    ui::Bridge given;
    given.configure(home_, server_, QStringLiteral("alice"));
    QCOMPARE(given.user(), QStringLiteral("alice"));
    QSettings{home_ + QStringLiteral("/courier-chat.ini"), QSettings::IniFormat}
      .setValue(QStringLiteral("session/last_user"), QStringLiteral("ghost"));
    ui::Bridge gone;
    gone.configure(home_, server_, {});
    QCOMPARE(gone.user(), QString{});
  }

  void the_router_list_is_checked_saved_and_used() {
    auto home = QString::fromStdString(*tmp_ / "home-routers");
    for (auto bad : {"", "nohost", ":7400", "host:", "host:0", "host:70000",
                     "host:12ab", "a b:7400", "x,y:7400", "-x:7400",
                     "h\n:7400"})
      QVERIFY2(!ui::Bridge::checkRouter(QString::fromUtf8(bad)).isEmpty(), bad);
    for (auto good : {"127.0.0.1:7400", "router.example.org:1", "::1:7400"})
      QVERIFY2(ui::Bridge::checkRouter(QString::fromUtf8(good)).isEmpty(), good);
    {
      ui::Bridge b;
      b.configure(home, {}, {});
      QCOMPARE(b.routers(), QStringList{QStringLiteral("127.0.0.1:7400")});
      // Refused lists change nothing.
      QVERIFY(!b.setRouters({}).isEmpty());
      QVERIFY(!b.setRouters({server_, QStringLiteral("nohost")}).isEmpty());
      QVERIFY(!b.setRouters({server_, server_}).isEmpty());
      QStringList many;
      for (int i = 1; i <= ui::Bridge::max_routers + 1; ++i)
        many << QStringLiteral("127.0.0.1:%1").arg(i);
      QVERIFY(!b.setRouters(many).isEmpty());
      QCOMPARE(b.routers(), QStringList{QStringLiteral("127.0.0.1:7400")});
      QSignalSpy changed{&b, &ui::Bridge::serverChanged};
      QCOMPARE(b.setRouters({QStringLiteral(" 127.0.0.1:1 "), server_}),
               QString{});
      QCOMPARE(changed.count(), 1);
      QCOMPARE(b.server(), QStringLiteral("127.0.0.1:1,") + server_);
    }
    // Saved: a new start uses it; a --server on the command line wins.
    ui::Bridge again;
    again.configure(home, {}, {});
    QCOMPARE(again.routers(), (QStringList{QStringLiteral("127.0.0.1:1"), server_}));
    ui::Bridge told;
    told.configure(home, QStringLiteral("127.0.0.1:9"), {});
    QCOMPARE(told.routers(), QStringList{QStringLiteral("127.0.0.1:9")});
    // What the sign-in page's router field held is saved when it is used.
    {
      ui::Bridge typed;
      typed.configure(home_, {}, {});
      typed.setServer(QStringLiteral("127.0.0.1:1"));
      QSignalSpy failed{&typed, &ui::Bridge::signInFailed};
      typed.signIn(QStringLiteral("alice"), {});
      QVERIFY(failed.wait(20000));
    }
    ui::Bridge next;
    next.configure(home_, {}, {});
    QCOMPARE(next.routers(), QStringList{QStringLiteral("127.0.0.1:1")});
    QCOMPARE(next.setRouters({server_}), QString{}); // as the others expect
  }

  void a_new_router_list_connects_again_with_it() {
    ui::Bridge b;
    // Signed in, then a new list: the app connects again at once, trying
    // the dead router first, then the live one.
    sign_in(b);
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QCOMPARE(b.setRouters({QStringLiteral("127.0.0.1:1"), server_}), QString{});
    QVERIFY(connected.wait(20000));
    // The router's key, accepted before, is not asked for again.
    QVERIFY(b.routerAccepted());
    QCOMPARE(b.status(), QStringLiteral("connected"));
    QCOMPARE(b.routers(), (QStringList{QStringLiteral("127.0.0.1:1"), server_}));
    // The shared home's list goes back to what the other cases expect.
    QCOMPARE(b.setRouters({server_}), QString{});
  }

  void the_theme_is_checked_and_remembered() {
    auto home = QString::fromStdString(*tmp_ / "home-theme");
    {
      ui::Bridge b;
      b.configure(home, server_, {});
      QCOMPARE(b.themeMode(), QStringLiteral("light"));
      QSignalSpy changed{&b, &ui::Bridge::themeModeChanged};
      b.setThemeMode(QStringLiteral("purple"));
      QCOMPARE(changed.count(), 0);
      b.setThemeMode(QStringLiteral("dark"));
      QCOMPARE(changed.count(), 1);
    }
    ui::Bridge again;
    again.configure(home, server_, {});
    QCOMPARE(again.themeMode(), QStringLiteral("dark"));
    // The colours follow the mode; an unknown mode changes nothing.
    ui::Theme t;
    QVERIFY(!t.dark());
    auto light_page = t.property("page").value<QColor>();
    t.setMode(QStringLiteral("dark"));
    QVERIFY(t.dark());
    QVERIFY(t.property("page").value<QColor>() != light_page);
    QVERIFY(t.property("page").value<QColor>().lightness()
            < t.property("text").value<QColor>().lightness());
    t.setMode(QStringLiteral("nonsense"));
    QCOMPARE(t.mode(), QStringLiteral("dark"));
  }

  void switching_user_signs_out_and_signs_in_another() {
    QElapsedTimer took;
    took.start();
    {
      ui::Bridge b;
      sign_in(b);
      open(b, QStringLiteral("bob"));
      // The sign-in page reads the name when signedIn changes: it is set.
      QString name_at_sign_out;
      connect(&b, &ui::Bridge::signedInChanged, this,
              [&] { name_at_sign_out = b.user(); });
      b.switchUser(QStringLiteral("Bob"));
      QCOMPARE(name_at_sign_out, QStringLiteral("bob"));
      QVERIFY(!b.signedIn());
      QCOMPARE(b.user(), QStringLiteral("bob"));
      QCOMPARE(b.status(), QStringLiteral("offline"));
      QCOMPARE(b.currentPeer(), QString{});
      QCOMPARE(b.contacts().count(), 0);
      QCOMPARE(b.messages().count(), 0);
      QVERIFY(b.myFingerprint().isEmpty());
      // The same bridge (no restart) signs in as bob.
      QSignalSpy connected{&b, &ui::Bridge::connected};
      b.signIn(QStringLiteral("bob"), {});
      QVERIFY(connected.wait(20000));
      if (!b.routerAccepted()) {
        b.acceptRouterFingerprint();
        QVERIFY(connected.wait(20000));
      }
      QVERIFY(b.signedIn());
      QCOMPARE(b.user(), QStringLiteral("bob"));
      // "New identity": signed out, no name.
      b.switchUser({});
      QVERIFY(!b.signedIn());
      QCOMPARE(b.user(), QString{});
    }
    // Requests the stopped clients never answered do not hold up the end
    // (they waited out their 10-20 s timeouts before).
    QVERIFY2(took.elapsed() < 8000 * test::time_factor(),
             qPrintable(QString::number(took.elapsed())));
  }

  void the_privacy_settings_are_remembered() {
    {
      ui::Bridge b;
      b.configure(home_, server_, {});
      QVERIFY(b.readReceiptsEnabled()); // on by default
      QVERIFY(b.typingEnabled());
      b.setReadReceiptsEnabled(false);
      b.setTypingEnabled(false);
    }
    ui::Bridge b;
    b.configure(home_, server_, {});
    QVERIFY(!b.readReceiptsEnabled());
    QVERIFY(!b.typingEnabled());
    b.setReadReceiptsEnabled(true);
    b.setTypingEnabled(true);
  }

  void two_apps_exchange_a_message_a_read_receipt_and_typing() {
    ui::Bridge a, b;
    sign_in(a);
    sign_in(b, QStringLiteral("bob"));
    open(a, QStringLiteral("bob"));
    open(b, QStringLiteral("alice"));
    auto first = a.sendMessage(QStringLiteral("read me"));
    auto second = a.sendMessage(QStringLiteral("and me"));
    // (Older messages from alice that earlier cases left queued may come
    // first.)
    QTRY_VERIFY_WITH_TIMEOUT(shows(b, QStringLiteral("read me"), false)
                               && shows(b, QStringLiteral("and me"), false),
                             20000);
    QTRY_COMPARE_WITH_TIMEOUT(a.messages().stateOf(second),
                              QStringLiteral("delivered"), 20000);
    QCOMPARE(a.messages().stateOf(first), QStringLiteral("delivered"));
    // What alice holds from bob before the receipt and the typing letter
    // (the text is sealed: rows are counted by their clear columns).
    auto from_bob = history_rows(home_, "alice", "peer = 'bob' AND outgoing = 0");
    QVERIFY(from_bob >= 0);
    // bob's app shows the chat: alice's app shows both read, and keeps it.
    b.markRead(QStringLiteral("alice"));
    QTRY_COMPARE_WITH_TIMEOUT(a.messages().stateOf(second),
                              QStringLiteral("read"), 20000);
    QCOMPARE(a.messages().stateOf(first), QStringLiteral("read"));
    auto ids = "peer = 'bob' AND outgoing = 1 AND read = 1 AND msg_id IN ('"
               + a.messages().find(first)->msg_id.toStdString() + "', '"
               + a.messages().find(second)->msg_id.toStdString() + "')";
    QTRY_COMPARE_WITH_TIMEOUT(history_rows(home_, "alice", ids), 2, 10000);
    // The receipt is no message: not in alice's history, no bubble.
    QCOMPARE(history_rows(home_, "alice", "peer = 'bob' AND outgoing = 0"),
             from_bob);
    for (auto* m : {&a.messages(), &b.messages()})
      for (int i = 0; i < m->count(); ++i)
        QVERIFY2(!m->get(i).value("body").toString().contains("\"type\""),
                 qPrintable(m->get(i).value("body").toString()));
    // Typing reaches the other app (bob is online), and is no message.
    QSignalSpy typing{&a, &ui::Bridge::typingArrived};
    b.sendTyping(QStringLiteral("alice"));
    QVERIFY(typing.wait(20000));
    QCOMPARE(typing.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(history_rows(home_, "alice", "peer = 'bob' AND outgoing = 0"),
             from_bob);
    // The same JSON typed by bob is a message: a bubble in alice's app and
    // a row of her history, no "typing" and no receipt.
    auto typed = QStringLiteral(R"({"v":1,"type":"typing"})");
    typing.clear();
    QVERIFY(!b.sendMessage(typed).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(shows(a, typed, false), 20000);
    QCOMPARE(typing.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(
      history_rows(home_, "alice", "peer = 'bob' AND outgoing = 0"),
      from_bob + 1, 10000);
    a.shutdown();
    b.shutdown();
    // alice's app, started again, shows the read state from her history.
    ui::Bridge again;
    sign_in(again);
    open(again, QStringLiteral("bob"));
    auto state_of = [&](const QString& body) {
      auto& m = again.messages();
      for (int i = 0; i < m.count(); ++i)
        if (m.get(i).value("body").toString() == body)
          return m.get(i).value("msgState").toString();
      return QString{};
    };
    QTRY_COMPARE_WITH_TIMEOUT(state_of(QStringLiteral("and me")),
                              QStringLiteral("read"), 10000);
    // With read receipts off, others' read state is not shown.
    again.setReadReceiptsEnabled(false);
    QCOMPARE(state_of(QStringLiteral("and me")), QStringLiteral("delivered"));
    again.setReadReceiptsEnabled(true);
  }

  void wrong_passphrase_is_said_in_words() {
    ui::Bridge b;
    b.configure(home_, server_, {});
    QSignalSpy created{&b, &ui::Bridge::identityCreated};
    b.createIdentity(QStringLiteral("carol"), QStringLiteral("right one 123"),
                     2048);
    QVERIFY(b.busy());
    QVERIFY(created.wait(60000));
    QVERIFY2(created.at(0).at(0).toBool(),
             qPrintable(created.at(0).at(1).toString()));
    QVERIFY(b.identityExists(QStringLiteral("carol")));
    QSignalSpy failed{&b, &ui::Bridge::signInFailed};
    b.signIn(QStringLiteral("carol"), QStringLiteral("wrong"));
    QVERIFY(failed.wait(20000));
    QVERIFY2(failed.at(0).at(0).toString().contains("Wrong passphrase"),
             qPrintable(failed.at(0).at(0).toString()));
    QVERIFY(!b.signedIn());
  }

  void a_capital_letter_is_the_same_name() {
    ui::Bridge b;
    b.configure(home_, server_, {});
    QSignalSpy created{&b, &ui::Bridge::identityCreated};
    b.createIdentity(QStringLiteral(" Dana"), QStringLiteral("dana's phrase 1"),
                     2048);
    QVERIFY(created.wait(60000));
    QVERIFY2(created.at(0).at(0).toBool(),
             qPrintable(created.at(0).at(1).toString()));
    QVERIFY(b.identityExists(QStringLiteral("dana")));
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QSignalSpy failed{&b, &ui::Bridge::signInFailed};
    b.signIn(QStringLiteral("Dana"), QStringLiteral("dana's phrase 1"));
    QVERIFY(connected.wait(20000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(b.user(), QStringLiteral("dana"));
    QVERIFY(b.error().isEmpty());
  }

  void an_empty_passphrase_is_refused() {
    ui::Bridge b;
    b.configure(home_, server_, {});
    QSignalSpy created{&b, &ui::Bridge::identityCreated};
    b.createIdentity(QStringLiteral("dave"), {}, 2048);
    QTRY_COMPARE_WITH_TIMEOUT(created.count(), 1, 20000);
    QVERIFY(!created.at(0).at(0).toBool());
    QVERIFY2(created.at(0).at(1).toString().contains("passphrase"),
             qPrintable(created.at(0).at(1).toString()));
    QVERIFY(!b.identityExists(QStringLiteral("dave")));
  }

  void unreachable_router_is_said_in_words() {
    ui::Bridge b;
    b.configure(home_, QStringLiteral("127.0.0.1:1"), {});
    QSignalSpy failed{&b, &ui::Bridge::signInFailed};
    b.signIn(QStringLiteral("alice"), {});
    QVERIFY(failed.wait(20000));
    auto text = failed.at(0).at(0).toString();
    QVERIFY2(text.contains("127.0.0.1:1"), qPrintable(text));
    QCOMPARE(b.error(), text);
    QCOMPARE(b.status(), QStringLiteral("offline"));
    QVERIFY(!b.signedIn());
  }

  void bank_fingerprint_is_checked_saved_and_reloaded() {
    auto home = QString::fromStdString(*tmp_ / "home-settings");
    auto fp = QStringLiteral("0589 729d 2580 0007 b301 6916 54cd 21d3 4ab4 "
                             "417e da4e e006 4761 d235 e48a d1ec");
    {
      ui::Bridge b;
      b.configure(home, server_, {});
      QVERIFY(b.bankFingerprint().isEmpty());
      QVERIFY(!b.setBankFingerprint(QStringLiteral("0589 729d")).isEmpty());
      QVERIFY(b.bankFingerprint().isEmpty());
      QCOMPARE(b.setBankFingerprint(fp), QString{});
      QCOMPARE(b.bankFingerprint(), fp);
    }
    ui::Bridge again;
    again.configure(home, server_, {});
    QCOMPARE(again.bankFingerprint(), fp);
    auto other = QString(64, QLatin1Char('b'));
    ui::Bridge told;
    told.configure(home, server_, {}, other);
    QCOMPARE(told.bankFingerprint(), other);
  }

  // Last: it registers a 'bank' at the router that no test's bank runs.
  void the_wallet_sends_nothing_to_a_bank_key_that_is_not_verified() {
    // The router knows a 'bank'; the app was told nothing, then a wrong
    // fingerprint, then the right one.
    auto r = cli_run("bank", {"init", "--bits", "2048"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    r = cli_run("bank", {"recv", "--wait", "0"});
    QVERIFY2(r.exit_code == 0, r.err.c_str());
    auto bank_fp = QString::fromStdString(
      test::user_fingerprint(ss(home_), "bank"));
    QVERIFY(!bank_fp.isEmpty());
    ui::Bridge b;
    sign_in(b);
    QVERIFY(b.bankFingerprint().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(b.walletError().contains("fingerprint"), 20000);
    QVERIFY2(b.walletError().contains("Enter the bank's fingerprint"),
             qPrintable(b.walletError()));
    QSignalSpy connected{&b, &ui::Bridge::connected};
    QCOMPARE(b.setBankFingerprint(QString(64, QLatin1Char('b'))), QString{});
    QVERIFY(connected.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(b.walletError().contains("does not match"), 20000);
    QCOMPARE(b.setBankFingerprint(bank_fp), QString{});
    QVERIFY(connected.wait(20000));
    // The order goes out now (nobody answers it here): no wallet error.
    QTest::qWait(1000);
    QVERIFY2(b.walletError().isEmpty(), qPrintable(b.walletError()));
  }

  // Last: the router comes back with another key and an empty directory.
  void a_changed_router_key_shows_both_fingerprints_and_can_be_accepted() {
    ui::Bridge b;
    sign_in(b);
    auto old_fp = b.routerFingerprint();
    QSignalSpy lost{&b, &ui::Bridge::connectionLost};
    auto port = router_.port;
    router_.proc.kill_hard();
    QVERIFY(lost.wait(15000));
    router_ = test::router_process::start(*tmp_ / "router-new-key", port);
    QSignalSpy failed{&b, &ui::Bridge::connectFailed};
    b.reconnect();
    QVERIFY(failed.wait(20000));
    QCOMPARE(failed.at(0).at(1).toBool(), false); // it keeps trying
    QVERIFY(b.routerKeyChanged());
    QCOMPARE(b.oldRouterFingerprint(), old_fp);
    QCOMPARE(normalize_fingerprint(ss(b.newRouterFingerprint())),
             normalize_fingerprint(router_.fingerprint));
    QVERIFY2(b.error().contains("router's key"), qPrintable(b.error()));
    QSignalSpy connected{&b, &ui::Bridge::connected};
    b.acceptChangedRouterKey();
    QVERIFY(connected.wait(20000));
    QVERIFY(!b.routerKeyChanged());
    QVERIFY(b.routerAccepted());
    QCOMPARE(b.status(), QStringLiteral("connected"));
    QCOMPARE(normalize_fingerprint(ss(b.routerFingerprint())),
             normalize_fingerprint(router_.fingerprint));
    // And the next start needs no override: the new key is the pin.
    ui::Bridge again;
    sign_in(again);
    QVERIFY(again.routerAccepted());
  }

  // The app's own retries (ConnectionManager.qml on the real bridge): once
  // the router's old key is back, it connects again by itself, both while
  // signed in and when a run's first sign-in met the changed key.
  void the_app_reconnects_by_itself_once_the_router_key_is_back() {
    // Someone who has only ever seen the router running now.
    auto made = cli_run("ruth", {"init", "--bits", "2048"});
    QVERIFY2(made.exit_code == 0, made.err.c_str());
    auto port = router_.port;
    auto original = router_.data;
    QQmlEngine engine;
    QQmlComponent manager{&engine, QUrl::fromLocalFile(QStringLiteral(
                                     COURIER_QML_DIR "/ConnectionManager.qml"))};
    auto restart = [&](const std::string& dir) {
      router_.proc.kill_hard();
      router_ = test::router_process::start(dir, port);
    };
    {
      ui::Bridge b;
      sign_in(b, QStringLiteral("ruth"));
      if (QTest::currentTestFailed())
        return;
      std::unique_ptr<QObject> mgr{manager.createWithInitialProperties(
        {{"bridge", QVariant::fromValue<QObject*>(&b)}})};
      QVERIFY2(mgr, qPrintable(manager.errorString()));
      QSignalSpy changed{&b, &ui::Bridge::routerKeyChangedChanged};
      restart(*tmp_ / "router-other-key");
      QTRY_VERIFY_WITH_TIMEOUT(b.routerKeyChanged(), 20000);
      QSignalSpy connected{&b, &ui::Bridge::connected};
      restart(original);
      // Nobody clicks anything: the backoff is at most 10 s.
      QVERIFY(connected.wait(15000));
      QVERIFY(!b.routerKeyChanged());
      QVERIFY(b.routerAccepted());
      QCOMPARE(b.status(), QStringLiteral("connected"));
    }
    // A new run whose first sign-in meets the other key.
    restart(*tmp_ / "router-other-key");
    ui::Bridge b;
    std::unique_ptr<QObject> mgr{manager.createWithInitialProperties(
      {{"bridge", QVariant::fromValue<QObject*>(&b)}})};
    QVERIFY2(mgr, qPrintable(manager.errorString()));
    b.configure(home_, server_, {});
    QSignalSpy failed{&b, &ui::Bridge::signInFailed};
    b.signIn(QStringLiteral("ruth"), {});
    QVERIFY(failed.wait(20000));
    QVERIFY(b.routerKeyChanged());
    QVERIFY(!b.signedIn());
    restart(original);
    QTRY_VERIFY_WITH_TIMEOUT(b.signedIn(), 15000);
    QVERIFY(b.routerAccepted());
    QVERIFY(!b.routerKeyChanged());
    QCOMPARE(normalize_fingerprint(ss(b.routerFingerprint())),
             normalize_fingerprint(router_.fingerprint));
  }

  void cleanupTestCase() {
    router_.proc.kill_hard();
    tmp_.reset();
  }
};

QTEST_MAIN(BridgeTest)

#include "bridge_test.moc"
