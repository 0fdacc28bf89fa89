#pragma once

// The messages of the open conversation. Every conversation seen in this
// session is kept, so states of messages to other contacts stay current.

#include <QAbstractListModel>
#include <QHash>
#include <QSet>
#include <QString>
#include <QVector>

namespace courier::ui {

struct chat_message {
  QString local_id; ///< ours, stable from the moment it is typed
  QString msg_id;   ///< the end-to-end id, once the router accepted it
  QString peer;
  QString sender;
  QString body;
  qint64 ts = 0; ///< ms since the epoch
  bool outgoing = false;
  QString state; ///< outgoing: sending, accepted, delivered, read, failed
  QString error; ///< why it failed
  bool event = false; ///< not a message: a payment, told by the bank
  QString detail;     ///< an event's receipt, in words
};

class MessagesModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(QString peer READ peer NOTIFY peerChanged)
  Q_PROPERTY(int count READ count NOTIFY countChanged)
  Q_PROPERTY(int firstUnreadRow READ firstUnreadRow NOTIFY unreadMarkChanged)

public:
  enum roles {
    BodyRole = Qt::UserRole + 1,
    TimeRole,
    TimestampRole,
    SenderRole,
    OutgoingRole,
    StateRole,
    MsgIdRole,
    LocalIdRole,
    ErrorRole,
    EventRole,
    DetailRole,
    DayRole,         ///< the local date, yyyy-MM-dd (the view's sections)
    GroupedRole,     ///< continues the previous bubble's group
    FirstUnreadRole, ///< the "New messages" divider goes above it
  };

  /// Bubbles of one sender closer than this (ms) form one group.
  static constexpr qint64 group_gap_ms = 5 * 60 * 1000;

  explicit MessagesModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  const QString& peer() const { return peer_; }
  int count() const { return rowCount(); }
  /// The row of the first unread message in the open conversation, or -1.
  int firstUnreadRow() const;

  /// Shows the conversation with `peer`.
  Q_INVOKABLE void setPeer(const QString& peer);
  /// Appends a message being sent (state "sending"); its local id.
  Q_INVOKABLE QString addOutgoing(const QString& peer, const QString& sender,
                                  const QString& body);
  /// Appends a received message unless its msg_id is known; false if known.
  Q_INVOKABLE bool addIncoming(const QString& peer, const QString& body,
                               const QString& msg_id, qint64 ts);
  /// Adds an event (e.g. a payment) to the conversation with `peer`
  /// unless one with `id` is there; false if it was.
  Q_INVOKABLE bool addEvent(const QString& peer, const QString& text,
                            const QString& id, qint64 ts,
                            const QString& detail = {});
  Q_INVOKABLE bool setAccepted(const QString& local_id, const QString& msg_id);
  Q_INVOKABLE bool setFailed(const QString& local_id, const QString& why);
  Q_INVOKABLE bool setSending(const QString& local_id);
  /// The recipient acknowledged `msg_id`.
  Q_INVOKABLE bool setDelivered(const QString& msg_id);
  /// `peer`'s read receipt: the messages sent to `peer` up to `msg_id`
  /// are read; how many changed. An id of no message to `peer` changes
  /// nothing.
  Q_INVOKABLE int setReadUpTo(const QString& peer, const QString& msg_id);
  /// Whether "read" shows as such (off: as "delivered"; read receipts are
  /// off).
  Q_INVOKABLE void setShowRead(bool on);
  Q_INVOKABLE QString stateOf(const QString& local_id) const;
  /// Marks the last `n` received messages of the open conversation as
  /// unread, for the "New messages" divider; the mark stays until another
  /// conversation is opened (0 keeps the current mark).
  Q_INVOKABLE void markUnread(int n);
  /// Row `row` of the open conversation as a map.
  Q_INVOKABLE QVariantMap get(int row) const;

  /// Merges the stored history of `peer` with what this session added.
  void setHistory(const QString& peer, QVector<chat_message> stored);
  /// A message by local id (nullptr if unknown).
  const chat_message* find(const QString& local_id) const;
  /// Outgoing messages in `state` (any peer when `peer` is empty).
  QVector<chat_message> withState(const QString& state,
                                  const QString& peer = {}) const;
  /// Drops the conversation with `peer` (and closes it if open).
  Q_INVOKABLE void forget(const QString& peer);
  Q_INVOKABLE void clear();

Q_SIGNALS:
  void peerChanged();
  void countChanged();
  void unreadMarkChanged();

private:
  /// Conversation and row of a message, {nullptr,-1} if unknown.
  std::pair<QVector<chat_message>*, int> locate(const QString& local_id);
  void touched(const QString& peer, int row, QVector<int> roles);
  void append(chat_message m);
  /// Whether row `row` of `conv` continues the group of the row before.
  bool grouped(const QVector<chat_message>& conv, int row) const;
  /// Row `row` changed its time or was inserted: the next row's grouping
  /// may have changed too.
  void regroupAfter(int row);

  QString peer_;
  QHash<QString, QVector<chat_message>> convs_;
  QString unread_mark_; ///< msg_id of the first unread message of peer_
  QSet<QString> delivered_early_; ///< delivered before the send reply came
  int next_local_ = 1;
  bool show_read_ = true;
};

} // namespace courier::ui
