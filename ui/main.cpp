// courier-chat: the Courier desktop app (Qt Quick).

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickStyle>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "ui/bridge.hpp"
#include "ui/theme.hpp"

int main(int argc, char** argv) {
  // The identity, the history in clear and the app's settings are the
  // user's alone, whatever umask the desktop session left.
  ::umask(077);
  std::signal(SIGPIPE, SIG_IGN);
  // Without a display Qt would abort with advice to reinstall it; say what
  // is wrong instead (--help still works anywhere).
  bool wants_help = false;
  for (int i = 1; i < argc; ++i)
    wants_help = wants_help || std::strcmp(argv[i], "--help") == 0
                 || std::strcmp(argv[i], "-h") == 0;
  if (!wants_help && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")
      && qEnvironmentVariableIsEmpty("DISPLAY")
      && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
    std::fprintf(stderr,
                 "courier-chat: no graphical display was found (DISPLAY and "
                 "WAYLAND_DISPLAY are not set). Start it from a desktop "
                 "session, or use courier-cli in a terminal.\n");
    return 1;
  }
  QGuiApplication app{argc, argv};
  // No application display name: Qt would append it to the window title
  // ("Courier – dana — Courier").
  QGuiApplication::setApplicationName(QStringLiteral("courier-chat"));
  QGuiApplication::setOrganizationName(QStringLiteral("Courier"));

  QCommandLineParser cli;
  cli.setApplicationDescription(
    QStringLiteral("Courier: end-to-end encrypted chat and payments"));
  cli.addHelpOption();
  QCommandLineOption server{QStringLiteral("server"),
                            QStringLiteral("router address(es) HOST:PORT"),
                            QStringLiteral("H:P"),
                            QStringLiteral("127.0.0.1:7400")};
  QCommandLineOption home{QStringLiteral("home"),
                          QStringLiteral("data folder (default: XDG data home)"),
                          QStringLiteral("DIR")};
  QCommandLineOption user{QStringLiteral("user"),
                          QStringLiteral("preselect this username"),
                          QStringLiteral("NAME")};
  QCommandLineOption pass_env{
    QStringLiteral("passphrase-env"),
    QStringLiteral("sign in at start with the passphrase in $VAR (scripts)"),
    QStringLiteral("VAR")};
  QCommandLineOption open_peer{QStringLiteral("open"),
                               QStringLiteral("open this conversation at start"),
                               QStringLiteral("NAME")};
  QCommandLineOption tab{QStringLiteral("tab"),
                         QStringLiteral("start on 'chats', 'wallet' or 'settings'"),
                         QStringLiteral("TAB"), QStringLiteral("chats")};
  QCommandLineOption bank_fp{
    QStringLiteral("bank-fingerprint"),
    QStringLiteral("the bank's key fingerprint (from its operator; default: "
                   "$COURIER_BANK_FINGERPRINT or the one saved)"),
    QStringLiteral("FP")};
  cli.addOptions({server, home, user, pass_env, open_peer, tab, bank_fp});
  cli.process(app);

  QQuickStyle::setStyle(QStringLiteral("Basic"));
  // The bridge owns the actor system; it is shut down (every actor
  // finished) before the application object goes away.
  courier::ui::Bridge bridge;
  // Without --server the routers saved in the settings (else the default).
  bridge.configure(cli.value(home),
                   cli.isSet(server) ? cli.value(server) : QString{},
                   cli.value(user), cli.value(bank_fp));
  // Every view takes its colours from `theme`; Main.qml keeps its mode
  // with the saved setting.
  courier::ui::Theme theme;
  theme.setMode(bridge.themeMode());

  QQmlApplicationEngine engine;
  engine.rootContext()->setContextProperty(QStringLiteral("appBridge"), &bridge);
  engine.rootContext()->setContextProperty(QStringLiteral("theme"), &theme);
  engine.rootContext()->setContextProperty(QStringLiteral("startTab"),
                                           cli.value(tab));
  engine.rootContext()->setContextProperty(QStringLiteral("startPeer"),
                                           cli.value(open_peer));
  QObject::connect(
    &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
    [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
  engine.load(QUrl{QStringLiteral("qrc:/Courier/qml/Main.qml")});
  if (engine.rootObjects().isEmpty())
    return 1;

  if (cli.isSet(pass_env) && cli.isSet(user)) {
    auto var = cli.value(pass_env).toLocal8Bit();
    bridge.signIn(cli.value(user), QString::fromLocal8Bit(qgetenv(var.constData())));
  }
  int rc = app.exec();
  bridge.shutdown();
  return rc;
}
