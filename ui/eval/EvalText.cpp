#include "ui/eval/EvalText.h"

#include <QCoreApplication>
#include <QStringList>

#include <cmath>

namespace evaltext {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("EvalText", text);
}

QString signedNumber(double v, int decimals)
{
    return (v < 0 ? QStringLiteral("−") : QStringLiteral("+")) + QString::number(std::abs(v), 'f', decimals);
}

QString changeText(EvalCaseDelta::Change c)
{
    switch (c) {
    case EvalCaseDelta::Change::NewlyFailing:
        return tr("newly failing");
    case EvalCaseDelta::Change::NewlyPassing:
        return tr("newly passing");
    case EvalCaseDelta::Change::Added:
        return tr("not in the baseline");
    case EvalCaseDelta::Change::Removed:
        return tr("only in the baseline");
    case EvalCaseDelta::Change::Same:
        return tr("same as the baseline");
    }
    return {};
}
} // namespace

statuspalette::Tone tone(EvalOutcome outcome)
{
    using statuspalette::Tone;
    switch (outcome) {
    case EvalOutcome::Pass:
        return Tone::Succeeded;
    case EvalOutcome::Fail:
        return Tone::Failed;
    case EvalOutcome::Error:
        return Tone::Cancelled;
    case EvalOutcome::Skipped:
        return Tone::Skipped;
    }
    return Tone::Idle;
}

QString cost(const std::optional<double> &usd)
{
    return usd ? QStringLiteral("$%1").arg(*usd, 0, 'f', 4) : QStringLiteral("$?");
}

QString latency(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("—");
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
}

QString costDelta(double usd)
{
    return (usd < 0 ? QStringLiteral("−$") : QStringLiteral("+$")) + QString::number(std::abs(usd), 'f', 4);
}

QString latencyDelta(qint64 ms)
{
    return (ms < 0 ? QStringLiteral("−") : QStringLiteral("+")) + latency(std::abs(ms));
}

QString cellText(const EvalResultRecord &r, const std::optional<EvalCaseDelta::Change> &change)
{
    QString prefix;
    if (change == EvalCaseDelta::Change::NewlyFailing)
        prefix = QStringLiteral("▼ new ");
    else if (change == EvalCaseDelta::Change::NewlyPassing)
        prefix = QStringLiteral("▲ new ");
    return prefix + toWire(r.outcome) + QLatin1Char(' ') + QString::number(r.score, 'f', 2)
        + QStringLiteral(" · ") + cost(r.costUsd) + QStringLiteral(" · ") + latency(r.latencyMs);
}

QString cellToolTip(const EvalResultRecord &r, const std::optional<EvalCaseDelta::Change> &change)
{
    QStringList lines;
    if (change)
        lines << changeText(*change);
    if (!r.error.isEmpty())
        lines << (r.errorKind.isEmpty() ? r.error : r.errorKind + QStringLiteral(": ") + r.error);
    for (const AssertionOutcome &a : r.assertions)
        if (!a.pass)
            lines << a.label + QStringLiteral(": ") + (a.error.isEmpty() ? a.reason : a.error);
    if (lines.isEmpty())
        lines << tr("every assertion held");
    return lines.join(QLatin1Char('\n'));
}

namespace {
QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString assertionRow(const AssertionOutcome &a)
{
    const bool errored = !a.error.isEmpty();
    const statuspalette::Tone t = errored ? statuspalette::Tone::Cancelled
        : a.pass                          ? statuspalette::Tone::Succeeded
                                          : statuspalette::Tone::Failed;
    const QString word = errored ? tr("error") : a.pass ? tr("pass") : tr("fail");
    QString html = QStringLiteral("<li><b style=\"color:%1\">%2</b> <code>%3</code> · %4")
                       .arg(statuspalette::color(t).name(), word, esc(a.label))
                       .arg(a.score, 0, 'f', 2);
    if (a.weight != 1)
        html += QStringLiteral(" · weight %1").arg(a.weight);
    html += QStringLiteral("<br>") + esc(errored ? a.errorKind + QStringLiteral(": ") + a.error : a.reason);
    if (!a.judgeSamples.isEmpty()) {
        html += QStringLiteral("<br>")
            + tr("judge: %1 tokens · %2").arg(a.judgeTokens).arg(cost(a.judgeCostUsd));
        html += QStringLiteral("<ol>");
        for (const JudgeSample &s : a.judgeSamples) {
            html += QStringLiteral("<li>%1 %2 · execution <code>%3</code>%4<br>%5</li>")
                        .arg(s.parsed ? (s.pass ? tr("pass") : tr("fail")) : tr("unparsed"))
                        .arg(s.score, 0, 'f', 2)
                        .arg(esc(s.executionId.left(8)), s.cached ? tr(" · cached") : QString(),
                            esc(s.error.isEmpty() ? s.reason : s.error));
        }
        html += QStringLiteral("</ol>");
    }
    return html + QStringLiteral("</li>");
}
} // namespace

