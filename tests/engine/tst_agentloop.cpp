#include "core/api/ToolSource.h"
#include "core/engine/AgentRun.h"
#include "core/metering/Pricing.h"
#include "tests/engine/RecordingHost.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;

// The agent loop of one AgentRun (docs/agent-loop.md): a model on a loopback Ollama-style
// server (NDJSON replies scripted per turn) and a tool source whose calls take a set time.
class TestAgentLoop : public QObject
{
    Q_OBJECT
private slots:
    void loopEndsAtReplyWithoutToolCalls();
    void callsOfOneTurnRunConcurrently();
    void maxTurnsFailsSayingSo();
    void unknownToolAndBadArgumentsAreErrorResults();
    void toolErrorIsFedBack();
    void overrideResultAndErrorSkipTheSource();
    void overrideLatencyComesBeforeTheCall();
    void budgetOfToolCallsEndsTheRun();
    void budgetOfCostEndsTheRun();
    void cancelDuringToolCallsCancelsEveryCall();
    void abortDuringToolCallsEndsAtOnce();
    void messagesRoundTripThroughJson();
};

namespace {

// A tool source whose every call answers after `latencyMs` with {"tool", "args"} (or the error
// `failWith`), counting how many run at once and which were cancelled.
class SlowSource final : public ToolSource
{
public:
    SlowSource(const QList<ToolDefinition> &tools, int latencyMs)
        : ToolSource(u"slow"_s)
        , m_tools(tools)
        , m_latencyMs(latencyMs)
    {
    }
    QString kind() const override { return u"mock"_s; }
    ToolSourceStatus status() const override
    {
        ToolSourceStatus s;
        s.id = id();
        s.kind = kind();
        s.tools = m_tools;
        return s;
    }
    void listTools(QObject *context, ListCallback callback) override
    {
        QTimer::singleShot(0, context ? context : this, [this, callback] { callback(m_tools, {}); });
    }
    quint64 callTool(const QString &name, const QJsonObject &arguments, const ToolCallOptions &,
        QObject *context, CallCallback done, ProgressCallback) override
    {
        const quint64 h = ++m_next;
        ++running;
        maxRunning = qMax(maxRunning, running);
        called << name;
        auto *timer = new QTimer(this);
        timer->setSingleShot(true);
        QPointer<QObject> guard(context);
        m_pending.insert(h, { timer, done, guard });
        connect(timer, &QTimer::timeout, this, [this, h, name, arguments] {
            const ToolResult r = failWith.isEmpty()
                ? ToolResult::fromValue(QJsonObject { { u"tool"_s, name }, { u"args"_s, arguments } })
                : ToolResult::fromError(failWith);
            finish(h, r);
        });
        timer->start(m_latencyMs);
        return h;
    }
    void cancel(quint64 handle) override
    {
        if (!m_pending.contains(handle))
            return;
        cancelled << handle;
        m_pending[handle].timer->stop();
        QTimer::singleShot(
            0, this, [this, handle] { finish(handle, ToolResult::fromCancel(u"cancelled"_s)); });
    }
    void shutdown() override { }

    int running = 0, maxRunning = 0;
    QStringList called;
    QList<quint64> cancelled;
    QString failWith;

private:
    struct Pending
    {
        QTimer *timer;
        CallCallback done;
        QPointer<QObject> context;
    };
    void finish(quint64 h, const ToolResult &r)
    {
        if (!m_pending.contains(h))
            return;
        const Pending p = m_pending.take(h);
        --running;
        p.timer->deleteLater();
        if (p.context)
            p.done(r);
    }
    QList<ToolDefinition> m_tools;
    int m_latencyMs;
    quint64 m_next = 0;
    QHash<quint64, Pending> m_pending;
};

ToolDefinition tool(const QString &name)
{
    ToolDefinition d;
    d.source = u"slow"_s;
    d.name = name;
    d.description = u"a slow tool"_s;
    d.inputSchema = QJsonObject { { u"type"_s, u"object"_s },
        { u"properties"_s, QJsonObject { { u"q"_s, QJsonObject { { u"type"_s, u"integer"_s } } } } },
        { u"required"_s, QJsonArray { u"q"_s } } };
    return d;
}

QJsonObject call(const QString &id, const QString &name, const QJsonObject &args)
{
    return QJsonObject { { u"id"_s, id },
        { u"function"_s, QJsonObject { { u"name"_s, name }, { u"arguments"_s, args } } } };
}

// One Ollama /api/chat reply: the text and the tool calls of one turn.
ScriptedHttpServer::Response reply(const QString &content, const QJsonArray &calls = {})
{
    QJsonObject message { { u"role"_s, u"assistant"_s }, { u"content"_s, content } };
    if (!calls.isEmpty())
        message.insert(u"tool_calls"_s, calls);
    const QJsonObject line { { u"model"_s, u"toolmodel"_s }, { u"message"_s, message }, { u"done"_s, true },
        { u"done_reason"_s, u"stop"_s }, { u"prompt_eval_count"_s, 100 }, { u"eval_count"_s, 10 } };
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "application/x-ndjson" } };
    r.body = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    r.transfer = ScriptedHttpServer::Transfer::ContentLength;
    return r;
}

