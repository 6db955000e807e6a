#include "core/trace/OtlpExport.h"

#include "core/api/ToolTypes.h"
#include "core/common/Util.h"

#include <QCryptographicHash>
#include <QHash>
#include <QRegularExpression>

namespace {

// OTLP enums are integers in JSON (OTLP/JSON encoding of the OpenTelemetry protocol).
constexpr int kSpanKindInternal = 1;
constexpr int kSpanKindClient = 3;
constexpr int kStatusError = 2;

bool isHex(const QString &s, int length)
{
    if (s.size() != length)
        return false;
    bool nonZero = false;
    for (const QChar c : s) {
        const bool digit = c >= u'0' && c <= u'9';
        const bool lower = c >= u'a' && c <= u'f';
        const bool upper = c >= u'A' && c <= u'F';
        if (!digit && !lower && !upper)
            return false;
        nonZero = nonZero || c != u'0';
    }
    return nonZero; // all-zero ids are invalid in W3C trace context
}

// Deterministic id: the first `length` hex digits of SHA-256(seed). SHA-256 output that starts
// with 16 zero bytes does not happen in practice; the fallback keeps the id valid anyway.
QString derivedId(const QString &seed, int length)
{
    const QByteArray hash = QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256);
    QString id = QString::fromLatin1(hash.toHex().left(length));
    if (!isHex(id, length))
        id[length - 1] = u'1';
    return id;
}

QString nanos(const QDateTime &t)
{
    // ms since epoch fits comfortably: 1.8e12 ms * 1e6 = 1.8e18 < 9.2e18.
    return QString::number(t.toMSecsSinceEpoch() * 1000000LL);
}

QJsonObject attr(const QString &key, const QJsonObject &value)
{
    QJsonObject a;
    a.insert(u"key", key);
    a.insert(u"value", value);
    return a;
}

QJsonObject stringAttr(const QString &key, const QString &value)
{
    return attr(key, QJsonObject { { QStringLiteral("stringValue"), value } });
}

QJsonObject intAttr(const QString &key, qint64 value)
{
    // 64-bit integers are decimal strings in OTLP/JSON.
    return attr(key, QJsonObject { { QStringLiteral("intValue"), QString::number(value) } });
}

QJsonObject doubleAttr(const QString &key, double value)
{
    return attr(key, QJsonObject { { QStringLiteral("doubleValue"), value } });
}

QJsonObject boolAttr(const QString &key, bool value)
{
    return attr(key, QJsonObject { { QStringLiteral("boolValue"), value } });
}

class Attributes
{
public:
    void str(const QString &key, const QString &value)
    {
        if (!value.isEmpty())
            m_list.append(stringAttr(key, value));
    }
    void integer(const QString &key, qint64 value) { m_list.append(intAttr(key, value)); }
    void real(const QString &key, double value) { m_list.append(doubleAttr(key, value)); }
    void boolean(const QString &key, bool value) { m_list.append(boolAttr(key, value)); }
    QJsonArray list() const { return m_list; }

private:
    QJsonArray m_list;
};

// error.type: a provider's status or error code when the message names one
// ("openai: 429 rate_limit_exceeded: …" -> "rate_limit_exceeded"), else a coarse class.
// `stopped`: the wire name of a cancelled / interrupted status, else empty.
QString errorType(const QString &stopped, const QString &message)
{
    static const QRegularExpression providerCode(
        QStringLiteral("^[\\w.-]+:\\s+(\\d{3})(?:\\s+([A-Za-z][\\w.]*))?"));
    const QRegularExpressionMatch m = providerCode.match(message);
    if (m.hasMatch())
        return m.captured(2).isEmpty() ? m.captured(1) : m.captured(2);
    if (!stopped.isEmpty())
        return stopped;
    if (message.contains(QLatin1String("timeout"), Qt::CaseInsensitive)
        || message.contains(QLatin1String("timed out"), Qt::CaseInsensitive))
        return QStringLiteral("timeout");
    return QStringLiteral("_OTHER");
}

