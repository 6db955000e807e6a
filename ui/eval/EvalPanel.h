#pragma once

#include "core/api/EvalTypes.h"
#include "core/eval/Compare.h"
#include "core/eval/Dataset.h"

#include <QList>
#include <QPointer>
#include <QWidget>

#include <optional>

class EvalMatrixFilter;
class EvalMatrixModel;
class EvalRecorder;
class EvalRunner;
class ExecutionBackend;
class SaveCaseDialog;
class TraceView;
class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTextBrowser;
class QTimer;
class QToolButton;

// The Evaluations panel (docs/evaluations-ui.md), a dock of the main window: opens a dataset
// (*.eval.json) or a promptfoo config (*.yaml), lists its problems with their paths, lets the
// user pick variants, repeat, concurrency and cache mode, runs it through an EvalRunner on the
// app's backend (local or remote) with a progress bar and line, and shows the results matrix
// (EvalMatrixModel behind EvalMatrixFilter: sorting, "only failures"), a selected cell's
// details (assertions with their messages, judge samples), and a cell's trace on double-click.
// "Compare with…" picks a recorded run of the same dataset as the baseline and marks what
// newly fails or passes; Export writes JUnit, CSV or JSON. "Save as test case…" turns a past
// run (from the history dock, or the test panel's last run) into a dataset case.
//
// Threading: GUI thread. Nothing here blocks it: datasets are read and parsed, reports and
// cases written on the thread pool (QtConcurrent; a stale or orphaned answer is dropped by a
// generation number and a watcher owned by this panel); runs go through the backend; eval
// records through the EvalRecorder's own thread.
//
// Object names: evalPanel, evalOpen, evalDatasetLabel, evalProblems, evalVariants, evalRepeat,
// evalConcurrency, evalCache, evalRun, evalCancel, evalProgress, evalProgressLine, evalSummary,
// evalStatus, evalCompare, evalExport, evalSaveCase, evalOnlyFailures, evalSortKey, evalMatrix, evalDetails.
class EvalPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EvalPanel)
public:
    // `backend` is not owned (the app's ActiveBackend) and must outlive the panel.
    explicit EvalPanel(ExecutionBackend *backend, QWidget *parent = nullptr);
    ~EvalPanel() override;

    // Where eval runs are recorded and baselines are read (the app's history database). Without
    // one, runs are not recorded and there is nothing to compare with.
    void setHistoryDatabasePath(const QString &path);
    QString historyDatabasePath() const;
    // Where a cell's trace opens; not owned. Without one, only traceRequested is emitted.
    void setTraceView(TraceView *view);
    // The test panel's last run (for "Save as test case… › the test panel's last run").
    void setLastTestRun(const QString &executionId);

    // Reads the file on the thread pool (a .yaml/.yml one as a promptfoo config); then
    // datasetLoaded() or loadFailed() (problems listed in the panel).
    void openDataset(const QString &path);
    void openWithDialog();
    bool hasDataset() const { return m_dataset.has_value(); }
    const Dataset *dataset() const { return m_dataset ? &*m_dataset : nullptr; }
    QStringList problems() const;

    QStringList checkedVariants() const;
    void setVariantChecked(const QString &name, bool checked);
    void setRepeat(int repeat);
    void setConcurrency(int concurrency);
    void setCacheMode(CacheMode mode);

    // Runs the checked variants (all when none is checked); runFinished() follows.
    void run();
    void cancel();
    bool isRunning() const;
    EvalRunRecord currentRun() const { return m_run; }

    // Recorded runs of this dataset, newest first (refreshed on load and after each run).
    void refreshBaselines();
    const QList<EvalRunRecord> &baselines() const { return m_baselines; }
    // Loads `evalRunId` and compares the shown run with it (empty: no comparison);
    // comparisonShown() follows.
    void compareWith(const QString &evalRunId);
    const std::optional<EvalComparison> &comparison() const { return m_comparison; }

    // Writes the shown run as JUnit XML, CSV or JSON (by the extension: .xml, .csv, .json)
    // on the thread pool; exportFinished() follows.
    void exportTo(const QString &path);

    // Fetches the execution with its steps, builds the case and opens the dialog (window-modal,
    // returns at once); saveDialogOpened() follows, caseSaved() once it is written.
    void saveAsTestCase(const QString &executionId);
    SaveCaseDialog *saveDialog() const;

    // Opens the trace of a matrix cell (an index of matrix()'s model).
    void openCellTrace(const QModelIndex &index);

    EvalMatrixModel *model() const { return m_model; }
    EvalMatrixFilter *filter() const { return m_filter; }
    QTableView *matrix() const { return m_matrix; }
    EvalRunner *runner() const { return m_runner; }
    QString statusText() const;
    QString detailsHtml() const;

