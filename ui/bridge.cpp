#include "ui/bridge.hpp"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QMetaObject>
#include <QRegularExpression>
#include <QSettings>

#include <algorithm>
#include <atomic>
#include <tuple>

#include <caf/all.hpp>

#include "actors/client/backup.hpp"
#include "actors/client/control_letter.hpp"
#include "actors/client/identity.hpp"
#include "actors/common/error.hpp"
#include "actors/protocol/amount.hpp"
#include "actors/protocol/envelope.hpp"
#include "actors/protocol/order.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "ui/theme.hpp"

namespace courier::ui {

namespace {

using namespace std::chrono_literals;

/// Runs `f` on the thread of `target` (the GUI thread) later.
template <class F>
void post(QObject* target, F f) {
  QMetaObject::invokeMethod(target, std::move(f), Qt::QueuedConnection);
}

QString qs(const std::string& s) {
  return QString::fromStdString(s);
}

std::string ss(const QString& s) {
  return s.toStdString();
}

/// One sentence for an error, with request timeouts in words.
QString sentence(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return QStringLiteral("the router did not answer in time");
  if (err == caf::sec::request_receiver_down)
    return QStringLiteral("the connection was closed");
  return qs(explain(err));
}

/// The listener of one client incarnation: forwards every event to the
/// bridge on the GUI thread.
listener_actor::behavior_type
bridge_agent(listener_actor::pointer, Bridge* b, int gen,
             std::shared_ptr<const std::atomic<bool>> open) {
  return {
    [=](message_atom, const inbound_message& m) {
      // Until the user accepted the router's key nothing is taken: the
      // message stays on the router and comes again after the accept.
      if (!open->load())
        return false;
      post(b, [b, m] { b->onInbound(m); });
      return true;
    },
    [=](status_atom, const std::string& text) {
      auto t = qs(text);
      post(b, [b, gen, t] { b->onStatus(gen, t); });
    },
    [=](delivered_atom, const std::string& msg_id) {
      auto id = qs(msg_id);
      post(b, [b, id] { b->onDelivered(id); });
    },
  };
}

} // namespace

/// The new fingerprint a key-change error carries.
static QString new_fingerprint(const caf::error& err) {
  auto change = key_change_of(err);
  return change ? QString::fromStdString(change->fingerprint) : QString{};
}

Bridge::Bridge(QObject* parent) : QObject(parent) {
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  // The bank tells only whoever ordered; a payer's client sends the payee
  // a payment notice, and the wallet then asks the bank (a changed balance
  // fetches the history and its payments). Notices that come in a burst
  // make one refresh, so a flood of them costs the bank nothing more.
  notice_refresh_.setSingleShot(true);
  notice_refresh_.setInterval(300);
  connect(&notice_refresh_, &QTimer::timeout, this, [this] {
    if (has_account_)
      refreshWallet();
  });
}

Bridge::~Bridge() {
  shutdown();
}

void Bridge::configure(const QString& home, const QString& server,
                       const QString& user, const QString& bank_fingerprint) {
  home_ = qs(data_home(ss(home)));
  // The bank's key never comes from a router: the command line, the
  // environment (deploy/run.sh sets it), or what the user saved.
  auto fp = bank_fingerprint;
  if (fp.isEmpty())
    fp = qEnvironmentVariable("COURIER_BANK_FINGERPRINT");
  if (fp.isEmpty())
    fp = QSettings{home_ + QStringLiteral("/courier-chat.ini"),
                   QSettings::IniFormat}
           .value(QStringLiteral("bank/fingerprint"))
           .toString();
  if (is_fingerprint(ss(fp)) && fp != bank_fp_) {
    bank_fp_ = fp.trimmed();
    Q_EMIT bankFingerprintChanged();
  }
  auto notify = QSettings{home_ + QStringLiteral("/courier-chat.ini"),
                          QSettings::IniFormat}
                  .value(QStringLiteral("notifications/enabled"), true)
                  .toBool();
  if (notify != notifications_) {
    notifications_ = notify;
    Q_EMIT notificationsEnabledChanged();
  }
  auto saved = QSettings{home_ + QStringLiteral("/courier-chat.ini"),
                         QSettings::IniFormat};
  if (auto mode = saved.value(QStringLiteral("appearance/theme")).toString();
      mode != theme_mode_ && Theme::valid_mode(mode)) {
    theme_mode_ = mode;
    Q_EMIT themeModeChanged();
  }
  // The command line's routers win over the saved list; a saved list
  // that does not parse (edited by hand) is ignored.
  auto list = server;
  server_given_ = !server.isEmpty();
  if (list.isEmpty()) {
    list = saved.value(QStringLiteral("routers/list")).toString();
    std::vector<endpoint> eps;
    if (!parse_endpoints(ss(list), eps))
      list.clear();
  }
  if (!list.isEmpty())
    setServer(list);
  auto receipts = saved.value(QStringLiteral("privacy/read_receipts"), true)
                    .toBool();
  if (receipts != read_receipts_) {
    read_receipts_ = receipts;
    messages_.setShowRead(receipts);
    Q_EMIT readReceiptsEnabledChanged();
  }
  auto typing = saved.value(QStringLiteral("privacy/typing"), true).toBool();
  if (typing != typing_) {
    typing_ = typing;
    Q_EMIT typingEnabledChanged();
  }
  // Without --user, the last user who signed in here is offered, while
  // that identity is still here.
  auto name = normalizeUsername(user);
  if (name.isEmpty()) {
    auto last = saved.value(QStringLiteral("session/last_user")).toString();
    if (identityExists(last))
      name = last;
  }
  if (!name.isEmpty() && name != user_) {
    user_ = name;
    Q_EMIT userChanged();
  }
}

template <class... Rs, class Ok, class Err, class... Ts>
void Bridge::ask(std::chrono::seconds timeout, Ok ok, Err err, Ts... xs) {
  if (!client_ || !sys_) {
    err(make_error(errc::unreachable, "not signed in"));
    return;
  }
  auto client = client_;
  Bridge* b = this;
  // An answer for a user who signed out since (switch user) never
  // reaches the next user's views.
  auto session = session_;
  sys_->spawn([=](caf::event_based_actor* self) {
    // A stopped client may never answer: give up when it goes, instead of
    // waiting out the timeout (and holding up the actor system's end).
    self->monitor(client);
    self->set_down_handler([=](caf::down_msg&) {
      auto e = caf::make_error(caf::sec::request_receiver_down);
      post(b, [b, err, e, session] {
        if (b->session_ == session)
          err(e);
      });
      self->quit();
    });
    self->request(client, timeout, xs...)
      .then(
        [=](Rs&... ys) {
          auto vals = std::make_tuple(std::decay_t<Rs>(ys)...);
          post(b, [b, ok, vals, session] {
            if (b->session_ == session)
              std::apply(ok, vals);
          });
          self->quit();
        },
        [=](caf::error& e) {
          post(b, [b, err, e, session] {
            if (b->session_ == session)
              err(e);
          });
          self->quit();
        });
    return caf::behavior{[](int) {}};
  });
}

// -- simple state --------------------------------------------------------------

QString Bridge::setBankFingerprint(const QString& fp) {
  auto text = fp.trimmed();
  if (!is_fingerprint(ss(text)))
    return QStringLiteral("A fingerprint is 64 hex digits, as the bank's "
                          "operator reads it from `courier-node "
                          "bank-fingerprint`.");
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  settings.setValue(QStringLiteral("bank/fingerprint"), text);
  settings.sync();
  if (text == bank_fp_)
    return {};
  bank_fp_ = text;
  Q_EMIT bankFingerprintChanged();
  wallet_error_.clear();
  Q_EMIT walletChanged();
  // The client knows the bank's fingerprint from its start.
  if (signed_in_ && identity_)
    startClient();
  return {};
}

void Bridge::setServer(const QString& server) {
  if (server == server_)
    return;
  server_ = server.trimmed();
  Q_EMIT serverChanged();
}

QStringList Bridge::routers() const {
  return server_.split(QLatin1Char(','), Qt::SkipEmptyParts);
}

QString Bridge::checkRouter(const QString& address) {
  auto text = address.trimmed();
  if (text.isEmpty())
    return QStringLiteral("Enter a router address, like 127.0.0.1:7400.");
  auto colon = text.lastIndexOf(QLatin1Char(':'));
  if (colon <= 0)
    return QStringLiteral("Write the address as HOST:PORT, like "
                          "127.0.0.1:7400.");
  auto host = text.left(colon);
  // A host name or an IP address: nothing that could split the list or
  // reach a shell or a log line as something else.
  static const QRegularExpression host_chars{
    QStringLiteral("\\A[A-Za-z0-9_.:\\[\\]-]{1,253}\\z")};
  if (!host_chars.match(host).hasMatch() || host.startsWith(QLatin1Char('-')))
    return QStringLiteral("The host may hold letters, digits, dots and "
                          "dashes only.");
  if (!parse_endpoint(ss(text)))
    return QStringLiteral("The port must be a number from 1 to 65535.");
  return {};
}

QString Bridge::setRouters(const QStringList& raw) {
  QStringList list;
  for (auto& r : raw) {
    auto text = r.trimmed();
    if (auto why = checkRouter(text); !why.isEmpty())
      return text + QStringLiteral(": ") + why;
    if (list.contains(text, Qt::CaseInsensitive))
      return text + QStringLiteral(" is in the list twice.");
    list << text;
  }
  if (list.isEmpty())
    return QStringLiteral("Keep at least one router: the app needs one to "
                          "connect.");
  if (list.size() > max_routers)
    return QStringLiteral("At most %1 routers.").arg(max_routers);
  auto joined = list.join(QLatin1Char(','));
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  settings.setValue(QStringLiteral("routers/list"), joined);
  settings.sync();
  if (joined == server_)
    return {};
  // The router keys this user accepted stay accepted with the new list:
  // only a router whose key was never accepted asks, as at the first
  // sign-in.
  auto kept = user_.isEmpty() ? QStringList{} : acceptedRouterKeys();
  setServer(joined);
  if (!kept.isEmpty()) {
    QSettings pins{settingsPath(), QSettings::IniFormat};
    auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
    auto keys = pins.value(key).toStringList();
    for (auto& fp : kept)
      if (!keys.contains(fp))
        keys << fp;
    pins.setValue(key, keys);
    pins.sync();
  }
  // A new connection with the new list.
  if (signed_in_ && identity_) {
    router_fp_.clear();
    router_accepted_ = false;
    Q_EMIT routerFingerprintChanged();
    startClient();
  }
  return {};
}

void Bridge::setThemeMode(const QString& mode) {
  if (!Theme::valid_mode(mode) || mode == theme_mode_)
    return;
  theme_mode_ = mode;
  if (!home_.isEmpty()) {
    QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                       QSettings::IniFormat};
    settings.setValue(QStringLiteral("appearance/theme"), mode);
    settings.sync();
  }
  Q_EMIT themeModeChanged();
}

