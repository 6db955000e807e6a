#include "ui/eval/EvalMatrixModel.h"

#include "ui/common/StatusPalette.h"
#include "ui/eval/EvalText.h"

#include <QBrush>
#include <QFont>

#include <algorithm>
#include <limits>

namespace {
QString rowKeyString(const QString &caseId, int repeat)
{
    return caseId + QChar(0x1f) + QString::number(repeat);
}

// Failures first when sorted ascending, then errors, skipped, passes; pending cells last.
int outcomeRank(EvalOutcome o)
{
    switch (o) {
    case EvalOutcome::Fail:
        return 0;
    case EvalOutcome::Error:
        return 1;
    case EvalOutcome::Skipped:
        return 2;
    case EvalOutcome::Pass:
        return 3;
    }
    return 4;
}
} // namespace

EvalMatrixModel::EvalMatrixModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void EvalMatrixModel::setPlan(const QList<RowKey> &rows, const QStringList &variants, int repeats)
{
    beginResetModel();
    m_variants = variants;
    m_variantIndex.clear();
    for (int i = 0; i < m_variants.size(); ++i)
        m_variantIndex.insert(m_variants.at(i), i);
    m_rows = QVector<RowKey>(rows.begin(), rows.end());
    rebuildRowIndex();
    m_cells = QVector<Cell>(m_rows.size() * m_variants.size());
    m_results.clear();
    m_repeats = std::max(1, repeats);
    endResetModel();
}

void EvalMatrixModel::setResults(
    const QStringList &variants, int repeats, const QList<EvalResultRecord> &results)
{
    beginResetModel();
    m_variants = variants;
    m_variantIndex.clear();
    for (int i = 0; i < m_variants.size(); ++i)
        m_variantIndex.insert(m_variants.at(i), i);
    for (const EvalResultRecord &r : results)
        if (!m_variantIndex.contains(r.variant)) {
            m_variantIndex.insert(r.variant, int(m_variants.size()));
            m_variants.append(r.variant);
        }
    m_rows.clear();
    m_rowIndex.clear();
    for (const EvalResultRecord &r : results) {
        const QString key = rowKeyString(r.caseId, r.repeatIndex);
        if (!m_rowIndex.contains(key)) {
            m_rowIndex.insert(key, int(m_rows.size()));
            m_rows.append({ r.caseId, r.repeatIndex, r.caseOrder });
        }
    }
    // Dataset order, whatever order the results finished in.
    std::stable_sort(m_rows.begin(), m_rows.end(), [](const RowKey &a, const RowKey &b) {
        return a.caseOrder != b.caseOrder ? a.caseOrder < b.caseOrder : a.repeatIndex < b.repeatIndex;
    });
    rebuildRowIndex();
    m_cells = QVector<Cell>(m_rows.size() * m_variants.size());
    m_results = QVector<EvalResultRecord>(results.begin(), results.end());
    const qsizetype columns = m_variants.size();
    for (int i = 0; i < m_results.size(); ++i) {
        const EvalResultRecord &r = m_results.at(i);
        const int row = m_rowIndex.value(rowKeyString(r.caseId, r.repeatIndex));
        m_cells[row * columns + m_variantIndex.value(r.variant)].result = i;
    }
    m_repeats = std::max(1, repeats);
    endResetModel();
}

