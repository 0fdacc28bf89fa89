#include "ui/messages_model.hpp"

#include <QDateTime>

#include <algorithm>

namespace courier::ui {

namespace {

QString clock_text(qint64 ts) {
  auto t = QDateTime::fromMSecsSinceEpoch(ts);
  if (t.date() == QDate::currentDate())
    return t.toString(QStringLiteral("HH:mm"));
  return t.toString(QStringLiteral("d MMM HH:mm"));
}

} // namespace

MessagesModel::MessagesModel(QObject* parent) : QAbstractListModel(parent) {
}

int MessagesModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid())
    return 0;
  auto it = convs_.find(peer_);
  return it == convs_.end() ? 0 : static_cast<int>(it->size());
}

QVariant MessagesModel::data(const QModelIndex& index, int role) const {
  auto it = convs_.find(peer_);
  if (!index.isValid() || it == convs_.end() || index.row() < 0
      || index.row() >= it->size())
    return {};
  auto& m = (*it)[index.row()];
  switch (role) {
    case Qt::DisplayRole:
    case BodyRole:
      return m.body;
    case TimeRole:
      return clock_text(m.ts);
    case TimestampRole:
      return m.ts;
    case SenderRole:
      return m.sender;
    case OutgoingRole:
      return m.outgoing;
    case StateRole:
      if (!show_read_ && m.state == QLatin1String("read"))
        return QStringLiteral("delivered");
      return m.state;
    case MsgIdRole:
      return m.msg_id;
    case LocalIdRole:
      return m.local_id;
    case ErrorRole:
      return m.error;
    case EventRole:
      return m.event;
    case DetailRole:
      return m.detail;
    case DayRole:
      return QDateTime::fromMSecsSinceEpoch(m.ts).date().toString(
        Qt::ISODate);
    case GroupedRole:
      return grouped(*it, index.row());
    case FirstUnreadRole:
      return !unread_mark_.isEmpty() && m.msg_id == unread_mark_;
    default:
      return {};
  }
}

QHash<int, QByteArray> MessagesModel::roleNames() const {
  return {{BodyRole, "body"},         {TimeRole, "time"},
          {TimestampRole, "timestamp"}, {SenderRole, "sender"},
          {OutgoingRole, "outgoing"}, {StateRole, "msgState"},
          {MsgIdRole, "msgId"},       {LocalIdRole, "localId"},
          {ErrorRole, "error"},       {EventRole, "isEvent"},
          {DetailRole, "detail"},     {DayRole, "day"},
          {GroupedRole, "grouped"},   {FirstUnreadRole, "firstUnread"}};
}

bool MessagesModel::grouped(const QVector<chat_message>& conv, int row) const {
  if (row <= 0 || row >= conv.size())
    return false;
  auto& prev = conv[row - 1];
  auto& m = conv[row];
  if (m.event || prev.event || m.outgoing != prev.outgoing
      || m.sender != prev.sender)
    return false;
  // The divider and a day separator start a new group.
  if (!unread_mark_.isEmpty() && m.msg_id == unread_mark_)
    return false;
  auto a = QDateTime::fromMSecsSinceEpoch(prev.ts);
  auto b = QDateTime::fromMSecsSinceEpoch(m.ts);
  return a.date() == b.date() && m.ts >= prev.ts
         && m.ts - prev.ts < group_gap_ms;
}

void MessagesModel::regroupAfter(int row) {
  auto it = convs_.find(peer_);
  if (it == convs_.end() || row + 1 >= it->size())
    return;
  auto idx = index(row + 1);
  Q_EMIT dataChanged(idx, idx, {GroupedRole});
}

int MessagesModel::firstUnreadRow() const {
  auto it = convs_.find(peer_);
  if (unread_mark_.isEmpty() || it == convs_.end())
    return -1;
  for (int i = 0; i < it->size(); ++i)
    if ((*it)[i].msg_id == unread_mark_)
      return i;
  return -1;
}

void MessagesModel::markUnread(int n) {
  auto it = convs_.find(peer_);
  if (n <= 0 || it == convs_.end())
    return;
  QString mark;
  for (int i = static_cast<int>(it->size()) - 1; i >= 0 && n > 0; --i) {
    auto& m = (*it)[i];
    if (!m.outgoing && !m.event && !m.msg_id.isEmpty()) {
      mark = m.msg_id;
      --n;
    }
  }
  if (mark == unread_mark_)
    return;
  auto old_row = firstUnreadRow();
  unread_mark_ = mark;
  auto new_row = firstUnreadRow();
  for (auto row : {old_row, new_row})
    if (row >= 0) {
      auto idx = index(row);
      Q_EMIT dataChanged(idx, idx, {FirstUnreadRole, GroupedRole});
    }
  Q_EMIT unreadMarkChanged();
}

