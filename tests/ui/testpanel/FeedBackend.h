#pragma once

#include "core/api/ExecutionBackend.h"

// An in-process ExecutionBackend whose events the test emits itself (feed()), in any order
// and with any seq, so the test panel's event handling can be checked event by event. It
// records every request it is asked to start and answers a start only when the test says so
// (answerStart). Not a protocol stand-in: the main-window tests against LocalBackend cover the
// real path.
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
    void start(const ExecutionRequest &request, QObject *context, StartCallback callback) override
    {
        requests << request;
        m_starts << StartReply(context, std::move(callback));
    }
    void cancel(const QString &executionId) override { cancelled << executionId; }
    void subscribe(const QString &, qint64, QObject *, EventsCallback) override { }
    void unsubscribe(const QString &, QObject *) override { }
    void queryHistory(const HistoryQuery &query, QObject *, HistoryCallback) override { queries << query; }
    void fetchExecution(const QString &, QObject *, FetchCallback) override { }
    int runningCount() const override { return 0; }
    int queuedCount() const override { return 0; }
    QString connectionState() const override { return QStringLiteral("connected"); }

    // Tools: listTools answers `toolSources` (later, like a real backend); every callTool is
    // recorded and answered when the test says (answerCall).
    struct ToolCall
    {
        QString source, tool;
        QJsonObject arguments;
    };
    QList<ToolSourceStatus> toolSources;
    QList<ToolCall> toolCalls;
    int listCount = 0;
    void listTools(QObject *context, ToolsCallback callback) override
    {
        ++listCount;
        replyLater(ToolsReply(context, std::move(callback)), toolSources, Error { ErrorCode::None, {} });
    }
    void callTool(const QString &source, const QString &tool, const QJsonObject &arguments, QObject *context,
        ToolCallCallback callback) override
    {
        toolCalls << ToolCall { source, tool, arguments };
        m_calls << ToolCallReply(context, std::move(callback));
    }
    // Answers the oldest unanswered callTool (now, on this thread).
    void answerCall(const ToolResult &result, const Error &error = { ErrorCode::None, {} })
    {
        if (!m_calls.isEmpty())
            m_calls.takeFirst()(result, error);
    }
    void changeTools() { emit toolsChanged(); }

    void feed(const ExecutionEventList &events) { emit eventsReceived(events); }
    // Answers the oldest unanswered start() with `executionId` (now, on this thread).
    void answerStart(const QString &executionId)
    {
        if (!m_starts.isEmpty())
            m_starts.takeFirst()(executionId, Error { ErrorCode::None, {} });
    }

private:
    QList<StartReply> m_starts;
    QList<ToolCallReply> m_calls;
};