QString errorType(ExecutionStatus status, const QString &message)
{
    const bool stopped = status == ExecutionStatus::Interrupted || status == ExecutionStatus::Cancelled;
    return errorType(stopped ? toWire(status) : QString(), message);
}

QString errorType(StepStatus status, const QString &message)
{
    return errorType(status == StepStatus::Cancelled ? toWire(status) : QString(), message);
}

bool isError(ExecutionStatus status)
{
    return status == ExecutionStatus::Failed || status == ExecutionStatus::Interrupted;
}

bool isError(StepStatus status)
{
    return status == StepStatus::Failed;
}

// gen_ai.input.messages in the conventions' parts format, from our {"messages":[{role,content}]}.
QString inputMessages(const QJsonObject &inputData)
{
    const QJsonArray messages = inputData.value(u"messages").toArray();
    if (messages.isEmpty())
        return {};
    QJsonArray out;
    for (const QJsonValue &v : messages) {
        const QJsonObject m = v.toObject();
        const QJsonValue content = m.value(u"content");
        QJsonArray parts;
        if (content.isArray()) {
            parts = content.toArray();
        } else {
            parts.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                { QStringLiteral("content"),
                    content.isString() ? content.toString() : as::compactJson(content) } });
        }
        out.append(QJsonObject {
            { QStringLiteral("role"), m.value(u"role").toString() }, { QStringLiteral("parts"), parts } });
    }
    return as::compactJson(out);
}

QString outputMessages(const QJsonObject &outputData)
{
    const QJsonValue text = outputData.value(u"text");
    if (!text.isString())
        return {};
    QJsonArray parts { QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
        { QStringLiteral("content"), text.toString() } } };
    QJsonObject message { { QStringLiteral("role"), QStringLiteral("assistant") },
        { QStringLiteral("parts"), parts } };
    const QString finish = outputData.value(u"finish_reason").toString();
    message.insert(u"finish_reason", finish.isEmpty() ? QStringLiteral("stop") : finish);
    return as::compactJson(QJsonArray { message });
}

QString jsonText(const QJsonObject &o)
{
    return o.isEmpty() ? QString() : as::compactJson(o);
}

QJsonObject event(const QString &name, const QDateTime &at, const QJsonArray &attributes = {})
{
    QJsonObject e;
    e.insert(u"timeUnixNano", nanos(at));
    e.insert(u"name", name);
    e.insert(u"attributes", attributes);
    return e;
}

bool isWorkflow(const ExecutionRecord &e)
{
    return e.executionType == ExecutionType::Orchestration
        || (e.executionType != ExecutionType::Agent && !e.orchestrationId.isEmpty());
}

QDateTime spanEnd(const QDateTime &start, const QDateTime &completed, qint64 durationMs)
{
    if (completed.isValid() && completed >= start)
        return completed;
    return start.addMSecs(qMax<qint64>(0, durationMs));
}