QString detailsHtml(const EvalResultRecord &r, const EvalCaseDelta *delta)
{
    const statuspalette::Tone t = tone(r.outcome);
    QString html = QStringLiteral("<h3>%1 · %2 <span style=\"color:%3\">%4</span></h3>")
                       .arg(esc(r.caseId), esc(r.variant), statuspalette::color(t).name(), toWire(r.outcome));
    html += QStringLiteral("<p>")
        + tr("score %1 · repeat %2 · status %3 · latency %4 · %5 tokens · cost %6")
              .arg(r.score, 0, 'f', 2)
              .arg(r.repeatIndex)
              .arg(r.status.isEmpty() ? QStringLiteral("—") : esc(r.status), latency(r.latencyMs))
              .arg(r.tokens)
              .arg(cost(r.costUsd));
    if (r.judgeTokens > 0 || r.judgeCostUsd)
        html += tr(" · judges %1 tokens, %2").arg(r.judgeTokens).arg(cost(r.judgeCostUsd));
    if (r.cached)
        html += tr(" · from the response cache");
    html += QStringLiteral("</p>");
    if (!r.executionId.isEmpty())
        html += QStringLiteral("<p>")
            + tr("execution <code>%1</code> (double-click the cell for its trace)").arg(esc(r.executionId))
            + QStringLiteral("</p>");
    if (!r.error.isEmpty())
        html += QStringLiteral("<p style=\"color:%1\"><b>%2</b> %3</p>")
                    .arg(statuspalette::color(t).name(), esc(r.errorKind), esc(r.error));
    if (delta) {
        QString line = changeText(delta->change);
        if (delta->change != EvalCaseDelta::Change::Added)
            line += tr(" · score %1").arg(signedNumber(delta->scoreDelta, 2));
        if (delta->costDeltaUsd)
            line += tr(" · cost %1").arg(costDelta(*delta->costDeltaUsd));
        if (delta->latencyDeltaMs)
            line += tr(" · latency %1").arg(latencyDelta(*delta->latencyDeltaMs));
        html += QStringLiteral("<p><i>") + tr("vs baseline: %1").arg(esc(line)) + QStringLiteral("</i></p>");
    }
    html += QStringLiteral("<p><b>") + tr("Assertions (%1)").arg(r.assertions.size())
        + QStringLiteral("</b></p><ul>");
    for (const AssertionOutcome &a : r.assertions)
        html += assertionRow(a);
    return html + QStringLiteral("</ul>");
}

QString comparisonSummary(const EvalComparison &c)
{
    QStringList parts;
    parts << tr("%1 newly failing").arg(c.newlyFailing) << tr("%1 newly passing").arg(c.newlyPassing);
    if (c.added > 0)
        parts << tr("%1 added").arg(c.added);
    if (c.removed > 0)
        parts << tr("%1 removed").arg(c.removed);
    parts << tr("cost %1").arg(c.costDeltaUsd ? costDelta(*c.costDeltaUsd) : QStringLiteral("?"));
    parts << tr("latency %1").arg(c.latencyDeltaMs ? latencyDelta(*c.latencyDeltaMs) : QStringLiteral("?"));
    parts << tr("score %1").arg(signedNumber(c.meanScoreDelta, 3));
    return tr("vs baseline %1: %2").arg(c.baselineId.left(8), parts.join(QStringLiteral(" · ")));
}

QString runSummary(const EvalRunRecord &run)
{
    return tr("%1 · %2 case runs: %3 passed · %4 failed · %5 errors · %6 skipped · %7 · %8")
        .arg(toWire(run.status))
        .arg(run.total)
        .arg(run.passed)
        .arg(run.failed)
        .arg(run.errored)
        .arg(run.skipped)
        .arg(cost(run.costUsd), latency(run.wallMs));
}

} // namespace evaltext
