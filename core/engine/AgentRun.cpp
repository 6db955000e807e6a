#include "core/engine/AgentRun.h"

#include "core/common/Util.h"
#include "core/metering/Pricing.h"
#include "core/model/Prompt.h"
#include "core/providers/ApiKeyLookup.h"
#include "core/providers/ApiKeys.h"
#include "core/providers/LlmCall.h"

#include <QJsonArray>

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

void AgentRun::start(const QJsonObject &inputs, Done done)
{
    m_done = std::move(done);
    const AgentSpec &agent = m_agent;
    const QList<ChatMessage> messages = buildPrompt(agent, inputs);
    QJsonArray jsonMessages;
    for (const ChatMessage &m : messages)
        jsonMessages.append(
            QJsonObject { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } });
    m_llmInput = QJsonObject { { QStringLiteral("messages"), jsonMessages },
        { QStringLiteral("model"), agent.model.name }, { QStringLiteral("provider"), agent.model.provider } };
    if (agent.model.temperature)
        m_llmInput.insert(QStringLiteral("temperature"), *agent.model.temperature);
    if (agent.model.maxTokens)
        m_llmInput.insert(QStringLiteral("max_tokens"), *agent.model.maxTokens);

    const ProviderConfig *provider = m_context.provider;
    m_llm = m_host.newStep(StepKind::Llm, agent.model.name, m_parentStepId, m_nodeId);
    m_llm.agentId = agent.id;
    m_llm.inputData = m_llmInput;
    m_llm.provider = agent.model.provider;
    m_llm.model = agent.model.name;
    m_llm.attempt = 1;
    m_llmClock.start();
    m_host.stepStarted(m_llm);

    if (!provider) {
        failLater(QStringLiteral("agent '%1': unknown provider '%2'").arg(agent.id, agent.model.provider));
        return;
    }
    LlmRequest request;
    request.provider = *provider;
    request.model = agent.model;
    request.messages = messages;
    if (!agent.signature.rawTextOutput())
        request.outputSchema = agent.signature.outputSchema();
    request.signature = agent.signature;
    request.schemaName = agent.id;
    // Keys come from the environment variable the workspace names (or the keychain, for the
    // official host), never from the file; an untrusted use fails here, before any request.
    QString error;
    const KeyPlan plan = credentials::planFor(*provider);
    request.apiKey = resolveApiKey(*provider, m_context.trust, &error);
    const bool untrusted = plan.needsTrust && !m_context.trust.allows(plan.use);
    if (!error.isEmpty() && !untrusted && plan.keychainAllowed)
        startKeyLookup(request);
    else if (!error.isEmpty())
        failLater(error);
    else
        launch(request);
}

void AgentRun::startKeyLookup(const LlmRequest &request)
{
    // No key in the environment: ask the system keychain, asynchronously and bounded by a
    // timeout; the call starts when the key arrives. A cancel meanwhile ends the run (it has no
    // call yet) and deleting the run drops the lookup with its answer.
    m_keyLookup = new ApiKeyLookup(request.provider, this);
    m_keyLookup->setTrust(m_context.trust);
    connect(m_keyLookup, &ApiKeyLookup::finished, this,
        [this, req = request](const QString &key, const QString &err) mutable {
            if (m_ended)
                return;
            if (key.isEmpty()) {
                failLater(err);
                return;
            }
            req.apiKey = key;
            launch(req);
            req.apiKey.clear(); // the call holds its own copy; keep no other
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

void AgentRun::launch(const LlmRequest &request)
{
    QString error;
    m_call = createLlmCall(request, m_context.network, this, &error);
    if (!m_call) {
        failLater(error.isEmpty()
                ? QStringLiteral("provider '%1': cannot create a call").arg(request.provider.id)
                : as::redact(error, { request.apiKey }));
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

void AgentRun::onFinished(const LlmResult &result)
{
    if (m_ended)
        return;
    if (m_call) {
        m_call->disconnect(this);
        m_call->deleteLater();
        m_call = nullptr;
    }
    const QString text = result.text.isEmpty() ? m_text : result.text;
    m_text = text;
    m_dirty = false;

    StepRecord &s = m_llm;
    s.outputData = QJsonObject { { QStringLiteral("text"), text } };
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

    Outcome o;
    o.partialText = text;
    if (result.cancelled || (m_host.cancelRequested() && !result.ok)) {
        s.errorMessage = QStringLiteral("cancelled");
        m_host.stepFinished(s, StepStatus::Cancelled);
        o.status = Outcome::Status::Cancelled;
        o.code = ErrorCode::Cancelled;
        o.error = QStringLiteral("cancelled");
    } else if (!result.ok) {
        s.errorMessage = result.error;
        m_host.stepFinished(s, StepStatus::Failed);
        o.status = Outcome::Status::Failed;
        o.code = result.unreachable ? ErrorCode::Unreachable : ErrorCode::Provider;
        o.error = result.error;
    } else {
        m_host.stepFinished(s, StepStatus::Completed);
        parse(o);
    }
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
    if (m_call) {
        m_call->cancel(); // finished(cancelled) follows, usually at once
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
    if (m_context.writer)
        m_context.writer->removePartialSource(this);
    o.usage = m_usage;
    o.cost = m_cost;
    if (m_done)
        m_done(this, o);
}