void Bridge::switchUser(const QString& raw) {
  // The name first: the sign-in page fills it in when signedIn changes.
  auto user = normalizeUsername(raw);
  if (user != user_) {
    user_ = user;
    my_fp_.clear();
    Q_EMIT userChanged();
  }
  setError({});
  if (signed_in_ || client_ || identity_)
    signOut();
}

void Bridge::setStatus(const QString& s) {
  if (s == status_)
    return;
  status_ = s;
  Q_EMIT statusChanged();
}

void Bridge::setBusy(bool b) {
  if (b == busy_)
    return;
  busy_ = b;
  Q_EMIT busyChanged();
}

void Bridge::setError(const QString& e) {
  if (e == error_)
    return;
  error_ = e;
  Q_EMIT errorChanged();
}

void Bridge::setNotice(const QString& n) {
  notice_ = n;
  Q_EMIT noticeChanged();
}

void Bridge::dismissNotice() {
  setNotice({});
}

QString Bridge::balance() const {
  return qs(bank::format_amount(balance_minor_));
}

// -- identity and connection ----------------------------------------------------

QStringList Bridge::identities() const {
  QStringList out;
  for (auto& name : QDir{home_}.entryList(QDir::Dirs | QDir::NoDotAndDotDot,
                                          QDir::Name))
    if (identityExists(name))
      out << name;
  return out;
}

bool Bridge::identityExists(const QString& user) const {
  if (checkUsername(user).size() > 0)
    return false;
  return QFile::exists(qs(user_dir(ss(home_), ss(user))) + "/identity.pem");
}

QString Bridge::checkUsername(const QString& name) const {
  if (name.isEmpty())
    return QStringLiteral("Choose a username.");
  if (!protocol::valid_username(ss(name)))
  {
    // The rule is one sentence shared with the CLI; a person reads it
    // capitalised.
    auto rule = QString::fromUtf8(protocol::username_rule);
    rule[0] = rule[0].toUpper();
    return rule + QLatin1Char('.');
  }
  return {};
}

QString Bridge::normalizeUsername(const QString& name) {
  return name.trimmed().toLower();
}

