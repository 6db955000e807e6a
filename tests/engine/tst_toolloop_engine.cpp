#include "core/common/Util.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "core/tools/ToolHost.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using namespace Qt::StringLiterals;

// The agent loop inside the engine (docs/agent-loop.md): conversations rebuilt from the store,
// overrides and budgets recorded in the execution. A real LocalBackend (engine thread, SQLite)
// against a loopback OpenAI-compatible server that records every request body.
class TestToolLoopEngine : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup() { m_backend.reset(); }
    void conversationReplaysTheExactMessages();
    void conversationRequestsThatCannotStart_data();
    void conversationRequestsThatCannotStart();
    void overridesAndBudgetAreRecorded();
    void conversationWithToolsReplaysTheExactMessages();
    void workflowNodeUsesTools();
    void toolCallBudgetFailsTheRun();
    void cancelKillsTheCommandTool();
    void cancelSendsMcpCancellation();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    ScriptedHttpServer *m_server = nullptr;
    std::unique_ptr<ScriptedHttpServer> m_serverOwner;
    std::unique_ptr<LocalBackend> m_backend;
    QString m_db;
    ExecutionEventList m_events; // every event the backend delivered

    void startBackend(const QString &extraAgentJson);
    QString pidFile() const { return m_dir->filePath(u"nap.pids"_s); }
    // Runs `r` to its end; returns the stored record.
    ExecutionRecord run(ExecutionRequest r, QString *startError = nullptr);
};

namespace {

// One streamed OpenAI chat completion with `text` and usage.
ScriptedHttpServer::Response completion(const QString &text)
{
    const QJsonObject delta { { u"id"_s, u"c"_s }, { u"model"_s, u"gpt-4o-mini"_s },
        { u"choices"_s,
            QJsonArray { QJsonObject { { u"index"_s, 0 },
                { u"delta"_s, QJsonObject { { u"role"_s, u"assistant"_s }, { u"content"_s, text } } } } } } };
    const QJsonObject end { { u"id"_s, u"c"_s },
        { u"choices"_s,
            QJsonArray { QJsonObject {
                { u"index"_s, 0 }, { u"delta"_s, QJsonObject {} }, { u"finish_reason"_s, u"stop"_s } } } },
        { u"usage"_s, QJsonObject { { u"prompt_tokens"_s, 20 }, { u"completion_tokens"_s, 3 } } } };
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "text/event-stream" } };
    r.body = "data: " + QJsonDocument(delta).toJson(QJsonDocument::Compact)
        + "\n\ndata: " + QJsonDocument(end).toJson(QJsonDocument::Compact) + "\n\ndata: [DONE]\n\n";
    return r;
}

// One streamed OpenAI reply asking for `name` with `arguments` (JSON text).
ScriptedHttpServer::Response toolCall(const QString &id, const QString &name, const QString &arguments)
{
    const QJsonObject fn { { u"name"_s, name }, { u"arguments"_s, arguments } };
    const QJsonObject call { { u"index"_s, 0 }, { u"id"_s, id }, { u"type"_s, u"function"_s },
        { u"function"_s, fn } };
    const QJsonObject delta { { u"id"_s, u"c"_s },
        { u"choices"_s,
            QJsonArray { QJsonObject { { u"index"_s, 0 },
                { u"delta"_s,
                    QJsonObject {
                        { u"role"_s, u"assistant"_s }, { u"tool_calls"_s, QJsonArray { call } } } } } } } };
    const QJsonObject end { { u"id"_s, u"c"_s },
        { u"choices"_s,
            QJsonArray { QJsonObject { { u"index"_s, 0 }, { u"delta"_s, QJsonObject {} },
                { u"finish_reason"_s, u"tool_calls"_s } } } },
        { u"usage"_s, QJsonObject { { u"prompt_tokens"_s, 30 }, { u"completion_tokens"_s, 7 } } } };
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "text/event-stream" } };
    r.body = "data: " + QJsonDocument(delta).toJson(QJsonDocument::Compact)
        + "\n\ndata: " + QJsonDocument(end).toJson(QJsonDocument::Compact) + "\n\ndata: [DONE]\n\n";
    return r;
}

const StepRecord *stepOf(const ExecutionRecord &r, StepKind kind, int nth = 0)
{
    for (const StepRecord &s : r.steps)
        if (s.kind == kind && nth-- == 0)
            return &s;
    return nullptr;
}

QJsonArray requestMessages(const ScriptedHttpServer::Request &r)
{
    return QJsonDocument::fromJson(r.body).object().value(u"messages"_s).toArray();
}

