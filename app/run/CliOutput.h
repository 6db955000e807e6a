#pragma once

#include "core/api/ExecutionRecord.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

// What the runner prints. stdout carries results (streamed text, JSON, tables); stderr carries
// errors and progress notes. Every write is flushed at once, so `run --format jsonl | …` and
// streamed text reach the reader as they happen.
namespace cli {

void out(const QString &text);
// True once a write to stdout failed (the reader went away: `… | head`). SIGPIPE is ignored
// by the runner, so this is how it notices.
bool stdoutBroken();
void err(const QString &text); // text as is
void errLine(const QString &line); // adds "\n"
void outJson(const QJsonObject &o); // indented, one document
void outJson(const QJsonArray &a);
void outJsonLine(const QJsonObject &o); // compact, one line

// "$0.000123", or "price unknown" when the cost is unknown.
QString formatCost(const std::optional<double> &cost);
// "52 in / 18 out", each with "~" when the counts are estimated.
QString formatTokens(qint64 in, qint64 out, bool estimated);
// The one-line summary that ends `run --format text`.
QString summaryLine(const QString &status, qint64 latencyMs, qint64 inputTokens, qint64 outputTokens,
    bool estimated, const std::optional<double> &cost, const QString &executionId);
// `history --format text`: an aligned table, newest first.
QString historyTable(const QList<ExecutionRecord> &items);
// `show --format text`: the execution and its step tree.
QString executionText(const ExecutionRecord &e);

} // namespace cli
