#pragma once

#include "core/api/ExecutionBackend.h"
#include "core/engine/EngineSettings.h"

#include <memory>

class Engine;
class QThread;

// The embedded engine (docs/architecture.md, "Threads"): an Engine worker on its own named QThread
// ("agentstudio-engine") with its own network access manager and database connection.
// This object is the RAII holder: its destructor cancels runs, quits and waits the thread.
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
    void setWorkspace(const Workspace &workspace);
    // Runs started after this call use `trust` for their keys (queued to the engine in order
    // with start(), so a start() right after it already sees it).
    void setCredentialTrust(const CredentialTrust &trust);

    quint64 start(const ExecutionRequest &request) override;
    void cancel(const QString &executionId) override;
    void subscribe(const QString &executionId, qint64 afterSeq = 0) override;
    quint64 queryHistory(const HistoryQuery &query) override;
    quint64 fetchExecution(const QString &executionId) override;
    quint64 deleteExecutions(const QStringList &ids) override;
    quint64 applyRetention(int keepLast, const QDateTime &olderThan) override;
    int runningCount() const override { return m_running; }
    int queuedCount() const override { return m_queued; }

    Engine *engine() const { return m_engine; } // lives on the engine thread

private:
    Workspace m_workspace;
    QThread *m_thread = nullptr; // Owned.
    Engine *m_engine = nullptr; // Owned; deleted on its thread when the thread finishes.
    quint64 m_nextTicket = 1;
    int m_running = 0;
    int m_queued = 0;
};