void Bridge::createIdentity(const QString& raw_user, const QString& pass,
                            int bits) {
  // Once, before anything uses it: "Dana" creates, signs in and shows as
  // "dana".
  auto user = normalizeUsername(raw_user);
  if (auto why = checkUsername(user); !why.isEmpty())
    return Q_EMIT identityCreated(false, why);
  if (identityExists(user))
    return Q_EMIT identityCreated(
      false, user + QStringLiteral(" already has an identity here; sign in."));
  // The page asks for 8 characters; the bridge itself never writes a key
  // in clear (create_identity refuses too).
  if (pass.isEmpty())
    return Q_EMIT identityCreated(
      false, QStringLiteral("Choose a passphrase: it protects your key."));
  setBusy(true);
  auto dir = user_dir(ss(home_), ss(user));
  auto secret = ss(pass);
  Bridge* b = this;
  // RSA key generation takes a while: its own thread, never the GUI's.
  sys_->spawn<caf::detached>([=](caf::event_based_actor* self) mutable {
    auto key = create_identity(dir, bits, secret);
    crypto::wipe(secret.data(), secret.size());
    QString fp, why;
    if (key)
      fp = qs(*crypto::fingerprint(*key));
    else
      why = sentence(key.error());
    post(b, [b, fp, why] {
      b->setBusy(false);
      if (why.isEmpty())
        Q_EMIT b->identityCreated(true, fp);
      else
        Q_EMIT b->identityCreated(false, why);
    });
    self->quit();
  });
}

void Bridge::backupIdentity(const QString& file, const QString& pass) {
  if (!identity_ || user_.isEmpty())
    return Q_EMIT backupWritten(
      false, QStringLiteral("Sign in first: the backup is of your identity."));
  if (file.isEmpty())
    return Q_EMIT backupWritten(false,
                                QStringLiteral("Choose a file for the backup."));
  if (pass.isEmpty())
    return Q_EMIT backupWritten(
      false, QStringLiteral("Choose a passphrase: it protects the backup."));
  setBusy(true);
  backup_contents what{ss(user_), identity_};
  auto path = ss(file);
  auto secret = ss(pass);
  Bridge* b = this;
  // scrypt takes a while and 128 MiB: its own thread, never the GUI's.
  sys_->spawn<caf::detached>([=](caf::event_based_actor* self) mutable {
    auto err = write_backup(path, what, secret);
    crypto::wipe(secret.data(), secret.size());
    auto msg = err ? sentence(err)
                   : QStringLiteral("Your identity is backed up in %1. Keep "
                                    "the file and its passphrase apart.")
                       .arg(qs(path));
    post(b, [b, ok = !err, msg] {
      b->setBusy(false);
      Q_EMIT b->backupWritten(ok, msg);
    });
    self->quit();
  });
}

void Bridge::restoreIdentity(const QString& file, const QString& backup_pass,
                             const QString& new_pass) {
  if (new_pass.isEmpty())
    return Q_EMIT identityRestored(
      false, {}, QStringLiteral("Choose a passphrase: it protects your key."));
  setBusy(true);
  auto path = ss(file);
  auto home = ss(home_);
  auto secret = ss(backup_pass);
  auto fresh = ss(new_pass);
  Bridge* b = this;
  sys_->spawn<caf::detached>([=](caf::event_based_actor* self) mutable {
    QString user, msg;
    bool ok = false;
    auto got = read_backup(path, secret);
    crypto::wipe(secret.data(), secret.size());
    if (!got) {
      msg = code_of(got.error()) == errc::wrong_passphrase
              ? QStringLiteral("The passphrase does not open this backup.")
              : sentence(got.error());
    } else if (!protocol::valid_username(got->user)) {
      msg = sentence(make_error(errc::backup_damaged));
    } else {
      user = qs(got->user);
      auto err = store_identity(user_dir(home, got->user), got->identity,
                                fresh, false);
      if (err && code_of(err) == errc::io_error)
        msg = QStringLiteral("%1 already has an identity here; sign in.")
                .arg(user);
      else if (err)
        msg = sentence(err);
      else {
        ok = true;
        msg = qs(*crypto::fingerprint(got->identity));
      }
    }
    crypto::wipe(fresh.data(), fresh.size());
    post(b, [b, ok, user, msg] {
      b->setBusy(false);
      Q_EMIT b->identityRestored(ok, user, msg);
    });
    self->quit();
  });
}

void Bridge::signIn(const QString& raw_user, const QString& pass) {
  auto user = normalizeUsername(raw_user);
  if (auto why = checkUsername(user); !why.isEmpty()) {
    setError(why);
    return Q_EMIT signInFailed(why);
  }
  if (!identityExists(user)) {
    auto why = QStringLiteral("There is no identity for %1 in %2; create one.")
                 .arg(user, home_);
    setError(why);
    return Q_EMIT signInFailed(why);
  }
  std::vector<endpoint> eps;
  if (!parse_endpoints(ss(server_), eps)) {
    auto why = QStringLiteral("The router address must be HOST:PORT.");
    setError(why);
    return Q_EMIT signInFailed(why);
  }
  // The routers typed on the sign-in page are the saved list from now on
  // (a --server of the command line is for this run only).
  if (!server_given_ && !home_.isEmpty()) {
    QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                       QSettings::IniFormat};
    settings.setValue(QStringLiteral("routers/list"), server_);
  }
  setError({});
  setBusy(true);
  if (user != user_) {
    user_ = user;
    Q_EMIT userChanged();
  }
  auto dir = user_dir(ss(home_), ss(user));
  auto secret = ss(pass);
  Bridge* b = this;
  sys_->spawn<caf::detached>([=](caf::event_based_actor* self) mutable {
    auto key = load_identity(dir, secret);
    crypto::wipe(secret.data(), secret.size());
    if (!key) {
      auto why = code_of(key.error()) == errc::wrong_passphrase
                   ? QStringLiteral("Wrong passphrase for %1's identity.")
                       .arg(user)
                   : sentence(key.error());
      post(b, [b, why] {
        b->setBusy(false);
        b->setError(why);
        Q_EMIT b->signInFailed(why);
      });
    } else {
      auto k = *key;
      post(b, [b, k] {
        b->identity_ = k;
        b->my_fp_ = qs(*crypto::fingerprint(k));
        Q_EMIT b->userChanged();
        b->startClient();
      });
    }
    self->quit();
  });
}

void Bridge::stopClient() {
  if (client_)
    caf::anon_send(client_, stop_atom::value);
  if (agent_)
    caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
  client_ = client_actor{};
  agent_ = nullptr;
  gate_.reset();
  notice_refresh_.stop();
  in_flight_.clear();
}

