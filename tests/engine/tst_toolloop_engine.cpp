#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// The agent loop inside the engine (docs/agent-loop.md): conversations rebuilt from the store,
// overrides and budgets recorded in the execution. A real LocalBackend (engine thread, SQLite)
// against a loopback OpenAI-compatible server that records every request body.
class TestToolLoopEngine : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void conversationReplaysTheExactMessages();
    void conversationRequestsThatCannotStart_data();
    void conversationRequestsThatCannotStart();
    void overridesAndBudgetAreRecorded();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    ScriptedHttpServer *m_server = nullptr;
    std::unique_ptr<ScriptedHttpServer> m_serverOwner;
    std::unique_ptr<LocalBackend> m_backend;
    QString m_db;

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

QJsonArray requestMessages(const ScriptedHttpServer::Request &r)
{
    return QJsonDocument::fromJson(r.body).object().value(u"messages"_s).toArray();
}

ExecutionRequest chat(const QString &message, const QString &of)
{
    ExecutionRequest r;
    r.agentId = u"chat"_s;
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
    const QString json = uR"({"format": "agentstudio/1", "workspace_id": "loop",
        "providers": {"cloud": {"kind": "openai", "base_url": "%1/v1", "api_key_env": "AGENTSTUDIO_TEST_LOOP_KEY"}},
        "agents": [{"id": "chat", "name": "chat", "version": "1",
            "model": {"provider": "cloud", "name": "gpt-4o-mini"}, "instructions": "Answer briefly.",
            "signature": {"inputs": [{"name": "question", "type": "str"}],
                          "outputs": [{"name": "answer", "type": "str"}]}}]})"_s.arg(
        m_server->url().toString());
    Result<Workspace> ws = Workspace::fromJson(json.toUtf8());
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    EngineSettings s;
    s.databasePath = m_db;
    m_backend = std::make_unique<LocalBackend>(ws.value(), s);
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

QTEST_GUILESS_MAIN(TestToolLoopEngine)
#include "tst_toolloop_engine.moc"
