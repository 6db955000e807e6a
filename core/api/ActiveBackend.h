#pragma once

#include "core/api/ExecutionBackend.h"

#include <QList>
#include <QMetaObject>
#include <QPointer>

// The backend the views use (docs/architecture.md, "Backend API"): holds the current
// ExecutionBackend, forwards every call to it and re-emits its signals, so a view connects to
// this object once and switching local <-> remote is one setBackend() call. After a switch it
// emits backendChanged() and workspaceChanged(); replies of the old backend still reach their
// callers (their contexts guard them), its events no longer do.
//
// Threading: GUI (or main) thread only, like the backends. Does not own the backend.
class ActiveBackend final : public ExecutionBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ActiveBackend)
public:
    explicit ActiveBackend(QObject *parent = nullptr);
    ~ActiveBackend() override;

    // The backend calls go to from now on (nullptr: none; calls then fail Unreachable).
    void setBackend(ExecutionBackend *backend);
    ExecutionBackend *backend() const { return m_backend; }

    QString displayName() const override;
    Workspace workspace() const override;
    void start(const ExecutionRequest &request, QObject *context, StartCallback callback) override;
    void cancel(const QString &executionId) override;
    void subscribe(
        const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback) override;
    void unsubscribe(const QString &executionId, QObject *context) override;
    void queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback) override;
    void fetchExecution(const QString &executionId, QObject *context, FetchCallback callback) override;
    bool canDelete() const override;
    void deleteExecutions(const QStringList &ids, QObject *context, DeleteCallback callback) override;
    void applyRetention(
        int keepLast, const QDateTime &olderThan, QObject *context, DeleteCallback callback) override;
    void listTools(QObject *context, ToolsCallback callback) override;
    void callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
        QObject *context, ToolCallCallback callback) override;
    int runningCount() const override;
    int queuedCount() const override;
    QString connectionState() const override;
    Error connectionError() const override;

signals:
    void backendChanged(ExecutionBackend *backend);

private:
    Error noBackend() const;

    QPointer<ExecutionBackend> m_backend;
    QList<QMetaObject::Connection> m_connections;
};
