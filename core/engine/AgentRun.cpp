#include "core/engine/AgentRun.h"

#include "core/common/Util.h"
#include "core/metering/Pricing.h"
#include "core/model/JsonSchema.h"
#include "core/model/Prompt.h"
#include "core/providers/ApiKeyLookup.h"
#include "core/providers/ApiKeys.h"
#include "core/providers/LlmCall.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace {
QList<ModelToolCall> requestedCalls(const LlmResult &result);

} // namespace

AgentRun::AgentRun(Host &host, const Context &context, const AgentSpec &agent, const QString &parentStepId,
    const QString &nodeId, QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_context(context)
    , m_agent(agent)
    , m_nodeId(nodeId)
    , m_parentStepId(parentStepId)
{
}

AgentRun::~AgentRun()
{
    if (m_context.writer)
        m_context.writer->removePartialSource(this);
}

void AgentRun::continueConversation(const QList<ChatMessage> &history, const QString &message)
{
    m_messages = history;
    ChatMessage user;
    user.role = QStringLiteral("user");
    user.content = message;
    m_messages.append(user);
}

void AgentRun::start(const QJsonObject &inputs, Done done)
{
    m_done = std::move(done);
    const AgentSpec &agent = m_agent;
    if (m_messages.isEmpty())
        m_messages = buildPrompt(agent, inputs);
    m_request = LlmRequest();
    if (m_context.provider)
        m_request.provider = *m_context.provider;
    m_request.model = agent.model;
    if (!agent.signature.rawTextOutput())
        m_request.outputSchema = agent.signature.outputSchema();
    m_request.signature = agent.signature;
    m_request.schemaName = agent.id;
    m_request.cache = m_context.cache;
    m_request.cacheMode = m_context.cache ? m_context.cacheMode : CacheMode::Off;
    m_request.cacheNamespace = m_context.cacheNamespace;
    if (agent.tools.isEmpty()) {
        obtainKey();
        return;
    }
    if (!m_context.resolveTools) {
        m_startError = QStringLiteral("agent '%1': tools are not available here").arg(agent.id);
        obtainKey();
        return;
    }
    // Resolved on this thread; the answer comes in a later turn (never inside start()).
    m_context.resolveTools(agent, this,
        [this](const QList<BoundTool> &tools, const QString &error) { onToolsResolved(tools, error); });
}

void AgentRun::onToolsResolved(const QList<BoundTool> &tools, const QString &error)
{
    if (m_ended)
        return;
    if (!error.isEmpty())
        m_startError = QStringLiteral("agent '%1': tools: %2").arg(m_agent.id, error);
    m_tools = tools;
    for (const BoundTool &t : std::as_const(m_tools)) {
        ToolDefinition offered = t.definition;
        offered.name = t.exposedName;
        m_request.tools.append(offered);
    }
    obtainKey();
}

void AgentRun::obtainKey()
{
    openTurn();
    const ProviderConfig *provider = m_context.provider;
    if (!provider) {
        failLater(
            QStringLiteral("agent '%1': unknown provider '%2'").arg(m_agent.id, m_agent.model.provider));
        return;
    }
    if (!m_startError.isEmpty()) {
        failLater(m_startError);
        return;
    }
    // Keys come from the environment variable the workspace names (or the keychain, for the
    // official host), never from the file; an untrusted use fails here, before any request.
    QString error;
    const KeyPlan plan = credentials::planFor(*provider);
    m_request.apiKey = resolveApiKey(*provider, m_context.trust, &error);
    const bool untrusted = plan.needsTrust && !m_context.trust.allows(plan.use);
    if (!error.isEmpty() && m_request.cacheMode == CacheMode::Read)
        launch(); // replay only: no request is ever sent, so no key is needed (a miss fails)
    else if (!error.isEmpty() && !untrusted && plan.keychainAllowed)
        startKeyLookup();
    else if (!error.isEmpty())
        failLater(error);
    else
        launch();
}

void AgentRun::openTurn()
{
    ++m_turn;
    ++m_turnSerial;
    QJsonArray jsonMessages;
    for (const ChatMessage &m : std::as_const(m_messages))
        jsonMessages.append(messageToJson(m));
    const AgentSpec &agent = m_agent;
    m_llmInput = QJsonObject { { QStringLiteral("messages"), jsonMessages },
        { QStringLiteral("model"), agent.model.name }, { QStringLiteral("provider"), agent.model.provider } };
    if (agent.model.temperature)
        m_llmInput.insert(QStringLiteral("temperature"), *agent.model.temperature);
    if (agent.model.maxTokens)
        m_llmInput.insert(QStringLiteral("max_tokens"), *agent.model.maxTokens);
    if (!m_request.tools.isEmpty()) {
        QJsonArray names;
        for (const ToolDefinition &t : std::as_const(m_request.tools))
            names.append(t.name);
        m_llmInput.insert(QStringLiteral("tools"), names);
        m_llmInput.insert(QStringLiteral("turn"), m_turn);
    }
    m_request.messages = m_messages;
    m_text.clear();
    m_llm = m_host.newStep(StepKind::Llm, agent.model.name, m_parentStepId, m_nodeId);
    m_llm.agentId = agent.id;
    m_llm.inputData = m_llmInput;
    m_llm.provider = agent.model.provider;
    m_llm.model = agent.model.name;
    m_llm.attempt = 1;
    m_llmClock.start();
    m_host.stepStarted(m_llm);
}

void AgentRun::startKeyLookup()
{
    // No key in the environment: ask the system keychain, asynchronously and bounded by a
    // timeout; the call starts when the key arrives. A cancel meanwhile ends the run (it has no
    // call yet) and deleting the run drops the lookup with its answer.
    m_keyLookup = new ApiKeyLookup(m_request.provider, this);
    m_keyLookup->setTrust(m_context.trust);
    connect(m_keyLookup, &ApiKeyLookup::finished, this, [this](const QString &key, const QString &err) {
        if (m_ended)
            return;
        if (key.isEmpty()) {
            failLater(err);
            return;
        }
        m_request.apiKey = key;
        launch();
    });
    m_keyLookup->start();
}

void AgentRun::failLater(const QString &error)
{
    // Fail in a later turn: the caller expects the run to be going when this returns.
    QMetaObject::invokeMethod(
        this,
        [this, error] {
            if (m_ended)
                return;
            LlmResult r;
            r.ok = false;
            r.error = error;
            onFinished(r);
        },
        Qt::QueuedConnection);
}

void AgentRun::launch()
{
    QString error;
    m_call = createLlmCall(m_request, m_context.network, this, &error);
    if (!m_call) {
        failLater(error.isEmpty()
                ? QStringLiteral("provider '%1': cannot create a call").arg(m_request.provider.id)
                : as::redact(error, { m_request.apiKey }));
        return;
    }
    connect(m_call, &LlmCall::chunk, this, &AgentRun::onChunk);
    connect(m_call, &LlmCall::attemptFailed, this,
        [this](int attempt, const QString &err, int) { onAttemptFailed(attempt, err); });
    connect(m_call, &LlmCall::finished, this, &AgentRun::onFinished);
    if (m_context.writer)
        m_context.writer->addPartialSource(this);
    m_requested = true;
    m_call->start();
    // The call holds its own copy; this one stays only while later turns may need it.
    if (m_tools.isEmpty())
        m_request.apiKey.clear();
}

const StepRecord *AgentRun::takeDirtyPartial()
{
    if (!m_dirty || m_ended)
        return nullptr;
    m_dirty = false;
    m_llm.outputData = QJsonObject { { QStringLiteral("text"), m_text } };
    return &m_llm;
}

void AgentRun::onChunk(const QString &text, int tokens)
{
    if (m_ended)
        return;
    if (m_llm.ttftMs < 0)
        m_llm.ttftMs = m_llmClock.elapsed();
    m_text += text;
    m_dirty = true;
    m_host.chunk(m_llm, text, tokens);
}

void AgentRun::onAttemptFailed(int attempt, const QString &error)
{
    if (m_ended)
        return;
    // Each failed attempt is its own failed llm step; the next attempt gets a new step.
    m_llm.attempt = attempt;
    m_llm.errorMessage = error;
    m_llm.outputData = QJsonObject { { QStringLiteral("text"), m_text } };
    m_host.stepFinished(m_llm, StepStatus::Failed);
    m_text.clear();
    m_dirty = false;
    StepRecord next = m_host.newStep(StepKind::Llm, m_llm.name, m_parentStepId, m_nodeId);
    next.agentId = m_llm.agentId;
    next.inputData = m_llmInput;
    next.provider = m_llm.provider;
    next.model = m_llm.model;
    next.attempt = attempt + 1;
    m_llm = next;
    m_llmClock.restart();
    m_host.stepStarted(m_llm);
}

std::optional<double> AgentRun::price(const LlmResult &result) const
{
    if (!m_requested || !m_context.pricing)
        return 0.0; // nothing was sent (no provider, no key): nothing billed
    const QString kind = m_context.provider ? m_context.provider->kind : QString();
    std::optional<double> cost = m_context.pricing->cost(kind, m_llm.model, result.usage);
    if (!cost && !result.responseModel.isEmpty() && result.responseModel != m_llm.model)
        cost = m_context.pricing->cost(kind, result.responseModel, result.usage);
    return cost;
}

namespace {
// The calls a reply asks for (LlmResult::toolCalls), in the order the model gave them.
QList<ModelToolCall> requestedCalls(const LlmResult &result)
{
    return result.toolCalls;
}
} // namespace

void AgentRun::recordReply(const LlmResult &result, const QList<ModelToolCall> &calls)
{
    StepRecord &s = m_llm;
    s.outputData = QJsonObject { { QStringLiteral("text"), m_text } };
    if (!calls.isEmpty())
        s.outputData.insert(QStringLiteral("tool_calls"), toolCallsToJson(calls));
    if (result.cached) // replayed from the response cache: nothing was sent
        s.outputData.insert(QStringLiteral("cached"), true);
    const TokenUsage &u = result.usage;
    s.inputTokens = u.inputTokens;
    s.outputTokens = u.outputTokens;
    s.cachedTokens = u.cachedTokens;
    s.reasoningTokens = u.reasoningTokens;
    s.tokensEstimated = u.estimated;
    s.tokensUsed = u.inputTokens + u.outputTokens;
    if (result.ttftMs >= 0)
        s.ttftMs = result.ttftMs;
    if (result.attempts > s.attempt)
        s.attempt = result.attempts;
    const std::optional<double> cost = price(result);
    s.costUsd = cost;
    m_usage += u;
    if (!cost)
        m_cost.reset();
    else if (m_cost)
        *m_cost += *cost;
    m_host.charge(u, cost);
}

void AgentRun::onFinished(const LlmResult &result)
{
    if (m_ended)
        return;
    if (m_call) {
        m_call->disconnect(this);
        m_call->deleteLater();
        m_call = nullptr;
    }
    m_text = result.text.isEmpty() ? m_text : result.text;
    m_dirty = false;
    const QList<ModelToolCall> calls
        = result.ok && !m_tools.isEmpty() ? requestedCalls(result) : QList<ModelToolCall>();
    recordReply(result, calls);

    StepRecord &s = m_llm;
    if (result.cancelled || (m_host.cancelRequested() && !result.ok)) {
        s.errorMessage = QStringLiteral("cancelled");
        m_host.stepFinished(s, StepStatus::Cancelled);
        fail(ErrorCode::Cancelled, QStringLiteral("cancelled"));
        return;
    }
    if (!result.ok) {
        s.errorMessage = result.error;
        m_host.stepFinished(s, StepStatus::Failed);
        fail(result.unreachable ? ErrorCode::Unreachable : ErrorCode::Provider, result.error);
        return;
    }
    m_host.stepFinished(s, StepStatus::Completed);
    if (const QString over = m_host.overBudget(); !over.isEmpty()) {
        fail(ErrorCode::BudgetExceeded, over);
        return;
    }
    if (calls.isEmpty()) {
        Outcome o;
        o.partialText = m_text;
        parse(o);
        end(std::move(o));
        return;
    }
    if (m_turn >= m_agent.maxTurns) {
        fail(ErrorCode::Provider,
            QStringLiteral("agent '%1' reached max_turns (%2): the model still asked for tools (%3) "
                           "and gave no final answer")
                .arg(m_agent.id)
                .arg(m_agent.maxTurns)
                .arg(calls.first().name));
        return;
    }
    runTools(calls);
}

void AgentRun::runTools(const QList<ModelToolCall> &calls)
{
    ChatMessage assistant;
    assistant.role = QStringLiteral("assistant");
    assistant.content = m_text;
    assistant.toolCalls = calls;
    m_messages.append(assistant);
    if (const QString over = m_host.takeToolCalls(int(calls.size())); !over.isEmpty()) {
        fail(ErrorCode::BudgetExceeded, over);
        return;
    }
    // Every step is recorded and every call started before any answer is taken: the calls of
    // one turn run at once, and answers come in later turns of the event loop.
    const QJsonObject overrides = m_host.toolOverrides();
    m_calls.clear();
    m_calls.reserve(calls.size());
    for (const ModelToolCall &c : calls) {
        ToolCall tc;
        tc.call = c;
        for (const BoundTool &t : std::as_const(m_tools))
            if (t.exposedName == c.name)
                tc.tool = &t;
        tc.override = overrides.value(c.name).toObject();
        tc.step = m_host.newStep(StepKind::Tool, c.name, m_parentStepId, m_nodeId);
        tc.step.agentId = m_agent.id;
        tc.step.provider = tc.tool ? tc.tool->definition.source : QString();
        tc.step.inputData = c.arguments;
        tc.step.toolCallId = c.id;
        tc.step.costUsd = 0.0;
        tc.reply.role = QStringLiteral("tool");
        tc.reply.toolCallId = c.id;
        tc.reply.toolName = c.name;
        m_calls.append(tc);
    }
    for (ToolCall &tc : m_calls)
        m_host.stepStarted(tc.step);
    for (int i = 0; i < m_calls.size(); ++i)
        dispatchTool(i);
}

void AgentRun::dispatchTool(int index)
{
    ToolCall &tc = m_calls[index];
    if (!tc.tool) {
        QStringList offered;
        for (const BoundTool &t : std::as_const(m_tools))
            offered << t.exposedName;
        deliverLater(index,
            ToolResult::fromError(QStringLiteral("unknown tool '%1' (this agent offers: %2)")
                                      .arg(tc.call.name, offered.join(QStringLiteral(", ")))));
        return;
    }
    if (!tc.call.argumentsError.isEmpty()) {
        deliverLater(index,
            ToolResult::fromError(QStringLiteral("invalid arguments: %1").arg(tc.call.argumentsError)));
        return;
    }
    const QStringList problems = JsonSchema(tc.tool->definition.inputSchema).validate(tc.call.arguments);
    if (!problems.isEmpty()) {
        deliverLater(index,
            ToolResult::fromError(
                QStringLiteral("invalid arguments: %1").arg(problems.join(QStringLiteral("; ")))));
        return;
    }
    const int latency = tc.override.value(QStringLiteral("latency_ms")).toInt();
    if (latency <= 0) {
        callTool(index);
        return;
    }
    // The override's latency comes before the real call (or before the override's result).
    tc.delay = new QTimer(this);
    tc.delay->setSingleShot(true);
    tc.delay->setTimerType(Qt::PreciseTimer); // never early: the latency is a lower bound
    const quint64 serial = m_turnSerial;
    connect(tc.delay, &QTimer::timeout, this, [this, index, serial] {
        if (serial == m_turnSerial && !m_ended)
            callTool(index);
    });
    tc.delay->start(latency);
}

void AgentRun::callTool(int index)
{
    ToolCall &tc = m_calls[index];
    if (tc.override.contains(QStringLiteral("result"))) {
        deliverLater(index, ToolResult::fromValue(tc.override.value(QStringLiteral("result"))));
        return;
    }
    if (tc.override.contains(QStringLiteral("error"))) {
        deliverLater(index, ToolResult::fromError(tc.override.value(QStringLiteral("error")).toString()));
        return;
    }
    tc.source = m_context.toolSource ? m_context.toolSource(tc.tool->definition.source) : nullptr;
    if (!tc.source) {
        deliverLater(index,
            ToolResult::fromError(
                QStringLiteral("tool source '%1' is not available").arg(tc.tool->definition.source)));
        return;
    }
    ToolCallOptions options;
    options.callId = tc.call.id;
    options.timeoutMs = m_context.toolTimeoutMs;
    const quint64 serial = m_turnSerial;
    tc.handle = tc.source->callTool(tc.tool->definition.name, tc.call.arguments, options, this,
        [this, index, serial](const ToolResult &r) {
            if (serial == m_turnSerial)
                toolDone(index, r);
        });
}

void AgentRun::deliverLater(int index, const ToolResult &result)
{
    const quint64 serial = m_turnSerial;
    QMetaObject::invokeMethod(
        this,
        [this, index, serial, result] {
            if (serial == m_turnSerial)
                toolDone(index, result);
        },
        Qt::QueuedConnection);
}

void AgentRun::toolDone(int index, const ToolResult &result)
{
    if (m_ended || index >= m_calls.size() || m_calls.at(index).done)
        return;
    ToolCall &tc = m_calls[index];
    tc.done = true;
    tc.handle = 0;
    StepRecord &s = tc.step;
    s.outputData = result.toJson();
    StepStatus status = StepStatus::Completed;
    if (result.cancelled) {
        status = StepStatus::Cancelled;
        s.errorMessage = result.text().isEmpty() ? QStringLiteral("cancelled") : result.text();
    } else if (result.isError) {
        status = StepStatus::Failed;
        s.errorMessage = result.text();
    }
    m_host.stepFinished(s, status);
    const QJsonValue value = result.modelValue();
    tc.reply.content = value.isString() ? value.toString() : as::compactJson(value);
    tc.reply.isError = result.isError || result.cancelled;

    for (const ToolCall &c : std::as_const(m_calls))
        if (!c.done)
            return;
    if (m_cancelling || m_host.cancelRequested()) {
        fail(ErrorCode::Cancelled, QStringLiteral("cancelled"));
        return;
    }
    for (const ToolCall &c : std::as_const(m_calls))
        m_messages.append(c.reply);
    m_calls.clear();
    openTurn();
    launch();
}

void AgentRun::stopTools(bool now)
{
    // Every running call at once: the source cancels it (MCP notifications/cancelled, the
    // command's process killed) and answers with a cancelled result; a pending latency ends.
    for (int i = 0; i < m_calls.size(); ++i) {
        ToolCall &tc = m_calls[i];
        if (tc.done)
            continue;
        if (tc.delay)
            tc.delay->stop();
        if (tc.source && tc.handle)
            tc.source->cancel(tc.handle);
        else if (!now)
            deliverLater(i, ToolResult::fromCancel(QStringLiteral("cancelled")));
        if (now && !tc.done) {
            tc.done = true;
            tc.step.errorMessage = QStringLiteral("cancelled");
            m_host.stepFinished(tc.step, StepStatus::Cancelled);
        }
    }
}

void AgentRun::fail(ErrorCode code, const QString &error)
{
    Outcome o;
    o.partialText = m_text;
    o.status = code == ErrorCode::Cancelled ? Outcome::Status::Cancelled : Outcome::Status::Failed;
    o.code = code;
    o.error = error;
    end(std::move(o));
}

void AgentRun::parse(Outcome &o)
{
    StepRecord p = m_host.newStep(StepKind::Parse, QStringLiteral("parse"), m_parentStepId, m_nodeId);
    p.agentId = m_agent.id;
    p.inputData = QJsonObject { { QStringLiteral("text"), m_text } };
    p.costUsd = 0.0;
    m_host.stepStarted(p);
    Result<QJsonObject> parsed = parseReply(m_agent.signature, m_text);
    if (parsed.ok()) {
        p.outputData = parsed.value();
        m_host.stepFinished(p, StepStatus::Completed);
        o.status = Outcome::Status::Completed;
        o.outputs = parsed.value();
    } else {
        p.errorMessage = parsed.error();
        m_host.stepFinished(p, StepStatus::Failed);
        o.status = Outcome::Status::Failed;
        o.code = ErrorCode::Provider; // a reply that does not fit the signature
        o.error = parsed.error();
    }
}

void AgentRun::cancel()
{
    if (m_ended)
        return;
    m_cancelling = true;
    if (m_call) {
        m_call->cancel(); // finished(cancelled) follows, usually at once
        return;
    }
    if (!m_calls.isEmpty()) {
        stopTools(false); // the cancelled results follow; the last one ends the run
        return;
    }
    // No call (no key yet, or its creation failed and the failure is on its way): end here,
    // with the llm step recorded as cancelled.
    abort();
}

void AgentRun::abort()
{
    if (m_ended)
        return;
    if (m_turn == 0) { // still resolving the tools: no llm step yet
        fail(ErrorCode::Cancelled, QStringLiteral("cancelled"));
        return;
    }
    if (!m_call && !m_calls.isEmpty()) {
        stopTools(true);
        fail(ErrorCode::Cancelled, QStringLiteral("cancelled"));
        return;
    }
    LlmResult r;
    r.cancelled = true;
    r.text = m_text;
    r.error = QStringLiteral("cancelled");
    onFinished(r);
}

void AgentRun::end(Outcome o)
{
    if (m_ended)
        return;
    m_ended = true;
    m_request.apiKey.clear();
    ++m_turnSerial;
    if (m_context.writer)
        m_context.writer->removePartialSource(this);
    o.usage = m_usage;
    o.cost = m_cost;
    if (m_done)
        m_done(this, o);
}

// --- Messages as stored ----------------------------------------------------------------------

QJsonArray AgentRun::toolCallsToJson(const QList<ModelToolCall> &calls)
{
    QJsonArray a;
    for (const ModelToolCall &c : calls)
        a.append(c.toJson());
    return a;
}

QList<ModelToolCall> AgentRun::toolCallsFromJson(const QJsonArray &a)
{
    QList<ModelToolCall> calls;
    for (const QJsonValue &v : a)
        calls.append(ModelToolCall::fromJson(v.toObject()));
    return calls;
}

QJsonObject AgentRun::messageToJson(const ChatMessage &m)
{
    QJsonObject o { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } };
    if (!m.toolCalls.isEmpty())
        o.insert(QStringLiteral("tool_calls"), toolCallsToJson(m.toolCalls));
    if (!m.toolCallId.isEmpty())
        o.insert(QStringLiteral("tool_call_id"), m.toolCallId);
    if (!m.toolName.isEmpty())
        o.insert(QStringLiteral("name"), m.toolName);
    if (m.isError)
        o.insert(QStringLiteral("is_error"), true);
    return o;
}

ChatMessage AgentRun::messageFromJson(const QJsonObject &o)
{
    ChatMessage m;
    m.role = o.value(QStringLiteral("role")).toString();
    m.content = o.value(QStringLiteral("content")).toString();
    m.toolCalls = toolCallsFromJson(o.value(QStringLiteral("tool_calls")).toArray());
    m.toolCallId = o.value(QStringLiteral("tool_call_id")).toString();
    m.toolName = o.value(QStringLiteral("name")).toString();
    m.isError = o.value(QStringLiteral("is_error")).toBool();
    return m;
}