void Bridge::startClient() {
  stopClient();
  auto gen = ++gen_;
  client_config cc;
  cc.user = ss(user_);
  cc.dir = user_dir(ss(home_), cc.user);
  cc.identity = identity_;
  cc.bank_fingerprint = ss(bank_fp_);
  // The router's new key, once accepted, overrides the old pin (and
  // replaces it when the router welcomes us).
  cc.server_fingerprint = ss(router_override_);
  parse_endpoints(ss(server_), cc.servers);
  auto spawned = spawn_client(*sys_, cc);
  if (!spawned) {
    auto why = sentence(spawned.error());
    setBusy(false);
    setError(why);
    setStatus(QStringLiteral("offline"));
    if (!signed_in_)
      Q_EMIT signInFailed(why);
    Q_EMIT connectFailed(why, true);
    return;
  }
  client_ = *spawned;
  // Messages may come before the connect reply: they are taken if the
  // user accepted a key of this router before (the client refuses a
  // router whose key differs from its pin); afterConnect then checks the
  // exact fingerprint.
  QSettings pins{qs(user_dir(ss(home_), ss(user_))) + "/courier-chat.ini",
                 QSettings::IniFormat};
  auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
  gate_ = std::make_shared<std::atomic<bool>>(
    !pins.value(key).toStringList().isEmpty());
  agent_ = sys_->spawn(bridge_agent, this, gen,
                       std::shared_ptr<const std::atomic<bool>>{gate_});
  caf::anon_send(client_, listen_atom::value, agent_);
  setStatus(QStringLiteral("connecting"));
  ask<std::string, bool>(
    20s,
    [this, gen](const std::string& fp, bool new_user) {
      if (gen == gen_)
        afterConnect(qs(fp), new_user);
    },
    [this, gen](const caf::error& err) {
      if (gen != gen_)
        return;
      auto why = sentence(err);
      bool fatal = code_of(err) == errc::key_changed
                   || code_of(err) == errc::username_taken
                   || code_of(err) == errc::not_authenticated;
      if (auto change = key_change_of(err); change && change->user == "router") {
        // Not fatal: the connection manager keeps trying, so if the
        // operator puts the old key back, it connects by itself.
        fatal = false;
        why = QStringLiteral("The router's key changed. Nothing is sent until "
                             "you compare the new fingerprint with its "
                             "operator and accept it.");
        auto accepted = acceptedRouterKeys();
        router_old_fp_ = accepted.isEmpty() ? router_fp_ : accepted.last();
        router_new_fp_ = qs(change->fingerprint);
        Q_EMIT routerKeyChangedChanged();
      }
      // The client cannot connect twice after a failed attempt: the
      // next try starts a fresh one.
      stopClient();
      setStatus(QStringLiteral("offline"));
      setError(why);
      if (!signed_in_) {
        setBusy(false);
        Q_EMIT signInFailed(why);
      }
      Q_EMIT connectFailed(why, fatal);
    },
    connect_atom::value);
}

void Bridge::reconnect() {
  if (!identity_ || status_ == QLatin1String("connecting"))
    return;
  startClient();
}

QStringList Bridge::acceptedRouterKeys() const {
  QSettings pins{settingsPath(), QSettings::IniFormat};
  auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
  return pins.value(key).toStringList();
}

void Bridge::acceptChangedRouterKey() {
  if (router_new_fp_.isEmpty() || !identity_)
    return;
  router_override_ = router_new_fp_;
  QSettings pins{settingsPath(), QSettings::IniFormat};
  auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
  auto accepted = pins.value(key).toStringList();
  if (!accepted.contains(router_new_fp_))
    accepted.append(router_new_fp_);
  pins.setValue(key, accepted);
  pins.sync();
  setError({});
  startClient();
}

void Bridge::afterConnect(const QString& fp, bool new_user) {
  router_fp_ = fp;
  router_override_.clear();
  if (!router_new_fp_.isEmpty()) {
    router_old_fp_.clear();
    router_new_fp_.clear();
    Q_EMIT routerKeyChangedChanged();
  }
  QSettings pins{qs(user_dir(ss(home_), ss(user_))) + "/courier-chat.ini",
                 QSettings::IniFormat};
  // With several routers each has its own key: accepting one keeps the
  // others accepted.
  auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
  router_accepted_ = pins.value(key).toStringList().contains(fp);
  if (gate_)
    gate_->store(router_accepted_);
  Q_EMIT routerFingerprintChanged();
  setError({});
  setStatus(QStringLiteral("connected"));
  bool first = !signed_in_;
  if (first) {
    if (!home_.isEmpty()) {
      QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                         QSettings::IniFormat};
      settings.setValue(QStringLiteral("session/last_user"), user_);
      settings.sync();
    }
    seen_seq_ = QSettings{settingsPath(), QSettings::IniFormat}
                  .value(QStringLiteral("wallet/seen_seq"), -1)
                  .toLongLong();
    signed_in_ = true;
    setBusy(false);
    Q_EMIT signedInChanged();
  }
  Q_EMIT connected(fp, new_user);
  // A router whose key the user has not accepted gets nothing and gives
  // nothing: acceptRouterFingerprint connects again and goes on.
  if (!router_accepted_)
    return;
  refreshContacts();
  refreshPresence();
  if (first || !has_account_)
    sendOrder("open_account");
  else
    refreshWallet();
  if (!current_peer_.isEmpty())
    openConversation(current_peer_);
}

void Bridge::acceptRouterFingerprint() {
  if (router_fp_.isEmpty())
    return;
  QSettings pins{qs(user_dir(ss(home_), ss(user_))) + "/courier-chat.ini",
                 QSettings::IniFormat};
  auto key = QStringLiteral("router/") + QString{server_}.replace(':', '_');
  auto accepted = pins.value(key).toStringList();
  if (!accepted.contains(router_fp_))
    accepted.append(router_fp_);
  pins.setValue(key, accepted);
  pins.sync();
  if (router_accepted_)
    return;
  router_accepted_ = true;
  Q_EMIT routerFingerprintChanged();
  // What the router held back while the key was not accepted comes with
  // the next connection; then contacts, wallet and queued messages go.
  startClient();
}

void Bridge::signOut() {
  ++session_;
  stopClient();
  identity_ = crypto::key{};
  signed_in_ = false;
  has_account_ = false;
  balance_minor_ = 0;
  current_peer_.clear();
  router_fp_.clear();
  router_accepted_ = false;
  router_old_fp_.clear();
  router_new_fp_.clear();
  router_override_.clear();
  Q_EMIT routerKeyChangedChanged();
  orders_.clear();
  early_.clear();
  unread_newest_.clear();
  seen_seq_ = -1;
  pending_pay_.clear();
  last_receipt_.clear();
  wallet_error_.clear();
  contacts_.clear();
  messages_.clear();
  wallet_.clear();
  setStatus(QStringLiteral("offline"));
  Q_EMIT signedInChanged();
  Q_EMIT currentPeerChanged();
  Q_EMIT routerFingerprintChanged();
  Q_EMIT walletChanged();
}

void Bridge::shutdown() {
  stopClient();
  // The actor system's destructor waits for every actor (also a key being
  // generated) before it returns.
  sys_.reset();
}

// -- events ----------------------------------------------------------------------