struct Fixture
{
    ScriptedHttpServer server;
    QNetworkAccessManager network;
    SlowSource source;
    PricingTable pricing = PricingTable::builtIn();
    RecordingHost host;
    Workspace ws;
    AgentSpec agent;
    std::optional<AgentRun::Outcome> outcome;
    int outcomes = 0;

    explicit Fixture(int latencyMs = 50, int maxTurns = 8)
        : source({ tool(u"alpha"_s), tool(u"beta"_s) }, latencyMs)
    {
        const QJsonObject root { { u"format"_s, u"agentstudio/1"_s },
            { u"providers"_s,
                QJsonObject { { u"local"_s,
                    QJsonObject {
                        { u"kind"_s, u"ollama"_s }, { u"base_url"_s, server.url().toString() } } } } },
            { u"agents"_s,
                QJsonArray {
                    QJsonObject { { u"id"_s, u"a"_s }, { u"name"_s, u"a"_s }, { u"version"_s, u"1"_s },
                        { u"model"_s,
                            QJsonObject { { u"provider"_s, u"local"_s }, { u"name"_s, u"toolmodel"_s } } },
                        { u"instructions"_s, u"Use the tools."_s },
                        { u"signature"_s,
                            QJsonObject { { u"inputs"_s,
                                              QJsonArray { QJsonObject {
                                                  { u"name"_s, u"in"_s }, { u"type"_s, u"str"_s } } } },
                                { u"outputs"_s,
                                    QJsonArray { QJsonObject {
                                        { u"name"_s, u"out"_s }, { u"type"_s, u"str"_s } } } } } } } } } };
        Result<Workspace> r = Workspace::fromJson(QJsonDocument(root).toJson());
        if (!r.ok())
            qFatal("%s", qPrintable(r.error()));
        ws = r.take();
        agent = ws.agents.first();
        agent.tools = { u"slow"_s };
        agent.maxTurns = maxTurns;
    }
    std::unique_ptr<AgentRun> start()
    {
        AgentRun::Context c;
        c.provider = ws.provider(u"local"_s);
        c.pricing = &pricing;
        c.network = &network;
        c.resolveTools = [this](const AgentSpec &, QObject *ctx, ToolHost::ResolveCallback cb) {
            QTimer::singleShot(0, ctx, [this, cb] {
                QList<BoundTool> bound;
                for (const ToolDefinition &d : source.status().tools)
                    bound.append(BoundTool { d.name, d });
                cb(bound, {});
            });
        };
        c.toolSource = [this](const QString &id) { return id == source.id() ? &source : nullptr; };
        auto run = std::make_unique<AgentRun>(host, c, agent, u"parent"_s, u"node"_s);
        run->start(
            QJsonObject { { u"in"_s, u"weather?"_s } }, [this](AgentRun *, const AgentRun::Outcome &o) {
                outcome = o;
                ++outcomes;
            });
        return run;
    }
    QJsonArray messagesOfTurn(int turn) const
    {
        return host.finishedOf(StepKind::Llm).at(turn - 1).inputData.value(u"messages"_s).toArray();
    }
};

QJsonObject q(int v)
{
    return QJsonObject { { u"q"_s, v } };
}

} // namespace

