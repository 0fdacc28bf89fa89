#pragma once

// The QObject between QML and the client actor. Everything the actors
// report reaches the GUI thread as a queued invocation; the GUI thread
// never waits for the network or for crypto.

#include <QHash>
#include <QSet>
#include <QObject>
#include <QTimer>
#include <QString>
#include <QVariantMap>

#include <atomic>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/client/client.hpp"
#include "actors/config/node_config.hpp"
#include "actors/protocol/receipt.hpp"
#include "crypto/key.hpp"
#include "ui/contacts_model.hpp"
#include "ui/messages_model.hpp"
#include "ui/wallet_model.hpp"

namespace courier::ui {

class Bridge : public QObject {
  Q_OBJECT
  Q_PROPERTY(QObject* contacts READ contactsObject CONSTANT)
  Q_PROPERTY(QObject* messages READ messagesObject CONSTANT)
  Q_PROPERTY(QObject* wallet READ walletObject CONSTANT)
  Q_PROPERTY(QString status READ status NOTIFY statusChanged)
  Q_PROPERTY(bool signedIn READ signedIn NOTIFY signedInChanged)
  Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  Q_PROPERTY(QString user READ user NOTIFY userChanged)
  Q_PROPERTY(QString server READ server WRITE setServer NOTIFY serverChanged)
  Q_PROPERTY(QString home READ home CONSTANT)
  Q_PROPERTY(QString myFingerprint READ myFingerprint NOTIFY userChanged)
  Q_PROPERTY(QString routerFingerprint READ routerFingerprint NOTIFY
               routerFingerprintChanged)
  Q_PROPERTY(bool routerAccepted READ routerAccepted NOTIFY
               routerFingerprintChanged)
  Q_PROPERTY(bool routerKeyChanged READ routerKeyChanged NOTIFY
               routerKeyChangedChanged)
  Q_PROPERTY(QString oldRouterFingerprint READ oldRouterFingerprint NOTIFY
               routerKeyChangedChanged)
  Q_PROPERTY(QString newRouterFingerprint READ newRouterFingerprint NOTIFY
               routerKeyChangedChanged)
  Q_PROPERTY(QString currentPeer READ currentPeer NOTIFY currentPeerChanged)
  Q_PROPERTY(QString balance READ balance NOTIFY walletChanged)
  Q_PROPERTY(bool hasAccount READ hasAccount NOTIFY walletChanged)
  Q_PROPERTY(QString walletError READ walletError NOTIFY walletChanged)
  Q_PROPERTY(QVariantMap lastReceipt READ lastReceipt NOTIFY walletChanged)
  Q_PROPERTY(bool paying READ paying NOTIFY walletChanged)
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)
  Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)
  Q_PROPERTY(QString bankFingerprint READ bankFingerprint NOTIFY
               bankFingerprintChanged)
  Q_PROPERTY(QVariantList searchResults READ searchResults NOTIFY
               searchResultsChanged)
  Q_PROPERTY(bool notificationsEnabled READ notificationsEnabled WRITE
               setNotificationsEnabled NOTIFY notificationsEnabledChanged)
  Q_PROPERTY(QStringList routers READ routers NOTIFY serverChanged)
  Q_PROPERTY(QString themeMode READ themeMode WRITE setThemeMode NOTIFY
               themeModeChanged)
  Q_PROPERTY(bool readReceiptsEnabled READ readReceiptsEnabled WRITE
               setReadReceiptsEnabled NOTIFY readReceiptsEnabledChanged)
  Q_PROPERTY(bool typingEnabled READ typingEnabled WRITE setTypingEnabled
               NOTIFY typingEnabledChanged)

