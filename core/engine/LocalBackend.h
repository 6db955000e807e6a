#pragma once

#include "core/api/ExecutionBackend.h"
#include "core/engine/EngineSettings.h"

#include <QHash>

#include <memory>

class Engine;
class HistoryReader;
class QThread;

// The embedded engine (docs/architecture.md, "Threads"): an Engine worker on its own named QThread
// ("agentstudio-engine") with its own network access manager and database connection, and a
// HistoryReader on a second thread ("agentstudio-history") with its own connection to the same
// database: history queries, fetches, deletes and retention run there, so they never wait for
// (or hold up) the thread that streams tokens. Both see only the current workspace's
// executions (StoreScope of its organization and workspace ids, docs/store.md).
// This object is the RAII holder: its destructor cancels runs, quits and waits both threads.
//
// The engine's ticketed signals are mapped to the callers' callbacks here; tickets never leave
// this class.
class LocalBackend final : public ExecutionBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalBackend)
public:
    explicit LocalBackend(
        const Workspace &workspace, const EngineSettings &settings, QObject *parent = nullptr);
    ~LocalBackend() override;

    QString displayName() const override { return QStringLiteral("Local"); }
    Workspace workspace() const override { return m_workspace; }
    void setWorkspace(const Workspace &workspace) override;
    // Runs started after this call use `trust` for their keys (queued to the engine in order
    // with start(), so a start() right after it already sees it).
    void setCredentialTrust(const CredentialTrust &trust) override;
    bool runsLocalWorkspace() const override { return true; }

    void start(const ExecutionRequest &request, QObject *context, StartCallback callback) override;
    void cancel(const QString &executionId) override;
    void subscribe(
        const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback) override;
    void unsubscribe(const QString &executionId, QObject *context) override;
    void queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback) override;
    void fetchExecution(const QString &executionId, QObject *context, FetchCallback callback) override;
    bool canDelete() const override { return true; }
    void deleteExecutions(const QStringList &ids, QObject *context, DeleteCallback callback) override;
    void applyRetention(
        int keepLast, const QDateTime &olderThan, QObject *context, DeleteCallback callback) override;
    // Tools run on the engine thread (its ToolHost); answers and toolsChanged() come back here.
    void listTools(QObject *context, ToolsCallback callback) override;
    void callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
        QObject *context, ToolCallCallback callback) override;
    int runningCount() const override { return m_running; }
    int queuedCount() const override { return m_queued; }
    QString connectionState() const override { return QStringLiteral("connected"); }

    Engine *engine() const { return m_engine; } // lives on the engine thread
    // For tests: the thread history calls run on.
    QThread *historyThread() const { return m_readerThread; }

private:
    void onEngineEvents(const ExecutionEventList &events);
    void deliverCatchUp(const QString &executionId, QObject *context, const ExecutionEventList &past);
    // Runs `job(reader)` on the history thread; the reply comes back through `deliver` here.
    void onReader(std::function<void(HistoryReader &)> job);

    Workspace m_workspace;
    QThread *m_thread = nullptr; // Owned.
    Engine *m_engine = nullptr; // Owned; deleted on its thread when the thread finishes.
    QThread *m_readerThread = nullptr; // Owned.
    HistoryReader *m_reader = nullptr; // Owned; deleted on its thread when the thread finishes.
    quint64 m_nextTicket = 1;
    QHash<quint64, StartReply> m_starts; // engine tickets in flight -> their callers
    // Per execution, per context: the subscribers (GUI thread).
    QHash<QString, QList<Subscription>> m_subscribers;
    int m_running = 0;
    int m_queued = 0;
};
