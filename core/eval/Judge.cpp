#include "core/eval/Judge.h"

#include "core/common/Util.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>

// Judges (docs/eval-runs.md, "Judges"). The prompt texts below are this product's own.

JudgeSpec JudgeSpec::resolve(const EvalAssertion &a, const JudgeConfig &defaults, const EvalCase &c)
{
    const QJsonObject &s = a.spec;
    JudgeSpec j;
    j.rubric = s.value(QLatin1String("rubric")).toString();
    // The assertion names a judge, or the dataset's default judge is used as a whole.
    if (s.contains(QLatin1String("agent")) || s.contains(QLatin1String("model"))) {
        j.agent = s.value(QLatin1String("agent")).toString();
        j.model = s.value(QLatin1String("model")).toObject();
    } else {
        j.agent = defaults.agent;
        j.model = defaults.model;
    }
    j.samples = qMax(1,
        s.contains(QLatin1String("samples")) ? s.value(QLatin1String("samples")).toInt(1) : defaults.samples);
    if (s.value(QLatin1String("threshold")).isDouble())
        j.threshold = s.value(QLatin1String("threshold")).toDouble();
    else
        j.threshold = defaults.threshold;
    j.templateName
        = s.value(QLatin1String("template"))
              .toString(defaults.templateName.isEmpty() ? QStringLiteral("rubric") : defaults.templateName);
    j.expected = s.contains(QLatin1String("expected")) ? s.value(QLatin1String("expected"))
                                                       : c.metadata.value(QLatin1String("expected"));
    return j;
}

QString JudgeSpec::problem() const
{
    if (agent.isEmpty() && model.isEmpty())
        return QStringLiteral("judge: no agent or model (set one on the assertion or the dataset's judge)");
    return {};
}

