#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/api/ToolTypes.h"
#include "core/model/Workspace.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <utility>

// A reply handler bound to the object that asked (docs/architecture.md, "Backend API"): the
// callback runs on the backend's thread only while `context` is alive, so a view that is
// destroyed (or a request that became stale and whose context was deleted) never hears back.
// A null context means "no receiver to guard" (the callback always runs).
template <typename... Args> class BackendReply
{
public:
    BackendReply() = default;
    template <typename F>
    BackendReply(QObject *context, F &&callback)
        : m_context(context)
        , m_guarded(context != nullptr)
        , m_callback(std::forward<F>(callback))
    {
    }

    // Calls the callback once if its context still exists; later calls do nothing.
    void operator()(Args... args)
    {
        if (!m_callback || (m_guarded && m_context.isNull()))
            return;
        auto callback = std::exchange(m_callback, {});
        callback(std::forward<Args>(args)...);
    }
    bool isAlive() const { return m_callback && (!m_guarded || !m_context.isNull()); }
    QObject *context() const { return m_context.data(); }

private:
    QPointer<QObject> m_context;
    bool m_guarded = false;
    std::function<void(Args...)> m_callback;
};

// The one interface the UI and the runner see (docs/architecture.md): start, cancel, query
// history, and the events of executions. Implementations: LocalBackend (embedded engine thread,
// history on a reader thread) and RemoteBackend (agentstudio-server over HTTP + WebSocket).
// ActiveBackend holds the current one for the views.
//
// Threading: lives on and is called from the GUI (or main) thread; every method returns at
// once. Replies go only to the caller that asked: each asynchronous call takes a context object
// and a callback, invoked later (never inside the call) on this thread, once, and only if the
// context is still alive. A failure is an Error whose code says what happened (never read the
// message to decide).
struct CredentialTrust; // core/providers/CredentialPolicy.h

class ExecutionBackend : public QObject
{
    Q_OBJECT
public:
    using StartCallback = std::function<void(const QString &executionId, const Error &error)>;
    using HistoryCallback = std::function<void(const HistoryPage &page, const Error &error)>;
    using FetchCallback = std::function<void(const ExecutionRecord &record, const Error &error)>;
    using DeleteCallback = std::function<void(int deleted, const Error &error)>;
    using EventsCallback = std::function<void(const ExecutionEventList &events)>;
    using StartReply = BackendReply<const QString &, const Error &>;
    using HistoryReply = BackendReply<const HistoryPage &, const Error &>;
    using FetchReply = BackendReply<const ExecutionRecord &, const Error &>;
    using DeleteReply = BackendReply<int, const Error &>;
    using ToolsCallback = std::function<void(const QList<ToolSourceStatus> &sources, const Error &error)>;
    using ToolCallCallback = std::function<void(const ToolResult &result, const Error &error)>;
    using ToolsReply = BackendReply<const QList<ToolSourceStatus> &, const Error &>;
    using ToolCallReply = BackendReply<const ToolResult &, const Error &>;

    using QObject::QObject;
    ~ExecutionBackend() override = default;

    virtual QString displayName() const = 0; // "Local" or "remote host:port"

    // The agents and orchestrations this backend can run.
    virtual Workspace workspace() const = 0;

    // Queues a run: the callback gets its id (error.code None) or an Error (NotFound for an
    // unknown agent / orchestration / node, InvalidInput, Unreachable, …). Its events follow on
    // eventsReceived().
    virtual void start(const ExecutionRequest &request, QObject *context, StartCallback callback) = 0;
    virtual void cancel(const QString &executionId) = 0;

    // Follows one execution: `callback` first gets the catch-up (its events with seq > afterSeq
    // that happened before this call; empty ones are not delivered), then each later batch of
    // its events, every event once. Only this subscriber gets the catch-up. Two subscriptions
    // to one execution share one underlying stream (remote: one WebSocket). The subscription
    // needs a context and ends with it (or unsubscribe()); a context subscribes to an execution once (a
    // second call replaces the first).
    virtual void subscribe(
        const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback)
        = 0;
    virtual void unsubscribe(const QString &executionId, QObject *context) = 0;

