// Qt Quick Test runner for the QML views and logic of courier-chat. The
// views get a fake bridge (tests/FakeBridge.qml) built on the real C++
// models, so no network is needed.

#include <QQmlContext>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QtQuickTest>

#include "actors/protocol/amount.hpp"
#include "ui/contacts_model.hpp"
#include "ui/messages_model.hpp"
#include "ui/theme.hpp"
#include "ui/wallet_model.hpp"

/// The C++ amount rules, to check the QML validation against.
class AmountRules : public QObject {
  Q_OBJECT

public:
  Q_INVOKABLE bool valid(const QString& text) const {
    return static_cast<bool>(courier::bank::parse_amount(text.toStdString()));
  }
};

class Setup : public QObject {
  Q_OBJECT

public:
  Setup() {
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    qmlRegisterType<courier::ui::ContactsModel>("Courier.Models", 1, 0,
                                                "ContactsModel");
    qmlRegisterType<courier::ui::MessagesModel>("Courier.Models", 1, 0,
                                                "MessagesModel");
    qmlRegisterType<courier::ui::WalletModel>("Courier.Models", 1, 0,
                                              "WalletModel");
  }

public Q_SLOTS:
  void qmlEngineAvailable(QQmlEngine* engine) {
    engine->rootContext()->setContextProperty(QStringLiteral("amountRules"),
                                              &rules_);
    // The app's colours, as courier-chat provides them (tests set the mode).
    engine->rootContext()->setContextProperty(QStringLiteral("theme"), &theme_);
  }

private:
  AmountRules rules_;
  courier::ui::Theme theme_;
};

QUICK_TEST_MAIN_WITH_SETUP(courier_ui, Setup)

#include "tst_main.moc"