QJsonObject rootSpan(
    const ExecutionRecord &e, const QString &traceId, const QString &spanId, const OtlpOptions &options)
{
    const bool workflow = isWorkflow(e);
    const QString operation = workflow ? QStringLiteral("invoke_workflow") : QStringLiteral("invoke_agent");
    const QString target = workflow ? e.orchestrationId : e.agentId;

    QDateTime start = e.startedAt.isValid() ? e.startedAt : e.queuedAt;
    if (!start.isValid())
        start = e.completedAt.isValid() ? e.completedAt : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    const QDateTime end = spanEnd(start, e.completedAt, e.executionTimeMs);

    Attributes a;
    a.str(QStringLiteral("gen_ai.operation.name"), operation);
    if (workflow) {
        a.str(QStringLiteral("gen_ai.workflow.name"), e.orchestrationId);
        if (!e.nodeId.isEmpty())
            a.str(QStringLiteral("agentstudio.node_id"), e.nodeId);
    } else {
        a.str(QStringLiteral("gen_ai.agent.id"), e.agentId);
        a.str(QStringLiteral("gen_ai.agent.name"), e.agentId);
    }
    a.str(QStringLiteral("gen_ai.provider.name"), e.provider);
    a.str(QStringLiteral("gen_ai.request.model"), e.model);
    a.integer(QStringLiteral("gen_ai.usage.input_tokens"), e.inputTokens);
    a.integer(QStringLiteral("gen_ai.usage.output_tokens"), e.outputTokens);
    if (e.cachedTokens > 0)
        a.integer(QStringLiteral("gen_ai.usage.cache_read.input_tokens"), e.cachedTokens);
    if (e.ttftMs >= 0)
        a.real(QStringLiteral("gen_ai.response.time_to_first_chunk"), double(e.ttftMs) / 1000.0);
    a.str(QStringLiteral("openinference.span.kind"),
        workflow ? QStringLiteral("CHAIN") : QStringLiteral("AGENT"));
    a.str(QStringLiteral("agentstudio.execution_id"), e.id);
    a.str(QStringLiteral("agentstudio.execution_type"), toWire(e.executionType));
    a.str(QStringLiteral("agentstudio.status"), toWire(e.status));
    a.str(QStringLiteral("agentstudio.test_mode"), toWire(e.testMode));
    a.str(QStringLiteral("agentstudio.trigger_type"), toWire(e.triggerType));
    a.str(QStringLiteral("agentstudio.version"), e.version);
    a.str(QStringLiteral("agentstudio.rerun_of"), e.rerunOf);
    if (e.costUsd)
        a.real(QStringLiteral("agentstudio.cost_usd"), *e.costUsd);
    a.boolean(QStringLiteral("agentstudio.cost_known"), e.costUsd.has_value());
    a.boolean(QStringLiteral("agentstudio.tokens_estimated"), e.tokensEstimated);
    a.integer(QStringLiteral("agentstudio.queue_ms"), e.queueMs);
    a.integer(QStringLiteral("agentstudio.execution_time_ms"), e.executionTimeMs);
    if (options.includeContent) {
        a.str(QStringLiteral("input.value"), jsonText(e.inputData));
        a.str(QStringLiteral("output.value"), jsonText(e.outputData));
    }
    if (isError(e.status))
        a.str(QStringLiteral("error.type"), errorType(e.status, e.errorMessage));

    QJsonObject span;
    span.insert(u"traceId", traceId);
    span.insert(u"spanId", spanId);
    span.insert(u"name", QString(operation + u' ' + target).trimmed());
    span.insert(u"kind", kSpanKindInternal);
    span.insert(u"startTimeUnixNano", nanos(start));
    span.insert(u"endTimeUnixNano", nanos(end));
    span.insert(u"attributes", a.list());

    QJsonArray events;
    if (e.queuedAt.isValid() && e.startedAt.isValid() && e.queuedAt <= e.startedAt)
        events.append(event(QStringLiteral("agentstudio.queued"), e.queuedAt,
            QJsonArray { intAttr(QStringLiteral("agentstudio.queue_ms"), e.queueMs) }));
    span.insert(u"events", events);

    QJsonObject status;
    if (isError(e.status)) {
        status.insert(u"code", kStatusError);
        status.insert(u"message", e.errorMessage.isEmpty() ? toWire(e.status) : e.errorMessage);
    }
    span.insert(u"status", status);
    return span;
}

// A tool step whose result the tool itself marked as an error (output_data isError) failed
// even when the step completed: the model got an error result.
bool toolResultIsError(const StepRecord &s)
{
    return s.kind == StepKind::Tool && s.outputData.value(u"isError").toBool();
}

// The status message of a failed step without an error message: a tool error's text blocks,
// else the step status.
QString toolErrorText(const StepRecord &s)
{
    if (toolResultIsError(s)) {
        const QString text = ToolResult::fromJson(s.outputData).text();
        if (!text.isEmpty())
            return text;
    }
    return toWire(s.status);
}

// gen_ai.tool.type: "extension" for a tool an external server or program runs (mcp, command
// sources), "function" for one run in-process (mock) or of an unknown source.
QString toolType(const StepRecord &s, const OtlpOptions &options)
{
    const QString kind = options.toolSourceKinds.value(s.provider);
    return kind == QLatin1String("mcp") || kind == QLatin1String("command") ? QStringLiteral("extension")
                                                                            : QStringLiteral("function");
}