    virtual void queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback) = 0;
    // The record with its steps; NotFound also for another workspace's execution.
    virtual void fetchExecution(const QString &executionId, QObject *context, FetchCallback callback) = 0;

    // Deletes stored executions and their steps (queued or running ones are kept) and says how
    // many went. Retention keeps only the newest `keepLast` (if > 0) and drops anything queued
    // before `olderThan` (if valid). canDelete() is false for a backend that cannot (remote):
    // these then answer InvalidInput.
    virtual bool canDelete() const { return false; }
    virtual void deleteExecutions(const QStringList &ids, QObject *context, DeleteCallback callback);
    virtual void applyRetention(
        int keepLast, const QDateTime &olderThan, QObject *context, DeleteCallback callback);

    // For a backend that runs the app's own workspace file (the embedded engine): runs started
    // later use this workspace / this key-trust decision (docs/credentials.md). A backend that
    // serves its own workspace with its own trust (a remote server) ignores both.
    virtual void setWorkspace(const Workspace &workspace) { Q_UNUSED(workspace); }
    virtual void setCredentialTrust(const CredentialTrust &trust) { Q_UNUSED(trust); }
    // Whether setWorkspace() / setCredentialTrust() have an effect.
    virtual bool runsLocalWorkspace() const { return false; }

    // Tools (docs/tools.md): the workspace's tool sources with their state and tools (sources
    // not yet started are started and listed), and one tool run by itself. The tools run where
    // the runs do (the engine thread, or the server). A backend without tools answers
    // InvalidInput. A tool's own error is a result with isError (error.code None); Error is for
    // an unknown source or tool (NotFound) or an unreachable backend.
    virtual void listTools(QObject *context, ToolsCallback callback);
    virtual void callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
        QObject *context, ToolCallCallback callback);

    virtual int runningCount() const = 0;
    virtual int queuedCount() const = 0;
    // "connected", "connecting", "disconnected" — the local backend is always "connected".
    virtual QString connectionState() const = 0;
    // Why the backend is not connected (code Unreachable, …), or code None.
    virtual Error connectionError() const { return { ErrorCode::None, QString() }; }

signals:
    // Live events of the executions started through this backend, each once, in seq order per
    // execution (bursts are coalesced into one batch). Catch-up of a subscription is never
    // broadcast here.
    void eventsReceived(const ExecutionEventList &events);
    void countsChanged(int running, int queued);
    void connectionStateChanged(const QString &state);
    // The workspace was replaced (remote: fetched; local: setWorkspace).
    void workspaceChanged();
    // A tool source changed state or its tools (listTools() has the new picture).
    void toolsChanged();

protected:
    // One subscriber of one execution, as the implementations keep it (GUI thread).
    struct Subscription
    {
        QPointer<QObject> context;
        EventsCallback callback;
        qint64 lastSeq = 0; // the last seq this subscriber got
        bool caughtUp = false; // its catch-up was delivered: live events go to it from now on
        QMetaObject::Connection ends; // the context's destroyed() -> unsubscribe
    };
    // Removes the subscriptions of `context` (and of contexts already gone).
    static void dropSubscription(QList<Subscription> &list, QObject *context)
    {
        list.removeIf([context](const Subscription &s) {
            const bool gone = s.context == context || s.context.isNull();
            if (gone)
                QObject::disconnect(s.ends);
            return gone;
        });
    }
    // The events a subscriber at `lastSeq` does not have yet (subscription errors, which have
    // no seq, always).
    static ExecutionEventList newerThan(const ExecutionEventList &events, qint64 lastSeq)
    {
        ExecutionEventList out;
        for (const ExecutionEvent &e : events)
            if (e.seq > lastSeq || e.type == ExecutionEvent::Type::Error)
                out.append(e);
        return out;
    }

    // Posts `reply(args…)` to this object's thread for a later turn: replies never run inside
    // the call that asked (callers may set state after calling).
    template <typename... Args, typename... Values>
    void replyLater(BackendReply<Args...> reply, Values &&...values)
    {
        QMetaObject::invokeMethod(
            this,
            [reply = std::move(reply), ... vs = std::forward<Values>(values)]() mutable { reply(vs...); },
            Qt::QueuedConnection);
    }
};

inline void ExecutionBackend::deleteExecutions(const QStringList &, QObject *context, DeleteCallback callback)
{
    replyLater(DeleteReply(context, std::move(callback)), 0,
        Error { ErrorCode::InvalidInput, displayName() + QStringLiteral(": cannot delete executions") });
}

inline void ExecutionBackend::listTools(QObject *context, ToolsCallback callback)
{
    replyLater(ToolsReply(context, std::move(callback)), QList<ToolSourceStatus>(),
        Error { ErrorCode::InvalidInput, displayName() + QStringLiteral(": has no tools") });
}

inline void ExecutionBackend::callTool(
    const QString &, const QString &, const QJsonObject &, QObject *context, ToolCallCallback callback)
{
    replyLater(ToolCallReply(context, std::move(callback)), ToolResult(),
        Error { ErrorCode::InvalidInput, displayName() + QStringLiteral(": has no tools") });
}

inline void ExecutionBackend::applyRetention(
    int, const QDateTime &, QObject *context, DeleteCallback callback)
{
    deleteExecutions({}, context, std::move(callback));
}

Q_DECLARE_METATYPE(HistoryPage)
Q_DECLARE_METATYPE(ExecutionRecord)