void Bridge::onStatus(int gen, const QString& text) {
  if (gen != gen_)
    return;
  if (text == QLatin1String("connected"))
    return; // the connect reply carries more
  if (text == QLatin1String("disconnected")) {
    stopClient();
    contacts_.setOnline({}); // nobody is known to be online now
    setStatus(QStringLiteral("offline"));
    Q_EMIT connectionLost();
    return;
  }
  setNotice(text);
}

void Bridge::onInbound(const inbound_message& m) {
  auto from = qs(m.from);
  auto body = qs(m.body);
  if (m.from == bank::bank_user) {
    // The bank's traffic is for the wallet, never a chat bubble.
    if (auto r = bank::parse_receipt(m.body))
      onReceipt(*r);
    return;
  }
  if (from == user_)
    return;
  if (m.control)
    return onControl(from, m);
  unhide(from);
  if (m.forward_secret)
    contacts_.setForwardSecret(from, true);
  contacts_.ensure(from);
  if (!messages_.addIncoming(from, body, qs(m.msg_id), m.sent_ts))
    return;
  // The newest by its sender's clock, which orders the sender's own view
  // (a receipt marks read what comes before it there), whatever order the
  // letters came in.
  if (auto it = unread_newest_.find(from);
      it == unread_newest_.end() || it->second <= m.sent_ts)
    unread_newest_.insert(from, {qs(m.msg_id), m.sent_ts});
  contacts_.setPreview(from, body, m.sent_ts);
  if (from != current_peer_)
    contacts_.bumpUnread(from);
  Q_EMIT messageArrived(from, body);
}

void Bridge::onControl(const QString& from, const inbound_message& m) {
  auto c = control_of(m);
  if (!c)
    return; // a kind this app does not know: never a message
  if (c->what == control_letter::kind::payment) {
    // Only a hint: the bank's signed history shows the payment as an
    // event in this chat once the refresh has it.
    notice_refresh_.start();
    return;
  }
  if (c->what == control_letter::kind::read) {
    // The client noted it in the history; the model applies the same
    // rule: only messages this user sent to `from`, up to the one named
    // (and shows them read only while read receipts are on).
    messages_.setReadUpTo(from, qs(c->up_to));
    return;
  }
  // A typing letter that waited (its sender went offline after asking
  // whether we were online) is old news.
  auto age = QDateTime::currentMSecsSinceEpoch() - m.accepted_ts;
  if (typing_ && age < 10000 && age > -10000)
    Q_EMIT typingArrived(from);
}

void Bridge::markRead(const QString& peer) {
  auto it = unread_newest_.find(peer);
  if (it == unread_newest_.end())
    return;
  if (!read_receipts_ || !client_ || !ready()) {
    // Off: nothing is owed later either.
    if (!read_receipts_)
      unread_newest_.erase(it);
    return;
  }
  caf::anon_send(client_, read_atom::value, ss(peer), ss(it->first));
  unread_newest_.erase(it);
}

void Bridge::sendTyping(const QString& peer) {
  if (!typing_ || !client_ || !ready() || peer == user_
      || !checkUsername(peer).isEmpty())
    return;
  caf::anon_send(client_, typing_atom::value, ss(peer));
}

void Bridge::saveSetting(const QString& key, bool on) {
  if (home_.isEmpty()) // not configured yet: nowhere to save it
    return;
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  settings.setValue(key, on);
  settings.sync();
}

void Bridge::setReadReceiptsEnabled(bool on) {
  if (on == read_receipts_)
    return;
  read_receipts_ = on;
  saveSetting(QStringLiteral("privacy/read_receipts"), on);
  messages_.setShowRead(on);
  Q_EMIT readReceiptsEnabledChanged();
}

void Bridge::setTypingEnabled(bool on) {
  if (on == typing_)
    return;
  typing_ = on;
  saveSetting(QStringLiteral("privacy/typing"), on);
  Q_EMIT typingEnabledChanged();
}

void Bridge::onDelivered(const QString& msg_id) {
  messages_.setDelivered(msg_id);
}

// -- contacts and conversations ---------------------------------------------------

void Bridge::refreshContacts() {
  ask<std::vector<contact_key>>(
    20s,
    [this](const std::vector<contact_key>& keys) {
      for (auto& k : keys) {
        auto name = qs(k.user);
        if (k.user == bank::bank_user || name == user_
            || QSettings{settingsPath(), QSettings::IniFormat}.contains(
              QStringLiteral("hidden/") + name))
          continue;
        if (!contacts_.get(name).value("keyChanged").toBool())
          contacts_.setKey(name, qs(k.fingerprint), k.verified);
        ask<std::vector<history_entry>>(
          20s,
          [this, name](const std::vector<history_entry>& last) {
            if (!last.empty() && last.back().ts > clearedBefore(name)
                && !parse_payment_notice(last.back().body)
                && contacts_.get(name).value("preview").toString().isEmpty())
              contacts_.setPreview(name, qs(last.back().body),
                                   last.back().ts);
          },
          [](const caf::error&) {}, history_atom::value, k.user,
          uint32_t{1});
      }
    },
    [this](const caf::error& err) { setNotice(sentence(err)); },
    contacts_atom::value);
}

void Bridge::refreshPresence() {
  if (!ready())
    return;
  // Presence of the contacts only: the router answers for the names asked.
  std::vector<std::string> names;
  for (auto& n : contacts_.names())
    names.push_back(n.toStdString());
  ask<std::vector<std::string>>(
    10s,
    [this](const std::vector<std::string>& names) {
      QStringList on;
      for (auto& n : names)
        on << qs(n);
      contacts_.setOnline(on);
    },
    [](const caf::error&) {}, online_atom::value, std::move(names));
}

QString Bridge::settingsPath() const {
  return qs(user_dir(ss(home_), ss(user_))) + "/courier-chat.ini";
}

void Bridge::openConversation(const QString& raw) {
  auto peer = normalizeUsername(raw);
  if (auto why = checkUsername(peer); !why.isEmpty())
    return setNotice(why);
  if (peer == user_)
    return setNotice(QStringLiteral("That is you: Courier does not send "
                                    "messages to yourself. Pick someone else."));
  if (peer == QLatin1String(bank::bank_user)) {
    // Its messages are orders and receipts for the app, not for reading.
    setNotice(QStringLiteral("The bank is not a chat: your balance, payments "
                             "and receipts are in the Wallet."));
    return Q_EMIT walletRequested();
  }
  if (contacts_.indexOf(peer) >= 0)
    return showConversation(peer);
  // A name typed for the first time is checked before it becomes a
  // contact: an unknown one would be a chat nobody can ever receive.
  if (!ready())
    return setNotice(QStringLiteral("Connect first: Courier checks that %1 "
                                    "exists before starting a chat.")
                       .arg(peer));
  ask<contact_key>(
    20s,
    [this, peer](const contact_key& k) {
      contacts_.ensure(peer);
      contacts_.setKey(peer, qs(k.fingerprint), k.verified);
      contacts_.setForwardSecret(peer, k.forward_secret);
      showConversation(peer);
    },
    [this, peer](const caf::error& err) {
      if (code_of(err) == errc::key_changed) {
        contacts_.ensure(peer);
        contacts_.setKeyChanged(peer, new_fingerprint(err));
        showConversation(peer);
      } else if (code_of(err) == errc::unknown_user) {
        setNotice(QStringLiteral("There is no user called %1 on this router; "
                                 "check the spelling.")
                    .arg(peer));
      } else {
        setNotice(sentence(err));
      }
    },
    lookup_atom::value, ss(peer));
}

