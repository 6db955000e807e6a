#pragma once

#include "core/api/ExecutionBackend.h"

// An in-process ExecutionBackend whose events the test emits itself (feed()), in any order
// and with any seq, so the test panel's event handling can be checked event by event. It
// records every request it is asked to start. Not a protocol stand-in: the main-window tests
// against LocalBackend cover the real path.
class FeedBackend final : public ExecutionBackend
{
    Q_OBJECT
public:
    using ExecutionBackend::ExecutionBackend;

    QList<ExecutionRequest> requests; // every start(), in order
    QStringList cancelled; // every cancel() id
    QList<HistoryQuery> queries; // every queryHistory()

    QString displayName() const override { return QStringLiteral("Feed"); }
    Workspace workspace() const override { return {}; }
    quint64 start(const ExecutionRequest &request) override
    {
        requests << request;
        return ++m_ticket;
    }
    void cancel(const QString &executionId) override { cancelled << executionId; }
    void subscribe(const QString &, qint64) override { }
    quint64 queryHistory(const HistoryQuery &query) override
    {
        queries << query;
        return ++m_ticket;
    }
    quint64 fetchExecution(const QString &) override { return ++m_ticket; }
    int runningCount() const override { return 0; }
    int queuedCount() const override { return 0; }

    void feed(const ExecutionEventList &events) { emit eventsReceived(events); }

private:
    quint64 m_ticket = 0;
};
