#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/model/Workspace.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

// Export of executions for other tools: a trace as OTLP/JSON (an ExportTraceServiceRequest with
// OpenTelemetry GenAI attribute names, semantic conventions v1.41.1)
// that Jaeger's "Upload JSON", Langfuse's OTLP endpoint or an OTel Collector accept, and
// history rows as CSV or JSON (the runner's `history --format json` shape).
//
// Pure functions of their arguments: usable from any thread.

struct OtlpOptions
{
    // gen_ai.input.messages / gen_ai.output.messages are "opt-in (sensitive)" in the
    // conventions. They hold prompts and replies (never keys), which is what a trace viewer
    // is for, so they are on by default; turn them off for shared exports.
    bool includeContent = true;
    // Tool source id -> its kind (mcp | command | mock), for gen_ai.tool.type of tool steps
    // (a tool step names its source in `provider`). Unknown sources export as "function".
    QHash<QString, QString> toolSourceKinds;

    // The defaults, with toolSourceKinds taken from the workspace's tool sources.
    static OtlpOptions forWorkspace(const Workspace &workspace);
};

// One resourceSpans entry (service.name "agentstudio") with one scopeSpans: a root span for the
// execution (`invoke_agent {agent}` or `invoke_workflow {orchestration}`) and one span per step,
// parented to its parent step or to the root. Ids come from the record (trace_id, span_id);
// missing or malformed ones are derived deterministically from the execution and step ids, so
// exporting the same record twice gives the same file.
QJsonObject exportOtlp(const ExecutionRecord &execution);
QJsonObject exportOtlp(const ExecutionRecord &execution, const OtlpOptions &options);

// The OTLP span id of an execution's root span (16 hex), derived from the execution id.
QString otlpRootSpanId(const ExecutionRecord &execution);
// The trace id exported for an execution: its trace_id when it is 32 hex, else derived.
QString otlpTraceId(const ExecutionRecord &execution);
// The span id exported for a step: its span_id when it is 16 hex, else derived from its id.
QString otlpSpanId(const StepRecord &step);

// History rows without steps. CSV: a header line of the store's column names, RFC 4180 quoting,
// JSON columns as compact JSON text, times ISO-8601, unknown cost as an empty cell.
QByteArray exportHistoryCsv(const QList<ExecutionRecord> &executions);
// JSON: an array of ExecutionRecord::toJson(false) objects.
QJsonArray exportHistoryJson(const QList<ExecutionRecord> &executions);