void EvalMatrixModel::addResults(const QList<EvalResultRecord> &results)
{
    if (results.isEmpty())
        return;
    QStringList newVariants;
    for (const EvalResultRecord &r : results)
        variantFor(r.variant, &newVariants);
    if (!newVariants.isEmpty()) {
        // A column the plan lacks: rare (a loaded run with other variants); lay the matrix out
        // again in one reset.
        QList<EvalResultRecord> all(m_results.begin(), m_results.end());
        all.append(results);
        setResults(m_variants + newVariants, m_repeats, all);
        return;
    }
    QList<RowKey> newRows;
    for (const EvalResultRecord &r : results)
        rowFor(r, &newRows);
    if (!newRows.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(newRows.size()) - 1);
        m_rows.append(QVector<RowKey>(newRows.begin(), newRows.end()));
        m_cells.resize(m_rows.size() * m_variants.size());
        endInsertRows();
    }
    int top = std::numeric_limits<int>::max();
    int bottom = -1;
    const qsizetype columns = m_variants.size();
    for (const EvalResultRecord &r : results) {
        const int row = m_rowIndex.value(rowKeyString(r.caseId, r.repeatIndex));
        Cell &cell = m_cells[row * columns + m_variantIndex.value(r.variant)];
        if (cell.result >= 0) {
            m_results[cell.result] = r;
        } else {
            cell.result = int(m_results.size());
            m_results.append(r);
        }
        top = std::min(top, row);
        bottom = std::max(bottom, row);
    }
    // One signal for the batch: the rows it touched, every column (the case column's
    // RowFailingRole changes with its cells).
    emit dataChanged(index(top, 0), index(bottom, columnCount() - 1));
}

void EvalMatrixModel::clear()
{
    setPlan({}, {}, 1);
}

void EvalMatrixModel::setComparison(const std::optional<EvalComparison> &comparison)
{
    for (Cell &c : m_cells)
        c.change.reset();
    if (comparison) {
        for (const EvalCaseDelta &d : comparison->cases) {
            const auto row = m_rowIndex.constFind(rowKeyString(d.caseId, d.repeatIndex));
            const auto column = m_variantIndex.constFind(d.variant);
            if (row == m_rowIndex.cend() || column == m_variantIndex.cend())
                continue; // removed since the baseline: not in this matrix
            m_cells[*row * m_variants.size() + *column].change = d.change;
        }
    }
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void EvalMatrixModel::setSortKey(SortKey key)
{
    if (m_sortKey == key)
        return;
    m_sortKey = key;
    if (!m_rows.isEmpty())
        emit dataChanged(
            index(0, FirstVariantColumn), index(rowCount() - 1, columnCount() - 1), { SortRole });
}

int EvalMatrixModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EvalMatrixModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : FirstVariantColumn + int(m_variants.size());
}

const EvalMatrixModel::Cell *EvalMatrixModel::cellAt(int row, int column) const
{
    const int v = column - FirstVariantColumn;
    if (row < 0 || row >= m_rows.size() || v < 0 || v >= m_variants.size())
        return nullptr;
    return &m_cells.at(row * m_variants.size() + v);
}

const EvalResultRecord *EvalMatrixModel::resultAt(int row, int column) const
{
    const Cell *c = cellAt(row, column);
    return c && c->result >= 0 ? &m_results.at(c->result) : nullptr;
}

std::optional<EvalCaseDelta::Change> EvalMatrixModel::changeAt(int row, int column) const
{
    const Cell *c = cellAt(row, column);
    return c ? c->change : std::nullopt;
}

int EvalMatrixModel::countOf(EvalOutcome outcome) const
{
    return int(std::count_if(m_cells.cbegin(), m_cells.cend(),
        [&](const Cell &c) { return c.result >= 0 && m_results.at(c.result).outcome == outcome; }));
}

int EvalMatrixModel::pendingCount() const
{
    return int(std::count_if(m_cells.cbegin(), m_cells.cend(), [](const Cell &c) { return c.result < 0; }));
}

bool EvalMatrixModel::rowFailing(int row) const
{
    const qsizetype columns = m_variants.size();
    for (qsizetype v = 0; v < columns; ++v) {
        const Cell &c = m_cells.at(row * columns + v);
        if (c.change == EvalCaseDelta::Change::NewlyFailing)
            return true;
        if (c.result >= 0 && m_results.at(c.result).outcome != EvalOutcome::Pass)
            return true;
    }
    return false;
}

QVariant EvalMatrixModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size() || index.column() >= columnCount())
        return {};
    if (role == RowFailingRole)
        return rowFailing(index.row());
    const RowKey &key = m_rows.at(index.row());
    if (role == CaseOrderRole)
        return key.caseOrder;
    if (index.column() == CaseColumn) {
        switch (role) {
        case Qt::DisplayRole:
        case Qt::ToolTipRole:
            return m_repeats > 1
                ? QStringLiteral("%1 [%2/%3]").arg(key.caseId).arg(key.repeatIndex).arg(m_repeats)
                : key.caseId;
        case SortRole:
            return qint64(key.caseOrder) * 65536 + key.repeatIndex;
        default:
            return {};
        }
    }
    return cellData(*cellAt(index.row(), index.column()), role);
}

