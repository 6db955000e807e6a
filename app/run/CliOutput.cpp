#include "app/run/CliOutput.h"

#include "core/common/Util.h"

#include <QHash>
#include <QJsonDocument>

#include <cstdio>

namespace cli {

namespace {

bool g_stdoutBroken = false;

void write(FILE *f, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    const size_t written = std::fwrite(bytes.constData(), 1, size_t(bytes.size()), f);
    if ((written != size_t(bytes.size()) || std::fflush(f) != 0) && f == stdout)
        g_stdoutBroken = true;
}

QString shortTime(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QStringLiteral("-");
}

QString target(const ExecutionRecord &e)
{
    if (!e.orchestrationId.isEmpty())
        return e.nodeId.isEmpty() ? e.orchestrationId : e.orchestrationId + QLatin1Char('/') + e.nodeId;
    return e.agentId;
}

QString oneLine(QString text, int max)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    if (text.size() > max)
        text = text.left(max - 1) + QChar(0x2026);
    return text;
}

void appendStep(
    QString &text, const StepRecord &s, const QHash<QString, QList<const StepRecord *>> &children, int depth)
{
    const QString indent(2 + 2 * depth, QLatin1Char(' '));
    QString line = indent + QStringLiteral("%1 %2").arg(toWire(s.kind), s.name);
    if (!s.nodeId.isEmpty() && s.kind != StepKind::Node)
        line += QStringLiteral(" [%1]").arg(s.nodeId);
    line += QStringLiteral("  %1  %2 ms").arg(toWire(s.status)).arg(s.executionTimeMs);
    if (s.kind == StepKind::Llm) {
        line += QStringLiteral("  %1/%2").arg(s.provider, s.model);
        line += QStringLiteral("  tokens %1")
                    .arg(formatTokens(s.inputTokens, s.outputTokens, s.tokensEstimated));
        if (s.ttftMs >= 0)
            line += QStringLiteral("  ttft %1 ms").arg(s.ttftMs);
        line += QStringLiteral("  ") + formatCost(s.costUsd);
        if (s.attempt > 1)
            line += QStringLiteral("  attempt %1").arg(s.attempt);
    }
    text += line + QLatin1Char('\n');
    if (!s.errorMessage.isEmpty())
        text += indent + QStringLiteral("  error: ") + s.errorMessage + QLatin1Char('\n');
    if (s.kind == StepKind::Parse || (s.kind == StepKind::Node && !s.outputData.isEmpty()))
        text += indent + QStringLiteral("  output: ") + oneLine(as::compactJson(s.outputData), 160)
            + QLatin1Char('\n');
    for (const StepRecord *c : children.value(s.id))
        appendStep(text, *c, children, depth + 1);
}

} // namespace

void out(const QString &text)
{
    write(stdout, text);
}
bool stdoutBroken()
{
    return g_stdoutBroken;
}
void err(const QString &text)
{
    write(stderr, text);
}
void errLine(const QString &line)
{
    write(stderr, line + QLatin1Char('\n'));
}

void outJson(const QJsonObject &o)
{
    write(stdout, QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)));
}

void outJson(const QJsonArray &a)
{
    write(stdout, QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Indented)));
}

void outJsonLine(const QJsonObject &o)
{
    write(stdout, as::compactJson(o) + QLatin1Char('\n'));
}

QString formatCost(const std::optional<double> &cost)
{
    if (!cost)
        return QStringLiteral("price unknown");
    // Six decimals show a single small call ($0.000019); anything smaller is still not "$0".
    if (*cost > 0 && *cost < 0.0000005)
        return QStringLiteral("$") + QString::number(*cost, 'g', 2);
    return QStringLiteral("$") + QString::number(*cost, 'f', 6);
}

QString formatTokens(qint64 in, qint64 out, bool estimated)
{
    const QString mark = estimated ? QStringLiteral("~") : QString();
    return QStringLiteral("%1%2 in / %1%3 out").arg(mark).arg(in).arg(out);
}

QString summaryLine(const QString &status, qint64 latencyMs, qint64 inputTokens, qint64 outputTokens,
    bool estimated, const std::optional<double> &cost, const QString &executionId)
{
    return QStringLiteral("%1 · %2 ms · tokens %3 · %4 · execution %5")
        .arg(status)
        .arg(latencyMs)
        .arg(formatTokens(inputTokens, outputTokens, estimated), formatCost(cost), executionId);
}

