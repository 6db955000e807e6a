#include "core/eval/Reports.h"

#include "core/common/Util.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSysInfo>
#include <QXmlStreamWriter>

#include <algorithm>

// The formats are described in docs/runner-eval.md ("Reports"). Pure functions of the records:
// any thread may call them (the runner's main thread, the panel's export worker). The only disk
// read is the dataset file for JUnit line numbers, when it is still where the run found it.
namespace {

constexpr qsizetype kOutputBudget = 8 * 1024; // system-out: the final output, head only

// XML 1.0 allows #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD and the supplementary planes.
// Everything else (NUL, other controls, U+FFFE/FFFF, a surrogate without its partner) becomes
// the visible text "\uXXXX": escaping would not make it legal, and Qt's writer would drop it.
QString xmlSafe(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        const char16_t u = c.unicode();
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            out += c;
            out += text.at(++i);
            continue;
        }
        const bool legal
            = u == 0x9 || u == 0xA || u == 0xD || (u >= 0x20 && u <= 0xD7FF) || (u >= 0xE000 && u <= 0xFFFD);
        if (legal)
            out += c;
        else
            out += QStringLiteral("\\u%1").arg(int(u), 4, 16, QLatin1Char('0'));
    }
    return out;
}

QString oneLine(const QString &text)
{
    QString s = text;
    s.replace(QLatin1Char('\r'), QLatin1Char(' '));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s.trimmed();
}

// One component of a JUnit classname: Jenkins splits classnames at the last dot, so a dataset
// named "gpt-4.1 checks" must not add a package. Letters, digits, '_' and '-' stay.
QString classComponent(const QString &text)
{
    QString out;
    for (const QChar c : text)
        out += (c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('-')) ? c
                                                                                        : QLatin1Char('_');
    return out.isEmpty() ? QStringLiteral("_") : out;
}

QString seconds(qint64 ms)
{
    return QString::number(double(std::max<qint64>(ms, 0)) / 1000.0, 'f', 3);
}

QString junitTime(const QDateTime &t)
{
    // The Ant schema's pattern has no zone: the time is UTC.
    return (t.isValid() ? t : QDateTime::currentDateTimeUtc())
        .toUTC()
        .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss"));
}

QString money(const std::optional<double> &cost)
{
    if (!cost)
        return QStringLiteral("price unknown");
    if (*cost > 0 && *cost < 0.00005)
        return QStringLiteral("$") + QString::number(*cost, 'g', 2);
    return QStringLiteral("$") + QString::number(*cost, 'f', 4);
}

QString signedMoney(double usd)
{
    return (usd < 0 ? QStringLiteral("-") : QStringLiteral("+")) + money(std::abs(usd));
}

QString duration(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("-");
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    return QStringLiteral("%1m%2s").arg(ms / 60000).arg((ms / 1000) % 60, 2, 10, QLatin1Char('0'));
}

std::optional<double> addCost(const std::optional<double> &a, const std::optional<double> &b)
{
    if (!a || !b)
        return std::nullopt;
    return *a + *b;
}

// "label: text", unless the text already starts with the label (assertion reasons may).
QString labelled(const QString &label, const QString &text)
{
    if (text.isEmpty())
        return label;
    if (text.startsWith(label + QStringLiteral(": ")))
        return text;
    return label + QStringLiteral(": ") + text;
}

// "✗ equals(verdict): expected …" / "✓ …"; an assertion that could not be evaluated says so.
QString assertionLine(const AssertionOutcome &a)
{
    const QString mark = a.pass ? QStringLiteral("✓") : QStringLiteral("✗");
    const QString label = a.label.isEmpty() ? a.type : a.label;
    QString line = mark + QLatin1Char(' ');
    if (!a.error.isEmpty())
        line += label
            + QStringLiteral(": error (%1): %2")
                  .arg(a.errorKind.isEmpty() ? QStringLiteral("error") : a.errorKind, oneLine(a.error));
    else
        line += labelled(label, oneLine(a.reason));
    if (a.type == QLatin1String("judge") || a.score != (a.pass ? 1.0 : 0.0))
        line += QStringLiteral(" (score %1)").arg(a.score, 0, 'f', 2);
    return line;
}

