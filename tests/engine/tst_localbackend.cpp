#include "tests/support/GeneratedWorkspace.h"

#include "core/api/ActiveBackend.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "tests/support/BackendReplies.h"

#include <QScopeGuard>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>

// LocalBackend's callback API: history on its own reader thread, scoped to the current
// workspace; replies only to live contexts; subscriptions with catch-up for the asker only;
// ActiveBackend switching under listeners connected once.
class TestLocalBackend : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static Workspace load(const QByteArray &json)
    {
        QStringList problems;
        Result<Workspace> ws = Workspace::fromJson(json, &problems);
        if (!ws)
            qFatal("workspace: %s", qPrintable(ws.error()));
        return ws.take();
    }
    static Workspace workspace(const QString &workspaceId = QStringLiteral("generated"))
    {
        const QJsonArray agents {
            gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("paced"), { QStringLiteral("in") },
                QJsonObject {
                    { QStringLiteral("tokens_per_second"), 400 }, { QStringLiteral("reply_tokens"), 80 } }),
        };
        QJsonObject root = QJsonDocument::fromJson(gen::workspace(agents, QJsonArray {})).object();
        root.insert(QStringLiteral("workspace_id"), workspaceId);
        return load(QJsonDocument(root).toJson(QJsonDocument::Compact));
    }
    std::unique_ptr<LocalBackend> backend(const QString &db, const Workspace &ws = workspace())
    {
        EngineSettings s;
        s.databasePath = m_dir.filePath(db);
        return std::make_unique<LocalBackend>(ws, s);
    }
    static ExecutionRequest request(const QString &agent, const QString &text)
    {
        ExecutionRequest r;
        r.agentId = agent;
        r.inputs = QJsonObject { { QStringLiteral("in"), text } };
        return r;
    }
    // Runs to its `complete` (seen on the broadcast) and returns the id.
    static QString runToEnd(ExecutionBackend &b, const ExecutionRequest &r)
    {
        QSet<QString> completed;
        QObject listener;
        connect(&b, &ExecutionBackend::eventsReceived, &listener, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events)
                if (e.type == ExecutionEvent::Type::Complete)
                    completed.insert(e.executionId);
        });
        const QString id = startAndWait(b, r).first;
        const bool done = !id.isEmpty() && QTest::qWaitFor([&] { return completed.contains(id); }, 20000);
        return done ? id : QString();
    }
    static bool lists(const HistoryPage &page, const QString &id)
    {
        return std::any_of(
            page.items.cbegin(), page.items.cend(), [&](const ExecutionRecord &r) { return r.id == id; });
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // The engine thread is held (as by a long burst of events): history still answers, from
    // the reader thread's own connection.
    void historyAnswersWhileEngineThreadIsBusy()
    {
        auto b = backend(QStringLiteral("busy.db"));
        const QString id = runToEnd(*b, request(QStringLiteral("relay"), QStringLiteral("stored")));
        QVERIFY(!id.isEmpty());
        QSemaphore entered, release;
        QMetaObject::invokeMethod(
            b->engine(),
            [&] {
                entered.release();
                release.acquire();
            },
            Qt::QueuedConnection);
        entered.acquire();
        const auto unblock = qScopeGuard([&] { release.release(); });
        QVERIFY(b->historyThread() != b->engine()->thread());

        const auto page = awaitReply<HistoryPage>(
            [&](QObject *c, auto cb) { b->queryHistory(HistoryQuery(), c, cb); }, 5000);
        QVERIFY2(page, "no history answer while the engine thread is busy");
        QCOMPARE(page->second.code, ErrorCode::None);
        QVERIFY(lists(page->first, id));
        const auto record
            = awaitReply<ExecutionRecord>([&](QObject *c, auto cb) { b->fetchExecution(id, c, cb); }, 5000);
        QVERIFY(record);
        QCOMPARE(record->first.id, id);
        QCOMPARE(record->first.steps.size(), 2);
    }

    // The reader's connection sees what the engine committed after the reader opened (no read
    // snapshot is left open between calls): the runner's `--format json` fetches right after
    // `complete`.
    void readerSeesLaterCommits()
    {
        auto b = backend(QStringLiteral("later.db"));
        const auto before
            = awaitReply<HistoryPage>([&](QObject *c, auto cb) { b->queryHistory(HistoryQuery(), c, cb); });
        QVERIFY(before);
        QCOMPARE(before->second.code, ErrorCode::None);
        for (int i = 0; i < 3; ++i) {
            const QString id = runToEnd(*b, request(QStringLiteral("relay"), QStringLiteral("after open")));
            QVERIFY(!id.isEmpty());
            const auto record
                = awaitReply<ExecutionRecord>([&](QObject *c, auto cb) { b->fetchExecution(id, c, cb); });
            QVERIFY(record);
            QCOMPARE(record->second.code, ErrorCode::None);
            QCOMPARE(record->first.status, ExecutionStatus::Completed);
        }
    }

    // Reads, deletes and retention see only the current workspace's executions.
    void historyIsScopedToTheCurrentWorkspace()
    {
        auto b = backend(QStringLiteral("scope.db"));
        const QString id = runToEnd(*b, request(QStringLiteral("relay"), QStringLiteral("first tenant")));
        QVERIFY(!id.isEmpty());
        b->setWorkspace(workspace(QStringLiteral("other")));
        const auto page
            = awaitReply<HistoryPage>([&](QObject *c, auto cb) { b->queryHistory(HistoryQuery(), c, cb); });
        QVERIFY(page);
        QVERIFY(!lists(page->first, id));
        const auto record
            = awaitReply<ExecutionRecord>([&](QObject *c, auto cb) { b->fetchExecution(id, c, cb); });
        QVERIFY(record);
        QCOMPARE(record->second.code, ErrorCode::NotFound);
        const auto deleted
            = awaitReply<int>([&](QObject *c, auto cb) { b->deleteExecutions({ id }, c, cb); });
        QVERIFY(deleted);
        QCOMPARE(deleted->first, 0);
        const auto retained
            = awaitReply<int>([&](QObject *c, auto cb) { b->applyRetention(1, QDateTime(), c, cb); });
        QVERIFY(retained);
        QCOMPARE(retained->first, 0);

        b->setWorkspace(workspace());
        const auto back
            = awaitReply<ExecutionRecord>([&](QObject *c, auto cb) { b->fetchExecution(id, c, cb); });
        QVERIFY(back);
        QCOMPARE(back->second.code, ErrorCode::None);
        HistoryQuery forged;
        forged.cursor = QStringLiteral("not-a-cursor");
        const auto cursor
            = awaitReply<HistoryPage>([&](QObject *c, auto cb) { b->queryHistory(forged, c, cb); });
        QVERIFY(cursor);
        QCOMPARE(cursor->second.code, ErrorCode::InvalidCursor);
    }

    // A reply whose context was destroyed is never delivered (replies are FIFO on the reader
    // thread, so the second answer comes after the first would have).
    void noReplyAfterContextDestroyed()
    {
        auto b = backend(QStringLiteral("context.db"));
        int calls = 0;
        auto *context = new QObject;
        b->queryHistory(HistoryQuery(), context, [&calls](const HistoryPage &, const Error &) { ++calls; });
        b->fetchExecution(
            QStringLiteral("x"), context, [&calls](const ExecutionRecord &, const Error &) { ++calls; });
        b->start(request(QStringLiteral("relay"), QStringLiteral("x")), context,
            [&calls](const QString &, const Error &) { ++calls; });
        delete context;
        const auto later
            = awaitReply<HistoryPage>([&](QObject *c, auto cb) { b->queryHistory(HistoryQuery(), c, cb); });
        QVERIFY(later);
        QVERIFY(startAndWait(*b, request(QStringLiteral("relay"), QStringLiteral("y"))).second.code
            == ErrorCode::None);
        QCOMPARE(calls, 0);
    }

    // Two subscribers of a running execution: each gets every event once (the later one its
    // catch-up from seq 1, for itself only); the broadcast carries each live event once.
    void subscriptionsCatchUpOnlyTheAsker()
    {
        auto b = backend(QStringLiteral("subscribe.db"));
        ExecutionEventList broadcast;
        connect(b.get(), &ExecutionBackend::eventsReceived, this,
            [&](const ExecutionEventList &events) { broadcast += events; });
        const QString id = startAndWait(*b, request(QStringLiteral("paced"), QStringLiteral("twice"))).first;
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY(broadcast.size() >= 4);
        ExecutionEventList first, second;
        QObject one, two;
        b->subscribe(id, 0, &one, [&](const ExecutionEventList &e) { first += e; });
        QTRY_VERIFY(!first.isEmpty());
        b->subscribe(id, 0, &two, [&](const ExecutionEventList &e) { second += e; });
        auto complete = [](const ExecutionEventList &l) {
            return !l.isEmpty() && l.constLast().type == ExecutionEvent::Type::Complete;
        };
        QTRY_VERIFY_WITH_TIMEOUT(complete(first) && complete(second), 20000);
        for (const ExecutionEventList *list : { &first, &second, &broadcast }) {
            for (qsizetype i = 0; i < list->size(); ++i)
                QCOMPARE(list->at(i).seq, qint64(i + 1)); // from 1, gap-free, never doubled
        }
        QCOMPARE(first.size(), broadcast.size());
        QCOMPARE(second.size(), broadcast.size());
    }

    // Listeners connected once to the ActiveBackend follow a switch: after it they hear the new
    // backend and none of the old one; calls go to the new one.
    void activeBackendSwitch()
    {
        auto a = backend(QStringLiteral("a.db"));
        auto b = backend(QStringLiteral("b.db"));
        ActiveBackend active;
        active.setBackend(a.get());
        QSet<QString> heard;
        int changes = 0;
        connect(&active, &ExecutionBackend::eventsReceived, this, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events)
                heard.insert(e.executionId);
        });
        connect(&active, &ActiveBackend::backendChanged, this, [&] { ++changes; });
        const QString onA = runToEnd(active, request(QStringLiteral("relay"), QStringLiteral("on a")));
        QVERIFY(heard.contains(onA));

        active.setBackend(b.get());
        QCOMPARE(changes, 1);
        const QString onB = runToEnd(active, request(QStringLiteral("relay"), QStringLiteral("on b")));
        QVERIFY(heard.contains(onB));
        const QString stillA = runToEnd(*a, request(QStringLiteral("relay"), QStringLiteral("a after")));
        QVERIFY(!stillA.isEmpty());
        QVERIFY(!heard.contains(stillA));
        const auto page = awaitReply<HistoryPage>(
            [&](QObject *c, auto cb) { active.queryHistory(HistoryQuery(), c, cb); });
        QVERIFY(page);
        QVERIFY(lists(page->first, onB));
        QVERIFY(!lists(page->first, onA));

        active.setBackend(nullptr);
        const auto none = awaitReply<HistoryPage>(
            [&](QObject *c, auto cb) { active.queryHistory(HistoryQuery(), c, cb); });
        QVERIFY(none);
        QCOMPARE(none->second.code, ErrorCode::Unreachable);
    }
};

QTEST_GUILESS_MAIN(TestLocalBackend)
#include "tst_localbackend.moc"
