#pragma once

// ExecutionBackend.h declares ExecutionRecord as a metatype (rerunRequested carries one).
#include "core/api/ExecutionBackend.h"
#include "core/api/ExecutionRecord.h"

#include <QDockWidget>
#include <QPointer>

class CompareView;
class HistoryChart;
class HistoryModel;
class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QDoubleSpinBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QTimer;
class QToolButton;
class TraceView;

// The history dock: stored executions newest first,
// loaded page by page; full-text search with the matches highlighted in the details; filters
// for status, type, mode, agent, orchestration, trigger, time, cost and latency; sort by time,
// cost or latency; a details pane; a chart of cost and latency; and the actions Run again,
// Open trace, Compare (two rows), Delete, Retention, Export (CSV / JSON).
//
// Every query goes through the backend's asynchronous calls: nothing here touches a database
// or blocks the GUI thread.
//
// Object names: historyDock, historySearch, historyStatusFilter, historyMoreFilters,
// historyFilterPanel, historyTypeFilter, historyModeFilter, historyAgentFilter,
// historyOrchestrationFilter, historyTriggerFilter, historySinceEnabled, historySince,
// historyUntilEnabled, historyUntil, historyMinCost, historyMaxCost, historyMinLatency,
// historyMaxLatency, historySort, historyTable, historyDetails, historyChart, historyTabs,
// rerunButton, openTraceButton, compareButton, deleteButton, retentionButton,
// exportHistoryButton, historyRefresh, historyStatusLabel. GUI thread only.
class HistoryDock final : public QDockWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryDock)
public:
    // backend: not owned, connected once (the app's ActiveBackend: a switch local <-> remote
    // lists the other engine's history); may be null.
    explicit HistoryDock(ExecutionBackend *backend, QWidget *parent = nullptr);
    ~HistoryDock() override;

    // Where "Open trace" shows a run; not owned. Without one, only traceRequested is emitted.
    void setTraceView(TraceView *view);

    HistoryModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    HistoryChart *chart() const { return m_chart; }
    CompareView *compareView() const { return m_compareView; }

    // The filters as a query (what the list shows).
    HistoryQuery currentQuery() const;
    // Reloads the list with the current filters.
    void refresh();
    // The selected rows' records (without steps), in view order.
    QList<ExecutionRecord> selectedRecords() const;
    QString detailsHtml() const;

    // The actions, also callable directly (tests, menus).
    void rerunSelected();
    void openSelectedTrace();
    void compareSelected();
    // "Save as Test Case…" (context menu): asks for the one selected run to become a case.
    void saveSelectedAsTestCase();
    void deleteSelected(); // asks first (MessageBox seam)
    void applyRetention(int keepLast, int olderThanDays);
    QString exportTo(const QString &path) const; // .csv or .json by extension; "" = ok

signals:
    // "Run again": the test panel re-runs it with the same mode, target, inputs, upstream.
    void rerunRequested(const ExecutionRecord &execution);
    // "Open trace": the id to show (a TraceView set with setTraceView fetches it itself).
    void traceRequested(const QString &executionId);
    void compareOpened(CompareView *view);
    void executionsDeleted(int count);
    // "Save as Test Case…" on a run (the Evaluations panel turns it into a dataset case).
    void saveAsTestCaseRequested(const QString &executionId);

private:
    QHBoxLayout *buildSearchRow(QWidget *content);
    void buildFilterPanel(QWidget *content);
    QSplitter *buildList(QWidget *content);
    QHBoxLayout *buildActions(QWidget *content);
    void connectFilters();
    void connectListAndActions();
    void scheduleQuery();
    void applyQuery();
    void updateButtons();
    void updateDetails();
    void updateStatusLabel();
    void populateTargets();
    void onWorkspaceChanged();
    void connectBackend();
    void onBackendChanged();
    void onFetched(int side, const ExecutionRecord &record, const Error &error);
    void onDeleted(int count, const Error &error);
    QObject *newDeleteContext();
    void openRetentionDialog();
    void onExportClicked();
    void showContextMenu(const QPoint &pos);
    QStringList searchTerms() const;

    QPointer<ExecutionBackend> m_backend;
    // The backend lists one workspace's runs (organization id, workspace id): when another
    // workspace is opened, the list is queried again.
    QPair<QString, QString> m_tenant;
    QPointer<TraceView> m_traceView;
    QPointer<CompareView> m_compareView;

    HistoryModel *m_model; // Owned (child).
    QTableView *m_table;
    QTextBrowser *m_details;
    HistoryChart *m_chart;
    QTabWidget *m_tabs;
    QLineEdit *m_search;
    QComboBox *m_status;
    QToolButton *m_moreFilters;
    QWidget *m_filterPanel;
    QComboBox *m_type;
    QComboBox *m_mode;
    QComboBox *m_agent;
    QComboBox *m_orchestration;
    QComboBox *m_trigger;
    QCheckBox *m_sinceEnabled;
    QDateTimeEdit *m_since;
    QCheckBox *m_untilEnabled;
    QDateTimeEdit *m_until;
    QDoubleSpinBox *m_minCost;
    QDoubleSpinBox *m_maxCost;
    QSpinBox *m_minLatency;
    QSpinBox *m_maxLatency;
    QComboBox *m_sort;
    QPushButton *m_rerun;
    QPushButton *m_openTrace;
    QPushButton *m_compare;
    QPushButton *m_delete;
    QPushButton *m_retention;
    QPushButton *m_export;
    QLabel *m_statusLabel;
    QTimer *m_queryDebounce;

    // Compare: the two fetches in flight and what has arrived.
    QObject *m_compareContext = nullptr; // Owned: the comparison's two fetches in flight
    int m_comparePending = 0;
    ExecutionRecord m_compareRecords[2];
    QObject *m_deleteContext = nullptr; // Owned: the delete / retention in flight
    QStringList m_deleteIds;
    QString m_lastMessage;
};