void TestAgentLoop::loopEndsAtReplyWithoutToolCalls()
{
    Fixture f;
    f.server.enqueue(reply(u"looking"_s, { call(u"c1"_s, u"alpha"_s, q(1)) }));
    f.server.enqueue(reply(u"sunny"_s));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QCOMPARE(f.outcome->outputs.value(u"out"_s).toString(), u"sunny"_s);
    QCOMPARE(f.host.log,
        (QStringList { u"start llm 1"_s, u"end llm completed"_s, u"start tool 1"_s, u"end tool completed"_s,
            u"start llm 1"_s, u"end llm completed"_s, u"start parse 1"_s, u"end parse completed"_s }));
    const StepRecord t = f.host.finishedOf(StepKind::Tool).first();
    QCOMPARE(t.name, u"alpha"_s);
    QCOMPARE(t.provider, u"slow"_s);
    QCOMPARE(t.toolCallId, u"c1"_s);
    QCOMPARE(t.inputData, q(1));
    QCOMPARE(t.parentStepId, u"parent"_s);
    QCOMPARE(t.nodeId, u"node"_s);
    QCOMPARE(t.outputData.value(u"structuredContent"_s).toObject().value(u"tool"_s).toString(), u"alpha"_s);
    // The first turn's llm step says what it offered and what the model asked for.
    const StepRecord llm1 = f.host.finishedOf(StepKind::Llm).first();
    QCOMPARE(llm1.inputData.value(u"tools"_s).toArray(), (QJsonArray { u"alpha"_s, u"beta"_s }));
    QCOMPARE(llm1.outputData.value(u"tool_calls"_s).toArray().first().toObject().value(u"id"_s).toString(),
        u"c1"_s);
    // The second turn carries the assistant's call and the tool result.
    const QJsonArray m2 = f.messagesOfTurn(2);
    QCOMPARE(m2.size(), 4); // system, user, assistant (tool call), tool
    QCOMPARE(m2.at(2).toObject().value(u"tool_calls"_s).toArray().size(), 1);
    const QJsonObject toolMessage = m2.at(3).toObject();
    QCOMPARE(toolMessage.value(u"role"_s).toString(), u"tool"_s);
    QCOMPARE(toolMessage.value(u"tool_call_id"_s).toString(), u"c1"_s);
    QVERIFY(toolMessage.value(u"content"_s).toString().contains(u"\"tool\":\"alpha\""_s));
    // Tokens are summed over the turns, each llm step has its own.
    QCOMPARE(f.outcome->usage.inputTokens, 200);
    QCOMPARE(f.host.finishedOf(StepKind::Llm).at(1).inputTokens, 100);
    QCOMPARE(f.server.requests.size(), 2);
}

void TestAgentLoop::callsOfOneTurnRunConcurrently()
{
    Fixture f(300);
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)), call(u"c2"_s, u"beta"_s, q(2)) }));
    f.server.enqueue(reply(u"done"_s));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QCOMPARE(f.source.maxRunning, 2); // both running at once
    QCOMPARE(f.host.log.mid(2, 4),
        (QStringList {
            u"start tool 1"_s, u"start tool 1"_s, u"end tool completed"_s, u"end tool completed"_s }));
    // Tool messages go back in the order of the calls.
    const QJsonArray m2 = f.messagesOfTurn(2);
    QCOMPARE(m2.at(3).toObject().value(u"tool_call_id"_s).toString(), u"c1"_s);
    QCOMPARE(m2.at(4).toObject().value(u"tool_call_id"_s).toString(), u"c2"_s);
}

void TestAgentLoop::maxTurnsFailsSayingSo()
{
    Fixture f(0, 2);
    for (int i = 0; i < 3; ++i)
        f.server.enqueue(reply(QString(), { call(u"c%1"_s.arg(i), u"alpha"_s, q(i)) }));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Failed);
    QVERIFY2(f.outcome->error.contains(u"max_turns (2)"_s), qPrintable(f.outcome->error));
    QCOMPARE(f.host.finishedOf(StepKind::Llm).size(), 2);
    QCOMPARE(f.host.finishedOf(StepKind::Tool).size(), 1);
    QCOMPARE(f.host.finishedOf(StepKind::Parse).size(), 0);
}