const AssertionOutcome *firstFailed(const EvalResultRecord &r)
{
    for (const AssertionOutcome &a : r.assertions)
        if (!a.pass)
            return &a;
    return nullptr;
}

// The one-line message of a result that did not pass (JUnit message, CSV, text table).
QString failureMessage(const EvalResultRecord &r)
{
    if (r.outcome == EvalOutcome::Error || r.outcome == EvalOutcome::Skipped)
        if (!r.error.isEmpty())
            return oneLine(r.error);
    if (const AssertionOutcome *a = firstFailed(r)) {
        const QString label = a->label.isEmpty() ? a->type : a->label;
        const QString why = a->error.isEmpty() ? a->reason : a->error;
        return labelled(label, oneLine(why));
    }
    if (!r.error.isEmpty())
        return oneLine(r.error);
    if (r.outcome == EvalOutcome::Skipped)
        return QStringLiteral("not run");
    return r.outcome == EvalOutcome::Fail ? QStringLiteral("score below the threshold") : QString();
}

// What the dataset as run says about one case: its threshold, and the case object itself.
struct CaseInfo
{
    std::optional<double> threshold;
    int line = 0;
    QString file;
};

// The line of `"id": "<case>"` in the dataset's bytes (QJsonDocument keeps no positions).
QHash<QString, int> caseLines(const QString &datasetPath)
{
    QHash<QString, int> lines;
    QFile f(datasetPath);
    if (datasetPath.isEmpty() || !f.open(QIODevice::ReadOnly))
        return lines;
    const QString text = QString::fromUtf8(f.readAll());
    static const QRegularExpression idKey(QStringLiteral("\"id\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\""));
    int line = 1;
    qsizetype counted = 0;
    for (auto it = idKey.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        line += int(QStringView(text).mid(counted, m.capturedStart() - counted).count(QLatin1Char('\n')));
        counted = m.capturedStart();
        const QString id = QJsonDocument::fromJson(
            QString(QStringLiteral("[\"") + m.captured(1) + QStringLiteral("\"]")).toUtf8())
                               .array()
                               .at(0)
                               .toString();
        if (!lines.contains(id))
            lines.insert(id, line);
    }
    return lines;
}

// The dataset path as a CI reporter wants it: relative to the working directory (the
// repository checkout) when it lies inside it.
QString reportedPath(const QString &path)
{
    if (path.isEmpty())
        return path;
    const QString rel = QDir::current().relativeFilePath(QFileInfo(path).absoluteFilePath());
    return rel.startsWith(QLatin1String("..")) ? path : rel;
}

QHash<QString, CaseInfo> caseInfos(const EvalRunRecord &run)
{
    QHash<QString, CaseInfo> infos;
    const QJsonObject defaults = run.dataset.value(QLatin1String("defaults")).toObject();
    const QJsonValue defaultThreshold = defaults.value(QLatin1String("threshold"));
    const QHash<QString, int> lines = caseLines(run.datasetPath);
    const QString file = reportedPath(run.datasetPath);
    for (const QJsonValue &v : run.dataset.value(QLatin1String("cases")).toArray()) {
        const QJsonObject c = v.toObject();
        CaseInfo info;
        const QJsonValue t
            = c.contains(QLatin1String("threshold")) ? c.value(QLatin1String("threshold")) : defaultThreshold;
        if (t.isDouble())
            info.threshold = t.toDouble();
        const QString id = c.value(QLatin1String("id")).toString();
        info.file = file;
        info.line = lines.value(id, 0);
        infos.insert(id, info);
    }
    return infos;
}