void Bridge::deleteConversation(const QString& raw) {
  auto peer = normalizeUsername(raw);
  if (peer.isEmpty())
    return;
  // The client deletes the messages from the local database (the CLI
  // shares it); only then does the chat go from the list.
  ask<uint64_t>(
    20s, [this, peer](uint64_t) { hideConversation(peer); },
    [this, peer](const caf::error& err) {
      setNotice(QStringLiteral("The conversation with %1 was not deleted: %2")
                  .arg(peer, sentence(err)));
    },
    forget_atom::value, ss(peer));
}

void Bridge::hideConversation(const QString& peer) {
  // The key stays pinned, so the contact is listed again only when a
  // message comes or the user opens the chat; payment events (from the
  // bank's history) from before this moment are not shown again.
  QSettings settings{settingsPath(), QSettings::IniFormat};
  settings.setValue(QStringLiteral("cleared/") + peer,
                    QDateTime::currentMSecsSinceEpoch());
  settings.setValue(QStringLiteral("hidden/") + peer, true);
  settings.sync();
  if (peer == current_peer_) {
    current_peer_.clear();
    Q_EMIT currentPeerChanged();
  }
  messages_.forget(peer);
  contacts_.remove(peer);
}

qint64 Bridge::clearedBefore(const QString& peer) const {
  QSettings settings{settingsPath(), QSettings::IniFormat};
  return settings.value(QStringLiteral("cleared/") + peer, 0).toLongLong();
}

void Bridge::unhide(const QString& peer) {
  QSettings settings{settingsPath(), QSettings::IniFormat};
  if (settings.contains(QStringLiteral("hidden/") + peer))
    settings.remove(QStringLiteral("hidden/") + peer);
}

void Bridge::showConversation(const QString& peer) {
  unhide(peer);
  contacts_.ensure(peer);
  if (peer != current_peer_) {
    current_peer_ = peer;
    Q_EMIT currentPeerChanged();
  }
  // What came since the user last looked gets the "New messages" divider.
  auto unread = contacts_.unread(peer);
  messages_.setPeer(peer);
  messages_.markUnread(unread);
  contacts_.clearUnread(peer);
  if (!ready())
    return;
  auto cleared = clearedBefore(peer);
  ask<std::vector<history_entry>>(
    20s,
    [this, peer, cleared](const std::vector<history_entry>& entries) {
      QVector<chat_message> stored;
      for (auto& e : entries) {
        if (e.ts <= cleared || parse_payment_notice(e.body))
          continue;
        chat_message m;
        m.msg_id = qs(e.msg_id);
        m.peer = peer;
        m.sender = e.outgoing ? user_ : peer;
        m.body = qs(e.body);
        m.ts = e.ts;
        m.outgoing = e.outgoing;
        if (e.outgoing)
          m.state = e.read ? QStringLiteral("read")
                    : e.delivered ? QStringLiteral("delivered")
                                  : QStringLiteral("accepted");
        stored.push_back(m);
      }
      messages_.setHistory(peer, std::move(stored));
    },
    [this](const caf::error& err) { setNotice(sentence(err)); },
    history_atom::value, ss(peer), uint32_t{200});
  ask<contact_key>(
    20s,
    [this, peer](const contact_key& k) {
      contacts_.setKey(peer, qs(k.fingerprint), k.verified);
      contacts_.setForwardSecret(peer, k.forward_secret);
    },
    [this, peer](const caf::error& err) {
      if (code_of(err) == errc::key_changed)
        contacts_.setKeyChanged(peer, new_fingerprint(err));
      else if (code_of(err) == errc::unknown_user)
        setNotice(QStringLiteral("There is no user called %1 on this router.")
                    .arg(peer));
    },
    lookup_atom::value, ss(peer));
}

void Bridge::setNotificationsEnabled(bool on) {
  if (on == notifications_)
    return;
  notifications_ = on;
  if (home_.isEmpty()) // not configured yet: nowhere to save it
    return Q_EMIT notificationsEnabledChanged();
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  settings.setValue(QStringLiteral("notifications/enabled"), on);
  settings.sync();
  Q_EMIT notificationsEnabledChanged();
}

void Bridge::search(const QString& raw, bool everywhere) {
  auto gen = ++search_gen_;
  auto text = raw.trimmed();
  if (text.isEmpty() || (!everywhere && current_peer_.isEmpty())) {
    search_results_.clear();
    return Q_EMIT searchResultsChanged();
  }
  ask<std::vector<history_entry>>(
    20s,
    [this, gen](const std::vector<history_entry>& found) {
      if (gen != search_gen_)
        return;
      search_results_.clear();
      for (auto& e : found) {
        auto peer = qs(e.peer);
        if (e.peer == bank::bank_user || parse_payment_notice(e.body))
          continue;
        search_results_.push_back(QVariantMap{
          {"peer", peer},
          {"sender", e.outgoing ? user_ : peer},
          {"body", qs(e.body)},
          {"ts", static_cast<qint64>(e.ts)},
          {"time", QDateTime::fromMSecsSinceEpoch(e.ts).toString(
                     QStringLiteral("d MMM yyyy, HH:mm"))},
          {"outgoing", e.outgoing},
          {"msgId", qs(e.msg_id)},
        });
      }
      Q_EMIT searchResultsChanged();
    },
    [this, gen](const caf::error& err) {
      if (gen != search_gen_)
        return;
      search_results_.clear();
      Q_EMIT searchResultsChanged();
      setNotice(QStringLiteral("Search failed: ") + sentence(err));
    },
    search_atom::value, everywhere ? std::string{} : ss(current_peer_),
    // 80 UTF-16 units are at most 240 bytes: within the client's limit.
    ss(text.left(80)),
    uint32_t{100});
}

QString Bridge::sendMessage(const QString& text) {
  return sendTo(current_peer_, text);
}