void TestAgentLoop::unknownToolAndBadArgumentsAreErrorResults()
{
    Fixture f;
    f.server.enqueue(reply(QString(),
        { call(u"c1"_s, u"gamma"_s, q(1)),
            call(u"c2"_s, u"alpha"_s, QJsonObject { { u"q"_s, u"not a number"_s } }) }));
    f.server.enqueue(reply(u"sorry"_s));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QVERIFY(f.source.called.isEmpty()); // neither reached the source
    const QList<StepRecord> tools = f.host.finishedOf(StepKind::Tool);
    QCOMPARE(tools.size(), 2);
    for (const StepRecord &t : tools) {
        QCOMPARE(t.status, StepStatus::Failed);
        QVERIFY(t.outputData.value(u"isError"_s).toBool());
    }
    const auto byName = [&tools](const QString &n) {
        return std::find_if(tools.begin(), tools.end(), [&n](const StepRecord &s) {
            return s.name == n;
        })->errorMessage;
    };
    QVERIFY2(byName(u"gamma"_s).contains(u"unknown tool 'gamma'"_s), qPrintable(byName(u"gamma"_s)));
    QVERIFY2(byName(u"alpha"_s).contains(u"$.q"_s), qPrintable(byName(u"alpha"_s)));
    const QJsonArray m2 = f.messagesOfTurn(2);
    QVERIFY(m2.at(3).toObject().value(u"is_error"_s).toBool());
    QVERIFY(m2.at(4).toObject().value(u"is_error"_s).toBool());
}

void TestAgentLoop::toolErrorIsFedBack()
{
    Fixture f;
    f.source.failWith = u"upstream 503"_s;
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)) }));
    f.server.enqueue(reply(u"it failed"_s));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    const StepRecord t = f.host.finishedOf(StepKind::Tool).first();
    QCOMPARE(t.status, StepStatus::Failed);
    QCOMPARE(t.errorMessage, u"upstream 503"_s);
    const QJsonObject m = f.messagesOfTurn(2).at(3).toObject();
    QCOMPARE(m.value(u"content"_s).toString(), u"upstream 503"_s);
    QVERIFY(m.value(u"is_error"_s).toBool());
}

void TestAgentLoop::overrideResultAndErrorSkipTheSource()
{
    Fixture f;
    f.host.overrides
        = QJsonObject { { u"alpha"_s, QJsonObject { { u"result"_s, QJsonObject { { u"temp"_s, 3 } } } } },
              { u"beta"_s, QJsonObject { { u"error"_s, u"injected fault"_s } } } };
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)), call(u"c2"_s, u"beta"_s, q(2)) }));
    f.server.enqueue(reply(u"ok"_s));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QVERIFY(f.source.called.isEmpty());
    const QList<StepRecord> tools = f.host.finishedOf(StepKind::Tool);
    const StepRecord &alpha = tools.at(0).name == u"alpha"_s ? tools.at(0) : tools.at(1);
    const StepRecord &beta = tools.at(0).name == u"beta"_s ? tools.at(0) : tools.at(1);
    QCOMPARE(alpha.status, StepStatus::Completed);
    QCOMPARE(alpha.outputData.value(u"structuredContent"_s).toObject(), (QJsonObject { { u"temp"_s, 3 } }));
    QCOMPARE(beta.status, StepStatus::Failed);
    QCOMPARE(beta.errorMessage, u"injected fault"_s);
    QCOMPARE(f.messagesOfTurn(2).at(3).toObject().value(u"content"_s).toString(), u"{\"temp\":3}"_s);
}

void TestAgentLoop::overrideLatencyComesBeforeTheCall()
{
    Fixture f(0);
    f.host.overrides = QJsonObject { { u"alpha"_s, QJsonObject { { u"latency_ms"_s, 300 } } } };
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)), call(u"c2"_s, u"beta"_s, q(2)) }));
    f.server.enqueue(reply(u"ok"_s));
    auto run = f.start();
    // beta answers at once; alpha only reaches the source after its added latency.
    QTRY_COMPARE(f.source.called, QStringList { u"beta"_s });
    QTRY_COMPARE(f.source.called, (QStringList { u"beta"_s, u"alpha"_s }));
    QTRY_VERIFY(f.outcome);
    const QList<StepRecord> tools = f.host.finishedOf(StepKind::Tool);
    QCOMPARE(tools.last().name, u"alpha"_s); // it finished last
    QVERIFY2(tools.last().executionTimeMs >= 300, qPrintable(QString::number(tools.last().executionTimeMs)));
    QCOMPARE(tools.last().status, StepStatus::Completed);
}