QString scoreLine(const EvalResultRecord &r, const CaseInfo &info)
{
    return info.threshold
        ? QStringLiteral("score %1 (threshold %2)").arg(r.score, 0, 'f', 2).arg(*info.threshold, 0, 'f', 2)
        : QStringLiteral("score %1 (all must pass)").arg(r.score, 0, 'f', 2);
}

struct Totals
{
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    qint64 timeMs = 0;
    std::optional<double> cost = 0.0, judgeCost = 0.0;

    void add(const EvalResultRecord &r)
    {
        ++tests;
        failures += r.outcome == EvalOutcome::Fail;
        errors += r.outcome == EvalOutcome::Error;
        skipped += r.outcome == EvalOutcome::Skipped;
        timeMs += std::max<qint64>(r.latencyMs, 0);
        if (r.outcome != EvalOutcome::Skipped) {
            cost = addCost(cost, r.costUsd);
            if (r.judgeCostUsd || r.judgeTokens > 0)
                judgeCost = addCost(judgeCost, r.judgeCostUsd);
        }
    }
};

void writeCounts(QXmlStreamWriter &w, const Totals &t, qint64 timeMs)
{
    w.writeAttribute(QStringLiteral("tests"), QString::number(t.tests));
    w.writeAttribute(QStringLiteral("failures"), QString::number(t.failures));
    w.writeAttribute(QStringLiteral("errors"), QString::number(t.errors));
    w.writeAttribute(QStringLiteral("skipped"), QString::number(t.skipped));
    w.writeAttribute(QStringLiteral("time"), seconds(timeMs));
}

void writeProperty(QXmlStreamWriter &w, const QString &name, const QString &value)
{
    w.writeEmptyElement(QStringLiteral("property"));
    w.writeAttribute(QStringLiteral("name"), name);
    w.writeAttribute(QStringLiteral("value"), xmlSafe(value));
}

QString targetText(const QJsonObject &target)
{
    if (target.contains(QLatin1String("node")))
        return QStringLiteral("node %1/%2")
            .arg(target.value(QLatin1String("workflow")).toString(),
                target.value(QLatin1String("node")).toString());
    if (target.contains(QLatin1String("workflow")))
        return QStringLiteral("workflow ") + target.value(QLatin1String("workflow")).toString();
    if (target.contains(QLatin1String("agent")))
        return QStringLiteral("agent ") + target.value(QLatin1String("agent")).toString();
    return QStringLiteral("prompt");
}

// The model a variant names in the dataset as run ("" when it keeps the target's).
QString variantModel(const EvalRunRecord &run, const QString &variant)
{
    for (const QJsonValue &v : run.dataset.value(QLatin1String("variants")).toArray()) {
        const QJsonObject o = v.toObject();
        if (o.value(QLatin1String("name")).toString() != variant)
            continue;
        const QJsonObject model = o.value(QLatin1String("model")).toObject();
        const QString provider = model.value(QLatin1String("provider")).toString();
        const QString name = model.value(QLatin1String("name")).toString();
        return provider.isEmpty() ? name : name.isEmpty() ? provider : provider + QLatin1Char('/') + name;
    }
    return {};
}

void writeSuiteProperties(
    QXmlStreamWriter &w, const EvalRunRecord &run, const QString &variant, const Totals &t)
{
    w.writeStartElement(QStringLiteral("properties"));
    writeProperty(w, QStringLiteral("dataset"), reportedPath(run.datasetPath));
    writeProperty(w, QStringLiteral("dataset_sha256"), run.datasetSha256);
    writeProperty(w, QStringLiteral("eval_run_id"), run.id);
    writeProperty(w, QStringLiteral("target"), targetText(run.target));
    if (const QString model = variantModel(run, variant); !model.isEmpty())
        writeProperty(w, QStringLiteral("model"), model);
    writeProperty(w, QStringLiteral("cache"), toWire(run.cacheMode));
    writeProperty(w, QStringLiteral("backend"), run.backend);
    writeProperty(w, QStringLiteral("agent_cost_usd"), money(t.cost));
    writeProperty(w, QStringLiteral("judge_cost_usd"), money(t.judgeCost));
    w.writeEndElement();
}