namespace judge {

namespace {

QString text(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isUndefined() || v.isNull())
        return {};
    if (v.isObject())
        return as::compactJson(v.toObject());
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

QString block(const char *tag, const QString &body)
{
    return QStringLiteral("<%1>\n%2\n</%1>\n").arg(QLatin1String(tag), body);
}

// The first JSON object in a reply (a ```json fence or text around it are tolerated).
std::optional<QJsonObject> firstObject(const QString &reply)
{
    const qsizetype open = reply.indexOf(QLatin1Char('{'));
    if (open < 0)
        return std::nullopt;
    for (qsizetype close = reply.lastIndexOf(QLatin1Char('}')); close > open;
         close = reply.lastIndexOf(QLatin1Char('}'), close - 1)) {
        const QJsonDocument doc = QJsonDocument::fromJson(reply.mid(open, close - open + 1).toUtf8());
        if (doc.isObject())
            return doc.object();
    }
    return std::nullopt;
}

// pass (bool), score (finite, clamped to [0, 1]; pass ? 1 : 0 when absent), reason.
JudgeSample verdictOf(const QJsonObject &o)
{
    JudgeSample s;
    const QJsonValue pass = o.value(QLatin1String("pass"));
    if (!pass.isBool()) {
        s.error = pass.isUndefined() ? QStringLiteral("the verdict has no 'pass'")
                                     : QStringLiteral("'pass' must be a boolean, got %1").arg(text(pass));
        return s;
    }
    s.pass = pass.toBool();
    s.score = s.pass ? 1 : 0;
    const QJsonValue score = o.value(QLatin1String("score"));
    if (score.isDouble() && std::isfinite(score.toDouble())) {
        s.score = qBound(0.0, score.toDouble(), 1.0);
    } else if (!score.isUndefined() && !score.isNull()) {
        s.error = QStringLiteral("'score' must be a number, got %1").arg(text(score));
        return s;
    }
    s.reason = o.value(QLatin1String("reason")).toString();
    s.parsed = true;
    return s;
}

JudgeSample closedQa(const QString &reply)
{
    JudgeSample s;
    const QString t = reply.trimmed();
    const QString last = t.mid(t.lastIndexOf(QLatin1Char('\n')) + 1).trimmed();
    if (!t.endsWith(QLatin1Char('Y')) && !t.endsWith(QLatin1Char('N'))) {
        s.error = QStringLiteral("malformed: the reply does not end with Y or N");
        return s;
    }
    s.parsed = true;
    s.pass = t.endsWith(QLatin1Char('Y'));
    s.score = s.pass ? 1 : 0;
    s.reason = t.left(t.size() - last.size()).trimmed();
    return s;
}

JudgeSample factuality(const QString &reply)
{
    JudgeSample s;
    QString category;
    if (const std::optional<QJsonObject> o = firstObject(reply)) {
        category = o->value(QLatin1String("category")).toString().trimmed().toUpper();
        s.reason = o->value(QLatin1String("reason")).toString();
    }
    if (category.isEmpty()) {
        // A line that is only the letter, or "(C)" / "Answer: C".
        static const QRegularExpression letter(
            QStringLiteral("(?:^|\\n)\\s*(?:answer:\\s*)?\\(?([A-E])\\)?\\s*(?:$|\\n)"),
            QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch m = letter.match(reply);
        if (m.hasMatch())
            category = m.captured(1).toUpper();
    }
    if (category.size() != 1 || category.at(0) < u'A' || category.at(0) > u'E') {
        s.error = QStringLiteral("malformed: no category A to E in the reply");
        return s;
    }
    s.parsed = true;
    s.score = category == u"D" ? 0 : 1; // only a disagreement with the expert fails
    s.pass = s.score > 0;
    if (s.reason.isEmpty())
        s.reason = QStringLiteral("category %1").arg(category);
    return s;
}

} // namespace

QString systemPrompt(const QString &templateName)
{
    if (templateName == u"closedqa")
        return QStringLiteral(
            "You check whether a submission meets a criterion. You get the task, the submission "
            "and the criterion. Think it through step by step in a few sentences, then write the "
            "single letter Y (it meets the criterion) or N (it does not) alone on the last line.");
    if (templateName == u"factuality")
        return QStringLiteral(
            "You compare a submitted answer with an expert answer to the same question, looking "
            "only at the facts (ignore style, wording and grammar). Pick one category: "
            "A: the submission is a subset of the expert answer and consistent with it; "
            "B: it is a superset of the expert answer and consistent with it; "
            "C: it holds the same details as the expert answer; "
            "D: it disagrees with the expert answer; "
            "E: the answers differ, but the differences do not matter for the facts. "
            "Reply with a JSON object {\"category\": \"A\".. \"E\", \"reason\": \"one sentence\"}.");
    return QStringLiteral(
        "You grade an output against a rubric. The output passes when the rubric's statement is "
        "true of it. Reply with one JSON object and nothing else: {\"reason\": \"one or two "
        "sentences\", \"pass\": true or false, \"score\": a number from 0.0 to 1.0}.\n"
        "Example: output \"Good morning, how can I help?\", rubric \"greets the user\" -> "
        "{\"reason\": \"It opens with a greeting.\", \"pass\": true, \"score\": 1.0}\n"
        "Example: output \"Arr, me hearty!\", rubric \"does not talk like a pirate\" -> "
        "{\"reason\": \"It talks like a pirate.\", \"pass\": false, \"score\": 0.0}");
}

QString userMessage(const QString &templateName, const JudgeInput &in)
{
    if (templateName == u"closedqa")
        return block("Task", in.input) + block("Submission", in.output) + block("Criterion", in.rubric);
    if (templateName == u"factuality")
        return block("Question", in.input) + block("Expert", in.expected) + block("Submission", in.output);
    QString m = block("Output", in.output) + block("Rubric", in.rubric);
    if (!in.expected.isEmpty())
        m += block("Expected", in.expected);
    return m;
}

ExecutionRequest request(const JudgeSpec &spec, const JudgeInput &in, const Workspace &ws)
{
    ExecutionRequest r;
    r.executionType = ExecutionType::Test;
    if (!spec.agent.isEmpty()) {
        r.agentId = spec.agent;
        const AgentSpec *a = ws.agent(spec.agent);
        const QList<std::pair<const char *, QString>> offered = { { "output", in.output },
            { "rubric", in.rubric }, { "input", in.input }, { "expected", in.expected } };
        for (const auto &[name, value] : offered)
            if (a && a->signature.input(QLatin1String(name)))
                r.inputs.insert(QLatin1String(name), value);
        return r;
    }
    QJsonObject model = spec.model;
    if (spec.samples == 1 && !model.contains(QLatin1String("temperature")))
        model.insert(QStringLiteral("temperature"), 0);
    const QJsonObject field { { QStringLiteral("name"), QStringLiteral("request") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject verdict { { QStringLiteral("name"), QStringLiteral("verdict") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    r.agentSpec = QJsonObject { { QStringLiteral("id"), QLatin1String(kInlineAgentId) },
        { QStringLiteral("name"), QStringLiteral("judge (%1)").arg(spec.templateName) },
        { QStringLiteral("model"), model },
        { QStringLiteral("instructions"), systemPrompt(spec.templateName) },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), QJsonArray { field } },
                { QStringLiteral("outputs"), QJsonArray { verdict } } } } };
    r.inputs = QJsonObject { { QStringLiteral("request"), userMessage(spec.templateName, in) } };
    return r;
}

JudgeSample parseReply(const QString &templateName, const QString &reply)
{
    if (templateName == u"closedqa")
        return closedQa(reply);
    if (templateName == u"factuality")
        return factuality(reply);
    const std::optional<QJsonObject> o = firstObject(reply);
    if (!o) {
        JudgeSample s;
        s.error = QStringLiteral("malformed: no JSON verdict in the reply");
        return s;
    }
    return verdictOf(*o);
}

JudgeSample sampleFrom(const JudgeSpec &spec, const ExecutionRecord &record)
{
    JudgeSample s;
    if (record.status != ExecutionStatus::Completed) {
        s.error = record.errorMessage.isEmpty()
            ? QStringLiteral("the judge run ended %1").arg(toWire(record.status))
            : record.errorMessage;
    } else if (!spec.agent.isEmpty()) {
        s = verdictOf(record.outputData);
    } else {
        s = parseReply(spec.templateName, record.outputData.value(QLatin1String("verdict")).toString());
    }
    s.executionId = record.id;
    s.tokens = record.inputTokens + record.outputTokens;
    s.costUsd = record.costUsd;
    for (const StepRecord &st : record.steps)
        s.cached = s.cached || st.outputData.value(QLatin1String("cached")).toBool();
    return s;
}

AssertionOutcome aggregate(
    const EvalAssertion &a, const JudgeSpec &spec, const QList<JudgeSample> &samples, int index)
{
    AssertionOutcome out;
    out.index = index;
    out.type = a.type;
    out.label = a.label;
    out.weight = a.weight;
    out.metric = a.metric;
    out.judgeSamples = samples;
    out.judgeCostUsd = 0.0;
    int parsed = 0, passes = 0;
    double scores = 0;
    QString firstError;
    for (const JudgeSample &s : samples) {
        out.judgeTokens += s.tokens;
        if (!s.costUsd)
            out.judgeCostUsd.reset();
        else if (out.judgeCostUsd)
            *out.judgeCostUsd += *s.costUsd;
        if (s.parsed) {
            ++parsed;
            passes += s.pass ? 1 : 0;
            scores += s.score;
        } else if (firstError.isEmpty()) {
            firstError = s.error;
        }
    }
    const int n = int(samples.size());
    if (parsed == 0 || parsed < (n + 1) / 2) {
        out.errorKind = QStringLiteral("judge");
        out.error = QStringLiteral("judge: %1 of %2 samples gave a verdict (%3)")
                        .arg(parsed)
                        .arg(n)
                        .arg(firstError);
        return out;
    }
    const bool majority = passes * 2 > parsed; // a tie fails
    out.score = scores / parsed;
    out.pass = majority && (!spec.threshold || out.score >= *spec.threshold);
    for (const JudgeSample &s : samples) {
        if (s.parsed && s.pass == majority) {
            out.reason = s.reason;
            break;
        }
    }
    const QString tally = QStringLiteral("%1 of %2 samples pass").arg(passes).arg(parsed);
    out.reason = out.reason.isEmpty() ? tally : QStringLiteral("%1 (%2)").arg(out.reason, tally);
    if (spec.threshold && majority && !out.pass)
        out.reason
            += QStringLiteral("; score %1 is below the threshold %2").arg(out.score).arg(*spec.threshold);
    if (a.negate) {
        out.pass = !out.pass;
        out.score = 1 - out.score;
    }
    return out;
}

} // namespace judge
