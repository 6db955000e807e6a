#pragma once

#include "core/api/ExecutionBackend.h"
#include "core/api/ExecutionFold.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>

// What the metrics bar shows for one run: live estimates while it runs, the engine's figures
// once it completes. -1 means "not known (yet)".
struct RunMetrics
{
    // empty (idle) | starting | queued | running | completed | failed | cancelled | interrupted
    // | detached (the panel stopped following it: switched to another backend)
    QString status;
    qint64 queueMs = -1;
    qint64 ttftMs = -1;
    qint64 totalMs = -1;
    qint64 inputTokens = -1;
    qint64 outputTokens = 0;
    bool tokensEstimated = false;
    double tokensPerSecond = -1;
    std::optional<double> costUsd; // final only; nullopt after the end = price unknown
    bool finished = false;
    QString errorMessage;
};

// Follows one execution at a time for a test-panel tab: starts it through the backend (the
// id is chosen here, so no event can arrive for an id we do not know yet), filters the
// backend's event batches down to it, drops events it already has (by seq), and turns them
// into signals and RunMetrics. Live figures use the local clock; the final ones are the
// engine's. GUI thread only.
class ExecutionTracker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExecutionTracker)
public:
    // `backend` is connected once (the app passes its ActiveBackend). When the active backend
    // switches (local <-> remote), a run still followed is let go: it goes on where it was
    // started, and finished() says so (status "detached").
    ExecutionTracker(ExecutionBackend *backend, QObject *parent);
    ExecutionBackend *backend() const { return m_backend; }

    // Starts `request` (a new run replaces the one followed so far). Returns the execution id.
    QString start(ExecutionRequest request);
    // Called first thing in every start(), before the backend sees the request: the app settles
    // the workspace's credential trust there (docs/credentials.md; it may show a modal dialog).
    void setBeforeStart(std::function<void()> hook) { m_beforeStart = std::move(hook); }
    // The hook, for a view that starts several runs at once through trackers of its own and
    // settles the trust once for all of them.
    const std::function<void()> &beforeStart() const { return m_beforeStart; }
    void cancel();
    bool isActive() const { return m_active; }
    QString executionId() const { return m_executionId; }
    const RunMetrics &metrics() const; // live figures are refreshed on each call
    // The node id a step belongs to (its own node_id or its parent's), or empty.
    QString nodeOfStep(const QString &stepId) const { return m_stepNode.value(stepId); }

signals:
    void runStarted(const QString &executionId);
    // The backend accepted the run under `executionId`: the id start() returned (local engine)
    // or one it chose itself (a remote server does), which is then followed from now on.
    // Views that subscribe to the run by id (the trace) wait for this.
    void runConfirmed(const QString &executionId);
    void statusChanged(const QString &status);
    // Chunk text of a step; nodeId is set inside workflows.
    void chunkReceived(const QString &stepId, const QString &nodeId, const QString &text, int tokens);
    void stepStarted(const StepRecord &step);
    void stepCompleted(const StepRecord &step);
    // The run ended (completed, failed, cancelled, interrupted, or could not start).
    void finished(const QString &status, const QJsonObject &outputs, const QString &errorMessage);
    void metricsChanged();

private:
    void onEvents(const ExecutionEventList &events);
    void handle(const ExecutionEvent &e);
    // `end`: the record as the `complete` event left it (its figures become the final
    // ones); nullptr when the run did not reach its end here (`error` says why).
    void finish(const QString &status, const ExecutionRecord *end, const QString &error = {});
    void onStartReply(const QString &id, const Error &error);
    void detach();

    QPointer<ExecutionBackend> m_backend;
    std::function<void()> m_beforeStart;
    // The context of the current run's start reply: replaced by the next run (or a switch), so
    // an older run's answer never reaches us.
    QObject *m_runContext = nullptr; // Owned (child).
    QString m_executionId;
    bool m_active = false;
    bool m_confirmed = false; // the backend's start reply named the id
    bool m_cancelPending = false; // cancel() before that: sent again under the confirmed id
    ExecutionFold m_fold; // the followed run's events, folded into its record
    QHash<QString, QString> m_stepNode; // step id -> node id
    mutable RunMetrics m_metrics;
    qint64 m_startMs = 0; // local clock: start() called
    qint64 m_runningMs = 0; // local clock: status running seen
    qint64 m_firstChunkMs = 0; // local clock: first chunk
    qint64 m_endMs = 0;
};