QVariant EvalMatrixModel::cellData(const Cell &cell, int role) const
{
    const EvalResultRecord *r = cell.result >= 0 ? &m_results.at(cell.result) : nullptr;
    using statuspalette::Tone;
    const Tone tone = r ? evaltext::tone(r->outcome) : Tone::Waiting;
    switch (role) {
    case Qt::DisplayRole:
        return r ? evaltext::cellText(*r, cell.change) : tr("pending");
    case Qt::ToolTipRole:
        return r ? evaltext::cellToolTip(*r, cell.change) : tr("not finished yet");
    case Qt::DecorationRole:
        return statuspalette::icon(tone);
    case Qt::BackgroundRole:
        return QBrush(statuspalette::fill(tone));
    case Qt::ForegroundRole:
        return r && r->outcome != EvalOutcome::Pass ? QBrush(statuspalette::color(tone)) : QVariant();
    case Qt::FontRole:
        if (cell.change == EvalCaseDelta::Change::NewlyFailing
            || cell.change == EvalCaseDelta::Change::NewlyPassing) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case OutcomeRole:
        return r ? toWire(r->outcome) : QString();
    case ScoreRole:
        return r ? QVariant(r->score) : QVariant();
    case CostRole:
        return r && r->costUsd ? QVariant(*r->costUsd) : QVariant();
    case LatencyRole:
        return r && r->latencyMs >= 0 ? QVariant(r->latencyMs) : QVariant();
    case ExecutionIdRole:
        return r ? r->executionId : QString();
    case ChangeRole:
        return cell.change ? toWire(*cell.change) : QString();
    case SortRole:
        return sortValue(cell);
    default:
        return {};
    }
}

QVariant EvalMatrixModel::sortValue(const Cell &cell) const
{
    constexpr double unknown = std::numeric_limits<double>::max();
    if (cell.result < 0)
        return unknown; // pending last
    const EvalResultRecord &r = m_results.at(cell.result);
    switch (m_sortKey) {
    case SortKey::Outcome:
        return outcomeRank(r.outcome) * 2.0 + r.score; // then by score within an outcome
    case SortKey::Score:
        return r.score;
    case SortKey::Cost:
        return r.costUsd ? *r.costUsd : unknown;
    case SortKey::Latency:
        return r.latencyMs >= 0 ? double(r.latencyMs) : unknown;
    }
    return unknown;
}

QVariant EvalMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section == CaseColumn)
        return tr("Case");
    return m_variants.value(section - FirstVariantColumn);
}

int EvalMatrixModel::rowFor(const EvalResultRecord &r, QList<RowKey> *newRows)
{
    const QString key = rowKeyString(r.caseId, r.repeatIndex);
    const auto it = m_rowIndex.constFind(key);
    if (it != m_rowIndex.cend())
        return *it;
    // Indexed at once (before the rows are inserted) so a batch with many new rows stays linear.
    const int row = int(m_rows.size() + newRows->size());
    m_rowIndex.insert(key, row);
    newRows->append({ r.caseId, r.repeatIndex, r.caseOrder });
    return row;
}

int EvalMatrixModel::variantFor(const QString &variant, QStringList *newVariants)
{
    const auto it = m_variantIndex.constFind(variant);
    if (it != m_variantIndex.cend())
        return *it;
    if (!newVariants->contains(variant))
        newVariants->append(variant);
    return -1;
}

void EvalMatrixModel::rebuildRowIndex()
{
    m_rowIndex.clear();
    m_rowIndex.reserve(m_rows.size());
    for (int i = 0; i < m_rows.size(); ++i)
        m_rowIndex.insert(rowKeyString(m_rows.at(i).caseId, m_rows.at(i).repeatIndex), i);
}
