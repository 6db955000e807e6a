#include "ui/eval/EvalMatrixFilter.h"

#include "ui/eval/EvalMatrixModel.h"

EvalMatrixFilter::EvalMatrixFilter(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(EvalMatrixModel::SortRole);
    // Results stream in while a run goes: re-filter and re-sort as cells change.
    setDynamicSortFilter(true);
}

void EvalMatrixFilter::setOnlyFailures(bool on)
{
    if (m_onlyFailures == on)
        return;
    m_onlyFailures = on;
    invalidateRowsFilter();
}

bool EvalMatrixFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_onlyFailures)
        return true;
    return sourceModel()
        ->index(sourceRow, EvalMatrixModel::CaseColumn, sourceParent)
        .data(EvalMatrixModel::RowFailingRole)
        .toBool();
}