QString historyTable(const QList<ExecutionRecord> &items)
{
    const QStringList header = { QStringLiteral("ID"), QStringLiteral("QUEUED (UTC)"),
        QStringLiteral("STATUS"), QStringLiteral("TARGET"), QStringLiteral("MODE"), QStringLiteral("LATENCY"),
        QStringLiteral("TOKENS"), QStringLiteral("COST") };
    QList<QStringList> rows { header };
    for (const ExecutionRecord &e : items) {
        rows.append({ e.id, shortTime(e.queuedAt), toWire(e.status), target(e),
            e.testMode == TestMode::Unset ? toWire(e.executionType) : toWire(e.testMode),
            QStringLiteral("%1 ms").arg(e.executionTimeMs),
            formatTokens(e.inputTokens, e.outputTokens, e.tokensEstimated), formatCost(e.costUsd) });
    }
    QList<qsizetype> widths(header.size(), 0);
    for (const QStringList &r : rows)
        for (qsizetype c = 0; c < r.size(); ++c)
            widths[c] = qMax(widths[c], r.at(c).size());
    QString text;
    for (const QStringList &r : rows) {
        QString line;
        for (qsizetype c = 0; c < r.size(); ++c) {
            const bool right = c == 5 || c == 7; // numbers align right
            const QString cell = right ? r.at(c).rightJustified(widths[c]) : r.at(c).leftJustified(widths[c]);
            line += (c ? QStringLiteral("  ") : QString()) + cell;
        }
        text += line.trimmed() + QLatin1Char('\n');
    }
    return text;
}

QString executionText(const ExecutionRecord &e)
{
    QString text;
    text += QStringLiteral("execution %1  %2\n").arg(e.id, toWire(e.status));
    text += QStringLiteral("  %1 %2").arg(
        e.orchestrationId.isEmpty() ? QStringLiteral("agent") : QStringLiteral("workflow"), target(e));
    if (e.testMode != TestMode::Unset)
        text += QStringLiteral(" · ") + toWire(e.testMode);
    text += QStringLiteral(" · trigger ") + toWire(e.triggerType);
    if (!e.provider.isEmpty() || !e.model.isEmpty())
        text += QStringLiteral(" · %1/%2").arg(e.provider, e.model);
    text += QLatin1Char('\n');
    text += QStringLiteral("  queued %1  started %2  completed %3\n")
                .arg(as::isoTime(e.queuedAt),
                    e.startedAt.isValid() ? as::isoTime(e.startedAt) : QStringLiteral("-"),
                    e.completedAt.isValid() ? as::isoTime(e.completedAt) : QStringLiteral("-"));
    text += QStringLiteral("  latency %1 ms (queue %2 ms, ttft %3) · tokens %4%5 · %6\n")
                .arg(e.executionTimeMs)
                .arg(e.queueMs)
                .arg(e.ttftMs >= 0 ? QStringLiteral("%1 ms").arg(e.ttftMs) : QStringLiteral("-"),
                    formatTokens(e.inputTokens, e.outputTokens, e.tokensEstimated),
                    e.cachedTokens > 0 ? QStringLiteral(" (%1 cached)").arg(e.cachedTokens) : QString(),
                    formatCost(e.costUsd));
    if (!e.rerunOf.isEmpty())
        text += QStringLiteral("  re-run of %1\n").arg(e.rerunOf);
    text += QStringLiteral("  input:  ") + as::compactJson(e.inputData) + QLatin1Char('\n');
    text += QStringLiteral("  output: ") + as::compactJson(e.outputData) + QLatin1Char('\n');
    if (!e.errorMessage.isEmpty())
        text += QStringLiteral("  error:  ") + e.errorMessage + QLatin1Char('\n');
    if (e.steps.isEmpty())
        return text;
    text += QStringLiteral("steps:\n");
    QHash<QString, QList<const StepRecord *>> children;
    QHash<QString, bool> ids;
    for (const StepRecord &s : e.steps)
        ids.insert(s.id, true);
    QList<const StepRecord *> roots;
    for (const StepRecord &s : e.steps) {
        if (!s.parentStepId.isEmpty() && ids.contains(s.parentStepId))
            children[s.parentStepId].append(&s);
        else
            roots.append(&s);
    }
    for (const StepRecord *s : roots)
        appendStep(text, *s, children, 0);
    return text;
}

} // namespace cli
