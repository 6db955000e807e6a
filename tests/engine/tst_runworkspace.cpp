#include "core/engine/LocalBackend.h"
#include "tests/support/BackendReplies.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

// The JSON texts are defined after the class: moc loses the class after a raw string literal.
const char *workspaceJson();
const char *inlineJudgeJson();
// Requests that must not start, and the start of the message naming the field.
struct BadRow
{
    const char *name;
    const char *request;
    QString message;
};
QList<BadRow> badRows();

// What evaluation requests carry, in the embedded engine (docs/eval-runs.md): execution_type,
// agent_overrides (agent runs, workflow nodes, Node in Context), agent_spec with extra
// providers. Each applies to its run only; a bad one fails the start naming the field.
class TestRunWorkspace : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<LocalBackend> m_backend;
    QByteArray m_workspaceBefore;

    static ExecutionRequest writerRun()
    {
        ExecutionRequest r;
        r.agentId = QStringLiteral("writer");
        r.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides") } };
        return r;
    }

    // Runs to the end and returns the record with its steps (empty id on failure).
    ExecutionRecord run(const ExecutionRequest &r)
    {
        QSet<QString> done;
        QObject listener;
        connect(m_backend.get(), &ExecutionBackend::eventsReceived, &listener,
            [&](const ExecutionEventList &events) {
                for (const ExecutionEvent &e : events)
                    if (e.type == ExecutionEvent::Type::Complete)
                        done.insert(e.executionId);
            });
        const auto [id, error] = startAndWait(*m_backend, r);
        if (id.isEmpty())
            qWarning("start failed: %s", qPrintable(error.message));
        if (id.isEmpty() || !QTest::qWaitFor([&] { return done.contains(id); }, 20000))
            return {};
        const auto rec
            = awaitReply<ExecutionRecord>([&](QObject *c, auto cb) { m_backend->fetchExecution(id, c, cb); });
        return rec ? rec->first : ExecutionRecord();
    }

    static QList<StepRecord> llmSteps(const ExecutionRecord &rec)
    {
        QList<StepRecord> out;
        for (const StepRecord &s : rec.steps)
            if (s.kind == StepKind::Llm)
                out << s;
        return out;
    }
    static QString systemText(const StepRecord &llm)
    {
        const QJsonArray messages = llm.inputData.value(QLatin1String("messages")).toArray();
        return messages.isEmpty() ? QString()
                                  : messages.first().toObject().value(QLatin1String("content")).toString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Result<Workspace> ws = Workspace::fromJson(workspaceJson());
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        m_workspaceBefore = ws->toJsonText();
        EngineSettings s;
        s.databasePath = m_dir.filePath(QStringLiteral("runs.db"));
        m_backend = std::make_unique<LocalBackend>(ws.value(), s);
    }

    // The override reaches the provider (the llm step records what was sent) and the run is
    // recorded as a test; the next plain run sees the workspace as it was.
    void agentOverrideReachesTheProviderForThisRunOnly()
    {
        ExecutionRequest r = writerRun();
        r.executionType = ExecutionType::Test;
        r.agentOverrides = QJsonObject { { QStringLiteral("writer"),
            QJsonObject { { QStringLiteral("instructions"), QStringLiteral("Write like a sailor.") },
                { QStringLiteral("model"),
                    QJsonObject { { QStringLiteral("provider"), QStringLiteral("spare") },
                        { QStringLiteral("name"), QStringLiteral("other-model") },
                        { QStringLiteral("temperature"), 0.9 }, { QStringLiteral("max_tokens"), 77 },
                        { QStringLiteral("replies"), QJsonArray { QStringLiteral("ahoy") } } } } } } };
        const ExecutionRecord rec = run(r);
        QCOMPARE(rec.status, ExecutionStatus::Completed);
        QCOMPARE(rec.executionType, ExecutionType::Test);
        QCOMPARE(rec.provider, QStringLiteral("spare"));
        QCOMPARE(rec.model, QStringLiteral("other-model"));
        QCOMPARE(rec.outputData.value(QLatin1String("text")).toString(), QStringLiteral("ahoy"));
        const QList<StepRecord> llm = llmSteps(rec);
        QCOMPARE(llm.size(), 1);
        QVERIFY2(systemText(llm[0]).startsWith(QStringLiteral("Write like a sailor.")),
            qPrintable(systemText(llm[0])));
        QCOMPARE(llm[0].inputData.value(QLatin1String("provider")).toString(), QStringLiteral("spare"));
        QCOMPARE(llm[0].inputData.value(QLatin1String("model")).toString(), QStringLiteral("other-model"));
        QCOMPARE(llm[0].inputData.value(QLatin1String("temperature")).toDouble(), 0.9);
        QCOMPARE(llm[0].inputData.value(QLatin1String("max_tokens")).toInt(), 77);

        const ExecutionRecord plain = run(writerRun());
        QCOMPARE(plain.status, ExecutionStatus::Completed);
        QCOMPARE(plain.executionType, ExecutionType::Agent);
        QCOMPARE(plain.provider, QStringLiteral("offline"));
        QVERIFY(systemText(llmSteps(plain).value(0)).startsWith(QStringLiteral("Write about the topic.")));
        QCOMPARE(m_backend->workspace().toJsonText(), m_workspaceBefore);
    }

    // A node override changes that node only, even when another node runs the same agent.
    void nodeOverrideChangesOnlyThatNode()
    {
        ExecutionRequest r;
        r.orchestrationId = QStringLiteral("shared");
        r.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides") } };
        r.agentOverrides = QJsonObject { { QStringLiteral("second"),
            QJsonObject { { QStringLiteral("instructions"), QStringLiteral("Shorten it.") } } } };
        const ExecutionRecord rec = run(r);
        QCOMPARE(rec.status, ExecutionStatus::Completed);
        QCOMPARE(rec.executionType, ExecutionType::Orchestration);
        const QList<StepRecord> llm = llmSteps(rec);
        QCOMPARE(llm.size(), 2);
        for (const StepRecord &s : llm) {
            const QString expected = s.nodeId == u"second" ? QStringLiteral("Shorten it.")
                                                           : QStringLiteral("Write about the topic.");
            QVERIFY2(systemText(s).startsWith(expected), qPrintable(s.nodeId + u": " + systemText(s)));
        }
        QCOMPARE(m_backend->workspace().toJsonText(), m_workspaceBefore);
    }

    // Node in Context takes overrides keyed by its node id.
    void nodeInContextOverride()
    {
        ExecutionRequest r;
        r.orchestrationId = QStringLiteral("shared");
        r.nodeId = QStringLiteral("second");
        r.upstream = QJsonObject { { QStringLiteral("topic"), QStringLiteral("given") } };
        r.agentOverrides = QJsonObject { { QStringLiteral("second"),
            QJsonObject { { QStringLiteral("model"),
                QJsonObject { { QStringLiteral("replies"),
                    QJsonArray { QStringLiteral("from the variant") } } } } } } };
        const ExecutionRecord rec = run(r);
        QCOMPARE(rec.status, ExecutionStatus::Completed);
        QCOMPARE(rec.outputData.value(QLatin1String("text")).toString(), QStringLiteral("from the variant"));
    }

    // An inline agent runs with a provider the request adds; the workspace keeps neither.
    void inlineAgentWithExtraProvider()
    {
        ExecutionRequest r;
        r.executionType = ExecutionType::Test;
        r.inputs = QJsonObject { { QStringLiteral("question"), QStringLiteral("why?") } };
        r.agentSpec = QJsonDocument::fromJson(inlineJudgeJson()).object();
        r.providers = QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("extra") },
            { QStringLiteral("kind"), QStringLiteral("scripted") }, { QStringLiteral("ttft_ms"), 0 } } };
        const ExecutionRecord rec = run(r);
        QCOMPARE(rec.status, ExecutionStatus::Completed);
        QCOMPARE(rec.agentId, QStringLiteral("judge_inline"));
        QCOMPARE(rec.provider, QStringLiteral("extra"));
        QCOMPARE(rec.outputData.value(QLatin1String("pass")).toBool(), true);
        QCOMPARE(m_backend->workspace().toJsonText(), m_workspaceBefore);
    }

    void badRequestsNameTheField_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QString>("message");
        for (const BadRow &row : badRows())
            QTest::newRow(row.name) << QByteArray(row.request) << row.message;
    }
    void badRequestsNameTheField()
    {
        QFETCH(QByteArray, request);
        QFETCH(QString, message);
        ExecutionRequest r = ExecutionRequest::fromJson(QJsonDocument::fromJson(request).object());
        if (r.inputs.isEmpty())
            r.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("t") } };
        const auto [id, error] = startAndWait(*m_backend, r);
        QVERIFY(id.isEmpty());
        QVERIFY2(error.message.startsWith(message), qPrintable(error.message));
        QCOMPARE(m_backend->workspace().toJsonText(), m_workspaceBefore);
    }
};