QString systemOut(const EvalResultRecord &r)
{
    QString text = r.executionId.isEmpty() ? QStringLiteral("no execution")
                                           : QStringLiteral("execution ") + r.executionId;
    if (!r.status.isEmpty())
        text += QStringLiteral("; status ") + r.status;
    text += QStringLiteral("; tokens %1; cost %2").arg(r.tokens).arg(money(r.costUsd));
    if (r.judgeCostUsd || r.judgeTokens > 0)
        text += QStringLiteral(" (judge %1, %2 tokens)").arg(money(r.judgeCostUsd)).arg(r.judgeTokens);
    if (r.cached)
        text += QStringLiteral("; from the response cache");
    if (!r.output.isNull() && !r.output.isUndefined()) {
        QString output = r.output.isString() ? r.output.toString() : as::compactJson(r.output);
        if (output.size() > kOutputBudget)
            output = output.left(kOutputBudget) + QStringLiteral("… (%1 characters)").arg(output.size());
        text += QStringLiteral("\noutput: ") + output;
    }
    return text;
}

void writeTestcase(QXmlStreamWriter &w, const EvalRunRecord &run, const EvalResultRecord &r,
    const QString &classname, const CaseInfo &info)
{
    w.writeStartElement(QStringLiteral("testcase"));
    w.writeAttribute(QStringLiteral("classname"), classname);
    w.writeAttribute(QStringLiteral("name"), xmlSafe(r.displayName(run.repeat)));
    w.writeAttribute(QStringLiteral("time"), seconds(r.latencyMs));
    if (!info.file.isEmpty())
        w.writeAttribute(QStringLiteral("file"), xmlSafe(info.file));
    if (info.line > 0)
        w.writeAttribute(QStringLiteral("line"), QString::number(info.line));
    w.writeAttribute(QStringLiteral("assertions"), QString::number(r.assertions.size()));
    QStringList lines;
    for (const AssertionOutcome &a : r.assertions)
        lines.append(assertionLine(a));
    lines.append(scoreLine(r, info));
    switch (r.outcome) {
    case EvalOutcome::Pass:
        break;
    case EvalOutcome::Fail:
        w.writeStartElement(QStringLiteral("failure"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("assertion"));
        w.writeAttribute(QStringLiteral("message"), xmlSafe(failureMessage(r)));
        w.writeCharacters(xmlSafe(lines.join(QLatin1Char('\n'))));
        w.writeEndElement();
        break;
    case EvalOutcome::Error:
        w.writeStartElement(QStringLiteral("error"));
        w.writeAttribute(
            QStringLiteral("type"), r.errorKind.isEmpty() ? QStringLiteral("error") : xmlSafe(r.errorKind));
        w.writeAttribute(QStringLiteral("message"), xmlSafe(failureMessage(r)));
        w.writeCharacters(xmlSafe(
            (r.error.isEmpty() ? QString() : r.error + QLatin1Char('\n')) + lines.join(QLatin1Char('\n'))));
        w.writeEndElement();
        break;
    case EvalOutcome::Skipped:
        w.writeEmptyElement(QStringLiteral("skipped"));
        w.writeAttribute(QStringLiteral("message"), xmlSafe(failureMessage(r)));
        break;
    }
    if (r.outcome != EvalOutcome::Skipped)
        w.writeTextElement(QStringLiteral("system-out"), xmlSafe(systemOut(r)));
    w.writeEndElement();
}

// Variant names in the run's order, then any the results name beyond them.
QStringList variantOrder(const EvalRunRecord &run, const QList<EvalResultRecord> &results)
{
    QStringList names = run.variants;
    for (const EvalResultRecord &r : results)
        if (!names.contains(r.variant))
            names.append(r.variant);
    return names;
}

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"'))
        && !text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString costField(const std::optional<double> &cost)
{
    return cost ? QString::number(*cost, 'g', 12) : QString();
}

// Pads to `width` display columns (the table's cells hold ASCII and a few one-column symbols).
QString pad(const QString &text, qsizetype width)
{
    return text.size() >= width ? text : text + QString(width - text.size(), QLatin1Char(' '));
}

QString cellText(const EvalResultRecord &r)
{
    return QStringLiteral("%1 %2 %3 %4")
        .arg(toWire(r.outcome), QString::number(r.score, 'f', 2), duration(r.latencyMs), money(r.costUsd));
}

QString changeList(const EvalComparison &c, EvalCaseDelta::Change change, int repeats)
{
    QStringList names;
    for (const EvalCaseDelta &d : c.cases)
        if (d.change == change)
            names.append(QStringLiteral("%1 [%2]").arg(repeats > 1
                    ? QStringLiteral("%1 [%2/%3]").arg(d.caseId).arg(d.repeatIndex).arg(repeats)
                    : d.caseId,
                d.variant));
    return names.join(QStringLiteral(", "));
}

QString comparisonText(const EvalComparison &c, int repeats)
{
    QString text = QStringLiteral(
        "\nCompared with eval run %1: %2 newly failing, %3 newly passing, %4 added, %5 removed\n")
                       .arg(c.baselineId)
                       .arg(c.newlyFailing)
                       .arg(c.newlyPassing)
                       .arg(c.added)
                       .arg(c.removed);
    if (c.newlyFailing > 0)
        text += QStringLiteral("  newly failing: ")
            + changeList(c, EvalCaseDelta::Change::NewlyFailing, repeats) + QLatin1Char('\n');
    if (c.newlyPassing > 0)
        text += QStringLiteral("  newly passing: ")
            + changeList(c, EvalCaseDelta::Change::NewlyPassing, repeats) + QLatin1Char('\n');
    QStringList deltas { QStringLiteral("score %1%2")
                             .arg(c.meanScoreDelta < 0 ? QString() : QStringLiteral("+"))
                             .arg(c.meanScoreDelta, 0, 'f', 3) };
    if (c.costDeltaUsd)
        deltas.append(QStringLiteral("cost ") + signedMoney(*c.costDeltaUsd));
    if (c.latencyDeltaMs)
        deltas.append(QStringLiteral("latency %1%2 ms")
                          .arg(*c.latencyDeltaMs < 0 ? QString() : QStringLiteral("+"))
                          .arg(*c.latencyDeltaMs));
    text += QStringLiteral("  deltas: ") + deltas.join(QStringLiteral(" · ")) + QLatin1Char('\n');
    return text;
}

} // namespace

