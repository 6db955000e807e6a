#pragma once

#include "core/api/EvalTypes.h"
#include "core/eval/Compare.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

// The results matrix of the Evaluations panel (docs/evaluations-ui.md): one row per case ×
// repeat, a first column with the case, then one column per variant whose cell is that case
// run's outcome (pass / fail / error / skipped, or pending while the run goes), score, cost and
// latency, coloured by the status palette.
//
// Built for size: the cells are one flat vector (row-major, rows × variants) of small values;
// the full result records sit in a second vector the cells point into, and a cell's display
// text is made only when a view asks for it. 10,000 rows × 4 variants are set in one reset.
// Results arriving while a run goes are applied in batches (addResults) with one dataChanged
// per batch. Sorting and the "only failures" filter are in EvalMatrixFilter (a proxy) and read
// the roles below.
//
// GUI thread only.
class EvalMatrixModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EvalMatrixModel)
public:
    enum Column { CaseColumn, FirstVariantColumn };
    enum Role {
        OutcomeRole = Qt::UserRole, // QString wire outcome ("pass", …), "" while pending
        ScoreRole, // double, cell columns
        CostRole, // double or invalid (unknown / pending)
        LatencyRole, // qint64 ms or invalid
        ExecutionIdRole, // the case's execution id ("" when none)
        ChangeRole, // QString toWire(EvalCaseDelta::Change), "" without a comparison
        SortRole, // what EvalMatrixFilter sorts by (see setSortKey)
        RowFailingRole, // bool on any column: some cell of the row is not a pass (or pending)
        CaseOrderRole, // int, dataset order of the row's case
    };
    enum class SortKey { Outcome, Score, Cost, Latency };

    // One row: a case and a repeat.
    struct RowKey
    {
        QString caseId;
        int repeatIndex = 1;
        int caseOrder = 0;
    };
    // One cell, kept small (the matrix may hold 40,000 of them).
    struct Cell
    {
        int result = -1; // index into results(), -1 = pending (not finished yet)
        std::optional<EvalCaseDelta::Change> change; // from a comparison
    };

    explicit EvalMatrixModel(QObject *parent = nullptr);

    // A new plan: rows (cases × repeats, in dataset order) and variant columns, every cell
    // pending. `repeats` names the rows ("id [2/3]") when > 1.
    void setPlan(const QList<RowKey> &rows, const QStringList &variants, int repeats);
    // Rows and columns from finished results alone (a loaded run, the benchmark): one reset.
    void setResults(const QStringList &variants, int repeats, const QList<EvalResultRecord> &results);
    // Fills (or replaces) the cells of these results; a result for a row or variant the plan
    // lacks adds it. One dataChanged for the cells that changed, rows/columns inserted first.
    void addResults(const QList<EvalResultRecord> &results);
    void clear();

    // Marks newly failing / passing cells (and the rest Same); nullopt clears the marks.
    void setComparison(const std::optional<EvalComparison> &comparison);
    void setSortKey(SortKey key);
    SortKey sortKey() const { return m_sortKey; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const QStringList &variants() const { return m_variants; }
    const RowKey &rowKey(int row) const { return m_rows.at(row); }
    // The result of a cell (null while pending or for the case column).
    const EvalResultRecord *resultAt(int row, int column) const;
    const EvalResultRecord *resultAt(const QModelIndex &index) const
    {
        return resultAt(index.row(), index.column());
    }
    std::optional<EvalCaseDelta::Change> changeAt(int row, int column) const;
    // Every finished result, in arrival order.
    const QVector<EvalResultRecord> &results() const { return m_results; }
    // Cells per outcome (pending ones not counted).
    int countOf(EvalOutcome outcome) const;
    int pendingCount() const;

private:
    const Cell *cellAt(int row, int column) const;
    int rowFor(const EvalResultRecord &r, QList<RowKey> *newRows);
    int variantFor(const QString &variant, QStringList *newVariants);
    void rebuildRowIndex();
    QVariant cellData(const Cell &cell, int role) const;
    QVariant sortValue(const Cell &cell) const;
    bool rowFailing(int row) const;

    QStringList m_variants;
    QHash<QString, int> m_variantIndex;
    QVector<RowKey> m_rows;
    QHash<QString, int> m_rowIndex; // caseId + '\x1f' + repeat -> row
    QVector<Cell> m_cells; // row-major: m_rows.size() × m_variants.size()
    QVector<EvalResultRecord> m_results;
    int m_repeats = 1;
    SortKey m_sortKey = SortKey::Outcome;
};