void TestAgentLoop::budgetOfToolCallsEndsTheRun()
{
    Fixture f;
    f.host.maxToolCalls = 1;
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)), call(u"c2"_s, u"beta"_s, q(2)) }));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Failed);
    QCOMPARE(f.outcome->code, ErrorCode::BudgetExceeded);
    QCOMPARE(f.outcome->error, u"over max_tool_calls"_s);
    QVERIFY(f.source.called.isEmpty());
    QCOMPARE(f.server.requests.size(), 1);
}

void TestAgentLoop::budgetOfCostEndsTheRun()
{
    Fixture f;
    const QJsonObject price { { u"models"_s,
        QJsonObject {
            { u"ollama/toolmodel"_s, QJsonObject { { u"input"_s, 1.0 }, { u"output"_s, 1.0 } } } } } };
    QVERIFY(f.pricing.loadJson(price, u"test"_s).ok());
    f.host.maxCost = 0.0000001;
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)) }));
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QVERIFY(f.host.cost > 0);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Failed);
    QCOMPARE(f.outcome->code, ErrorCode::BudgetExceeded);
    QCOMPARE(f.outcome->error, u"over max_cost_usd"_s);
    QVERIFY(f.source.called.isEmpty());
}

void TestAgentLoop::cancelDuringToolCallsCancelsEveryCall()
{
    Fixture f(60000);
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)), call(u"c2"_s, u"beta"_s, q(2)) }));
    auto run = f.start();
    QTRY_COMPARE(f.source.running, 2);
    run->cancel();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Cancelled);
    QCOMPARE(f.outcome->code, ErrorCode::Cancelled);
    QCOMPARE(f.source.cancelled.size(), 2);
    QCOMPARE(f.source.running, 0);
    for (const StepRecord &t : f.host.finishedOf(StepKind::Tool))
        QCOMPARE(t.status, StepStatus::Cancelled);
    QCOMPARE(f.outcomes, 1);
    QCOMPARE(f.server.requests.size(), 1); // no further turn
}

void TestAgentLoop::abortDuringToolCallsEndsAtOnce()
{
    Fixture f(60000);
    f.server.enqueue(reply(QString(), { call(u"c1"_s, u"alpha"_s, q(1)) }));
    auto run = f.start();
    QTRY_COMPARE(f.source.running, 1);
    run->abort();
    QVERIFY(f.outcome); // at once, not later
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Cancelled);
    QCOMPARE(f.source.cancelled.size(), 1);
    QCOMPARE(f.host.finishedOf(StepKind::Tool).first().status, StepStatus::Cancelled);
}

void TestAgentLoop::messagesRoundTripThroughJson()
{
    ChatMessage a;
    a.role = u"assistant"_s;
    a.content = u"calling"_s;
    a.toolCalls = { ModelToolCall { u"c1"_s, u"alpha"_s, q(1), u"{\"q\": 1}"_s } };
    ChatMessage t;
    t.role = u"tool"_s;
    t.content = u"boom"_s;
    t.toolCallId = u"c1"_s;
    t.toolName = u"alpha"_s;
    t.isError = true;
    for (const ChatMessage &m : { a, t }) {
        const ChatMessage back = AgentRun::messageFromJson(AgentRun::messageToJson(m));
        QCOMPARE(back.role, m.role);
        QCOMPARE(back.content, m.content);
        QCOMPARE(back.toolCallId, m.toolCallId);
        QCOMPARE(back.toolName, m.toolName);
        QCOMPARE(back.isError, m.isError);
        QCOMPARE(back.toolCalls.size(), m.toolCalls.size());
        for (int i = 0; i < m.toolCalls.size(); ++i) {
            QCOMPARE(back.toolCalls.at(i).id, m.toolCalls.at(i).id);
            QCOMPARE(back.toolCalls.at(i).arguments, m.toolCalls.at(i).arguments);
            QCOMPARE(back.toolCalls.at(i).argumentsText, m.toolCalls.at(i).argumentsText);
        }
    }
}

QTEST_GUILESS_MAIN(TestAgentLoop)
#include "tst_agentloop.moc"
