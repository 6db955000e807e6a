#pragma once

#include "core/api/ExecutionRecord.h"

#include <QWidget>

class CompareModel;
class QLabel;
class QTableView;
class QTextBrowser;

// Two executions side by side: the aligned steps with their status,
// latency, tokens and cost on each side, the deltas, which steps exist on one side only, and
// the line diff of the selected row's outputs. Object names: compareView, compareTable,
// compareDiff, compareSummary. GUI thread only.
class CompareView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareView)
public:
    explicit CompareView(QWidget *parent = nullptr);

    void setExecutions(const ExecutionRecord &left, const ExecutionRecord &right);
    CompareModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QString diffText() const; // the diff pane as plain text

private:
    void showDiff(int row);

    CompareModel *m_model; // Owned (child).
    QTableView *m_table;
    QTextBrowser *m_diff;
    QLabel *m_summary;
};
