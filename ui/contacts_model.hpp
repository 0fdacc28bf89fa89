#pragma once

// The contacts of the signed-in user: presence, unread counts and keys.

#include <QAbstractListModel>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QVector>

namespace courier::ui {

struct contact {
  QString name;
  bool online = false;
  int unread = 0;
  QString fingerprint;
  bool verified = false;
  bool forward_secret = false; ///< letters go in a ratchet session
  bool key_changed = false;
  QString new_fingerprint; ///< the fingerprint the router has now
  QString preview;         ///< last message, one line
  qint64 preview_ts = 0;   ///< when what the preview shows was sent (ms)
};

class ContactsModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ count NOTIFY countChanged)
  Q_PROPERTY(int totalUnread READ totalUnread NOTIFY totalUnreadChanged)

public:
  enum roles {
    NameRole = Qt::UserRole + 1,
    OnlineRole,
    UnreadRole,
    FingerprintRole,
    VerifiedRole,
    KeyChangedRole,
    NewFingerprintRole,
    PreviewRole,
    ForwardSecretRole,
  };

  explicit ContactsModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  int count() const { return static_cast<int>(items_.size()); }
  int totalUnread() const;

  /// Row of `name`, -1 if unknown.
  Q_INVOKABLE int indexOf(const QString& name) const;
  /// Adds `name` (sorted by name) unless known; its row.
  Q_INVOKABLE int ensure(const QString& name);
  Q_INVOKABLE void bumpUnread(const QString& name);
  Q_INVOKABLE void clearUnread(const QString& name);
  Q_INVOKABLE int unread(const QString& name) const;
  /// Everything about one contact as a map (empty if unknown).
  Q_INVOKABLE QVariantMap get(const QString& name) const;

  /// Every contact's name, in order.
  Q_INVOKABLE QStringList names() const;
  /// Marks exactly `names` as online.
  Q_INVOKABLE void setOnline(const QStringList& names);
  /// The pinned key (clears a key change).
  Q_INVOKABLE void setKey(const QString& name, const QString& fp, bool verified);
  /// The router now has another key for `name`.
  Q_INVOKABLE void setKeyChanged(const QString& name, const QString& new_fp);
  /// Whether the conversation with `name` is forward secret (letters v3).
  Q_INVOKABLE void setForwardSecret(const QString& name, bool on);
  /// Shows `text`, sent at `ts` (ms since the epoch), as the last message
  /// with `name`, unless the preview already shows a newer one: payments
  /// from the bank's history come in any order.
  Q_INVOKABLE void setPreview(const QString& name, const QString& text,
                              qint64 ts);
  /// Removes `name`; false if unknown.
  Q_INVOKABLE bool remove(const QString& name);
  Q_INVOKABLE void clear();

Q_SIGNALS:
  void countChanged();
  void totalUnreadChanged();

private:
  void changed(int row, QVector<int> roles);

  QVector<contact> items_;
};

} // namespace courier::ui