const char *workspaceJson()
{
    // Two scripted providers; `shared` runs one agent on two nodes.
    return R"({
          "format": "agentstudio/1", "workspace_id": "overrides",
          "providers": {"offline": {"kind": "scripted", "ttft_ms": 0, "tokens_per_second": 0},
                        "spare": {"kind": "scripted", "ttft_ms": 0, "tokens_per_second": 0}},
          "agents": [
            {"id": "writer", "model": {"provider": "offline", "name": "scripted", "temperature": 0.2},
             "instructions": "Write about the topic.",
             "signature": {"inputs": [{"name": "topic", "type": "str"}],
                           "outputs": [{"name": "text", "type": "str"}]}}
          ],
          "orchestrations": [
            {"id": "shared", "inputs": [{"name": "topic", "type": "str"}],
             "nodes": [{"id": "first", "agent": "writer"}, {"id": "second", "agent": "writer"}],
             "edges": [{"from": "input.topic", "to": "first.topic"}, {"from": "first.text", "to": "second.topic"}],
             "outputs": [{"name": "text", "from": "second.text"}]}
          ]
        })";
}

const char *inlineJudgeJson()
{
    return R"({"id": "judge_inline",
            "model": {"provider": "extra", "name": "scripted", "replies": ["{\"pass\": true}"]},
            "instructions": "Grade it.",
            "signature": {"inputs": [{"name": "question", "type": "str"}],
                          "outputs": [{"name": "pass", "type": "bool"}]}})";
}