QString Bridge::sendTo(const QString& peer, const QString& text) {
  auto body = text.trimmed();
  if (body.isEmpty() || !checkUsername(peer).isEmpty()
      || peer == QLatin1String(bank::bank_user))
    return {};
  if (peer == user_) {
    setNotice(QStringLiteral("That is you: Courier does not send messages to "
                             "yourself."));
    return {};
  }
  contacts_.ensure(peer);
  auto id = messages_.addOutgoing(peer, user_, body);
  contacts_.setPreview(peer, body, QDateTime::currentMSecsSinceEpoch());
  if (contacts_.get(peer).value("keyChanged").toBool())
    messages_.setFailed(id, QStringLiteral("%1's key changed; accept the new key "
                                           "to send")
                              .arg(peer));
  else if (ready())
    doSend(id);
  // Otherwise it waits ("sending") and goes out after the reconnect.
  return id;
}

void Bridge::doSend(const QString& local_id) {
  auto m = messages_.find(local_id);
  if (!m || in_flight_.contains(local_id))
    return;
  auto peer = m->peer;
  in_flight_.insert(local_id);
  ask<std::string>(
    60s,
    [this, local_id, peer](const std::string& msg_id) {
      in_flight_.remove(local_id);
      messages_.setAccepted(local_id, qs(msg_id));
      // The first letter may have started a ratchet session.
      ask<contact_key>(
        20s,
        [this, peer](const contact_key& k) {
          contacts_.setForwardSecret(peer, k.forward_secret);
        },
        [](const caf::error&) {}, lookup_atom::value, ss(peer));
    },
    [this, local_id, peer](const caf::error& err) {
      in_flight_.remove(local_id);
      auto why = sentence(err);
      if (code_of(err) == errc::key_changed)
        contacts_.setKeyChanged(peer, new_fingerprint(err));
      messages_.setFailed(local_id, why);
    },
    send_atom::value, ss(peer), ss(m->body));
}

void Bridge::retry(const QString& local_id) {
  auto m = messages_.find(local_id);
  if (!m || m->state != QLatin1String("failed"))
    return;
  if (contacts_.get(m->peer).value("keyChanged").toBool())
    return;
  messages_.setSending(local_id);
  if (ready())
    doSend(local_id);
}

int Bridge::resendFailed() {
  if (!ready())
    return 0;
  int n = 0;
  auto todo = messages_.withState(QStringLiteral("failed"));
  todo += messages_.withState(QStringLiteral("sending"));
  for (auto& m : todo) {
    if (in_flight_.contains(m.local_id)
        || contacts_.get(m.peer).value("keyChanged").toBool())
      continue;
    messages_.setSending(m.local_id);
    doSend(m.local_id);
    ++n;
  }
  return n;
}

void Bridge::verifyContact(const QString& peer) {
  ask<contact_key>(
    20s,
    [this, peer](const contact_key& k) {
      contacts_.setKey(peer, qs(k.fingerprint), k.verified);
      contacts_.setForwardSecret(peer, k.forward_secret);
    },
    [this](const caf::error& err) { setNotice(sentence(err)); },
    verify_atom::value, ss(peer));
}

void Bridge::acceptNewKey(const QString& peer) {
  auto fp = contacts_.get(peer).value("newFingerprint").toString();
  if (fp.isEmpty())
    return setNotice(QStringLiteral("The new key of %1 is not known yet.").arg(peer));
  ask<contact_key>(
    20s,
    [this, peer](const contact_key& k) {
      contacts_.setKey(peer, qs(k.fingerprint), k.verified);
      // Messages signed with the new key were left on the router while it
      // was not accepted; they come again on a new connection, and the
      // connection manager then sends what waited.
      startClient();
    },
    [this](const caf::error& err) { setNotice(sentence(err)); },
    trust_atom::value, ss(peer), ss(fp), false);
}

// -- wallet ------------------------------------------------------------------------

QString Bridge::checkAmount(const QString& amount) const {
  auto res = bank::parse_amount(ss(amount));
  return res ? QString{} : qs(explain(res.error()));
}

QString Bridge::pay(const QString& to, const QString& amount) {
  auto name = to.trimmed().toLower();
  if (auto why = checkUsername(name); !why.isEmpty())
    return why;
  if (name == user_)
    return QStringLiteral("You cannot pay yourself.");
  auto minor = bank::parse_amount(ss(amount.trimmed()));
  if (!minor)
    return qs(explain(minor.error()));
  if (!ready())
    return QStringLiteral("You are offline; pay once the router is back.");
  if (!pending_pay_.isEmpty())
    return QStringLiteral("A payment is on its way; wait for its receipt.");
  pending_pay_ = QStringLiteral("pending");
  pay_to_ = name;
  wallet_error_.clear();
  last_receipt_.clear();
  Q_EMIT walletChanged();
  sendOrder("transfer", name, *minor);
  return {};
}

void Bridge::refreshWallet() {
  if (!ready())
    return;
  sendOrder("balance");
  sendOrder("history");
}

void Bridge::sendOrder(const std::string& type, const QString& to,
                       qint64 amount) {
  bank::order o;
  o.type = type;
  if (type == "transfer") {
    o.transfer_id = crypto::random_uuid();
    o.to = ss(to);
    o.amount_minor = amount;
  } else if (type == "history") {
    o.limit = 50;
  }
  auto t = qs(type);
  ask<std::string>(
    60s,
    [this, t](const std::string& id) {
      auto msg_id = qs(id);
      orders_.insert(msg_id, t);
      if (t == QLatin1String("transfer"))
        pending_pay_ = msg_id;
      if (auto it = early_.find(msg_id); it != early_.end()) {
        auto receipt = *it;
        early_.erase(it);
        onReceipt(receipt);
      }
    },
    [this, t](const caf::error& err) {
      if (code_of(err) == errc::bank_unverified)
        wallet_error_ =
          bank_fp_.isEmpty()
            ? QStringLiteral("Enter the bank's fingerprint below (ask the "
                             "bank's operator) to use the wallet; nothing "
                             "goes to a bank whose key is not verified.")
            : QStringLiteral("The bank's key does not match the bank "
                             "fingerprint below; nothing was sent. Check it "
                             "with the bank's operator.");
      else
        wallet_error_ = QStringLiteral("Could not reach the bank: ")
                        + sentence(err);
      if (t == QLatin1String("transfer")) {
        pending_pay_.clear();
        last_receipt_ = {{"ok", false}, {"message", wallet_error_}};
        Q_EMIT receiptArrived(last_receipt_);
      }
      Q_EMIT walletChanged();
    },
    send_atom::value, std::string{bank::bank_user}, bank::make_order(o));
}

