#pragma once

#include <QSortFilterProxyModel>

// Sorting and "only failures" over an EvalMatrixModel: sorts by its SortRole (a case column
// in dataset order, a variant column by the model's sort key: outcome with failures first,
// score, cost or latency) and, with only failures on, keeps the rows where some cell did not
// pass (or newly fails against the baseline). GUI thread only.
class EvalMatrixFilter final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EvalMatrixFilter)
public:
    explicit EvalMatrixFilter(QObject *parent = nullptr);

    void setOnlyFailures(bool on);
    bool onlyFailures() const { return m_onlyFailures; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool m_onlyFailures = false;
};