namespace evalreport {

QByteArray junit(const EvalRunRecord &run, const QList<EvalResultRecord> &results)
{
    const QStringList variants = variantOrder(run, results);
    const QHash<QString, CaseInfo> infos = caseInfos(run);
    const QString datasetName = run.name.isEmpty() ? QFileInfo(run.datasetPath).completeBaseName() : run.name;
    const QString host
        = QSysInfo::machineHostName().isEmpty() ? QStringLiteral("localhost") : QSysInfo::machineHostName();
    Totals all;
    QHash<QString, Totals> perVariant;
    for (const EvalResultRecord &r : results) {
        all.add(r);
        perVariant[r.variant].add(r);
    }
    QByteArray bytes;
    QXmlStreamWriter w(&bytes);
    w.setAutoFormatting(true);
    w.setAutoFormattingIndent(2);
    w.writeStartDocument();
    w.writeStartElement(QStringLiteral("testsuites"));
    w.writeAttribute(QStringLiteral("name"), xmlSafe(datasetName));
    writeCounts(w, all, run.wallMs >= 0 ? run.wallMs : all.timeMs);
    w.writeAttribute(QStringLiteral("timestamp"), junitTime(run.startedAt));
    for (qsizetype i = 0; i < variants.size(); ++i) {
        const QString &variant = variants.at(i);
        const Totals &t = perVariant[variant];
        const QString classname
            = QStringLiteral("agentstudio.%1.%2").arg(classComponent(datasetName), classComponent(variant));
        w.writeStartElement(QStringLiteral("testsuite"));
        w.writeAttribute(
            QStringLiteral("name"), xmlSafe(variant.isEmpty() ? QStringLiteral("default") : variant));
        writeCounts(w, t, t.timeMs);
        w.writeAttribute(QStringLiteral("timestamp"), junitTime(run.startedAt));
        w.writeAttribute(QStringLiteral("hostname"), xmlSafe(host));
        w.writeAttribute(QStringLiteral("id"), QString::number(i));
        w.writeAttribute(
            QStringLiteral("package"), QStringLiteral("agentstudio.") + classComponent(datasetName));
        writeSuiteProperties(w, run, variant, t);
        for (const EvalResultRecord &r : results)
            if (r.variant == variant)
                writeTestcase(w, run, r, classname, infos.value(r.caseId));
        w.writeEndElement();
    }
    w.writeEndElement();
    w.writeEndDocument();
    // Every text went through xmlSafe(); an error here is a bug, and a broken file must not look
    // like a report.
    if (w.hasError())
        return {};
    return bytes;
}

QByteArray csv(const EvalRunRecord &run, const QList<EvalResultRecord> &results)
{
    QString text = QStringLiteral("case,variant,repeat,outcome,score,latency_ms,tokens,cost_usd,judge_tokens,"
                                  "judge_cost_usd,cached,execution_id,error_kind,message\r\n");
    for (const EvalResultRecord &r : results) {
        const QStringList fields { r.caseId, r.variant, QString::number(r.repeatIndex), toWire(r.outcome),
            QString::number(r.score, 'f', 4), r.latencyMs >= 0 ? QString::number(r.latencyMs) : QString(),
            QString::number(r.tokens), costField(r.costUsd), QString::number(r.judgeTokens),
            costField(r.judgeCostUsd), r.cached ? QStringLiteral("true") : QStringLiteral("false"),
            r.executionId, r.errorKind, r.outcome == EvalOutcome::Pass ? QString() : failureMessage(r) };
        QStringList quoted;
        for (const QString &f : fields)
            quoted.append(csvField(f));
        text += quoted.join(QLatin1Char(',')) + QStringLiteral("\r\n");
    }
    Q_UNUSED(run);
    return text.toUtf8();
}

QJsonObject json(const EvalRunRecord &run, const QList<EvalResultRecord> &results,
    const std::optional<EvalComparison> &comparison)
{
    QJsonArray array;
    for (const EvalResultRecord &r : results)
        array.append(r.toJson());
    QJsonObject o { { QStringLiteral("run"), run.toJson() }, { QStringLiteral("results"), array } };
    if (comparison)
        o.insert(QStringLiteral("comparison"), eval::toJson(*comparison));
    return o;
}

QJsonObject resultEvent(const EvalResultRecord &result)
{
    QJsonObject o = result.toJson();
    o.insert(QStringLiteral("type"), QStringLiteral("result"));
    return o;
}

QJsonObject summaryEvent(const EvalRunRecord &run, const std::optional<EvalComparison> &comparison)
{
    QJsonObject o = run.toJson();
    o.insert(QStringLiteral("type"), QStringLiteral("summary"));
    if (comparison)
        o.insert(QStringLiteral("comparison"), eval::toJson(*comparison));
    return o;
}

QString textTable(const EvalRunRecord &run, const QList<EvalResultRecord> &results,
    const std::optional<EvalComparison> &comparison)
{
    const QStringList variants = variantOrder(run, results);
    // Rows: case × repeat in result order; columns: variants.
    QStringList rows;
    QHash<QString, QHash<QString, const EvalResultRecord *>> cells;
    for (const EvalResultRecord &r : results) {
        const QString row = r.displayName(run.repeat);
        if (!cells.contains(row))
            rows.append(row);
        cells[row].insert(r.variant, &r);
    }
    qsizetype caseWidth = 4;
    for (const QString &row : rows)
        caseWidth = std::max(caseWidth, row.size());
    QList<qsizetype> widths;
    for (const QString &v : variants) {
        qsizetype width = v.size();
        for (const QString &row : rows)
            if (const EvalResultRecord *r = cells[row].value(v))
                width = std::max(width, cellText(*r).size());
        widths.append(width);
    }
    QString text = run.name.isEmpty() ? QString() : run.name + QLatin1Char('\n');
    QString header = pad(QStringLiteral("case"), caseWidth);
    for (qsizetype i = 0; i < variants.size(); ++i)
        header += QStringLiteral("  ") + pad(variants.at(i), widths.at(i));
    text += header.trimmed() + QLatin1Char('\n');
    for (const QString &row : rows) {
        QString line = pad(row, caseWidth);
        for (qsizetype i = 0; i < variants.size(); ++i) {
            const EvalResultRecord *r = cells[row].value(variants.at(i));
            line += QStringLiteral("  ") + pad(r ? cellText(*r) : QStringLiteral("-"), widths.at(i));
        }
        text += line.trimmed() + QLatin1Char('\n');
    }
    QString failures;
    for (const EvalResultRecord &r : results) {
        if (r.outcome == EvalOutcome::Pass)
            continue;
        failures += QStringLiteral("  %1 [%2] %3: %4\n")
                        .arg(r.displayName(run.repeat), r.variant, toWire(r.outcome), failureMessage(r));
        if (r.outcome == EvalOutcome::Fail)
            for (const AssertionOutcome &a : r.assertions)
                if (!a.pass)
                    failures += QStringLiteral("      ") + assertionLine(a) + QLatin1Char('\n');
    }
    if (!failures.isEmpty())
        text += QStringLiteral("\nNot passing:\n") + failures;
    Totals t;
    for (const EvalResultRecord &r : results)
        t.add(r);
    const int passed = t.tests - t.failures - t.errors - t.skipped;
    text += QStringLiteral("\n%1 case runs: %2 passed, %3 failed, %4 errors, %5 skipped · agent %6 · judge "
                           "%7 · wall %8 · status %9\n")
                .arg(t.tests)
                .arg(passed)
                .arg(t.failures)
                .arg(t.errors)
                .arg(t.skipped)
                .arg(money(run.costUsd ? run.costUsd : t.cost),
                    money(run.judgeCostUsd ? run.judgeCostUsd : t.judgeCost), duration(run.wallMs),
                    toWire(run.status));
    if (!run.id.isEmpty())
        text += QStringLiteral("eval run %1\n").arg(run.id);
    if (comparison)
        text += comparisonText(*comparison, run.repeat);
    return text;
}

QString progressLine(const EvalProgress &p)
{
    QString line = QStringLiteral("%1/%2 done · %3 passed · %4 failed")
                       .arg(p.done)
                       .arg(p.total)
                       .arg(p.passed)
                       .arg(p.failed);
    if (p.errored > 0)
        line += QStringLiteral(" · %1 errors").arg(p.errored);
    if (p.running > 0)
        line += QStringLiteral(" · %1 running").arg(p.running);
    line += QStringLiteral(" · ") + money(p.costUsd);
    if (p.done < p.total)
        line += p.etaMs >= 0 ? QStringLiteral(" · ETA ") + duration(p.etaMs) : QStringLiteral(" · ETA -");
    else
        line += QStringLiteral(" · ") + duration(p.elapsedMs);
    return line;
}

} // namespace evalreport