// A process that exited but was not reaped yet (its parent is not this test): state Z.
bool isZombie(int pid)
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close > 0 && line.mid(close + 2, 1) == "Z";
}

ExecutionRequest chat(const QString &message, const QString &of, const QString &agent = u"chat"_s)
{
    ExecutionRequest r;
    r.agentId = agent;
    r.conversationOf = of;
    r.message = message;
    return r;
}

} // namespace

void TestToolLoopEngine::init()
{
    m_backend.reset();
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = m_dir->filePath(u"executions.db"_s);
    m_serverOwner = std::make_unique<ScriptedHttpServer>();
    m_server = m_serverOwner.get();
    qputenv("AGENTSTUDIO_TEST_LOOP_KEY", "sk-test-loop");
    startBackend(QString());
}

// The workspace: agent "chat" on the loopback OpenAI server; "orderbot" (the same model) and
// "courier" (scripted) with the mock tool "orders"; "sleeper" (scripted) with the command tool
// "nap" (tests/tools/command_tool.py sleep); a workflow "ship" whose node uses "courier".
void TestToolLoopEngine::startBackend(const QString &extraAgentJson)
{
    m_backend.reset();
    QString json = uR"({"format": "agentstudio/1", "workspace_id": "loop",
        "providers": {"cloud": {"kind": "openai", "base_url": "%1/v1", "api_key_env": "AGENTSTUDIO_TEST_LOOP_KEY"},
                      "offline": {"kind": "scripted", "ttft_ms": 0, "tokens_per_second": 0}},
        "tools": {
          "orders": {"kind": "mock", "description": "Look an order up",
                     "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                     "responses": [{"when": {"id": "A1"}, "result": {"carrier": "Fjordline", "depot": "Tromsdalen"}},
                                   {"error": "no such order"}]},
          "nap": {"kind": "command", "command": "python3", "args": ["%2", "sleep"], "env": {"PID_FILE": "%3"}},
          "faulty": {"kind": "mcp", "command": "python3", "args": ["%5"]}},
        "agents": [
          {"id": "chat", "name": "chat", "version": "1",
           "model": {"provider": "cloud", "name": "gpt-4o-mini"}, "instructions": "Answer briefly.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}},
          {"id": "orderbot", "name": "orderbot", "version": "1", "tools": ["orders"],
           "model": {"provider": "cloud", "name": "gpt-4o-mini"}, "instructions": "Look orders up.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}},
          {"id": "courier", "name": "courier", "version": "1", "tools": ["orders"],
           "model": {"provider": "offline", "name": "scripted"}, "instructions": "Track it.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}},
          {"id": "sleeper", "name": "sleeper", "version": "1", "tools": ["nap"],
           "model": {"provider": "offline", "name": "scripted"}, "instructions": "Nap.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}},
          {"id": "hanger", "name": "hanger", "version": "1", "tools": ["faulty/hang"],
           "model": {"provider": "offline", "name": "scripted"}, "instructions": "Wait.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}}%4],
        "orchestrations": [{"id": "ship", "name": "ship", "version": "1",
          "inputs": [{"name": "question", "type": "str"}],
          "nodes": [{"id": "track", "agent": "courier"}],
          "edges": [{"from": "input.question", "to": "track.question"}],
          "outputs": [{"name": "answer", "from": "track.answer"}]}]})"_s.arg(m_server->url().toString(),
        QString::fromUtf8(COMMAND_TOOL), pidFile(), extraAgentJson, QString::fromUtf8(MCP_FAULT_SERVER));
    Result<Workspace> ws = Workspace::fromJson(json.toUtf8());
    if (!ws.ok())
        qFatal("workspace: %s", qPrintable(ws.error()));
    EngineSettings s;
    s.databasePath = m_db;
    m_backend = std::make_unique<LocalBackend>(ws.value(), s);
    m_events.clear();
    connect(m_backend.get(), &ExecutionBackend::eventsReceived, this,
        [this](const ExecutionEventList &events) { m_events += events; });
    m_backend->setCredentialTrust(CredentialTrust::everything()); // a loopback host
}

ExecutionRecord TestToolLoopEngine::run(ExecutionRequest r, QString *startError)
{
    std::optional<Error> started;
    QString id;
    m_backend->start(r, this, [&](const QString &executionId, const Error &e) {
        started = e;
        id = executionId;
    });
    if (!QTest::qWaitFor([&] { return started.has_value(); }, 10000))
        return {};
    if (startError)
        *startError = started->message;
    if (started->code != ErrorCode::None)
        return {};
    ExecutionRecord rec;
    const bool done = QTest::qWaitFor(
        [&] {
            ExecutionStore store(m_db);
            if (!store.open().ok())
                return false;
            Result<ExecutionRecord> got = store.execution(StoreScope::everyWorkspace(), id, true);
            if (!got.ok() || !isTerminal(got->status))
                return false;
            rec = got.take();
            return true;
        },
        10000);
    return done ? rec : ExecutionRecord();
}

// The second turn sends exactly the first turn's messages, the model's reply and the new user
// message (compared as the loopback server received them), and continues the conversation id.
void TestToolLoopEngine::conversationReplaysTheExactMessages()
{
    m_server->enqueue(completion(u"Paris."_s));
    m_server->enqueue(completion(u"About two million."_s));
    m_server->enqueue(completion(u"Yes."_s));
    ExecutionRequest first;
    first.agentId = u"chat"_s;
    first.inputs = QJsonObject { { u"question"_s, u"Capital of France?"_s } };
    const ExecutionRecord one = run(first);
    QCOMPARE(one.status, ExecutionStatus::Completed);
    QCOMPARE(one.turn, 0);

    const ExecutionRecord two = run(chat(u"How many people live there?"_s, one.id));
    QCOMPARE(two.status, ExecutionStatus::Completed);
    QCOMPARE(two.conversationId, one.id);
    QCOMPARE(two.turn, 2);
    QCOMPARE(two.outputData.value(u"answer"_s).toString(), u"About two million."_s);
    QCOMPARE(m_server->requests.size(), 2);
    QJsonArray expected = requestMessages(m_server->requests.at(0));
    expected.append(QJsonObject { { u"role"_s, u"assistant"_s }, { u"content"_s, u"Paris."_s } });
    expected.append(
        QJsonObject { { u"role"_s, u"user"_s }, { u"content"_s, u"How many people live there?"_s } });
    QCOMPARE(requestMessages(m_server->requests.at(1)), expected);

    // A third turn continues from the second, same conversation.
    const ExecutionRecord three = run(chat(u"Sure?"_s, two.id));
    QCOMPARE(three.conversationId, one.id);
    QCOMPARE(three.turn, 3);
    expected.append(QJsonObject { { u"role"_s, u"assistant"_s }, { u"content"_s, u"About two million."_s } });
    expected.append(QJsonObject { { u"role"_s, u"user"_s }, { u"content"_s, u"Sure?"_s } });
    QCOMPARE(requestMessages(m_server->requests.at(2)), expected);
}

void TestToolLoopEngine::conversationRequestsThatCannotStart_data()
{
    QTest::addColumn<QString>("of");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown execution")
        << u"00000000-0000-4000-8000-000000000000"_s << u"hi"_s << u"conversation_of: no execution"_s;
    QTest::newRow("no message") << u"00000000-0000-4000-8000-000000000000"_s << QString() << u"message"_s;
    QTest::newRow("failed run") << u"failed"_s << u"hi"_s << u"only a completed run can be continued"_s;
}

void TestToolLoopEngine::conversationRequestsThatCannotStart()
{
    QFETCH(QString, of);
    QFETCH(QString, message);
    QFETCH(QString, error);
    if (of == u"failed") {
        m_server->enqueue(ScriptedHttpServer::jsonResponse(400, R"({"error":{"message":"bad"}})"));
        ExecutionRequest first;
        first.agentId = u"chat"_s;
        first.inputs = QJsonObject { { u"question"_s, u"?"_s } };
        const ExecutionRecord failed = run(first);
        QCOMPARE(failed.status, ExecutionStatus::Failed);
        of = failed.id;
    }
    QString why;
    const ExecutionRecord r = run(chat(message, of), &why);
    QVERIFY(r.id.isEmpty());
    QVERIFY2(why.contains(error), qPrintable(why));
}

void TestToolLoopEngine::overridesAndBudgetAreRecorded()
{
    m_server->enqueue(completion(u"fine"_s));
    ExecutionRequest r;
    r.agentId = u"chat"_s;
    r.inputs = QJsonObject { { u"question"_s, u"?"_s } };
    r.toolOverrides = QJsonObject { { u"weather"_s, QJsonObject { { u"latency_ms"_s, 5 } } } };
    r.budget.maxToolCalls = 3;
    const ExecutionRecord rec = run(r);
    QCOMPARE(rec.status, ExecutionStatus::Completed);
    QCOMPARE(rec.toolOverrides, r.toolOverrides);
    QCOMPARE(rec.budget, (QJsonObject { { u"max_tool_calls"_s, 3 } }));
}

// A run that called a tool continues: the next request carries every message of the first run
// (system, user, the assistant's tool call, the tool result, the answer) exactly as it was sent,
// then the new user message. The tool step is recorded and found by full-text search.
void TestToolLoopEngine::conversationWithToolsReplaysTheExactMessages()
{
    m_server->enqueue(toolCall(u"call_1"_s, u"orders"_s, u"{\"id\":\"A1\"}"_s));
    m_server->enqueue(completion(u"It is with Fjordline."_s));
    m_server->enqueue(completion(u"Tomorrow."_s));
    ExecutionRequest first;
    first.agentId = u"orderbot"_s;
    first.inputs = QJsonObject { { u"question"_s, u"Where is order A1?"_s } };
    const ExecutionRecord one = run(first);
    QCOMPARE(one.status, ExecutionStatus::Completed);
    const StepRecord *tool = stepOf(one, StepKind::Tool);
    QVERIFY(tool);
    QCOMPARE(tool->name, u"orders"_s);
    QCOMPARE(tool->provider, u"orders"_s);
    QCOMPARE(tool->toolCallId, u"call_1"_s);
    QCOMPARE(tool->inputData, (QJsonObject { { u"id"_s, u"A1"_s } }));
    QCOMPARE(tool->outputData.value(u"structuredContent"_s).toObject().value(u"carrier"_s).toString(),
        u"Fjordline"_s);
    QCOMPARE(tool->status, StepStatus::Completed);
    QVERIFY(stepOf(one, StepKind::Llm, 1));
    QCOMPARE(tool->parentStepId, stepOf(one, StepKind::Llm, 0)->parentStepId); // siblings
    QCOMPARE(one.inputTokens, 30 + 20);

    const ExecutionRecord two = run(chat(u"When will it arrive?"_s, one.id, u"orderbot"_s));
    QCOMPARE(two.status, ExecutionStatus::Completed);
    QCOMPARE(m_server->requests.size(), 3);
    const QJsonArray sentSecond = requestMessages(m_server->requests.at(1));
    QCOMPARE(sentSecond.size(), 4); // system, user, assistant tool call, tool result
    QJsonArray expected = sentSecond;
    expected.append(
        QJsonObject { { u"role"_s, u"assistant"_s }, { u"content"_s, u"It is with Fjordline."_s } });
    expected.append(QJsonObject { { u"role"_s, u"user"_s }, { u"content"_s, u"When will it arrive?"_s } });
    QCOMPARE(requestMessages(m_server->requests.at(2)), expected);

    ExecutionStore store(m_db);
    QVERIFY(store.open().ok());
    HistoryQuery q;
    q.search = u"tromsdalen"_s; // only in the tool's result
    const Result<HistoryPage> page = store.query(StoreScope::everyWorkspace(), q);
    QVERIFY(page.ok());
    QCOMPARE(page->items.size(), 1);
    QCOMPARE(page->items.first().id, one.id);
}

void TestToolLoopEngine::workflowNodeUsesTools()
{
    ExecutionRequest r;
    r.orchestrationId = u"ship"_s;
    r.inputs = QJsonObject { { u"question"_s, u"Where is it?"_s } };
    const ExecutionRecord rec = run(r);
    QCOMPARE(rec.status, ExecutionStatus::Completed);
    const StepRecord *node = stepOf(rec, StepKind::Node);
    const StepRecord *tool = stepOf(rec, StepKind::Tool);
    QVERIFY(node && tool);
    QCOMPARE(tool->parentStepId, node->id);
    QCOMPARE(tool->nodeId, u"track"_s);
    QCOMPARE(tool->name, u"orders"_s);
    QCOMPARE(stepOf(rec, StepKind::Llm, 0)->parentStepId, node->id);
    QVERIFY(stepOf(rec, StepKind::Llm, 1)); // the turn after the tool
    // The tool step is announced like any step: started, then completed with its result. The
    // store has the end before the batch holding it reaches this thread: wait for the events.
    const QString toolId = tool->id;
    const auto seen = [this, toolId] {
        QStringList out;
        for (const ExecutionEvent &e : std::as_const(m_events))
            if (e.step && e.step->id == toolId)
                out << u"%1 %2 %3"_s.arg(ExecutionEvent::typeName(e.type), toWire(e.step->kind),
                    e.step->toolCallId.isEmpty() ? u"-"_s : u"id"_s);
        return out;
    };
    QTRY_COMPARE(seen(), (QStringList { u"step_started tool id"_s, u"step_completed tool id"_s }));
}

void TestToolLoopEngine::toolCallBudgetFailsTheRun()
{
    ExecutionRequest r;
    r.agentId = u"courier"_s;
    r.inputs = QJsonObject { { u"question"_s, u"?"_s } };
    r.budget.maxToolCalls = 0;
    const ExecutionRecord rec = run(r);
    QCOMPARE(rec.status, ExecutionStatus::Failed);
    QVERIFY2(rec.errorMessage.contains(u"max_tool_calls is 0"_s), qPrintable(rec.errorMessage));
    QVERIFY(!stepOf(rec, StepKind::Tool));
}

// Cancel during a command tool's call: the run ends cancelled and the tool's process (and the
// child it started) are gone.
void TestToolLoopEngine::cancelKillsTheCommandTool()
{
    ExecutionRequest r;
    r.agentId = u"sleeper"_s;
    r.inputs = QJsonObject { { u"question"_s, u"?"_s } };
    r.executionId = as::newId();
    m_backend->start(r, nullptr, {});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile()) && QFileInfo(pidFile()).size() > 0, 10000);
    QFile f(pidFile());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList pids = QString::fromUtf8(f.readAll()).split(u' ', Qt::SkipEmptyParts);
    QCOMPARE(pids.size(), 2);
    for (const QString &p : pids)
        QCOMPARE(::kill(p.toInt(), 0), 0); // running
    m_backend->cancel(r.executionId);
    auto status = [this, &r] {
        ExecutionStore store(m_db);
        if (!store.open().ok())
            return ExecutionStatus::Queued;
        Result<ExecutionRecord> got = store.execution(StoreScope::everyWorkspace(), r.executionId, true);
        return got.ok() ? got->status : ExecutionStatus::Queued;
    };
    QTRY_COMPARE_WITH_TIMEOUT(status(), ExecutionStatus::Cancelled, 10000);
    for (const QString &p : pids)
        QTRY_VERIFY_WITH_TIMEOUT(::kill(p.toInt(), 0) != 0 || isZombie(p.toInt()), 10000);
}