void MessagesModel::setPeer(const QString& peer) {
  if (peer == peer_)
    return;
  beginResetModel();
  peer_ = peer;
  // The divider belongs to one visit of a conversation.
  unread_mark_.clear();
  endResetModel();
  Q_EMIT peerChanged();
  Q_EMIT countChanged();
  Q_EMIT unreadMarkChanged();
}

void MessagesModel::append(chat_message m) {
  auto& conv = convs_[m.peer];
  bool visible = m.peer == peer_;
  int row = static_cast<int>(conv.size());
  if (visible)
    beginInsertRows({}, row, row);
  conv.push_back(std::move(m));
  if (visible) {
    endInsertRows();
    Q_EMIT countChanged();
  }
}

QString MessagesModel::addOutgoing(const QString& peer, const QString& sender,
                                   const QString& body) {
  chat_message m;
  m.local_id = QStringLiteral("local-%1").arg(next_local_++);
  m.peer = peer;
  m.sender = sender;
  m.body = body;
  m.ts = QDateTime::currentMSecsSinceEpoch();
  m.outgoing = true;
  m.state = QStringLiteral("sending");
  auto id = m.local_id;
  append(std::move(m));
  return id;
}

bool MessagesModel::addIncoming(const QString& peer, const QString& body,
                                const QString& msg_id, qint64 ts) {
  auto& conv = convs_[peer];
  if (!msg_id.isEmpty())
    for (auto& m : conv)
      if (m.msg_id == msg_id)
        return false;
  chat_message m;
  m.local_id = QStringLiteral("local-%1").arg(next_local_++);
  m.msg_id = msg_id;
  m.peer = peer;
  m.sender = peer;
  m.body = body;
  m.ts = ts;
  append(std::move(m));
  return true;
}

bool MessagesModel::addEvent(const QString& peer, const QString& text,
                             const QString& id, qint64 ts,
                             const QString& detail) {
  auto& conv = convs_[peer];
  for (auto& m : conv)
    if (m.event && m.msg_id == id)
      return false;
  chat_message m;
  m.local_id = QStringLiteral("local-%1").arg(next_local_++);
  m.msg_id = id;
  m.peer = peer;
  m.body = text;
  m.ts = ts;
  m.event = true;
  m.detail = detail;
  // In time order: a payment found in the bank's history may be older
  // than the last message.
  int row = static_cast<int>(conv.size());
  while (row > 0 && conv[row - 1].ts > ts)
    --row;
  bool visible = peer == peer_;
  if (visible)
    beginInsertRows({}, row, row);
  conv.insert(row, std::move(m));
  if (visible) {
    endInsertRows();
    regroupAfter(row);
    Q_EMIT countChanged();
  }
  return true;
}

std::pair<QVector<chat_message>*, int>
MessagesModel::locate(const QString& local_id) {
  for (auto it = convs_.begin(); it != convs_.end(); ++it)
    for (int i = 0; i < it->size(); ++i)
      if ((*it)[i].local_id == local_id)
        return {&*it, i};
  return {nullptr, -1};
}

void MessagesModel::touched(const QString& peer, int row, QVector<int> roles) {
  if (peer != peer_)
    return;
  auto idx = index(row);
  Q_EMIT dataChanged(idx, idx, roles);
}

bool MessagesModel::setAccepted(const QString& local_id, const QString& msg_id) {
  auto [conv, row] = locate(local_id);
  if (!conv)
    return false;
  auto& m = (*conv)[row];
  m.msg_id = msg_id;
  m.error.clear();
  m.state = delivered_early_.remove(msg_id) ? QStringLiteral("delivered")
                                            : QStringLiteral("accepted");
  touched(m.peer, row, {StateRole, MsgIdRole, ErrorRole});
  return true;
}

bool MessagesModel::setFailed(const QString& local_id, const QString& why) {
  auto [conv, row] = locate(local_id);
  if (!conv)
    return false;
  auto& m = (*conv)[row];
  m.state = QStringLiteral("failed");
  m.error = why;
  touched(m.peer, row, {StateRole, ErrorRole});
  return true;
}

bool MessagesModel::setSending(const QString& local_id) {
  auto [conv, row] = locate(local_id);
  if (!conv)
    return false;
  auto& m = (*conv)[row];
  m.state = QStringLiteral("sending");
  m.error.clear();
  m.ts = QDateTime::currentMSecsSinceEpoch();
  touched(m.peer, row,
          {StateRole, ErrorRole, TimeRole, TimestampRole, DayRole, GroupedRole});
  if (m.peer == peer_)
    regroupAfter(row);
  return true;
}