void Bridge::onReceipt(const bank::receipt& r) {
  auto re = qs(r.re);
  if (!orders_.contains(re)) {
    if (early_.size() < 64)
      early_.insert(re, r); // its send reply may still be on the way
    return;
  }
  auto type = orders_.take(re);
  if (!r.ok) {
    auto why = refusal(r, type);
    if (type == QLatin1String("transfer")) {
      pending_pay_.clear();
      last_receipt_ = {{"ok", false}, {"message", why}};
      Q_EMIT receiptArrived(last_receipt_);
    }
    wallet_error_ = why;
    Q_EMIT walletChanged();
    return;
  }
  if (type == QLatin1String("open_account") || type == QLatin1String("balance")) {
    bool moved = has_account_ && r.balance_minor != balance_minor_;
    balance_minor_ = r.balance_minor;
    if (moved)
      sendOrder("history"); // money came or went: show what it was
    has_account_ = true;
    wallet_error_.clear();
    if (type == QLatin1String("open_account"))
      sendOrder("history");
  } else if (type == QLatin1String("transfer")) {
    onTransferReceipt(r.transfer);
  } else if (type == QLatin1String("history")) {
    QVector<wallet_entry> entries;
    for (auto& e : r.entries) {
      wallet_entry w;
      w.seq = static_cast<qint64>(e.seq);
      w.ts = e.ts;
      w.kind = qs(e.kind);
      w.from = qs(e.from);
      w.to = qs(e.to);
      w.amount_minor = e.amount_minor;
      w.balance_minor = e.balance_minor;
      w.incoming = w.to == user_;
      entries.push_back(w);
    }
    wallet_.setEntries(std::move(entries));
    addPaymentEvents(r.entries);
  }
  Q_EMIT walletChanged();
}

QString Bridge::refusal(const bank::receipt& r, const QString& type) const {
  auto amount = [](qint64 minor) { return qs(bank::format_amount(minor)); };
  switch (r.code) {
    case errc::insufficient_funds:
      return QStringLiteral("You have %1; that is not enough.")
        .arg(amount(balance_minor_));
    case errc::unknown_account:
      if (type == QLatin1String("transfer") && !pay_to_.isEmpty())
        return QStringLiteral("%1 has no account at the bank: there may be no "
                              "user called %1. Check the name.")
          .arg(pay_to_);
      return QStringLiteral("You have no account at the bank yet; it is "
                            "opened when you sign in.");
    case errc::not_permitted:
      return QStringLiteral("The bank does not allow that: %1.")
        .arg(qs(r.message));
    case errc::invalid_amount:
      return QStringLiteral("The bank refused the amount: %1.").arg(qs(r.message));
    default:
      return QStringLiteral("The bank refused: ")
             + (r.message.empty() ? QStringLiteral("no reason given")
                                  : qs(r.message));
  }
}

void Bridge::addPaymentEvents(
  const std::vector<bank::transfer_receipt>& entries) {
  for (auto& e : entries) {
    if (e.kind != "transfer" || e.transfer_id.empty())
      continue;
    auto from = qs(e.from);
    auto to = qs(e.to);
    auto sum = qs(bank::format_amount(e.amount_minor));
    bool incoming = to == user_;
    auto peer = incoming ? from : to;
    if (peer.isEmpty() || peer == user_)
      continue;
    auto cleared = clearedBefore(peer);
    if (e.ts <= cleared)
      continue;
    auto text = incoming ? QStringLiteral("%1 paid you %2").arg(from, sum)
                         : QStringLiteral("You paid %1 %2").arg(to, sum);
    auto detail = QStringLiteral("Receipt signed by the bank: transfer %1, "
                                 "ledger #%2, %3")
                    .arg(qs(e.transfer_id))
                    .arg(static_cast<qint64>(e.seq))
                    .arg(QDateTime::fromMSecsSinceEpoch(e.ts).toString(
                      QStringLiteral("d MMM yyyy, HH:mm:ss")));
    auto id = QStringLiteral("pay-") + qs(e.transfer_id);
    if (messages_.addEvent(peer, text, id, e.ts, detail)) {
      contacts_.ensure(peer);
      unhide(peer);
      contacts_.setPreview(peer, text, e.ts);
    }
    // A payment newer than the history seen before notifies as a message
    // does; the first history on this machine only sets the mark.
    auto seq = static_cast<qint64>(e.seq);
    if (incoming && seen_seq_ >= 0 && seq > seen_seq_) {
      if (peer != current_peer_)
        contacts_.bumpUnread(peer);
      Q_EMIT paymentArrived(peer, text);
    }
  }
  qint64 newest = seen_seq_;
  for (auto& e : entries)
    newest = std::max(newest, static_cast<qint64>(e.seq));
  if (newest != seen_seq_ || seen_seq_ < 0) {
    seen_seq_ = std::max<qint64>(newest, 0);
    QSettings settings{settingsPath(), QSettings::IniFormat};
    settings.setValue(QStringLiteral("wallet/seen_seq"), seen_seq_);
    settings.sync();
  }
}

QVariantMap Bridge::windowState() const {
  if (home_.isEmpty())
    return {};
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  auto w = settings.value(QStringLiteral("window/width"), 0).toInt();
  auto h = settings.value(QStringLiteral("window/height"), 0).toInt();
  // A file edited by hand may hold anything: the window clamps the size.
  if (w <= 0 || h <= 0)
    return {};
  return {{"width", w},
          {"height", h},
          {"maximized",
           settings.value(QStringLiteral("window/maximized"), false).toBool()}};
}

void Bridge::saveWindowState(int width, int height, bool maximized) {
  if (home_.isEmpty())
    return;
  QSettings settings{home_ + QStringLiteral("/courier-chat.ini"),
                     QSettings::IniFormat};
  // Maximized, the window's size is the screen's: keep the size it had
  // before, to come back to.
  if (!maximized && width > 0 && height > 0) {
    settings.setValue(QStringLiteral("window/width"), width);
    settings.setValue(QStringLiteral("window/height"), height);
  }
  settings.setValue(QStringLiteral("window/maximized"), maximized);
  settings.sync();
}

void Bridge::onTransferReceipt(const bank::transfer_receipt& t) {
  pending_pay_.clear();
  balance_minor_ = t.balance_minor;
  last_receipt_ = {
    {"ok", true},
    {"to", qs(t.to)},
    {"amount", qs(bank::format_amount(t.amount_minor))},
    {"balance", qs(bank::format_amount(t.balance_minor))},
    {"transferId", qs(t.transfer_id)},
    {"seq", static_cast<qint64>(t.seq)},
    {"replayed", t.replayed},
    {"time", QDateTime::fromMSecsSinceEpoch(t.ts).toString(
               QStringLiteral("d MMM yyyy, HH:mm:ss"))},
  };
  wallet_error_.clear();
  Q_EMIT receiptArrived(last_receipt_);
  sendOrder("history");
  // The bank tells only us: tell the payee, whose wallet then asks it.
  if (!t.to.empty() && qs(t.to) != user_)
    ask<std::string>(
      20s, [](const std::string&) {}, [](const caf::error&) {},
      paid_atom::value, t.to, t.transfer_id, t.amount_minor);
}

} // namespace courier::ui
