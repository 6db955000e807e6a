#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QImage>
#include <QPointer>
#include <QUrl>
#include <QWidget>

class ExecutionBackend;
class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QTextBrowser;
class QTimer;
class QToolButton;
class QTreeView;
class TraceModel;
class TraceReplayer;
class TraceTimeline;

// The trace viewer: the step tree beside the timeline waterfall, a
// details pane for the selected step (inputs, the exact prompt messages, raw reply, parsed
// output, error, tokens, cost, latency — formatted only when a step is selected), search within
// the trace (highlight, next/previous, "only matches"), expand/collapse all, replay of a stored
// run, and export as OTLP/JSON.
//
// Live: with a backend, the shown execution (while it runs) is subscribed to and its events are
// applied as they arrive.
// Object names (tests, the main window): traceView, traceTree, traceTimeline, traceDetails,
// traceSearch, traceMatchLabel, traceNextMatch, tracePrevMatch, traceOnlyMatches,
// traceExpandAll, traceCollapseAll, traceReplayButton, traceReplaySpeed, traceExportOtlp,
// traceFit, traceSummary. GUI thread only.
class TraceView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceView)
public:
    // backend: live events and fetches (the app's ActiveBackend, used for the view's lifetime).
    // Not owned; may be null (a view of given records only).
    explicit TraceView(ExecutionBackend *backend, QWidget *parent = nullptr);
    ~TraceView() override;

    // A stored execution with its steps (from history). Any later events for it are applied.
    void showExecution(const ExecutionRecord &record);
    // A run that has just started: an empty trace that fills from its events.
    void followExecution(const QString &executionId);
    // Fetches the execution through the backend, then shows it.
    void openExecution(const QString &executionId);
    void clear();

    // Plays the shown (finished) execution back; speed 1 = recorded pace, <= 0 = at once.
    void replay(double speed);
    void stopReplay();
    bool isReplaying() const;

    // Writes the shown execution as OTLP/JSON. Returns an error message, empty on success.
    QString exportOtlpTo(const QString &path) const;

    QString executionId() const;
    TraceModel *model() const { return m_model; }
    QTreeView *tree() const { return m_tree; }
    TraceTimeline *timeline() const { return m_timeline; }
    QString detailsHtml() const;

    void expandAll();
    void collapseAll();
    // Search: highlights matching rows and selects the first; returns the match count.
    int search(const QString &text);
    void nextMatch();
    void previousMatch();

signals:
    void executionShown(const QString &executionId);
    void replayFinished();
    void fetchFailed(const QString &message);

private:
    void setupTree();
    QHBoxLayout *buildToolbar();
    void connectSearch();
    void connectModelAndReplayer();
    void onEventsReceived(const ExecutionEventList &events);
    void onCurrentChanged();
    void updateDetails();
    QString toolSections(const StepRecord &s);
    void updateSummary();
    void applyOnlyMatches();
    void goToMatch(int k);
    void expandDefault();
    void onReplayClicked();
    void onExportClicked();
    void tickClock();

    QPointer<ExecutionBackend> m_backend;
    // Contexts of what is in flight (Owned, children): replacing one drops its answer.
    QObject *m_fetchContext = nullptr; // the trace being opened
    QObject *m_identityContext = nullptr; // header fetch that names a live trace's root
    QObject *m_followContext = nullptr; // the subscription to the followed execution
    QObject *renew(QObject *&context);
    void fetchIdentity(const QString &executionId);
    void follow(const QString &executionId);

    TraceModel *m_model; // Owned (child).
    QTreeView *m_tree; // Owned (child).
    TraceTimeline *m_timeline; // Owned (child).
    QTextBrowser *m_details;
    QLineEdit *m_search;
    QLabel *m_matchLabel;
    QCheckBox *m_onlyMatches;
    QToolButton *m_replayButton;
    QComboBox *m_replaySpeed;
    QToolButton *m_exportButton;
    QLabel *m_summary;
    TraceReplayer *m_replayer; // Owned (child).
    QTimer *m_searchDebounce;
    QTimer *m_detailsDebounce;
    QTimer *m_clock;
    ExecutionRecord m_replaySource;
    QList<QPair<QUrl, QImage>> m_detailImages; // images of the step being shown (updateDetails)
    int m_matchCursor = -1;
    bool m_rowsHidden = false;
};