bool MessagesModel::setDelivered(const QString& msg_id) {
  if (msg_id.isEmpty())
    return false;
  for (auto it = convs_.begin(); it != convs_.end(); ++it)
    for (int i = 0; i < it->size(); ++i) {
      auto& m = (*it)[i];
      if (m.outgoing && m.msg_id == msg_id) {
        if (m.state == QLatin1String("read"))
          return true; // the receipt came first: read says more
        m.state = QStringLiteral("delivered");
        touched(m.peer, i, {StateRole});
        return true;
      }
    }
  delivered_early_.insert(msg_id);
  return false;
}

int MessagesModel::setReadUpTo(const QString& peer, const QString& msg_id) {
  auto it = convs_.find(peer);
  if (msg_id.isEmpty() || it == convs_.end())
    return 0;
  auto& conv = *it;
  int last = -1;
  for (int i = 0; i < conv.size(); ++i)
    if (conv[i].outgoing && !conv[i].event && conv[i].msg_id == msg_id)
      last = i;
  if (last < 0)
    return 0;
  // Up to the one named, and what was sent in the same millisecond (the
  // reader may have had those in the other order), as the client's
  // history does.
  auto until = conv[last].ts;
  int changed = 0;
  for (int i = 0; i < conv.size(); ++i) {
    auto& m = conv[i];
    if ((i > last && m.ts > until) || !m.outgoing || m.event
        || (m.state != QLatin1String("accepted")
            && m.state != QLatin1String("delivered")))
      continue;
    m.state = QStringLiteral("read");
    touched(peer, i, {StateRole});
    ++changed;
  }
  return changed;
}

void MessagesModel::setShowRead(bool on) {
  if (on == show_read_)
    return;
  show_read_ = on;
  if (rowCount() > 0)
    Q_EMIT dataChanged(index(0), index(rowCount() - 1), {StateRole});
}

QString MessagesModel::stateOf(const QString& local_id) const {
  auto m = find(local_id);
  return m ? m->state : QString{};
}

QVariantMap MessagesModel::get(int row) const {
  QVariantMap out;
  auto names = roleNames();
  for (auto it = names.begin(); it != names.end(); ++it)
    out.insert(QString::fromUtf8(it.value()), data(index(row), it.key()));
  return out;
}

const chat_message* MessagesModel::find(const QString& local_id) const {
  for (auto& conv : convs_)
    for (auto& m : conv)
      if (m.local_id == local_id)
        return &m;
  return nullptr;
}

QVector<chat_message> MessagesModel::withState(const QString& state,
                                               const QString& peer) const {
  QVector<chat_message> out;
  for (auto& conv : convs_)
    for (auto& m : conv)
      if (m.outgoing && m.state == state && (peer.isEmpty() || m.peer == peer))
        out.push_back(m);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.ts < b.ts; });
  return out;
}

void MessagesModel::setHistory(const QString& peer,
                               QVector<chat_message> stored) {
  bool visible = peer == peer_;
  if (visible)
    beginResetModel();
  auto& conv = convs_[peer];
  QSet<QString> ids;
  for (auto& m : stored) {
    m.local_id = QStringLiteral("local-%1").arg(next_local_++);
    ids.insert(m.msg_id);
  }
  // Keep what this session knows better: unsent messages, newer states.
  for (auto& m : conv) {
    if (m.msg_id.isEmpty() || !ids.contains(m.msg_id)) {
      stored.push_back(m);
      continue;
    }
    for (auto& s : stored)
      if (s.msg_id == m.msg_id) {
        s.local_id = m.local_id;
        if ((m.state == QLatin1String("delivered")
             && s.state != QLatin1String("read"))
            || m.state == QLatin1String("read"))
          s.state = m.state;
      }
  }
  std::stable_sort(stored.begin(), stored.end(),
                   [](const auto& a, const auto& b) { return a.ts < b.ts; });
  conv = std::move(stored);
  if (visible) {
    endResetModel();
    Q_EMIT countChanged();
    Q_EMIT unreadMarkChanged(); // its row may have moved
  }
}

void MessagesModel::forget(const QString& peer) {
  bool visible = peer == peer_;
  if (visible)
    beginResetModel();
  convs_.remove(peer);
  if (visible) {
    peer_.clear();
    unread_mark_.clear();
    endResetModel();
    Q_EMIT peerChanged();
    Q_EMIT countChanged();
    Q_EMIT unreadMarkChanged();
  }
}

void MessagesModel::clear() {
  beginResetModel();
  convs_.clear();
  peer_.clear();
  unread_mark_.clear();
  endResetModel();
  Q_EMIT peerChanged();
  Q_EMIT countChanged();
  Q_EMIT unreadMarkChanged();
}

} // namespace courier::ui
