#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/trace/Compare.h"

#include <QAbstractTableModel>

// Two executions aligned step by step (core/trace/Compare): row 0 is the executions
// themselves, then one row per aligned pair or one-sided step. GUI thread only.
class CompareModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareModel)
public:
    enum Column {
        StepColumn,
        LeftColumn,
        RightColumn,
        TokensDeltaColumn,
        CostDeltaColumn,
        LatencyDeltaColumn,
        OutputColumn,
        ColumnCount
    };
    enum Role {
        SideRole = Qt::UserRole, // "both", "left", "right"
        OutputChangedRole, // bool
        LeftStepIdRole,
        RightStepIdRole,
    };

    explicit CompareModel(QObject *parent = nullptr);

    void setExecutions(const ExecutionRecord &left, const ExecutionRecord &right);
    const ExecutionRecord &left() const { return m_left; }
    const ExecutionRecord &right() const { return m_right; }
    const CompareResult &result() const { return m_result; }
    // nullptr for row 0 (the executions).
    const CompareRow *compareRow(int row) const;
    // The output diff of a row (row 0: the executions' outputs).
    QList<DiffLine> diffOf(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString sideText(const StepRecord *s) const;

    ExecutionRecord m_left, m_right;
    CompareResult m_result;
};