QJsonObject stepSpan(const StepRecord &s, const QString &traceId, const QString &spanId,
    const QString &parentSpanId, const QDateTime &fallbackStart, const OtlpOptions &options)
{
    const bool llm = s.kind == StepKind::Llm;
    const bool tool = s.kind == StepKind::Tool;
    const bool node = s.kind == StepKind::Node;

    QString operation;
    QString name;
    int kind = kSpanKindInternal;
    Attributes a;
    if (llm) {
        operation = QStringLiteral("chat");
        name = QString(operation + u' ' + s.model).trimmed();
        // In-process scripted models are INTERNAL; network providers are CLIENT (GenAI span kinds).
        kind = s.model == QLatin1String("scripted") ? kSpanKindInternal : kSpanKindClient;
    } else if (tool) {
        operation = QStringLiteral("execute_tool");
        name = QString(operation + u' ' + s.name).trimmed();
    } else if (node) {
        operation = QStringLiteral("invoke_agent");
        name = QString(operation + u' ' + (s.agentId.isEmpty() ? s.name : s.agentId)).trimmed();
    } else {
        name = QString(toWire(s.kind) + u' ' + s.name).trimmed();
    }

    a.str(QStringLiteral("gen_ai.operation.name"), operation);
    if (llm || node) {
        a.str(QStringLiteral("gen_ai.provider.name"), s.provider);
        a.str(QStringLiteral("gen_ai.request.model"), s.model);
    }
    if (node) {
        a.str(QStringLiteral("gen_ai.agent.id"), s.agentId);
        a.str(QStringLiteral("gen_ai.agent.name"), s.agentId.isEmpty() ? s.name : s.agentId);
    }
    if (tool) {
        a.str(QStringLiteral("gen_ai.tool.name"), s.name);
        a.str(QStringLiteral("gen_ai.tool.call.id"), s.toolCallId);
        a.str(QStringLiteral("gen_ai.tool.type"), toolType(s, options));
        a.str(QStringLiteral("agentstudio.tool.source"), s.provider);
    }
    if (llm || node || s.inputTokens > 0 || s.outputTokens > 0) {
        a.integer(QStringLiteral("gen_ai.usage.input_tokens"), s.inputTokens);
        a.integer(QStringLiteral("gen_ai.usage.output_tokens"), s.outputTokens);
    }
    if (s.cachedTokens > 0)
        a.integer(QStringLiteral("gen_ai.usage.cache_read.input_tokens"), s.cachedTokens);
    if (s.reasoningTokens > 0)
        a.integer(QStringLiteral("gen_ai.usage.reasoning.output_tokens"), s.reasoningTokens);
    if (s.ttftMs >= 0)
        a.real(QStringLiteral("gen_ai.response.time_to_first_chunk"), double(s.ttftMs) / 1000.0);
    if (llm)
        a.str(QStringLiteral("gen_ai.output.type"), QStringLiteral("text"));
    a.str(QStringLiteral("openinference.span.kind"),
        llm        ? QStringLiteral("LLM")
            : tool ? QStringLiteral("TOOL")
            : node ? QStringLiteral("AGENT")
                   : QStringLiteral("CHAIN"));
    a.str(QStringLiteral("agentstudio.step_id"), s.id);
    a.str(QStringLiteral("agentstudio.step_kind"), toWire(s.kind));
    a.str(QStringLiteral("agentstudio.step_name"), s.name);
    a.str(QStringLiteral("agentstudio.node_id"), s.nodeId);
    a.str(QStringLiteral("agentstudio.status"), toWire(s.status));
    a.integer(QStringLiteral("agentstudio.step_number"), s.stepNumber);
    a.integer(QStringLiteral("agentstudio.attempt"), s.attempt);
    if (s.costUsd)
        a.real(QStringLiteral("agentstudio.cost_usd"), *s.costUsd);
    if (llm || node)
        a.boolean(QStringLiteral("agentstudio.cost_known"), s.costUsd.has_value());
    a.boolean(QStringLiteral("agentstudio.tokens_estimated"), s.tokensEstimated);
    if (options.includeContent) {
        if (llm) {
            a.str(QStringLiteral("gen_ai.input.messages"), inputMessages(s.inputData));
            a.str(QStringLiteral("gen_ai.output.messages"), outputMessages(s.outputData));
        } else if (tool) {
            a.str(QStringLiteral("gen_ai.tool.call.arguments"), jsonText(s.inputData));
            a.str(QStringLiteral("gen_ai.tool.call.result"), jsonText(s.outputData));
        } else {
            a.str(QStringLiteral("input.value"), jsonText(s.inputData));
            a.str(QStringLiteral("output.value"), jsonText(s.outputData));
        }
    }
    const bool failed = isError(s.status) || toolResultIsError(s);
    if (failed)
        a.str(QStringLiteral("error.type"), errorType(s.status, s.errorMessage));

    const QDateTime start = s.startedAt.isValid() ? s.startedAt : fallbackStart;
    const QDateTime end = spanEnd(start, s.completedAt, s.executionTimeMs);

    QJsonObject span;
    span.insert(u"traceId", traceId);
    span.insert(u"spanId", spanId);
    span.insert(u"parentSpanId", parentSpanId);
    span.insert(u"name", name.isEmpty() ? s.id : name);
    span.insert(u"kind", kind);
    span.insert(u"startTimeUnixNano", nanos(start));
    span.insert(u"endTimeUnixNano", nanos(end));
    span.insert(u"attributes", a.list());
    QJsonArray events;
    if (s.ttftMs >= 0 && start.isValid())
        events.append(event(QStringLiteral("gen_ai.first_chunk"), start.addMSecs(s.ttftMs)));
    span.insert(u"events", events);
    QJsonObject status;
    if (failed) {
        status.insert(u"code", kStatusError);
        status.insert(u"message", s.errorMessage.isEmpty() ? toolErrorText(s) : s.errorMessage);
    }
    span.insert(u"status", status);
    return span;
}

