#pragma once

// The signed-in user's transfers as the bank reports them, newest first.

#include <QAbstractListModel>
#include <QString>
#include <QVector>

namespace courier::ui {

struct wallet_entry {
  qint64 seq = 0;
  qint64 ts = 0;
  QString kind; ///< "transfer" or "issue"
  QString from;
  QString to;
  qint64 amount_minor = 0;
  qint64 balance_minor = 0; ///< the user's balance after it
  bool incoming = false;
};

class WalletModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
  enum roles {
    SeqRole = Qt::UserRole + 1,
    TimeRole,
    KindRole,
    CounterpartyRole,
    AmountRole,
    BalanceRole,
    IncomingRole,
  };

  explicit WalletModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  int count() const { return static_cast<int>(items_.size()); }

  /// Replaces the list (newest first).
  void setEntries(QVector<wallet_entry> entries);
  void clear() { setEntries({}); }

Q_SIGNALS:
  void countChanged();

private:
  QVector<wallet_entry> items_;
};

} // namespace courier::ui
