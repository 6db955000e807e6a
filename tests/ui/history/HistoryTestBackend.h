#pragma once

#include "core/api/ExecutionBackend.h"

#include <QJsonDocument>
#include <QTimer>

#include <functional>
#include <vector>

#include <algorithm>

// An in-process ExecutionBackend serving records built by the test, answering asynchronously
// (next event-loop turn) like the real ones. It lets the model tests control timing: with
// holdReplies, answers wait for releaseReplies(), in any order, to exercise stale-result
// dropping. Not a protocol stand-in: the UI tests against LocalBackend cover the real path.
class HistoryTestBackend final : public ExecutionBackend
{
    Q_OBJECT
public:
    using ExecutionBackend::ExecutionBackend;

    QList<ExecutionRecord> records; // newest first is not required: queries sort
    QList<HistoryQuery> queries; // every query received
    QStringList fetched; // every fetchExecution id
    bool holdReplies = false;
    QString failQueries; // when set, every history query fails with this message

    QString displayName() const override { return QStringLiteral("Test"); }
    Workspace workspace() const override { return {}; }
    void start(const ExecutionRequest &, QObject *context, StartCallback callback) override
    {
        reply([r = StartReply(context, std::move(callback))]() mutable {
            r(QString(), Error { ErrorCode::InvalidInput, QStringLiteral("the test backend runs nothing") });
        });
    }
    void cancel(const QString &) override { }
    void subscribe(const QString &, qint64, QObject *, EventsCallback) override { }
    void unsubscribe(const QString &, QObject *) override { }
    int runningCount() const override { return 0; }
    int queuedCount() const override { return 0; }
    QString connectionState() const override { return QStringLiteral("connected"); }

    void queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback) override
    {
        queries.append(query);
        HistoryReply r(context, std::move(callback));
        if (!failQueries.isEmpty()) {
            reply([r, message = failQueries]() mutable {
                r(HistoryPage(), Error { ErrorCode::Internal, message });
            });
            return;
        }
        reply([r, page = answer(query)]() mutable { r(page, Error { ErrorCode::None, QString() }); });
    }

    void fetchExecution(const QString &executionId, QObject *context, FetchCallback callback) override
    {
        fetched.append(executionId);
        FetchReply r(context, std::move(callback));
        for (const ExecutionRecord &rec : std::as_const(records)) {
            if (rec.id == executionId) {
                reply([r, rec]() mutable { r(rec, Error { ErrorCode::None, QString() }); });
                return;
            }
        }
        reply([r, executionId]() mutable {
            r(ExecutionRecord(),
                Error { ErrorCode::NotFound, QStringLiteral("unknown execution ") + executionId });
        });
    }

    // Sends held replies, last request first (the worst order for a model).
    void releaseReplies()
    {
        auto held = std::move(m_held);
        m_held.clear();
        for (auto it = held.rbegin(); it != held.rend(); ++it)
            (*it)();
    }
    int heldCount() const { return int(m_held.size()); }

    void emitEvents(const ExecutionEventList &events) { emit eventsReceived(events); }

private:
    void reply(std::function<void()> f)
    {
        if (holdReplies)
            m_held.push_back(std::move(f));
        else
            QTimer::singleShot(0, this, std::move(f));
    }

    HistoryPage answer(const HistoryQuery &q) const
    {
        QList<ExecutionRecord> hits;
        for (const ExecutionRecord &r : records) {
            if (!q.statuses.isEmpty() && !q.statuses.contains(r.status))
                continue;
            if (!q.agentId.isEmpty() && q.agentId != r.agentId)
                continue;
            if (!q.search.isEmpty()) {
                const QString hay = QString::fromUtf8(QJsonDocument(r.inputData).toJson())
                    + QString::fromUtf8(QJsonDocument(r.outputData).toJson()) + r.errorMessage;
                if (!hay.contains(q.search, Qt::CaseInsensitive))
                    continue;
            }
            ExecutionRecord copy = r;
            copy.steps.clear();
            hits.append(copy);
        }
        std::stable_sort(hits.begin(), hits.end(), [&](const ExecutionRecord &a, const ExecutionRecord &b) {
            switch (q.sort) {
            case HistoryQuery::Sort::OldestFirst:
                return a.queuedAt < b.queuedAt;
            case HistoryQuery::Sort::CostDesc:
                return a.costUsd.value_or(-1) > b.costUsd.value_or(-1);
            case HistoryQuery::Sort::LatencyDesc:
                return a.executionTimeMs > b.executionTimeMs;
            default:
                return a.queuedAt > b.queuedAt;
            }
        });
        const int offset = q.cursor.isEmpty() ? 0 : q.cursor.toInt();
        HistoryPage page;
        page.items = hits.mid(offset, q.limit);
        if (offset + q.limit < hits.size())
            page.nextCursor = QString::number(offset + q.limit);
        return page;
    }

    std::vector<std::function<void()>> m_held;
};

// Records for tests: n executions, newest last, alternating agents and statuses.
inline QList<ExecutionRecord> makeHistoryRecords(int n)
{
    QList<ExecutionRecord> out;
    const QDateTime base = QDateTime::fromMSecsSinceEpoch(1'790'000'000'000LL, Qt::UTC);
    for (int i = 0; i < n; ++i) {
        ExecutionRecord r;
        r.id = QStringLiteral("exec-%1").arg(i, 4, 10, QLatin1Char('0'));
        r.executionType = ExecutionType::Agent;
        r.testMode = TestMode::SingleAgent;
        r.agentId = i % 2 ? QStringLiteral("summarizer") : QStringLiteral("writer");
        r.status = i % 5 == 4 ? ExecutionStatus::Failed : ExecutionStatus::Completed;
        r.queuedAt = base.addSecs(i);
        r.startedAt = r.queuedAt.addMSecs(3);
        r.completedAt = r.startedAt.addMSecs(100 + i);
        r.executionTimeMs = 100 + i;
        r.inputTokens = 10 + i;
        r.outputTokens = 5;
        if (i % 7 != 6)
            r.costUsd = 0.001 * (i + 1);
        r.inputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("input number %1").arg(i) } };
        r.outputData = QJsonObject { { QStringLiteral("summary"), QStringLiteral("summary %1").arg(i) } };
        if (r.status == ExecutionStatus::Failed)
            r.errorMessage = QStringLiteral("scripted failure %1").arg(i);
        out.append(r);
    }
    return out;
}