QString csvCell(const QString &s)
{
    if (!s.contains(u',') && !s.contains(u'"') && !s.contains(u'\n') && !s.contains(u'\r'))
        return s;
    QString quoted = s;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return u'"' + quoted + u'"';
}

} // namespace

QString otlpTraceId(const ExecutionRecord &execution)
{
    if (isHex(execution.traceId, 32))
        return execution.traceId.toLower();
    return derivedId(QStringLiteral("agentstudio-trace:") + execution.id, 32);
}

QString otlpRootSpanId(const ExecutionRecord &execution)
{
    return derivedId(QStringLiteral("agentstudio-root:") + execution.id, 16);
}

QString otlpSpanId(const StepRecord &step)
{
    if (isHex(step.spanId, 16))
        return step.spanId.toLower();
    return derivedId(QStringLiteral("agentstudio-step:") + step.id, 16);
}

QJsonObject exportOtlp(const ExecutionRecord &execution)
{
    return exportOtlp(execution, OtlpOptions {});
}

OtlpOptions OtlpOptions::forWorkspace(const Workspace &workspace)
{
    OtlpOptions o;
    for (const ToolSourceSpec &t : workspace.tools)
        o.toolSourceKinds.insert(t.id, t.kind);
    return o;
}

QJsonObject exportOtlp(const ExecutionRecord &execution, const OtlpOptions &options)
{
    const QString traceId = otlpTraceId(execution);
    const QString rootId = otlpRootSpanId(execution);

    QHash<QString, QString> spanIds; // step id -> exported span id
    spanIds.reserve(execution.steps.size());
    for (const StepRecord &s : execution.steps)
        spanIds.insert(s.id, otlpSpanId(s));

    const QDateTime fallbackStart = execution.startedAt.isValid() ? execution.startedAt : execution.queuedAt;
    QJsonArray spans;
    spans.append(rootSpan(execution, traceId, rootId, options));
    for (const StepRecord &s : execution.steps) {
        const QString parent = spanIds.value(s.parentStepId, rootId);
        spans.append(stepSpan(s, traceId, spanIds.value(s.id), parent, fallbackStart, options));
    }

    const QString version = QStringLiteral(AGENTSTUDIO_VERSION);
    Attributes resource;
    resource.str(QStringLiteral("service.name"), QStringLiteral("agentstudio"));
    resource.str(QStringLiteral("service.version"), version);
    resource.str(QStringLiteral("agentstudio.organization_id"), execution.organizationId);
    resource.str(QStringLiteral("agentstudio.workspace_id"), execution.workspaceId);

    QJsonObject scopeSpans;
    scopeSpans.insert(u"scope",
        QJsonObject { { QStringLiteral("name"), QStringLiteral("agentstudio") },
            { QStringLiteral("version"), version } });
    scopeSpans.insert(u"spans", spans);

    QJsonObject resourceSpans;
    resourceSpans.insert(u"resource", QJsonObject { { QStringLiteral("attributes"), resource.list() } });
    resourceSpans.insert(u"scopeSpans", QJsonArray { scopeSpans });

    return QJsonObject { { QStringLiteral("resourceSpans"), QJsonArray { resourceSpans } } };
}