// Cancel during an MCP tool call that never answers: the server is told
// (notifications/cancelled, which the fault server notes on its stderr, the source's log).
void TestToolLoopEngine::cancelSendsMcpCancellation()
{
    ExecutionRequest r;
    r.agentId = u"hanger"_s;
    r.inputs = QJsonObject { { u"question"_s, u"?"_s } };
    r.executionId = as::newId();
    // Started = the engine has opened (and on first use created) the store: only then may this
    // test open it too (two connections creating a fresh schema at once can fail).
    bool started = false;
    m_backend->start(r, this, [&started](const QString &, const Error &) { started = true; });
    QTRY_VERIFY_WITH_TIMEOUT(started, 10000);
    Engine *engine = m_backend->engine();
    auto faultyLog = [engine] {
        QStringList log;
        QMetaObject::invokeMethod(
            engine,
            [engine, &log] {
                for (const ToolSourceStatus &s : engine->tools()->statuses())
                    if (s.id == u"faulty")
                        log = s.log;
            },
            Qt::BlockingQueuedConnection);
        return log.join(u'\n');
    };
    auto stored = [this, &r] {
        ExecutionStore store(m_db);
        if (!store.open().ok())
            return ExecutionRecord();
        Result<ExecutionRecord> got = store.execution(StoreScope::everyWorkspace(), r.executionId, true);
        return got.ok() ? got.take() : ExecutionRecord();
    };
    // The hang call is running once its tool step is stored.
    QTRY_VERIFY_WITH_TIMEOUT(stepOf(stored(), StepKind::Tool) != nullptr, 10000);
    QVERIFY(!faultyLog().contains(u"cancelled"_s));
    m_backend->cancel(r.executionId);
    QTRY_COMPARE_WITH_TIMEOUT(stored().status, ExecutionStatus::Cancelled, 10000);
    const ExecutionRecord rec = stored();
    QCOMPARE(stepOf(rec, StepKind::Tool)->status, StepStatus::Cancelled);
    QTRY_VERIFY_WITH_TIMEOUT(faultyLog().contains(u"fault server: cancelled"_s), 10000);
}

QTEST_GUILESS_MAIN(TestToolLoopEngine)
#include "tst_toolloop_engine.moc"
