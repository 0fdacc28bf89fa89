#include "ui/contacts_model.hpp"

#include <algorithm>

namespace courier::ui {

ContactsModel::ContactsModel(QObject* parent) : QAbstractListModel(parent) {
}

int ContactsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : count();
}

QVariant ContactsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= count())
    return {};
  auto& c = items_[index.row()];
  switch (role) {
    case Qt::DisplayRole:
    case NameRole:
      return c.name;
    case OnlineRole:
      return c.online;
    case UnreadRole:
      return c.unread;
    case FingerprintRole:
      return c.fingerprint;
    case VerifiedRole:
      return c.verified;
    case KeyChangedRole:
      return c.key_changed;
    case NewFingerprintRole:
      return c.new_fingerprint;
    case PreviewRole:
      return c.preview;
    case ForwardSecretRole:
      return c.forward_secret;
    default:
      return {};
  }
}

QHash<int, QByteArray> ContactsModel::roleNames() const {
  return {{NameRole, "name"},
          {OnlineRole, "online"},
          {UnreadRole, "unread"},
          {FingerprintRole, "fingerprint"},
          {VerifiedRole, "verified"},
          {KeyChangedRole, "keyChanged"},
          {NewFingerprintRole, "newFingerprint"},
          {PreviewRole, "preview"},
          {ForwardSecretRole, "forwardSecret"}};
}

int ContactsModel::totalUnread() const {
  int n = 0;
  for (auto& c : items_)
    n += c.unread;
  return n;
}

int ContactsModel::indexOf(const QString& name) const {
  for (int i = 0; i < count(); ++i)
    if (items_[i].name == name)
      return i;
  return -1;
}

int ContactsModel::ensure(const QString& name) {
  if (auto i = indexOf(name); i >= 0)
    return i;
  auto pos = std::lower_bound(items_.begin(), items_.end(), name,
                              [](const contact& c, const QString& n) {
                                return c.name < n;
                              });
  int row = static_cast<int>(pos - items_.begin());
  beginInsertRows({}, row, row);
  contact c;
  c.name = name;
  items_.insert(row, c);
  endInsertRows();
  Q_EMIT countChanged();
  return row;
}

void ContactsModel::changed(int row, QVector<int> roles) {
  auto idx = index(row);
  Q_EMIT dataChanged(idx, idx, roles);
}

void ContactsModel::bumpUnread(const QString& name) {
  auto row = ensure(name);
  ++items_[row].unread;
  changed(row, {UnreadRole});
  Q_EMIT totalUnreadChanged();
}

void ContactsModel::clearUnread(const QString& name) {
  auto row = indexOf(name);
  if (row < 0 || items_[row].unread == 0)
    return;
  items_[row].unread = 0;
  changed(row, {UnreadRole});
  Q_EMIT totalUnreadChanged();
}

int ContactsModel::unread(const QString& name) const {
  auto row = indexOf(name);
  return row < 0 ? 0 : items_[row].unread;
}

QVariantMap ContactsModel::get(const QString& name) const {
  auto row = indexOf(name);
  if (row < 0)
    return {};
  auto& c = items_[row];
  return {{"name", c.name},
          {"online", c.online},
          {"unread", c.unread},
          {"fingerprint", c.fingerprint},
          {"verified", c.verified},
          {"keyChanged", c.key_changed},
          {"newFingerprint", c.new_fingerprint},
          {"preview", c.preview},
          {"forwardSecret", c.forward_secret}};
}

QStringList ContactsModel::names() const {
  QStringList out;
  for (auto& c : items_)
    out << c.name;
  return out;
}

void ContactsModel::setOnline(const QStringList& names) {
  for (int i = 0; i < count(); ++i) {
    bool on = names.contains(items_[i].name);
    if (items_[i].online != on) {
      items_[i].online = on;
      changed(i, {OnlineRole});
    }
  }
}

void ContactsModel::setKey(const QString& name, const QString& fp,
                           bool verified) {
  auto row = ensure(name);
  auto& c = items_[row];
  c.fingerprint = fp;
  c.verified = verified;
  c.key_changed = false;
  c.new_fingerprint.clear();
  changed(row, {FingerprintRole, VerifiedRole, KeyChangedRole,
                NewFingerprintRole});
}

void ContactsModel::setForwardSecret(const QString& name, bool on) {
  auto row = ensure(name);
  if (items_[row].forward_secret == on)
    return;
  items_[row].forward_secret = on;
  changed(row, {ForwardSecretRole});
}

void ContactsModel::setKeyChanged(const QString& name, const QString& new_fp) {
  auto row = ensure(name);
  auto& c = items_[row];
  c.key_changed = true;
  c.verified = false;
  c.new_fingerprint = new_fp;
  changed(row, {KeyChangedRole, NewFingerprintRole, VerifiedRole});
}

void ContactsModel::setPreview(const QString& name, const QString& text,
                               qint64 ts) {
  auto row = ensure(name);
  if (ts < items_[row].preview_ts)
    return;
  auto line = text.section(QLatin1Char('\n'), 0, 0);
  if (line.size() > 60)
    line = line.left(59) + QChar(0x2026);
  items_[row].preview = line;
  items_[row].preview_ts = ts;
  changed(row, {PreviewRole});
}

bool ContactsModel::remove(const QString& name) {
  auto row = indexOf(name);
  if (row < 0)
    return false;
  bool unread = items_[row].unread > 0;
  beginRemoveRows({}, row, row);
  items_.remove(row);
  endRemoveRows();
  Q_EMIT countChanged();
  if (unread)
    Q_EMIT totalUnreadChanged();
  return true;
}

void ContactsModel::clear() {
  beginResetModel();
  items_.clear();
  endResetModel();
  Q_EMIT countChanged();
  Q_EMIT totalUnreadChanged();
}

} // namespace courier::ui