QByteArray exportHistoryCsv(const QList<ExecutionRecord> &executions)
{
    static const QStringList columns = { QStringLiteral("id"), QStringLiteral("organization_id"),
        QStringLiteral("workspace_id"), QStringLiteral("gateway_id"), QStringLiteral("execution_type"),
        QStringLiteral("agent_id"), QStringLiteral("orchestration_id"), QStringLiteral("version"),
        QStringLiteral("triggered_by"), QStringLiteral("trigger_type"), QStringLiteral("input_data"),
        QStringLiteral("output_data"), QStringLiteral("status"), QStringLiteral("error_message"),
        QStringLiteral("queued_at"), QStringLiteral("started_at"), QStringLiteral("completed_at"),
        QStringLiteral("execution_time_ms"), QStringLiteral("input_tokens"), QStringLiteral("output_tokens"),
        QStringLiteral("cost_usd"), QStringLiteral("trace_id"), QStringLiteral("test_mode"),
        QStringLiteral("node_id"), QStringLiteral("provider"), QStringLiteral("model"),
        QStringLiteral("queue_ms"), QStringLiteral("ttft_ms"), QStringLiteral("cached_tokens"),
        QStringLiteral("tokens_estimated"), QStringLiteral("rerun_of") };

    QString out = columns.join(u',') + QLatin1String("\r\n");
    for (const ExecutionRecord &e : executions) {
        const QStringList cells = { e.id, e.organizationId, e.workspaceId, e.gatewayId,
            toWire(e.executionType), e.agentId, e.orchestrationId, e.version, e.triggeredBy,
            toWire(e.triggerType), as::compactJson(e.inputData), as::compactJson(e.outputData),
            toWire(e.status), e.errorMessage, as::isoTime(e.queuedAt), as::isoTime(e.startedAt),
            as::isoTime(e.completedAt), QString::number(e.executionTimeMs), QString::number(e.inputTokens),
            QString::number(e.outputTokens), e.costUsd ? QString::number(*e.costUsd, 'g', 12) : QString(),
            e.traceId, toWire(e.testMode), e.nodeId, e.provider, e.model, QString::number(e.queueMs),
            e.ttftMs >= 0 ? QString::number(e.ttftMs) : QString(), QString::number(e.cachedTokens),
            e.tokensEstimated ? QStringLiteral("true") : QStringLiteral("false"), e.rerunOf };
        QStringList quoted;
        quoted.reserve(cells.size());
        for (const QString &c : cells)
            quoted.append(csvCell(c));
        out += quoted.join(u',') + QLatin1String("\r\n");
    }
    return out.toUtf8();
}

QJsonArray exportHistoryJson(const QList<ExecutionRecord> &executions)
{
    QJsonArray a;
    for (const ExecutionRecord &e : executions)
        a.append(e.toJson(false));
    return a;
}
