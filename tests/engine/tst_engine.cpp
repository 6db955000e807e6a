#include "core/common/Util.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/GeneratedWorkspace.h"
#include "tests/support/TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace Qt::StringLiterals;

// The embedded engine end to end: a real LocalBackend (engine thread, SQLite store) running the
// scripted provider. Events are checked as the UI sees them (batches on this thread); the store
// is read through a second connection from this thread, as the history view does.
namespace {

// Collects every event a backend delivers, per execution.
class EventLog : public QObject
{
public:
    explicit EventLog(ExecutionBackend *backend)
    {
        connect(backend, &ExecutionBackend::eventsReceived, this, [this](const ExecutionEventList &events) {
            ++batches;
            for (const ExecutionEvent &e : events) {
                all.append(e);
                byId[e.executionId].append(e);
            }
        });
    }

    bool finished(const QString &id) const
    {
        const ExecutionEventList l = byId.value(id);
        return !l.isEmpty() && l.last().isTerminal();
    }
    ExecutionEvent complete(const QString &id) const { return byId.value(id).last(); }
    QString completeStatus(const QString &id) const
    {
        return finished(id) ? toWire(complete(id).status) : QString();
    }
    QString streamedText(const QString &id) const
    {
        QString t;
        for (const ExecutionEvent &e : byId.value(id))
            if (e.type == ExecutionEvent::Type::Chunk)
                t += e.content;
        return t;
    }
    int chunkCount(const QString &id) const
    {
        int n = 0;
        for (const ExecutionEvent &e : byId.value(id))
            n += e.type == ExecutionEvent::Type::Chunk;
        return n;
    }
    QList<QJsonObject> steps(const QString &id, ExecutionEvent::Type type) const
    {
        QList<QJsonObject> out;
        for (const ExecutionEvent &e : byId.value(id))
            if (e.type == type)
                out.append(e.step->toJson());
        return out;
    }

    ExecutionEventList all;
    QHash<QString, ExecutionEventList> byId;
    int batches = 0;
};

QString start(ExecutionBackend &b, ExecutionRequest r)
{
    if (r.executionId.isEmpty())
        r.executionId = as::newId();
    b.start(r, nullptr, {}); // the events say how it goes
    return r.executionId;
}

ExecutionRequest agentRequest(const QString &agent, const QJsonObject &inputs)
{
    ExecutionRequest r;
    r.agentId = agent;
    r.inputs = inputs;
    return r;
}

ExecutionRequest workflowRequest(const QString &orch, const QJsonObject &inputs)
{
    ExecutionRequest r;
    r.orchestrationId = orch;
    r.inputs = inputs;
    return r;
}

QJsonObject topic(const QString &t)
{
    return QJsonObject { { QStringLiteral("topic"), t } };
}

QJsonObject obj(const char *key, const QJsonValue &v)
{
    return QJsonObject { { QLatin1String(key), v } };
}

} // namespace