signals:
    void datasetLoaded();
    void loadFailed(const QString &message);
    void runFinished(const EvalRunRecord &run);
    void baselinesListed();
    void comparisonShown();
    void exportFinished(const QString &path, const QString &error);
    void traceRequested(const QString &executionId);
    void saveDialogOpened(SaveCaseDialog *dialog);
    void caseSaved(const QString &datasetPath, const QString &caseId, const QString &error);

private:
    struct LoadOutcome;
    QWidget *buildSetup();
    QWidget *buildResults();
    void connectRunner();
    void onLoaded(int generation, const LoadOutcome &outcome);
    void showDataset();
    void planMatrix(const QStringList &variants, int repeat);
    void flushResults();
    void onProgress(const EvalProgress &progress);
    void onRunFinished(const EvalRunRecord &run);
    void onCurrentCellChanged();
    void onBaselineLoaded(
        const EvalRunRecord &run, const QList<EvalResultRecord> &results, const QString &error);
    void onExecutionFetched(const ExecutionRecord &record, const QString &error);
    void writeCase(const QString &path, const QJsonObject &target, const QJsonObject &caseObject);
    void populateCompareMenu();
    void populateSaveMenu();
    void chooseExport(const QString &extension);
    void updateState();
    void setStatus(const QString &text, bool error = false);
    EvalRecorder *recorder();

    QPointer<ExecutionBackend> m_backend;
    QPointer<TraceView> m_traceView;
    QString m_dbPath;
    EvalRecorder *m_recorder = nullptr; // Owned (child), made on first use
    EvalRunner *m_runner; // Owned (child)

    std::optional<Dataset> m_dataset;
    QString m_loadingPath;
    int m_loadGeneration = 0;
    EvalRunRecord m_run; // the run shown in the matrix
    QList<EvalResultRecord> m_incoming; // results not yet in the model (coalesced per frame)
    QTimer *m_flushTimer;
    QList<EvalRunRecord> m_baselines;
    std::optional<EvalComparison> m_comparison;
    QObject *m_baselineContext = nullptr; // Owned: the baseline load in flight
    QString m_lastTestRun;
    QObject *m_fetchContext = nullptr; // Owned: the save-as-case fetch in flight
    QPointer<SaveCaseDialog> m_saveDialog;

    EvalMatrixModel *m_model; // Owned (child)
    EvalMatrixFilter *m_filter; // Owned (child)
    QPushButton *m_open = nullptr;
    QLabel *m_datasetLabel = nullptr;
    QListWidget *m_problems = nullptr;
    QListWidget *m_variants = nullptr;
    QSpinBox *m_repeat = nullptr;
    QSpinBox *m_concurrency = nullptr;
    QComboBox *m_cache = nullptr;
    QPushButton *m_runButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressLine = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_status = nullptr;
    QString m_statusText;
    QToolButton *m_compare = nullptr;
    QToolButton *m_export = nullptr;
    QToolButton *m_saveCase = nullptr;
    QCheckBox *m_onlyFailures = nullptr;
    QComboBox *m_sortKey = nullptr;
    QTableView *m_matrix = nullptr;
    QTextBrowser *m_details = nullptr;
};