QList<BadRow> badRows()
{
    return {
        { "unknown provider",
            R"({"agent_id": "writer", "agent_overrides": {"writer": {"model": {"provider": "x"}}}})",
            QStringLiteral("agent_overrides.writer.model.provider: unknown provider 'x'") },
        { "unknown key", R"({"agent_id": "writer", "agent_overrides": {"writer": {"temperature": 1}}})",
            QStringLiteral(
                "agent_overrides.writer.temperature: unknown key (expected instructions, prompt or model)") },
        { "unknown model key",
            R"({"agent_id": "writer", "agent_overrides": {"writer": {"model": {"colour": 1}}}})",
            QStringLiteral("agent_overrides.writer.model.colour: unknown key (expected provider, name, "
                           "temperature, max_tokens, tokens_per_second, ttft_ms, replies, fail_with, "
                           "fail_after_tokens, fail_attempts, reply_tokens)") },
        { "bad max_tokens",
            R"({"agent_id": "writer", "agent_overrides": {"writer": {"model": {"max_tokens": 0}}}})",
            QStringLiteral("agent_overrides.writer.model.max_tokens: expected an integer >= 1") },
        { "other agent", R"({"agent_id": "writer", "agent_overrides": {"critic": {"instructions": "x"}}})",
            QStringLiteral("agent_overrides.critic: unknown agent 'critic' (this run's agent is 'writer')") },
        { "unknown node",
            R"({"orchestration_id": "shared", "agent_overrides": {"third": {"instructions": "x"}}})",
            QStringLiteral("agent_overrides.third: unknown node 'third' in orchestration 'shared'") },
        { "spec without id", R"({"agent_spec": {"model": {"provider": "offline", "name": "s"}}})",
            QStringLiteral("agent_spec.id: expected the agent's id (a non-empty string)") },
        { "invalid spec", R"({"agent_spec": {"id": "bad", "model": {"provider": "nowhere", "name": "s"},
                   "signature": {"inputs": [], "outputs": [{"name": "a", "type": "str"}]}}})",
            QStringLiteral("agent_spec.model.provider: unknown provider 'nowhere'") },
        { "provider twice", R"({"agent_id": "writer", "providers": [{"id": "offline", "kind": "scripted"}]})",
            QStringLiteral("providers[0].id: the workspace has a provider 'offline' already") },
    };
}

QTEST_GUILESS_MAIN(TestRunWorkspace)
#include "tst_runworkspace.moc"