public:
  explicit Bridge(QObject* parent = nullptr);
  ~Bridge() override;

  /// From the command line: data home, router list, preselected user,
  /// and the bank's fingerprint (else $COURIER_BANK_FINGERPRINT, else the
  /// one saved in the data home's settings).
  void configure(const QString& home, const QString& server,
                 const QString& user, const QString& bank_fingerprint = {});

  QObject* contactsObject() { return &contacts_; }
  QObject* messagesObject() { return &messages_; }
  QObject* walletObject() { return &wallet_; }
  ContactsModel& contacts() { return contacts_; }
  MessagesModel& messages() { return messages_; }
  WalletModel& wallet() { return wallet_; }

  const QString& status() const { return status_; }
  bool signedIn() const { return signed_in_; }
  bool busy() const { return busy_; }
  const QString& user() const { return user_; }
  const QString& server() const { return server_; }
  void setServer(const QString& server);
  const QString& home() const { return home_; }
  const QString& myFingerprint() const { return my_fp_; }
  const QString& routerFingerprint() const { return router_fp_; }
  bool routerAccepted() const { return router_accepted_; }
  bool routerKeyChanged() const { return !router_new_fp_.isEmpty(); }
  const QString& oldRouterFingerprint() const { return router_old_fp_; }
  const QString& newRouterFingerprint() const { return router_new_fp_; }
  const QString& currentPeer() const { return current_peer_; }
  QString balance() const;
  bool hasAccount() const { return has_account_; }
  const QString& walletError() const { return wallet_error_; }
  const QVariantMap& lastReceipt() const { return last_receipt_; }
  bool paying() const { return !pending_pay_.isEmpty(); }
  const QString& error() const { return error_; }
  const QString& notice() const { return notice_; }
  const QString& bankFingerprint() const { return bank_fp_; }
  const QVariantList& searchResults() const { return search_results_; }
  bool notificationsEnabled() const { return notifications_; }
  /// Whether a message that comes while the window is not active shows a
  /// desktop notification; saved in the data home's courier-chat.ini.
  void setNotificationsEnabled(bool on);
  /// The routers the app connects to, in the order it tries them.
  QStringList routers() const;
  /// "light", "dark" or "system"; saved in the data home's
  /// courier-chat.ini.
  const QString& themeMode() const { return theme_mode_; }
  void setThemeMode(const QString& mode);

  /// Most routers the list may hold.
  static constexpr int max_routers = 16;
  /// "" if `address` is a router address (HOST:PORT), else why not.
  Q_INVOKABLE static QString checkRouter(const QString& address);
  /// Sets the routers to try, in order, and saves them in the data home's
  /// courier-chat.ini; a signed-in app connects again with them. "" if
  /// done, else why not (nothing changes).
  Q_INVOKABLE QString setRouters(const QStringList& routers);
  /// Signs out and shows the sign-in page with `user` filled in (or the
  /// page that creates an identity, for an empty `user`).
  Q_INVOKABLE void switchUser(const QString& user);
  bool readReceiptsEnabled() const { return read_receipts_; }
  /// Whether the app sends read receipts and shows the ones it gets (off:
  /// neither, as in Signal); saved in the data home's courier-chat.ini.
  void setReadReceiptsEnabled(bool on);
  bool typingEnabled() const { return typing_; }
  /// Whether the app says when the user types and shows when others do
  /// (off: neither); saved in the data home's courier-chat.ini.
  void setTypingEnabled(bool on);

  /// The chat with `peer` is in front of the user (window active): tells
  /// `peer` which of their messages were read, if any came since the last
  /// time and read receipts are on. The client sends at most one a second.
  Q_INVOKABLE void markRead(const QString& peer);
  /// The user is typing to `peer`: tells them, if typing indicators are on
  /// (the client sends one every 3 s at most, and only while `peer` is
  /// online).
  Q_INVOKABLE void sendTyping(const QString& peer);

  /// Searches the local history for `text` (as typed: no wildcards), in
  /// the open conversation or, with `everywhere`, in all; the newest 100
  /// matches land in searchResults (maps: peer, sender, body, ts, time,
  /// outgoing, msgId). An empty text clears them.
  Q_INVOKABLE void search(const QString& text, bool everywhere);

  /// Sets and saves the bank's fingerprint (from the bank's operator):
  /// the wallet talks only to a bank with that key. "" if accepted, else
  /// why not. A signed-in client connects again to use it.
  Q_INVOKABLE QString setBankFingerprint(const QString& fp);

  /// Everything about one contact (see ContactsModel::get).
  Q_INVOKABLE QVariantMap contact(const QString& name) const {
    return contacts_.get(name);
  }
  /// The users with an identity under the data home, sorted.
  Q_INVOKABLE QStringList identities() const;
  /// True if `user` has an identity under the data home.
  Q_INVOKABLE bool identityExists(const QString& user) const;
  /// How a typed name is used everywhere: trimmed, lower case.
  Q_INVOKABLE static QString normalizeUsername(const QString& name);
  /// "" if `name` is a valid username, else why not.
  Q_INVOKABLE QString checkUsername(const QString& name) const;
  /// Creates an identity off the GUI thread; `identityCreated` tells.
  Q_INVOKABLE void createIdentity(const QString& user, const QString& pass,
                                  int bits = 3072);
  /// Writes the signed-in user's identity key to `file` under
  /// `passphrase` (off the GUI thread); `backupWritten` tells.
  Q_INVOKABLE void backupIdentity(const QString& file,
                                  const QString& passphrase);
  /// Brings an identity back from the backup `file` (off the GUI thread):
  /// opened with `backupPassphrase`, written under the data home with
  /// `newPassphrase`; `identityRestored` tells. Nothing is written unless
  /// the backup opens and its user has no identity here.
  Q_INVOKABLE void restoreIdentity(const QString& file,
                                   const QString& backupPassphrase,
                                   const QString& newPassphrase);
  /// Unlocks the identity (off the GUI thread), connects and signs in.
  Q_INVOKABLE void signIn(const QString& user, const QString& pass);
  /// A new connection with the unlocked identity (after a loss).
  Q_INVOKABLE void reconnect();
  Q_INVOKABLE void signOut();
  Q_INVOKABLE void acceptRouterFingerprint();
  /// The router presents a new key (routerKeyChanged): trusts it, as the
  /// user decided after comparing it with the operator, and connects.
  Q_INVOKABLE void acceptChangedRouterKey();
  Q_INVOKABLE void dismissNotice();

  /// Opens the chat with `peer`; a name that is not a contact yet is
  /// looked up first (an unknown one gets a notice, no contact).
  Q_INVOKABLE void openConversation(const QString& peer);
  /// Deletes the history with `peer` from the local database, then the
  /// chat from the app (a notice says why not).
  Q_INVOKABLE void deleteConversation(const QString& peer);
  /// Sends `text` to the open conversation; the local id of the bubble.
  Q_INVOKABLE QString sendMessage(const QString& text);
  Q_INVOKABLE QString sendTo(const QString& peer, const QString& text);
  Q_INVOKABLE void retry(const QString& local_id);
  /// Sends again everything that failed or waited; how many.
  Q_INVOKABLE int resendFailed();
  Q_INVOKABLE void refreshPresence();
  Q_INVOKABLE void refreshContacts();
  Q_INVOKABLE void verifyContact(const QString& peer);
  /// Accepts the new key the router has for `peer` and resends.
  Q_INVOKABLE void acceptNewKey(const QString& peer);

  /// "" if `amount` is a valid amount, else why not (bank::parse_amount).
  Q_INVOKABLE QString checkAmount(const QString& amount) const;
  /// Pays `amount` to `to`; "" once the order is on its way, else why not.
  Q_INVOKABLE QString pay(const QString& to, const QString& amount);
  Q_INVOKABLE void refreshWallet();

  /// The main window's size when it was last closed: {width, height,
  /// maximized}, or empty if none was saved (from the data home's
  /// courier-chat.ini).
  Q_INVOKABLE QVariantMap windowState() const;
  /// Saves the main window's size (kept as it was while maximized) and
  /// whether it is maximized, for the next start.
  Q_INVOKABLE void saveWindowState(int width, int height, bool maximized);

  /// Stops the client and waits until every actor has finished.
  void shutdown();

