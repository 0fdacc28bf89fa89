#include "ui/wallet_model.hpp"

#include <QDateTime>

#include "actors/protocol/amount.hpp"

namespace courier::ui {

WalletModel::WalletModel(QObject* parent) : QAbstractListModel(parent) {
}

int WalletModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : count();
}

QVariant WalletModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= count())
    return {};
  auto& e = items_[index.row()];
  switch (role) {
    case SeqRole:
      return e.seq;
    case TimeRole:
      return QDateTime::fromMSecsSinceEpoch(e.ts).toString(
        QStringLiteral("d MMM yyyy, HH:mm"));
    case KindRole:
      return e.kind;
    case Qt::DisplayRole:
    case CounterpartyRole:
      if (!e.incoming)
        return e.to;
      return e.kind == QLatin1String("issue") ? QStringLiteral("issued")
                                              : e.from;
    case AmountRole:
      return QString::fromStdString((e.incoming ? "+" : "-")
                                    + bank::format_amount(e.amount_minor));
    case BalanceRole:
      return QString::fromStdString(bank::format_amount(e.balance_minor));
    case IncomingRole:
      return e.incoming;
    default:
      return {};
  }
}

QHash<int, QByteArray> WalletModel::roleNames() const {
  return {{SeqRole, "seq"},       {TimeRole, "time"},
          {KindRole, "kind"},     {CounterpartyRole, "counterparty"},
          {AmountRole, "amount"}, {BalanceRole, "balance"},
          {IncomingRole, "incoming"}};
}

void WalletModel::setEntries(QVector<wallet_entry> entries) {
  beginResetModel();
  items_ = std::move(entries);
  endResetModel();
  Q_EMIT countChanged();
}

} // namespace courier::ui
