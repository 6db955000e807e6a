#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionTypes.h"
#include "core/model/Workspace.h"

#include <QPointer>
#include <QWidget>

class ExecutionBackend;
class ExecutionTracker;
class FormBuilder;
class QLabel;
class QPushButton;
class QSplitter;
class QVBoxLayout;
class RunOptions;
class RunOutputPane;
struct ExecutionRequest;

// One mode of the test panel (Single Agent, Node in Context, Full Workflow): what TestPanel
// needs from a tab, and what the three share — the splitter with the form column on the left,
// the status line with Cancel / Run under it, the output pane fed by the tab's own
// ExecutionTracker, and the Run / Cancel / running-state wiring. A tab builds its column
// (column()), then calls addRunRow() and placeOutput() or its own right-hand side.
// GUI thread only.
class TestTab : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TestTab)
public:
    // The tab's title and tooltip in the panel.
    virtual QString title() const = 0;
    virtual QString description() const = 0;
    // The mode of the runs this tab starts (and re-runs).
    virtual TestMode mode() const = 0;

    // Keeps the selected target and its inputs when they still exist.
    virtual void setWorkspace(const Workspace &workspace) = 0;

    virtual bool canRun() const = 0;
    // The tab's run is going (a tab with runs of its own besides the tracker's says so too).
    virtual bool isRunning() const;
    // Runs the current form; returns the execution id (empty when it cannot run).
    virtual QString run(const QString &rerunOf = {}) = 0;
    // Cancels the tab's run (all of them, for a tab that has several).
    virtual void cancel();
    // Shows a stored execution of this tab's mode (its target and inputs), ready to run again.
    // False, with *error saying why, when a run of this tab is going or the target is not in
    // this workspace.
    virtual bool loadRecord(const ExecutionRecord &record, QString *error) = 0;
    // The tab's input forms, first one first (keyboard focus goes to its first field).
    virtual QList<FormBuilder *> forms() const = 0;
    // Puts the keyboard focus in the first field of the first form that has one.
    void focusFirstField();

    ExecutionTracker *tracker() const { return m_tracker; }
    RunOutputPane *output() const { return m_output; }
    // Budget and next-run tool mocks (created by addRunRow, above Run).
    RunOptions *runOptions() const { return m_options; }

signals:
    void runningChanged(bool running);

protected:
    TestTab(ExecutionBackend *backend, QWidget *parent);

    // The left-hand column (margins set) and the horizontal splitter it sits in.
    QWidget *columnWidget() const { return m_column; }
    QVBoxLayout *column() const { return m_columnLayout; }
    QSplitter *splitter() const { return m_splitter; }
    // The status line and Cancel / Run at the bottom of the column; the buttons call cancel()
    // and run().
    void addRunRow(const QString &runText, const QString &runToolTip, int runMinimumWidth);
    // The output pane (created once, child of `parent`).
    RunOutputPane *createOutput(QWidget *parent);
    // The output pane right of the column, 2 : 3 (Single Agent, Node in Context).
    void placeOutputBesideColumn();
    // Every edit and validity change of `form` refreshes the buttons.
    void watchForm(FormBuilder *form);

    // Starts `request` through the tracker, with the budget and the pending tool mocks of the
    // run options (which are then cleared); returns the execution id.
    QString startRun(ExecutionRequest request);
    // What startRun() adds to a request before it starts: the budget and the pending tool
    // mocks (which are then cleared). For a tab that starts the request elsewhere.
    void applyRunOptions(ExecutionRequest &request);
    // Enables Run / Cancel and writes the status line: "Running…", nothing when there is no
    // target, the fields to fix, or "Ready to run.".
    void showRunState(bool hasTarget, const QStringList &problems);
    QPushButton *runButton() const { return m_run; }

    // Refreshes the buttons and pickers (running state, validity). Called on every tracker
    // status change and form edit.
    virtual void updateButtons() = 0;
    // The run ended (before the buttons are refreshed and runningChanged(false)).
    virtual void onRunFinished(const QString &status) { Q_UNUSED(status) }

private:
    QPointer<ExecutionBackend> m_backend;
    ExecutionTracker *m_tracker = nullptr; // Owned (child).
    RunOptions *m_options = nullptr; // Owned (child of the column).
    QSplitter *m_splitter = nullptr; // Owned (children from here on).
    QWidget *m_column = nullptr;
    QVBoxLayout *m_columnLayout = nullptr;
    QLabel *m_formStatus = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    RunOutputPane *m_output = nullptr;
};