Q_SIGNALS:
  void statusChanged();
  void signedInChanged();
  void busyChanged();
  void userChanged();
  void serverChanged();
  void routerFingerprintChanged();
  void routerKeyChangedChanged();
  void currentPeerChanged();
  void walletChanged();
  void errorChanged();
  void bankFingerprintChanged();
  void noticeChanged();
  void searchResultsChanged();
  void notificationsEnabledChanged();
  void themeModeChanged();
  void readReceiptsEnabledChanged();
  void typingEnabledChanged();
  /// `peer` is typing (shown for a few seconds, or until their message).
  void typingArrived(const QString& peer);
  void identityCreated(bool ok, const QString& message);
  /// `message`: where the backup went, or why it was not written.
  void backupWritten(bool ok, const QString& message);
  /// On success `user` is the restored user and `message` the key's
  /// fingerprint; else `message` says why nothing was written.
  void identityRestored(bool ok, const QString& user, const QString& message);
  void signInFailed(const QString& message);
  void connected(const QString& routerFingerprint, bool newUser);
  void connectionLost();
  void connectFailed(const QString& message, bool fatal);
  void messageArrived(const QString& peer, const QString& body);
  /// Someone paid this user (`text`: "eli paid you 12.34"); once per
  /// payment, also for one made while the app was closed.
  void paymentArrived(const QString& peer, const QString& text);
  void receiptArrived(const QVariantMap& receipt);
  /// The user tried to chat with the bank: its place is the wallet.
  void walletRequested();