class TestEngine : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;

    Workspace load(const QByteArray &json)
    {
        QStringList problems;
        Result<Workspace> ws = Workspace::fromJson(json, &problems);
        if (!ws.ok())
            qFatal("generated workspace invalid: %s", qPrintable(ws.error()));
        return ws.take();
    }

    std::unique_ptr<LocalBackend> backend(const Workspace &ws, int concurrency = 4, bool withDb = true)
    {
        EngineSettings s;
        s.concurrency = concurrency;
        s.databasePath = withDb ? m_db : QString();
        return std::make_unique<LocalBackend>(ws, s);
    }

    ExecutionRecord stored(const QString &id)
    {
        ExecutionStore store(m_db);
        const Result<void> opened = store.open();
        if (!opened.ok())
            qFatal("store: %s", qPrintable(opened.error()));
        Result<ExecutionRecord> r = store.execution(StoreScope::everyWorkspace(), id, true);
        return r.ok() ? r.take() : ExecutionRecord();
    }

    static const StepRecord *stepOf(
        const ExecutionRecord &r, const QString &kind, const QString &nodeId = QString(), int attempt = 0)
    {
        for (const StepRecord &s : r.steps)
            if (toWire(s.kind) == kind && (nodeId.isEmpty() || s.nodeId == nodeId)
                && (attempt == 0 || s.attempt == attempt))
                return &s;
        return nullptr;
    }

    // seq runs 1..n without gaps, queued/running come first, complete comes last and once.
    static void checkSequence(const ExecutionEventList &events, bool expectRunning = true)
    {
        QVERIFY(!events.isEmpty());
        for (int i = 0; i < events.size(); ++i)
            QCOMPARE(events.at(i).seq, qint64(i + 1));
        QCOMPARE(events.first().type, ExecutionEvent::Type::Status);
        QCOMPARE(toWire(events.first().status), QStringLiteral("queued"));
        if (expectRunning) {
            QCOMPARE(events.at(1).type, ExecutionEvent::Type::Status);
            QCOMPARE(toWire(events.at(1).status), QStringLiteral("running"));
        }
        QVERIFY(events.last().isTerminal());
        for (int i = 0; i + 1 < events.size(); ++i)
            QVERIFY(!events.at(i).isTerminal());
        // Every chunk belongs to a step that started before it and has not completed yet.
        QSet<QString> open;
        for (const ExecutionEvent &e : events) {
            if (e.type == ExecutionEvent::Type::StepStarted)
                open.insert(e.stepId);
            else if (e.type == ExecutionEvent::Type::StepCompleted)
                QVERIFY2(open.remove(e.stepId), "step completed that never started");
            else if (e.type == ExecutionEvent::Type::Chunk)
                QVERIFY2(open.contains(e.stepId), "chunk outside its step");
        }
        QVERIFY2(open.isEmpty(), "a step never completed");
    }

    // Every edge delivered exactly the upstream value: the node step's input equals the source
    // node step's output (or the workflow input), and every declared output is the source value.
    static void checkMapping(const OrchestrationSpec &o, const ExecutionRecord &r)
    {
        QHash<QString, const StepRecord *> nodeSteps;
        for (const StepRecord &s : r.steps)
            if (toWire(s.kind) == QLatin1String("node"))
                nodeSteps.insert(s.nodeId, &s);
        QCOMPARE(nodeSteps.size(), o.nodes.size());
        for (const EdgeSpec &e : o.edges) {
            const StepRecord *to = nodeSteps.value(e.toNode);
            QVERIFY(to);
            const QJsonValue got = to->inputData.value(e.toField);
            const QJsonValue want = e.fromNode == QLatin1String("input")
                ? r.inputData.value(e.fromField)
                : nodeSteps.value(e.fromNode)->outputData.value(e.fromField);
            QVERIFY2(!want.isUndefined(), qPrintable(e.fromNode + QLatin1Char('.') + e.fromField));
            QCOMPARE(got, want);
        }
        for (const WorkflowOutputSpec &out : o.outputs)
            QCOMPARE(
                r.outputData.value(out.name), nodeSteps.value(out.fromNode)->outputData.value(out.fromField));
        // Each node has its llm and parse steps nested under it.
        for (const StepRecord *n : std::as_const(nodeSteps)) {
            int llm = 0, parse = 0;
            for (const StepRecord &s : r.steps) {
                if (s.parentStepId != n->id)
                    continue;
                llm += toWire(s.kind) == QLatin1String("llm");
                parse += toWire(s.kind) == QLatin1String("parse");
            }
            QCOMPARE(llm, 1);
            QCOMPARE(parse, 1);
        }
    }

    QByteArray basicWorkspace()
    {
        const QJsonArray agents {
            gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("slow"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("tokens_per_second"), 40 }, { QStringLiteral("ttft_ms"), 0 },
                    { QStringLiteral("reply_tokens"), 2000 } }),
            gen::agent(QStringLiteral("paced"), { QStringLiteral("in") },
                QJsonObject {
                    { QStringLiteral("tokens_per_second"), 400 }, { QStringLiteral("reply_tokens"), 60 } }),
            gen::agent(QStringLiteral("waits"), { QStringLiteral("in") },
                QJsonObject {
                    { QStringLiteral("ttft_ms"), 150 }, { QStringLiteral("tokens_per_second"), 0 } }),
            gen::agent(QStringLiteral("fixed"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("replies"),
                    QJsonArray { QStringLiteral("first answer"), QStringLiteral("second answer") } } }),
            gen::agent(QStringLiteral("broken"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("fail_with"), QStringLiteral("upstream exploded") } }),
            gen::agent(QStringLiteral("flaky"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("fail_attempts"), 1 } }),
            gen::agent(QStringLiteral("scorer"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("replies"),
                    QJsonArray { QStringLiteral(R"({"score":"high","ok":true})") } } },
                QJsonArray { gen::field(QStringLiteral("score"), QStringLiteral("int")),
                    gen::field(QStringLiteral("ok"), QStringLiteral("bool")) }),
            gen::agent(QStringLiteral("typed"), { QStringLiteral("in") }, QJsonObject {},
                QJsonArray { gen::field(QStringLiteral("score"), QStringLiteral("int")),
                    gen::field(QStringLiteral("tags"), QStringLiteral("list[str]")),
                    gen::field(QStringLiteral("facts"), QStringLiteral("json")) }),
        };
        return gen::workspace(agents, QJsonArray {});
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("engine.db"));
    }

    // One scripted agent run end to end: events, output, and the stored record.
    void singleAgentEndToEnd()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        ExecutionRequest req
            = agentRequest(QStringLiteral("typed"), obj("in", QStringLiteral("Quarterly aardvark revenue")));
        req.executionId = as::newId();
        const auto [startedId, startError] = startAndWait(*b, req);
        QCOMPARE(startError.code, ErrorCode::None);
        QCOMPARE(startedId, req.executionId);
        const QString id = req.executionId;
        QTRY_VERIFY(log.finished(id));
        checkSequence(log.byId.value(id));
        const ExecutionEvent done = log.complete(id);
        QCOMPARE(toWire(done.status), QStringLiteral("completed"));
        const QJsonObject out = done.toJson().value(QLatin1String("output_data")).toObject();
        QVERIFY(out.value(QLatin1String("score")).isDouble());
        QVERIFY(out.value(QLatin1String("tags")).isArray());
        QVERIFY(out.contains(QLatin1String("facts")));
        QVERIFY(done.toJson().value(QLatin1String("input_tokens")).toInteger() > 0);
        QVERIFY(done.toJson().value(QLatin1String("output_tokens")).toInteger() > 0);
        QCOMPARE(done.toJson().value(QLatin1String("tokens_estimated")).toBool(), true);
        QVERIFY(done.toJson().value(QLatin1String("cost_usd")).isDouble()); // scripted: known price 0
        QVERIFY(done.toJson().value(QLatin1String("ttft_ms")).toInteger() >= 0);
        QVERIFY(done.toJson().contains(QLatin1String("queue_ms")));
        QVERIFY(done.toJson().value(QLatin1String("error_message")).isNull());

        // llm step, then parse step, both completed; the llm step streamed exactly the reply.
        const QList<QJsonObject> completed = log.steps(id, ExecutionEvent::Type::StepCompleted);
        QCOMPARE(completed.size(), 2);
        QCOMPARE(completed.at(0).value(QLatin1String("kind")).toString(), QStringLiteral("llm"));
        QCOMPARE(completed.at(1).value(QLatin1String("kind")).toString(), QStringLiteral("parse"));
        QCOMPARE(completed.at(0)
                     .value(QLatin1String("output_data"))
                     .toObject()
                     .value(QLatin1String("text"))
                     .toString(),
            log.streamedText(id));

        // The store has it all, with metrics; the history finds it by a word of its output.
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(toWire(r.executionType), QStringLiteral("agent"));
        QCOMPARE(toWire(r.testMode), QStringLiteral("single_agent"));
        QCOMPARE(r.agentId, QStringLiteral("typed"));
        QCOMPARE(r.outputData, out);
        QCOMPARE(
            r.inputData.value(QLatin1String("in")).toString(), QStringLiteral("Quarterly aardvark revenue"));
        QVERIFY(r.inputTokens > 0 && r.outputTokens > 0);
        QVERIFY(r.tokensEstimated);
        QCOMPARE(r.traceId.size(), 32);
        QVERIFY(r.startedAt.isValid() && r.completedAt.isValid());
        QCOMPARE(r.steps.size(), 2);
        const StepRecord *llm = stepOf(r, QStringLiteral("llm"));
        QVERIFY(llm);
        QCOMPARE(toWire(llm->status), QStringLiteral("completed"));
        QCOMPARE(llm->spanId.size(), 16);
        QVERIFY(llm->outputTokens > 0);
        QVERIFY(llm->costUsd.has_value());
        QCOMPARE(llm->attempt, 1);
        QVERIFY(llm->inputData.value(QLatin1String("messages")).toArray().size() >= 2);
        QCOMPARE(llm->inputData.value(QLatin1String("provider")).toString(), QStringLiteral("offline"));
        QVERIFY(!llm->inputData.contains(QLatin1String("api_key")));

        HistoryQuery q;
        q.search = QStringLiteral("aardvark");
        const auto history = awaitReply<HistoryPage>(
            [&](QObject *context, auto callback) { b->queryHistory(q, context, callback); });
        QVERIFY(history);
        QCOMPARE(history->second.code, ErrorCode::None);
        const HistoryPage page = history->first;
        QVERIFY(std::any_of(
            page.items.cbegin(), page.items.cend(), [&](const ExecutionRecord &e) { return e.id == id; }));

        const auto fetched = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto callback) { b->fetchExecution(id, context, callback); });
        QVERIFY(fetched);
        QCOMPARE(fetched->first.steps.size(), 2);
    }

    // Several executions at once: each has its own gap-free seq; batches coalesce events.
    void eventsInOrderAcrossConcurrentExecutions()
    {
        auto b = backend(load(basicWorkspace()), 3);
        EventLog log(b.get());
        QStringList ids;
        for (int i = 0; i < 6; ++i)
            ids << start(
                *b, agentRequest(QStringLiteral("paced"), obj("in", QStringLiteral("run %1").arg(i))));
        for (const QString &id : ids)
            QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        for (const QString &id : ids) {
            checkSequence(log.byId.value(id));
            QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
            QVERIFY(log.chunkCount(id) >= 50);
            const QList<QJsonObject> llm = log.steps(id, ExecutionEvent::Type::StepCompleted);
            QCOMPARE(llm.first()
                         .value(QLatin1String("output_data"))
                         .toObject()
                         .value(QLatin1String("text"))
                         .toString(),
                log.streamedText(id));
        }
        QVERIFY(log.batches < log.all.size());
    }

    // concurrency 2, five slow runs: never more than two running, the others queued then run.
    void concurrencyLimitHonoured()
    {
        auto b = backend(load(basicWorkspace()), 2);
        EventLog log(b.get());
        QList<std::pair<int, int>> counts;
        connect(b.get(), &ExecutionBackend::countsChanged, this, [&](int running, int queued) {
            counts.append({ running, queued });
        });
        QStringList ids;
        for (int i = 0; i < 5; ++i)
            ids << start(
                *b, agentRequest(QStringLiteral("waits"), obj("in", QStringLiteral("slow %1").arg(i))));
        for (const QString &id : ids)
            QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);

        // The merged stream is in engine order: count running executions along it.
        int running = 0, maxRunning = 0;
        for (const ExecutionEvent &e : std::as_const(log.all)) {
            if (e.type == ExecutionEvent::Type::Status && toWire(e.status) == QLatin1String("running"))
                maxRunning = qMax(maxRunning, ++running);
            if (e.isTerminal())
                --running;
        }
        QCOMPARE(maxRunning, 2);
        QCOMPARE(running, 0);
        int maxQueued = 0;
        for (const auto &c : std::as_const(counts)) {
            QVERIFY(c.first <= 2);
            maxQueued = qMax(maxQueued, c.second);
        }
        QVERIFY(maxQueued >= 2);
        QCOMPARE(counts.last(), std::make_pair(0, 0));
        // Runs 3..5 waited: their queue time shows it.
        for (const QString &id : ids) {
            checkSequence(log.byId.value(id));
            QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        }
        QVERIFY(log.complete(ids.last()).toJson().value(QLatin1String("queue_ms")).toInteger() > 0);
    }

    // Cancel mid-stream: `cancelled`, the partial output kept in the events and in the store.
    void cancelMidStreamKeepsPartial()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        const QString id
            = start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("long story"))));
        QTRY_VERIFY(log.chunkCount(id) >= 5);
        b->cancel(id);
        QTRY_VERIFY(log.finished(id));
        checkSequence(log.byId.value(id));
        const ExecutionEvent done = log.complete(id);
        QCOMPARE(toWire(done.status), QStringLiteral("cancelled"));
        const QString partial = log.streamedText(id);
        QVERIFY(!partial.isEmpty());
        QVERIFY(partial.size() < 2000 * 4);
        QCOMPARE(done.toJson()
                     .value(QLatin1String("output_data"))
                     .toObject()
                     .value(QLatin1String("text"))
                     .toString(),
            partial);
        const QList<QJsonObject> steps = log.steps(id, ExecutionEvent::Type::StepCompleted);
        QCOMPARE(steps.size(), 1); // no parse step after a cancelled call
        QCOMPARE(steps.first().value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));

        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("cancelled"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(r.outputData.value(QLatin1String("text")).toString(), partial);
        const StepRecord *llm = stepOf(r, QStringLiteral("llm"));
        QVERIFY(llm);
        QCOMPARE(toWire(llm->status), QStringLiteral("cancelled"));
        QCOMPARE(llm->outputData.value(QLatin1String("text")).toString(), partial);
    }

    void cancelQueued()
    {
        auto b = backend(load(basicWorkspace()), 1);
        EventLog log(b.get());
        const QString first = start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("a"))));
        const QString second
            = start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("b"))));
        QTRY_VERIFY(log.chunkCount(first) >= 1);
        b->cancel(second);
        QTRY_VERIFY(log.finished(second));
        QCOMPARE(log.completeStatus(second), QStringLiteral("cancelled"));
        QCOMPARE(log.byId.value(second).size(), 2); // queued, complete: it never ran
        checkSequence(log.byId.value(second), false);
        b->cancel(first);
        QTRY_VERIFY(log.finished(first));
        QTRY_COMPARE(toWire(stored(second).status), QStringLiteral("cancelled"));
    }

    void scriptedRepliesAndFailures()
    {
        auto b = backend(load(basicWorkspace()), 1);
        EventLog log(b.get());
        const QString a = start(*b, agentRequest(QStringLiteral("fixed"), obj("in", QStringLiteral("x"))));
        const QString c = start(*b, agentRequest(QStringLiteral("fixed"), obj("in", QStringLiteral("x"))));
        const QString f = start(*b, agentRequest(QStringLiteral("broken"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(a) && log.finished(c) && log.finished(f));
        QCOMPARE(log.complete(a)
                     .toJson()
                     .value(QLatin1String("output_data"))
                     .toObject()
                     .value(QLatin1String("out"))
                     .toString(),
            QStringLiteral("first answer"));
        QCOMPARE(log.complete(c)
                     .toJson()
                     .value(QLatin1String("output_data"))
                     .toObject()
                     .value(QLatin1String("out"))
                     .toString(),
            QStringLiteral("second answer"));
        QCOMPARE(log.completeStatus(f), QStringLiteral("failed"));
        QCOMPARE(log.complete(f).toJson().value(QLatin1String("error_message")).toString(),
            QStringLiteral("scripted: upstream exploded"));
        checkSequence(log.byId.value(f));
    }

    // A reply that does not fit the output signature fails, naming the field.
    void replyNotFittingFailsNamingField()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("scorer"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("failed"));
        const QString error = log.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.contains(QLatin1String("score")), qPrintable(error));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("failed"));
        const ExecutionRecord r = stored(id);
        const StepRecord *parse = stepOf(r, QStringLiteral("parse"));
        QVERIFY(parse);
        QCOMPARE(toWire(parse->status), QStringLiteral("failed"));
        QVERIFY(parse->errorMessage.contains(QLatin1String("score")));
    }

    void badInputsFailNamingField_data()
    {
        QTest::addColumn<QJsonObject>("inputs");
        QTest::addColumn<QString>("field");
        QTest::newRow("missing required") << QJsonObject {} << QStringLiteral("in");
        QTest::newRow("wrong type") << obj("in", 42) << QStringLiteral("in");
        QTest::newRow("unknown field")
            << QJsonObject { { QStringLiteral("in"), QStringLiteral("x") }, { QStringLiteral("bogus"), 1 } }
            << QStringLiteral("bogus");
    }
    void badInputsFailNamingField()
    {
        QFETCH(QJsonObject, inputs);
        QFETCH(QString, field);
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("relay"), inputs));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("failed"));
        const QString error = log.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.contains(field), qPrintable(error));
        checkSequence(log.byId.value(id));
    }

    void unknownTargetsFailToStart()
    {
        auto b = backend(load(basicWorkspace()), 4, false);
        const Error agent = startAndWait(*b, agentRequest(QStringLiteral("nobody"), {})).second;
        const Error flow = startAndWait(*b, workflowRequest(QStringLiteral("nothing"), {})).second;
        QCOMPARE(agent.code, ErrorCode::NotFound);
        QCOMPARE(flow.code, ErrorCode::NotFound);
        QVERIFY(agent.message.contains(QLatin1String("nobody")));
        QVERIFY(flow.message.contains(QLatin1String("nothing")));
    }

    // Queries answer their own caller; without a database, or for an unknown id, with an error.
    void queriesFailCleanly()
    {
        auto noDb = backend(load(basicWorkspace()), 4, false);
        const auto page = awaitReply<HistoryPage>(
            [&](QObject *context, auto callback) { noDb->queryHistory(HistoryQuery(), context, callback); });
        const auto record = awaitReply<ExecutionRecord>([&](QObject *context, auto callback) {
            noDb->fetchExecution(QStringLiteral("nope"), context, callback);
        });
        QVERIFY(page && record);
        QCOMPARE(page->second.code, ErrorCode::Internal);
        QVERIFY(page->second.message.contains(QLatin1String("no history")));
        QVERIFY(record->second.message.contains(QLatin1String("no history")));

        auto withDb = backend(load(basicWorkspace()));
        const auto unknown = awaitReply<ExecutionRecord>([&](QObject *context, auto callback) {
            withDb->fetchExecution(QStringLiteral("00000000-0000-0000-0000-000000000000"), context, callback);
        });
        QVERIFY(unknown);
        QCOMPARE(unknown->second.code, ErrorCode::NotFound);
        QVERIFY(!unknown->second.message.isEmpty());
    }

    // Each retried attempt is its own failed llm step.
    void retryAttemptsRecorded()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("flaky"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        checkSequence(log.byId.value(id));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        const StepRecord *first = stepOf(r, QStringLiteral("llm"), QString(), 1);
        const StepRecord *second = stepOf(r, QStringLiteral("llm"), QString(), 2);
        QVERIFY(first && second);
        QCOMPARE(toWire(first->status), QStringLiteral("failed"));
        QVERIFY(first->errorMessage.contains(QLatin1String("overload")));
        QCOMPARE(toWire(second->status), QStringLiteral("completed"));
    }

    // The store holds the execution and its steps while it runs, partial output included.
    void storeWrittenWhileRunning()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.chunkCount(id) >= 3);
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("running"));
        ExecutionRecord r = stored(id);
        QVERIFY(r.startedAt.isValid());
        QVERIFY(!r.completedAt.isValid());
        const StepRecord *llm = stepOf(r, QStringLiteral("llm"));
        QVERIFY(llm);
        QCOMPARE(toWire(llm->status), QStringLiteral("running"));
        // The partial reply reaches the store within a flush interval.
        QTRY_VERIFY(!stepOf(stored(id), QStringLiteral("llm"))
                         ->outputData.value(QLatin1String("text"))
                         .toString()
                         .isEmpty());
        b->cancel(id);
        QTRY_VERIFY(log.finished(id));
    }

    // A provider whose key is missing fails the run with a message naming the variable; a
    // cancel that arrives before that failure is reported ends the run cleanly.
    void missingApiKey()
    {
        QJsonObject ws = QJsonDocument::fromJson(basicWorkspace()).object();
        QJsonObject providers = ws.value(QLatin1String("providers")).toObject();
        providers.insert(QStringLiteral("cloud"),
            QJsonObject { { QStringLiteral("kind"), QStringLiteral("openai") },
                { QStringLiteral("base_url"), QStringLiteral("http://127.0.0.1:9") },
                { QStringLiteral("api_key_env"), QStringLiteral("AGENTSTUDIO_TEST_UNSET_KEY") } });
        ws.insert(QStringLiteral("providers"), providers);
        QJsonObject agent = gen::agent(QStringLiteral("remote"), { QStringLiteral("in") });
        QJsonObject model = agent.value(QLatin1String("model")).toObject();
        model.insert(QStringLiteral("provider"), QStringLiteral("cloud"));
        model.insert(QStringLiteral("name"), QStringLiteral("gpt-4o-mini"));
        agent.insert(QStringLiteral("model"), model);
        QJsonArray agents = ws.value(QLatin1String("agents")).toArray();
        agents.append(agent);
        ws.insert(QStringLiteral("agents"), agents);
        qunsetenv("AGENTSTUDIO_TEST_UNSET_KEY");

        auto b = backend(load(QJsonDocument(ws).toJson()), 4, false);
        // A named variable to a non-official host needs trust (docs/credentials.md): this
        // test's own workspace is trusted, so what fails is the missing key.
        b->setCredentialTrust(CredentialTrust::everything());
        EventLog log(b.get());
        const QString failed
            = start(*b, agentRequest(QStringLiteral("remote"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(failed));
        QCOMPARE(log.completeStatus(failed), QStringLiteral("failed"));
        const QString error = log.complete(failed).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.startsWith(QLatin1String("openai: no API key: set AGENTSTUDIO_TEST_UNSET_KEY")),
            qPrintable(error));
        checkSequence(log.byId.value(failed));

        // Cancel queued right behind the start: handled before the deferred failure.
        // The engine thread is held while both are queued, so the cancel is in its queue before
        // the start is even looked at, however the threads are scheduled.
        ExecutionRequest r = agentRequest(QStringLiteral("remote"), obj("in", QStringLiteral("x")));
        r.executionId = as::newId();
        QSemaphore held, release;
        QMetaObject::invokeMethod(
            b->engine(),
            [&held, &release] {
                held.release();
                release.acquire();
            },
            Qt::QueuedConnection);
        held.acquire();
        b->start(r, nullptr, {});
        b->cancel(r.executionId);
        release.release();
        QTRY_VERIFY(log.finished(r.executionId));
        QCOMPARE(log.completeStatus(r.executionId), QStringLiteral("cancelled"));
        checkSequence(log.byId.value(r.executionId));
        // Nothing dangles afterwards (ASan builds catch it): the engine keeps running.
        const QString after
            = start(*b, agentRequest(QStringLiteral("relay"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(after));
        QCOMPARE(log.completeStatus(after), QStringLiteral("completed"));
    }

    // An unknown price makes the cost unknown (null), never 0.
    void unknownPriceGivesNullCost()
    {
        EngineSettings settings;
        settings.databasePath = m_db;
        settings.pricing = PricingTable(); // knows no model at all
        LocalBackend b(load(basicWorkspace()), settings);
        EventLog log(&b);
        const QString id = start(b, agentRequest(QStringLiteral("relay"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        QVERIFY(log.complete(id).toJson().contains(QLatin1String("cost_usd")));
        QVERIFY(log.complete(id).toJson().value(QLatin1String("cost_usd")).isNull());
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QVERIFY(!r.costUsd.has_value());
        QVERIFY(!stepOf(r, QStringLiteral("llm"))->costUsd.has_value());
    }

    // setWorkspace: runs started afterwards see the new agents.
    void setWorkspaceTakesEffect()
    {
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        QSignalSpy changed(b.get(), &ExecutionBackend::workspaceChanged);
        QCOMPARE(startAndWait(*b, agentRequest(QStringLiteral("newcomer"), obj("in", QStringLiteral("x"))))
                     .second.code,
            ErrorCode::NotFound);
        QJsonArray agents { gen::agent(QStringLiteral("newcomer"), { QStringLiteral("in") }) };
        b->setWorkspace(load(gen::workspace(agents, QJsonArray {})));
        QCOMPARE(changed.size(), 1);
        QVERIFY(b->workspace().agent(QStringLiteral("newcomer")));
        const QString id
            = start(*b, agentRequest(QStringLiteral("newcomer"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
    }

    // --- Orchestrations --------------------------------------------------------------------

    void orchestrationsMapCorrectly_data()
    {
        QTest::addColumn<QByteArray>("workspace");
        QTest::addColumn<QString>("orchestration");
        const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("join2"), gen::inputNames(QStringLiteral("in"), 2)),
            gen::agent(QStringLiteral("join5"), gen::inputNames(QStringLiteral("in"), 5)) };
        const QJsonObject diamond = gen::orchestration(QStringLiteral("diamond"),
            QJsonArray { gen::node(QStringLiteral("a"), QStringLiteral("relay")),
                gen::node(QStringLiteral("b"), QStringLiteral("relay")),
                gen::node(QStringLiteral("c"), QStringLiteral("relay")),
                gen::node(QStringLiteral("d"), QStringLiteral("join2")) },
            QJsonArray { gen::edge(QStringLiteral("input.topic"), QStringLiteral("a.in")),
                gen::edge(QStringLiteral("a.out"), QStringLiteral("b.in")),
                gen::edge(QStringLiteral("a.out"), QStringLiteral("c.in")),
                gen::edge(QStringLiteral("b.out"), QStringLiteral("d.in0")),
                gen::edge(QStringLiteral("c.out"), QStringLiteral("d.in1")) },
            QJsonArray { gen::output(QStringLiteral("final"), QStringLiteral("d.out")),
                gen::output(QStringLiteral("left"), QStringLiteral("b.out")) });
        QTest::newRow("diamond") << gen::workspace(agents, QJsonArray { diamond })
                                 << QStringLiteral("diamond");
        QTest::newRow("fan-out/fan-in")
            << gen::workspace(agents, QJsonArray { gen::fanOut(QStringLiteral("fan"), 5, true) })
            << QStringLiteral("fan");
        QTest::newRow("chain of 50") << gen::workspace(
            agents, QJsonArray { gen::chain(QStringLiteral("chain"), 50) })
                                     << QStringLiteral("chain");
    }
    void orchestrationsMapCorrectly()
    {
        QFETCH(QByteArray, workspace);
        QFETCH(QString, orchestration);
        const Workspace ws = load(workspace);
        auto b = backend(ws);
        EventLog log(b.get());
        const QString id
            = start(*b, workflowRequest(orchestration, topic(QStringLiteral("migrating pelicans"))));
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 30000);
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        checkSequence(log.byId.value(id));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(toWire(r.executionType), QStringLiteral("orchestration"));
        QCOMPARE(toWire(r.testMode), QStringLiteral("full_workflow"));
        QCOMPARE(r.orchestrationId, orchestration);
        checkMapping(*ws.orchestration(orchestration), r);
        QCOMPARE(log.complete(id).toJson().value(QLatin1String("output_data")).toObject(), r.outputData);
        QVERIFY(!r.outputData.isEmpty());
        // Words of the workflow input travel down the graph.
        QVERIFY(r.outputData.begin().value().toString().contains(QLatin1String("pelicans")));
    }

    // Two slow branches run at the same time: both calls start before either finishes, and the
    // whole run takes about one branch's time, not two.
    void parallelBranchesRunConcurrently()
    {
        const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") },
                                      QJsonObject { { QStringLiteral("ttft_ms"), 500 } }),
            gen::agent(QStringLiteral("join2"), gen::inputNames(QStringLiteral("in"), 2)) };
        const Workspace ws
            = load(gen::workspace(agents, QJsonArray { gen::fanOut(QStringLiteral("two"), 2, false) }));
        auto b = backend(ws);
        EventLog log(b.get());
        const QString id = start(*b, workflowRequest(QStringLiteral("two"), topic(QStringLiteral("x"))));
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 10000);
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        int llmStarted = 0;
        bool bothStartedBeforeAnyEnded = false;
        for (const ExecutionEvent &e : log.byId.value(id)) {
            const bool llm = toWire(e.step->kind) == QLatin1String("llm");
            if (e.type == ExecutionEvent::Type::StepStarted && llm)
                ++llmStarted;
            if (e.type == ExecutionEvent::Type::StepCompleted && llm) {
                bothStartedBeforeAnyEnded = llmStarted == 2;
                break;
            }
        }
        QVERIFY(bothStartedBeforeAnyEnded);
        // No wall-clock bound (the machine may be loaded): compare the run's own recorded
        // figures. Run sequentially, the run would last at least the sum of its two llm steps.
        qint64 llmSum = 0;
        for (const ExecutionEvent &e : log.byId.value(id))
            if (e.type == ExecutionEvent::Type::StepCompleted && toWire(e.step->kind) == QLatin1String("llm"))
                llmSum += e.step->executionTimeMs;
        const qint64 total = log.complete(id).toJson().value(QLatin1String("execution_time_ms")).toInteger();
        QVERIFY2(llmSum >= 1000, qPrintable(QStringLiteral("llm steps took %1 ms in all").arg(llmSum)));
        QVERIFY2(total < llmSum,
            qPrintable(QStringLiteral("run took %1 ms, its llm steps %2 ms in all").arg(total).arg(llmSum)));
    }

    // EngineSettings::nodeConcurrency limits the nodes of one run that call a model at once.
    void nodeConcurrencyLimit()
    {
        const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") },
            QJsonObject { { QStringLiteral("ttft_ms"), 30 } }) };
        EngineSettings settings;
        settings.nodeConcurrency = 1;
        LocalBackend b(
            load(gen::workspace(agents, QJsonArray { gen::fanOut(QStringLiteral("three"), 3, false) })),
            settings);
        EventLog log(&b);
        const QString id = start(b, workflowRequest(QStringLiteral("three"), topic(QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        int open = 0, maxOpen = 0;
        for (const ExecutionEvent &e : log.byId.value(id)) {
            if (toWire(e.step->kind) != QLatin1String("node"))
                continue;
            if (e.type == ExecutionEvent::Type::StepStarted)
                maxOpen = qMax(maxOpen, ++open);
            else if (e.type == ExecutionEvent::Type::StepCompleted)
                --open;
        }
        QCOMPARE(maxOpen, 1);
    }

    // A failing node fails the run naming it; a running sibling is cancelled; nodes that never
    // started are recorded as skipped.
    void failingNodeCancelsSiblingsAndSkipsDownstream()
    {
        const QJsonArray agents {
            gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("slow"), { QStringLiteral("in") },
                QJsonObject {
                    { QStringLiteral("tokens_per_second"), 20 }, { QStringLiteral("reply_tokens"), 2000 } }),
            gen::agent(QStringLiteral("broken"), { QStringLiteral("in") },
                QJsonObject { { QStringLiteral("ttft_ms"), 100 },
                    { QStringLiteral("fail_with"), QStringLiteral("model on fire") } }),
            gen::agent(QStringLiteral("join2"), gen::inputNames(QStringLiteral("in"), 2)),
        };
        const QJsonObject o = gen::orchestration(QStringLiteral("fails"),
            QJsonArray { gen::node(QStringLiteral("start"), QStringLiteral("relay")),
                gen::node(QStringLiteral("review"), QStringLiteral("broken")),
                gen::node(QStringLiteral("long"), QStringLiteral("slow")),
                gen::node(QStringLiteral("merge"), QStringLiteral("join2")),
                gen::node(QStringLiteral("after"), QStringLiteral("relay")) },
            QJsonArray { gen::edge(QStringLiteral("input.topic"), QStringLiteral("start.in")),
                gen::edge(QStringLiteral("start.out"), QStringLiteral("review.in")),
                gen::edge(QStringLiteral("start.out"), QStringLiteral("long.in")),
                gen::edge(QStringLiteral("review.out"), QStringLiteral("merge.in0")),
                gen::edge(QStringLiteral("long.out"), QStringLiteral("merge.in1")),
                gen::edge(QStringLiteral("merge.out"), QStringLiteral("after.in")) },
            QJsonArray { gen::output(QStringLiteral("result"), QStringLiteral("after.out")) });
        auto b = backend(load(gen::workspace(agents, QJsonArray { o })));
        EventLog log(b.get());
        const QString id = start(*b, workflowRequest(QStringLiteral("fails"), topic(QStringLiteral("x"))));
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 10000);
        checkSequence(log.byId.value(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("failed"));
        const QString error = log.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.startsWith(QLatin1String("node 'review' failed: ")), qPrintable(error));
        QVERIFY(error.contains(QLatin1String("model on fire")));

        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("failed"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("start"))->status),
            QStringLiteral("completed"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("review"))->status),
            QStringLiteral("failed"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("long"))->status),
            QStringLiteral("cancelled"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("llm"), QStringLiteral("long"))->status),
            QStringLiteral("cancelled"));
        QVERIFY(!stepOf(r, QStringLiteral("llm"), QStringLiteral("long"))
                     ->outputData.value(QLatin1String("text"))
                     .toString()
                     .isEmpty());
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("merge"))->status),
            QStringLiteral("skipped"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("after"))->status),
            QStringLiteral("skipped"));
        QVERIFY(!stepOf(r, QStringLiteral("llm"), QStringLiteral("merge")));
    }

    void cancelStopsWholeWorkflow()
    {
        const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") },
            QJsonObject {
                { QStringLiteral("tokens_per_second"), 20 }, { QStringLiteral("reply_tokens"), 2000 } }) };
        auto b = backend(load(gen::workspace(agents, QJsonArray { gen::chain(QStringLiteral("c"), 3) })));
        EventLog log(b.get());
        const QString id = start(*b, workflowRequest(QStringLiteral("c"), topic(QStringLiteral("x"))));
        QTRY_VERIFY(log.chunkCount(id) >= 3);
        b->cancel(id);
        QTRY_VERIFY(log.finished(id));
        checkSequence(log.byId.value(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("cancelled"));
        const QJsonObject out = log.complete(id).toJson().value(QLatin1String("output_data")).toObject();
        QCOMPARE(out.value(QLatin1String("partial")).toObject().value(QLatin1String("n0")).toString(),
            log.streamedText(id));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("cancelled"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("n0"))->status),
            QStringLiteral("cancelled"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("n1"))->status),
            QStringLiteral("skipped"));
        QCOMPARE(toWire(stepOf(r, QStringLiteral("node"), QStringLiteral("n2"))->status),
            QStringLiteral("skipped"));
    }

    // An orchestration edited into an invalid state fails before any node runs, with the JSON
    // paths of its problems.
    void invalidOrchestrationFailsWithPaths_data()
    {
        QTest::addColumn<int>("breakage");
        QTest::addColumn<QString>("expected");
        QTest::newRow("edge to unknown node") << 0 << QStringLiteral("orchestrations[0].edges[");
        QTest::newRow("cycle") << 1 << QStringLiteral("cycle");
        QTest::newRow("required input fed by nothing") << 2 << QStringLiteral("fed by nothing");
    }
    void invalidOrchestrationFailsWithPaths()
    {
        QFETCH(int, breakage);
        QFETCH(QString, expected);
        const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("join2"), gen::inputNames(QStringLiteral("in"), 2)) };
        Workspace ws = load(gen::workspace(agents, QJsonArray { gen::chain(QStringLiteral("c"), 3) }));
        OrchestrationSpec *o = ws.orchestration(QStringLiteral("c"));
        EdgeSpec e;
        switch (breakage) {
        case 0:
            e.fromNode = QStringLiteral("n0"), e.fromField = QStringLiteral("out");
            e.toNode = QStringLiteral("ghost"), e.toField = QStringLiteral("in");
            o->edges.append(e);
            break;
        case 1:
            o->edges[0].fromNode = QStringLiteral("n2"), o->edges[0].fromField = QStringLiteral("out");
            break;
        case 2:
            o->edges.removeAt(1);
            break;
        }
        QVERIFY(!ws.validate().isEmpty());
        auto b = backend(ws, 4, false);
        EventLog log(b.get());
        const QString id = start(*b, workflowRequest(QStringLiteral("c"), topic(QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("failed"));
        const QString error = log.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.contains(QLatin1String("orchestrations[0]")), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY(log.steps(id, ExecutionEvent::Type::StepStarted).isEmpty());
    }

    // --- Node in Context -----------------------------------------------------------------

    QByteArray contextWorkspace()
    {
        QJsonArray agents {
            gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }),
            gen::agent(QStringLiteral("critic"), { QStringLiteral("draft") }),
        };
        // The critic's own input has a default (only edge-fed inputs may be required in a node).
        QJsonObject critic = agents.at(1).toObject();
        QJsonObject sig = critic.value(QLatin1String("signature")).toObject();
        QJsonArray in = sig.value(QLatin1String("inputs")).toArray();
        QJsonObject strictness = gen::field(QStringLiteral("strictness"));
        strictness.insert(QStringLiteral("default"), QStringLiteral("mild"));
        in.append(strictness);
        sig.insert(QStringLiteral("inputs"), in);
        critic.insert(QStringLiteral("signature"), sig);
        agents.replace(1, critic);
        auto brief = [](const QString &id, const QJsonObject &pins) {
            return gen::orchestration(id,
                QJsonArray { gen::node(QStringLiteral("draft"), QStringLiteral("relay")),
                    gen::node(QStringLiteral("review"), QStringLiteral("critic")) },
                QJsonArray { gen::edge(QStringLiteral("input.topic"), QStringLiteral("draft.in")),
                    gen::edge(QStringLiteral("draft.out"), QStringLiteral("review.draft")) },
                QJsonArray { gen::output(QStringLiteral("verdict"), QStringLiteral("review.out")) }, pins);
        };
        const QJsonObject pins { { QStringLiteral("review"),
            QJsonObject { { QStringLiteral("draft"), QStringLiteral("PINNED zebra draft") } } } };
        return gen::workspace(agents,
            QJsonArray { brief(QStringLiteral("pinned"), pins), brief(QStringLiteral("unpinned"), {}),
                brief(QStringLiteral("neverrun"), {}) });
    }

    static QString promptOf(const ExecutionRecord &r)
    {
        const StepRecord *llm = stepOf(r, QStringLiteral("llm"));
        return llm ? as::compactJson(llm->inputData.value(QLatin1String("messages"))) : QString();
    }

    ExecutionRequest contextRequest(const QString &orch, const QJsonObject &upstream = {})
    {
        ExecutionRequest r;
        r.orchestrationId = orch;
        r.nodeId = QStringLiteral("review");
        r.inputs = obj("strictness", QStringLiteral("harsh"));
        r.upstream = upstream;
        return r;
    }

    void nodeInContextFromPins()
    {
        auto b = backend(load(contextWorkspace()));
        EventLog log(b.get());
        const QString id = start(*b, contextRequest(QStringLiteral("pinned")));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        checkSequence(log.byId.value(id));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(toWire(r.testMode), QStringLiteral("node_in_context"));
        QCOMPARE(r.orchestrationId, QStringLiteral("pinned"));
        QCOMPARE(r.nodeId, QStringLiteral("review"));
        QCOMPARE(r.agentId, QStringLiteral("critic"));
        QCOMPARE(toWire(r.executionType), QStringLiteral("orchestration"));
        QCOMPARE(
            r.inputData.value(QLatin1String("upstream")).toObject().value(QLatin1String("draft")).toString(),
            QStringLiteral("PINNED zebra draft"));
        QCOMPARE(r.inputData.value(QLatin1String("inputs"))
                     .toObject()
                     .value(QLatin1String("strictness"))
                     .toString(),
            QStringLiteral("harsh"));
        QVERIFY(promptOf(r).contains(QLatin1String("PINNED zebra draft")));
        QVERIFY(promptOf(r).contains(QLatin1String("harsh")));
        // Only the node ran: one node step with its llm and parse steps.
        QCOMPARE(r.steps.size(), 3);
        QCOMPARE(stepOf(r, QStringLiteral("node"))->nodeId, QStringLiteral("review"));
        QVERIFY(r.outputData.contains(QLatin1String("out")));
    }

    // Edited upstream values are the ones used, over pins.
    void nodeInContextExplicitUpstreamWins()
    {
        auto b = backend(load(contextWorkspace()));
        EventLog log(b.get());
        const QString id = start(
            *b, contextRequest(QStringLiteral("pinned"), obj("draft", QStringLiteral("EDITED yak draft"))));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QVERIFY(promptOf(r).contains(QLatin1String("EDITED yak draft")));
        QVERIFY(!promptOf(r).contains(QLatin1String("zebra")));
        QCOMPARE(
            r.inputData.value(QLatin1String("upstream")).toObject().value(QLatin1String("draft")).toString(),
            QStringLiteral("EDITED yak draft"));
    }

    // Without pins, the latest successful full run supplies the upstream outputs.
    void nodeInContextFromPastRun()
    {
        auto b = backend(load(contextWorkspace()));
        EventLog log(b.get());
        const QString full = start(
            *b, workflowRequest(QStringLiteral("unpinned"), topic(QStringLiteral("penguin logistics"))));
        QTRY_VERIFY(log.finished(full));
        QCOMPARE(log.completeStatus(full), QStringLiteral("completed"));
        QTRY_COMPARE(toWire(stored(full).status), QStringLiteral("completed"));
        const QString draft = stepOf(stored(full), QStringLiteral("node"), QStringLiteral("draft"))
                                  ->outputData.value(QLatin1String("out"))
                                  .toString();
        QVERIFY2(draft.contains(QLatin1String("penguin"), Qt::CaseInsensitive), qPrintable(draft));

        const QString id = start(*b, contextRequest(QStringLiteral("unpinned")));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("completed"));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("completed"));
        const ExecutionRecord r = stored(id);
        QCOMPARE(
            r.inputData.value(QLatin1String("upstream")).toObject().value(QLatin1String("draft")).toString(),
            draft);
        QVERIFY(promptOf(r).contains(draft));
    }

    void nodeInContextMissingUpstreamFails()
    {
        auto b = backend(load(contextWorkspace()), 4, false);
        EventLog log(b.get());
        const QString id = start(*b, contextRequest(QStringLiteral("neverrun")));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), QStringLiteral("failed"));
        const QString error = log.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.contains(QLatin1String("'draft'")), qPrintable(error));
        QVERIFY(error.contains(QLatin1String("review")));
    }

    // The first event of an execution carries its header, equal to the stored record's columns
    // (docs/wire-protocol.md): a subscriber needs no fetch to know what runs.
    void queuedEventCarriesHeader()
    {
        auto b = backend(load(contextWorkspace()));
        EventLog log(b.get());
        ExecutionRequest req = contextRequest(QStringLiteral("pinned"));
        req.rerunOf = QStringLiteral("earlier-run");
        const QString id = start(*b, req);
        QTRY_VERIFY(log.finished(id));
        const ExecutionEvent first = log.byId.value(id).first();
        QCOMPARE(toWire(first.status), QStringLiteral("queued"));
        const QJsonObject header = first.toJson().value(QLatin1String("header")).toObject();
        const QJsonObject row = stored(id).toJson(false);
        // The tenant too: a history list filtered by workspace can place the run at once.
        const QStringList keys { QStringLiteral("organization_id"), QStringLiteral("workspace_id"),
            QStringLiteral("agent_id"), QStringLiteral("orchestration_id"), QStringLiteral("node_id"),
            QStringLiteral("test_mode"), QStringLiteral("execution_type"), QStringLiteral("trigger_type"),
            QStringLiteral("rerun_of"), QStringLiteral("queued_at") };
        QCOMPARE(header.keys().size(), keys.size() + 1);
        for (const QString &k : keys)
            QCOMPARE(header.value(k), row.value(k));
        QCOMPARE(header.value(QLatin1String("agent_id")).toString(), QStringLiteral("critic"));
        QCOMPARE(header.value(QLatin1String("node_id")).toString(), QStringLiteral("review"));
        QCOMPARE(header.value(QLatin1String("test_mode")).toString(), QStringLiteral("node_in_context"));
        QCOMPARE(header.value(QLatin1String("rerun_of")).toString(), QStringLiteral("earlier-run"));
        // input_data as queued: the request's own inputs and upstream values (the stored row
        // has the upstream values actually used, pins included).
        QCOMPARE(header.value(QLatin1String("input_data")).toObject(),
            (QJsonObject {
                { QStringLiteral("inputs"), req.inputs }, { QStringLiteral("upstream"), QJsonObject {} } }));
        // Only the first event has it.
        for (const ExecutionEvent &e : log.byId.value(id).mid(1))
            QVERIFY(!e.toJson().contains(QLatin1String("header")));
    }

    // `complete` says why an execution ended as a code, not only as text.
    void completeCarriesErrorCode_data()
    {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QJsonObject>("inputs");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("code");
        const QJsonObject in = obj("in", QStringLiteral("x"));
        QTest::newRow("completed") << u"relay"_s << in << u"completed"_s << QString();
        QTest::newRow("bad inputs") << u"relay"_s << QJsonObject {} << u"failed"_s << u"invalid_input"_s;
        QTest::newRow("provider error") << u"broken"_s << in << u"failed"_s << u"provider"_s;
        QTest::newRow("reply does not fit") << u"scorer"_s << in << u"failed"_s << u"provider"_s;
    }
    void completeCarriesErrorCode()
    {
        QFETCH(QString, agent);
        QFETCH(QJsonObject, inputs);
        QFETCH(QString, status);
        QFETCH(QString, code);
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(agent, inputs));
        QTRY_VERIFY(log.finished(id));
        QCOMPARE(log.completeStatus(id), status);
        QCOMPARE(log.complete(id).toJson().value(QLatin1String("error_code")).toString(), code);
    }
    void errorCodeOfCancelAndWorkflows()
    {
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        const QString slow
            = start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("long"))));
        QTRY_VERIFY(log.chunkCount(slow) >= 1);
        b->cancel(slow);
        QTRY_VERIFY(log.finished(slow));
        QCOMPARE(log.complete(slow).toJson().value(QLatin1String("error_code")).toString(), u"cancelled"_s);

        auto c = backend(load(contextWorkspace()), 4, false);
        EventLog clog(c.get());
        const QString missing = start(*c, contextRequest(QStringLiteral("neverrun")));
        QTRY_VERIFY(clog.finished(missing));
        QCOMPARE(clog.complete(missing).toJson().value(QLatin1String("error_code")).toString(),
            u"invalid_input"_s);
        const QString full
            = start(*c, workflowRequest(QStringLiteral("pinned"), topic(QStringLiteral("zebras"))));
        QTRY_VERIFY(clog.finished(full));
        QCOMPARE(clog.completeStatus(full), u"completed"_s);
        QCOMPARE(clog.complete(full).toJson().value(QLatin1String("error_code")).toString(), QString());
        const QString bad = start(*c, workflowRequest(QStringLiteral("pinned"), {}));
        QTRY_VERIFY(clog.finished(bad));
        QCOMPARE(
            clog.complete(bad).toJson().value(QLatin1String("error_code")).toString(), u"invalid_input"_s);
    }

    // Two workspace files on one database, both with an orchestration "unpinned": Node in
    // Context in workspace beta must not take alpha's run as its upstream, and beta's history,
    // fetch and delete must not reach alpha's run (the app's test panel prefill and history
    // dock read through these).
    void otherWorkspacesRunsStayInvisible()
    {
        Workspace alpha = load(contextWorkspace());
        alpha.workspaceId = QStringLiteral("tenant-alpha");
        Workspace beta = load(contextWorkspace());
        beta.workspaceId = QStringLiteral("tenant-beta");
        auto a = backend(alpha);
        EventLog logA(a.get());
        const QString secret = start(
            *a, workflowRequest(QStringLiteral("unpinned"), topic(QStringLiteral("alpha secret merger"))));
        QTRY_VERIFY(logA.finished(secret));
        QCOMPARE(logA.completeStatus(secret), QStringLiteral("completed"));

        auto b = backend(beta);
        EventLog logB(b.get());
        const QString id = start(*b, contextRequest(QStringLiteral("unpinned")));
        QTRY_VERIFY(logB.finished(id));
        QCOMPARE(logB.completeStatus(id), QStringLiteral("failed"));
        const QString error = logB.complete(id).toJson().value(QLatin1String("error_message")).toString();
        QVERIFY2(error.contains(QLatin1String("'draft'")), qPrintable(error));
        QTRY_COMPARE(toWire(stored(id).status), QStringLiteral("failed"));
        QVERIFY(!as::compactJson(stored(id).inputData).contains(QLatin1String("merger")));

        HistoryQuery byOrchestration;
        byOrchestration.orchestrationId = QStringLiteral("unpinned");
        const auto pages = awaitReply<HistoryPage>(
            [&](QObject *context, auto callback) { b->queryHistory(byOrchestration, context, callback); });
        QVERIFY(pages);
        const HistoryPage page = pages->first;
        QCOMPARE(page.items.size(), 1); // its own failed Node in Context run only
        QCOMPARE(page.items.first().id, id);

        const auto fetch = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto callback) { b->fetchExecution(secret, context, callback); });
        QVERIFY(fetch);
        QCOMPARE(fetch->second.code, ErrorCode::NotFound);
        QCOMPARE(fetch->second.message, QStringLiteral("no execution with id '%1'").arg(secret));

        const auto deleted = awaitReply<int>(
            [&](QObject *context, auto callback) { b->deleteExecutions({ secret }, context, callback); });
        QVERIFY(deleted);
        QCOMPARE(deleted->second.code, ErrorCode::None);
        QCOMPARE(deleted->first, 0);
        QCOMPARE(toWire(stored(secret).status), QStringLiteral("completed"));
    }

    // --- The bundled example ----------------------------------------------------------------

    // Every example agent (with each of its example inputs) and both example orchestrations run
    // offline on the scripted provider and complete: the default replies fit every signature.
    void exampleWorkspaceRunsOffline()
    {
        QStringList problems;
        Result<Workspace> loaded = Workspace::load(
            testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json")), &problems);
        QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
        Workspace ws = loaded.take();
        // Fast pace: this checks fit, not timing.
        for (ProviderConfig &p : ws.providers)
            if (p.kind == QLatin1String("scripted")) {
                p.raw.insert(QStringLiteral("tokens_per_second"), 0);
                p.raw.insert(QStringLiteral("ttft_ms"), 0);
            }
        for (AgentSpec &a : ws.agents) {
            a.model.raw.remove(QStringLiteral("tokens_per_second"));
            a.model.raw.remove(QStringLiteral("ttft_ms"));
        }
        auto b = backend(ws, 8, false);
        EventLog log(b.get());
        QStringList ids, labels;
        for (const AgentSpec &a : std::as_const(ws.agents)) {
            for (const AgentExample &ex : a.examples) {
                ids << start(*b, agentRequest(a.id, ex.inputs));
                labels << a.id + QStringLiteral(" / ") + ex.name;
            }
        }
        for (const OrchestrationSpec &o : std::as_const(ws.orchestrations)) {
            // A workflow about a topic runs on a new one; the others on their first example.
            const bool aboutATopic = std::any_of(o.inputs.begin(), o.inputs.end(),
                [](const FieldSpec &f) { return f.name == QLatin1String("topic"); });
            ids << start(*b,
                workflowRequest(o.id,
                    aboutATopic || o.examples.isEmpty() ? topic(QStringLiteral("Residential battery storage"))
                                                        : o.examples.first().inputs));
            labels << o.id;
            for (auto it = o.pins.begin(); it != o.pins.end(); ++it) {
                ExecutionRequest r;
                r.orchestrationId = o.id;
                r.nodeId = it.key();
                ids << start(*b, r);
                labels << o.id + QStringLiteral(" node in context ") + it.key();
            }
        }
        QVERIFY(ids.size() >= 8);
        for (int i = 0; i < ids.size(); ++i) {
            QTRY_VERIFY_WITH_TIMEOUT(log.finished(ids.at(i)), 20000);
            const QString status = log.completeStatus(ids.at(i));
            QVERIFY2(status == QLatin1String("completed"),
                qPrintable(labels.at(i) + QStringLiteral(": ") + status + QStringLiteral(" ")
                    + log.complete(ids.at(i)).toJson().value(QLatin1String("error_message")).toString()));
            checkSequence(log.byId.value(ids.at(i)));
        }
    }

    // --- Replay, for subscribers on other threads (the remote server) --------------------

    void eventsSinceReplaysBufferedEvents()
    {
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("paced"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.finished(id));
        bool known = false;
        const ExecutionEventList all = b->engine()->eventsSince(id, 0, &known);
        QVERIFY(known);
        QCOMPARE(all.size(), log.byId.value(id).size());
        for (int i = 0; i < all.size(); ++i)
            QCOMPARE(all.at(i).toJson(), log.byId.value(id).at(i).toJson());
        const ExecutionEventList tail = b->engine()->eventsSince(id, 5);
        QCOMPARE(tail.size(), all.size() - 5);
        QCOMPARE(tail.first().seq, qint64(6));
        QVERIFY(b->engine()->eventsSince(id, all.size()).isEmpty());
        b->engine()->eventsSince(QStringLiteral("nope"), 0, &known);
        QVERIFY(!known);

        // subscribe() replays to the subscriber only: the broadcast carries live events, once.
        EventLog broadcast(b.get());
        ExecutionEventList caughtUp;
        QObject subscriber;
        b->subscribe(id, 3, &subscriber, [&](const ExecutionEventList &events) { caughtUp += events; });
        QTRY_COMPARE(caughtUp.size(), all.size() - 3);
        QCOMPARE(caughtUp.first().seq, qint64(4));
        QCOMPARE(broadcast.byId.value(id).size(), 0);
    }

    // eventsSince() from another thread while the engine streams: always a gap-free prefix.
    void eventsSinceWhileStreaming()
    {
        auto b = backend(load(basicWorkspace()), 4, false);
        EventLog log(b.get());
        const QString id = start(*b, agentRequest(QStringLiteral("paced"), obj("in", QStringLiteral("x"))));
        int polls = 0;
        qint64 last = 0;
        while (!log.finished(id) && polls < 100000) {
            const ExecutionEventList now = b->engine()->eventsSince(id, 0);
            for (int i = 0; i < now.size(); ++i)
                QCOMPARE(now.at(i).seq, qint64(i + 1));
            QVERIFY(now.size() >= last);
            last = now.size();
            ++polls;
            QTest::qWait(1);
        }
        QVERIFY(log.finished(id));
        QCOMPARE(b->engine()->eventsSince(id, 0).size(), log.byId.value(id).size());
    }

    // The engine lives on a named thread; the destructor cancels and joins it.
    void threadIsNamedAndDestructorJoins()
    {
        auto b = backend(load(basicWorkspace()));
        EventLog log(b.get());
        QThread *t = b->engine()->thread();
        QCOMPARE(t->objectName(), QStringLiteral("agentstudio-engine"));
        QVERIFY(t != QThread::currentThread());
        QStringList ids;
        for (int i = 0; i < 6; ++i) // 4 running, 2 queued
            ids << start(*b, agentRequest(QStringLiteral("slow"), obj("in", QStringLiteral("x"))));
        QTRY_VERIFY(log.chunkCount(ids.first()) >= 1);
        b.reset(); // must not hang or crash with runs streaming and queued
        for (const QString &id : std::as_const(ids))
            QCOMPARE(toWire(stored(id).status), QStringLiteral("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