public:
  // Called on the GUI thread by the agent actor's queued invocations.
  void onInbound(const inbound_message& m);
  void onStatus(int gen, const QString& text);
  void onDelivered(const QString& msg_id);

private:
  void onReceipt(const bank::receipt& receipt);
  void onTransferReceipt(const bank::transfer_receipt& t);
  /// A refusal of the bank in plain words.
  QString refusal(const bank::receipt& r, const QString& type) const;
  /// Payments in the bank's history, shown in the payer's or payee's chat.
  void addPaymentEvents(const std::vector<bank::transfer_receipt>& entries);

  void startClient();
  void stopClient();
  void showConversation(const QString& peer);
  /// The app's settings of the signed-in user.
  QString settingsPath() const;
  /// Messages with `peer` up to this time (ms) were deleted in the app.
  qint64 clearedBefore(const QString& peer) const;
  void unhide(const QString& peer);
  /// Takes a deleted conversation out of the app.
  void hideConversation(const QString& peer);
  /// The fingerprints the user accepted for the current router.
  QStringList acceptedRouterKeys() const;
  /// Connected to a router whose key the user accepted: only then does
  /// anything go out or come in.
  bool ready() const {
    return status_ == QLatin1String("connected") && router_accepted_;
  }
  void setStatus(const QString& s);
  void setBusy(bool b);
  void setError(const QString& e);
  void setNotice(const QString& n);
  void afterConnect(const QString& fp, bool new_user);
  void doSend(const QString& local_id);
  void sendOrder(const std::string& type, const QString& to = {},
                 qint64 amount = 0);

  /// Requests `xs...` from the client in a small actor; `ok(Rs...)` or
  /// `err(caf::error)` then runs on the GUI thread.
  template <class... Rs, class Ok, class Err, class... Ts>
  void ask(std::chrono::seconds timeout, Ok ok, Err err, Ts... xs);

  ContactsModel contacts_;
  MessagesModel messages_;
  WalletModel wallet_;

  base_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  client_actor client_;
  listener_actor agent_;
  int gen_ = 0; ///< which client incarnation events come from
  /// Whether the agent takes messages (the router's key is accepted).
  std::shared_ptr<std::atomic<bool>> gate_;
  crypto::key identity_;

  QString status_ = QStringLiteral("offline");
  bool signed_in_ = false;
  bool busy_ = false;
  QString user_, server_ = QStringLiteral("127.0.0.1:7400"), home_;
  QString my_fp_, router_fp_;
  QString bank_fp_; ///< the bank's key, from configuration
  bool router_accepted_ = false;
  QString router_old_fp_, router_new_fp_; ///< a changed router key
  QString router_override_; ///< the new key the user accepted, for one start
  QString current_peer_;
  qint64 balance_minor_ = 0;
  bool has_account_ = false;
  QString wallet_error_;
  QVariantMap last_receipt_;
  QString pending_pay_; ///< the payment in flight ("pending" or its msg_id)
  QString pay_to_;      ///< its recipient
  QTimer notice_refresh_; ///< a payment notice came: ask the bank, once
  QHash<QString, QString> orders_;       ///< msg_id -> order type
  QHash<QString, bank::receipt> early_;  ///< receipts before their send reply
  QSet<QString> in_flight_;              ///< local ids the client is sending
  QString error_, notice_;
  QVariantList search_results_;
  int search_gen_ = 0; ///< only the answer to the latest search counts
  bool notifications_ = true;
  QString theme_mode_ = QStringLiteral("light");
  bool server_given_ = false; ///< the routers came from --server
  int session_ = 0; ///< bumped at sign-out: older answers are dropped
  bool read_receipts_ = true;
  bool typing_ = true;
  /// The newest ledger entry of the user's history seen (saved per user,
  /// -1 before the first history): only later payments notify.
  qint64 seen_seq_ = -1;
  /// The newest message of each peer that came and is not covered by a
  /// read receipt yet.
  QHash<QString, QPair<QString, qint64>> unread_newest_; ///< msg_id, sent_ts
  /// Saves one app setting in the data home's courier-chat.ini.
  void saveSetting(const QString& key, bool on);
  /// A read receipt or typing indicator from `from` (never a message).
  void onControl(const QString& from, const inbound_message& m);
};

} // namespace courier::ui
