#include "core/common/Util.h"
#include "core/metering/Pricing.h"
#include "core/providers/LlmCall.h"
#include "core/providers/SchemaSample.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QTimer>

#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

// The scripted provider (docs/workspace-format.md, "Agents"): in-process, deterministic, no network.
//
// Options, read from the agent's `model` object over the provider entry's defaults:
//   tokens_per_second  pace of the stream (default 80; 0 = as fast as possible)
//   ttft_ms            delay before the first token (default 200)
//   replies            array of fixed replies: a string (the reply text), an object (its
//                      compact JSON is the reply), or a tool turn {"tool_calls": [{"name",
//                      "arguments"?: {…} | "raw text", "id"?}], "content"?: "text said
//                      first"} (arguments left out are sampled from the tool's schema). Which
//                      one: with tools offered, or assistant turns already in the messages (an
//                      agent loop, a continued conversation), replies[k % n] for k = the number
//                      of assistant turns in the messages; otherwise each call takes the next
//                      one, cycling: the counter is per process and keyed by the provider id,
//                      the model object and the system message (so in practice per agent and
//                      model configuration); call k (0-based) answers replies[k % n].
//   fail_with          fail with this message ("scripted: <message>") after ttft_ms, or after
//                      `fail_after_tokens` tokens have streamed when that is set
//   fail_attempts      the first N attempts fail as retryable ("simulated overload") before
//                      the call proceeds; attempts beyond request.maxRetries fail the call
//   reply_tokens       length of the default raw-text reply in tokens (for benchmarks)
//   echo               true: the reply is the last user message, whatever else is set (what
//                      promptfoo's `echo` provider does; imported promptfoo configs use it)
// Without `replies` the reply is derived only from the request (same request -> same reply):
// raw text when the signature has a single str output (a short Markdown document when it is
// multiline), else a JSON object with a value per output field that respects its type,
// min/max, max_length and choices and reads like an answer built from the field's name and
// description (see "Default answers" below). The subject of the inputs appears in the str
// values, so a history search can find the run. An agent offered tools, without `replies`,
// first calls each of its tools once, arguments sampled from each tool's input schema (ids
// call_<turn>_<i>); once tool results follow the last user message it gives that answer
// (docs/tool-calls.md, "The scripted provider"). A malformed tool turn in `replies` fails the
// call like fail_with, saying where ("replies[0].tool_calls[1]: …").
//
// Streaming: the reply is cut into token-sized pieces (at most 4 characters, a leading space
// attached to the following word), one chunk signal with tokens = 1 per piece. At unlimited
// pace pieces go out in slices of 512 per event-loop turn, so cancel() stays responsive.
// Usage is estimated with estimateTokens() and flagged as estimated.

namespace {

constexpr int kSliceSize = 512;

QJsonValue option(const LlmRequest &r, const char *key)
{
    const QLatin1String k(key);
    if (r.model.raw.contains(k))
        return r.model.raw.value(k);
    return r.provider.raw.value(k);
}

QString replyCounterKey(const LlmRequest &r)
{
    QString system;
    for (const ChatMessage &m : r.messages)
        if (m.role == QLatin1String("system"))
            system += m.content;
    return r.provider.id + QLatin1Char('\x1f') + as::compactJson(r.model.raw) + QLatin1Char('\x1f') + system;
}

int nextReplyIndex(const QString &key)
{
    static QMutex mutex;
    static QHash<QString, int> counters;
    QMutexLocker lock(&mutex);
    return counters[key]++;
}

// --- Default answers -------------------------------------------------------------------
// Built from the output fields' names and descriptions and from the subject of the inputs, so
// the offline demo reads like the product: an enum picks one of its choices, numbers sit
// inside min/max, a list[str] holds short phrases that fit its field ("issues", "risks",
// "trends", "tags", …), a str is a sentence or two about the subject. Every choice is drawn
// from a hash of the request, never from a clock or a random source: same request, same reply.

// FNV-1a over UTF-16 code units: stable across processes (qHash is seeded per process).
quint32 stableHash(QStringView text, quint32 h = 2166136261u)
{
    for (QChar c : text) {
        h ^= c.unicode();
        h *= 16777619u;
    }
    return h;
}

QString userMessage(const LlmRequest &r)
{
    QString user;
    for (const ChatMessage &m : r.messages)
        if (m.role == QLatin1String("user"))
            user += m.content + QLatin1Char('\n');
    return user;
}

// The value text of input `name` in the user message ("name: value" or "name:\nvalue", see
// buildPrompt), up to its first non-empty line.
// A plain search, not a regular expression: compiling one per call was most of the cost of a
// scripted call at unlimited pace (the agent loop runs many).
QString inputLine(const QString &user, const QString &name)
{
    const QString key = name + QLatin1Char(':');
    for (qsizetype at = user.indexOf(key); at >= 0; at = user.indexOf(key, at + 1)) {
        if (at > 0 && user.at(at - 1) != QLatin1Char('\n'))
            continue; // not at the start of a line
        qsizetype p = at + key.size();
        const qsizetype gap = p;
        while (p < user.size() && (user.at(p) == QLatin1Char(' ') || user.at(p) == QLatin1Char('\n')))
            ++p;
        if (p == gap)
            continue; // "name:value" is not an input line
        const qsizetype end = user.indexOf(QLatin1Char('\n'), p);
        return user.mid(p, end < 0 ? -1 : end - p).trimmed();
    }
    return {};
}

// A short subject from one line of input: Markdown marks, a greeting and everything after the
// first sentence dropped, at most about 60 characters cut at a word.
QString shortSubject(QString line)
{
    static const QRegularExpression marks(QStringLiteral("^[#>*\\-\\s]+|[*_`]+"));
    static const QRegularExpression greeting(
        QStringLiteral("^(?:hi|hello|hey|dear [^,]*)[,!]?\\s+"), QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression sentenceEnd(QStringLiteral("[.!?](?:\\s|$)"));
    line.remove(marks);
    line.remove(greeting);
    // "Heat pumps: yes, with care." (a reply of this provider, or a heading) -> "Heat pumps";
    // "Re: login loop" -> "login loop".
    if (const qsizetype colon = line.indexOf(QLatin1String(": ")); colon > 0) {
        const QString before = line.left(colon).simplified();
        line = before.contains(QLatin1Char(' ')) ? before : line.mid(colon + 2);
    }
    const QRegularExpressionMatch end = sentenceEnd.match(line);
    if (end.hasMatch())
        line.truncate(end.capturedStart());
    line = line.simplified();
    while (!line.isEmpty() && QStringLiteral(".,;:!?").contains(line.back()))
        line.chop(1);
    if (line.size() > 60) {
        const qsizetype cut = line.lastIndexOf(QLatin1Char(' '), 60);
        line.truncate(cut > 20 ? cut : 60);
    }
    if (!line.isEmpty() && line.front().isLower())
        line[0] = line.front().toUpper();
    return line;
}

// What the inputs are about: a topic-like str input first, then any str input, then the
// first value in the user message. Empty when there is nothing to go on.
QString subjectOf(const LlmRequest &r, const QString &user)
{
    static const QStringList preferred = { QStringLiteral("topic"), QStringLiteral("subject"),
        QStringLiteral("title"), QStringLiteral("question"), QStringLiteral("query"), QStringLiteral("task"),
        QStringLiteral("goal"), QStringLiteral("text"), QStringLiteral("draft"), QStringLiteral("ticket"),
        QStringLiteral("message") };
    QStringList names;
    for (const QString &p : preferred)
        if (const FieldSpec *f = r.signature.input(p); f && f->type == FieldType::Str)
            names << p;
    for (const FieldSpec &f : r.signature.inputs)
        if (f.type == FieldType::Str && !names.contains(f.name))
            names << f.name;
    for (const QString &name : std::as_const(names)) {
        const QString s = shortSubject(inputLine(user, name));
        if (!s.isEmpty())
            return s;
    }
    const qsizetype colon = user.indexOf(QLatin1Char(':'));
    return colon < 0 ? QString()
                     : shortSubject(user.mid(colon + 1).trimmed().section(QLatin1Char('\n'), 0, 0));
}

// The subject inside a sentence: "heat pumps", but "Q3 revenue" and "EU rules" keep their case.
QString inSentence(const QString &subject)
{
    if (subject.size() > 1 && subject.at(0).isUpper() && subject.at(1).isLower())
        return subject.at(0).toLower() + subject.mid(1);
    return subject;
}

// "mitigations_known" -> "mitigations known"; "growthRates" -> "growth rates".
QString humanName(const QString &name)
{
    QString out;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const QChar c = name.at(i);
        if (c == QLatin1Char('_') || c == QLatin1Char('-'))
            out += QLatin1Char(' ');
        else if (c.isUpper() && i > 0 && name.at(i - 1).isLower())
            out += QLatin1Char(' ') + c.toLower();
        else
            out += c;
    }
    return out.simplified();
}

QString singular(const QString &word)
{
    if (word.endsWith(QLatin1String("ies")) && word.size() > 4)
        return word.chopped(3) + QLatin1Char('y');
    if (word.endsWith(QLatin1String("ss")) || word.size() < 4)
        return word;
    if (word.endsWith(QLatin1Char('s')))
        return word.chopped(1);
    return word;
}

QString capitalized(QString s)
{
    if (!s.isEmpty())
        s[0] = s.front().toUpper();
    return s;
}

// What a field is for, guessed from its name and description.
enum class Kind {
    Issue,
    Risk,
    Trend,
    Action,
    Tag,
    Reason,
    Title,
    Summary,
    Question,
    Feedback,
    Recommendation,
    Answer,
    Other
};

Kind kindOf(const FieldSpec &f)
{
    const QString text = (humanName(f.name) + QLatin1Char(' ') + f.desc).toLower();
    auto has = [&text](std::initializer_list<const char *> words) {
        for (const char *w : words)
            if (text.contains(QLatin1String(w)))
                return true;
        return false;
    };
    // Name before description: "issues" with desc "Concrete problems" is an issue either way,
    // but a field named "trends" described as "risks to watch" is still about trends.
    const QString name = humanName(f.name).toLower();
    auto named = [&name](std::initializer_list<const char *> words) {
        for (const char *w : words)
            if (name.contains(QLatin1String(w)))
                return true;
        return false;
    };
    const std::initializer_list<const char *> issue
        = { "issue", "problem", "weakness", "error", "flaw", "gap", "fix" };
    const std::initializer_list<const char *> risk = { "risk", "threat", "concern", "danger" };
    const std::initializer_list<const char *> trend = { "trend", "opportunit", "driver", "growth", "signal" };
    const std::initializer_list<const char *> action = { "step", "action", "todo", "task", "next" };
    const std::initializer_list<const char *> tag = { "tag", "keyword", "label", "categor", "topic" };
    const std::initializer_list<const char *> reason
        = { "reason", "rationale", "why", "justif", "explanation" };
    const std::initializer_list<const char *> title = { "title", "headline", "heading", "subject" };
    const std::initializer_list<const char *> summary
        = { "summary", "overview", "abstract", "gist", "tl;dr" };
    const std::initializer_list<const char *> question = { "question", "query", "ask" };
    const std::initializer_list<const char *> feedback
        = { "feedback", "comment", "critique", "review", "note" };
    const std::initializer_list<const char *> recommendation
        = { "recommend", "advice", "decision", "plan", "verdict" };
    const std::pair<Kind, std::initializer_list<const char *>> kinds[]
        = { { Kind::Issue, issue }, { Kind::Risk, risk }, { Kind::Trend, trend }, { Kind::Action, action },
              { Kind::Tag, tag }, { Kind::Reason, reason }, { Kind::Title, title },
              { Kind::Summary, summary }, { Kind::Question, question }, { Kind::Feedback, feedback },
              { Kind::Recommendation, recommendation } };
    for (const auto &[kind, words] : kinds)
        if (named(words))
            return kind;
    for (const auto &[kind, words] : kinds)
        if (has(words))
            return kind;
    if (has({ "answer", "reply", "response", "text", "brief", "body", "content", "draft", "report",
            "description" }))
        return Kind::Answer;
    return Kind::Other;
}

// Cuts text to at most `max` characters, at a word when one ends close enough.
QString fitLength(QString text, const FieldSpec &f)
{
    if (!f.maxLength || text.size() <= *f.maxLength)
        return text;
    const int max = qMax(0, *f.maxLength);
    const qsizetype cut = text.lastIndexOf(QLatin1Char(' '), max);
    text.truncate(cut > max / 2 ? cut : max);
    while (!text.isEmpty() && QStringLiteral(" ,;:-").contains(text.back()))
        text.chop(1);
    return text;
}

struct AnswerContext
{
    QString user; // the user message
    quint32 seed = 0; // stableHash(user): every choice starts from it
    QString subject; // "Heat pumps in cold climates", or empty
    QStringList references; // tokens with digits such as order ids ("#A-1042")
    QList<FieldSpec> inputs; // of the signature (tags pick from a list input's values)

    quint32 hash(const FieldSpec &f, int salt = 0) const
    {
        return stableHash(QString(f.name + QLatin1Char('\x1f') + QString::number(salt)), seed);
    }
    QString about() const { return subject.isEmpty() ? QStringLiteral("this request") : inSentence(subject); }
    QString lead() const { return subject.isEmpty() ? QStringLiteral("This request") : subject; }
};

AnswerContext answerContext(const LlmRequest &r)
{
    AnswerContext c;
    c.user = userMessage(r);
    c.seed = stableHash(c.user);
    c.subject = subjectOf(r, c.user);
    c.inputs = r.signature.inputs;
    static const QRegularExpression ref(QStringLiteral("#?[A-Za-z]*-?\\d[\\w-]*\\d[\\w]*|#[A-Za-z0-9-]+"));
    QString values = c.user;
    for (const FieldSpec &f : r.signature.inputs)
        values.replace(f.name + QLatin1Char(':'), QStringLiteral(" "));
    for (auto it = ref.globalMatch(values); it.hasNext() && c.references.size() < 3;) {
        const QString t = it.next().captured();
        if (t.size() >= 3 && (t.startsWith(QLatin1Char('#')) || t.contains(QLatin1Char('-')))
            && !c.references.contains(t))
            c.references << t;
    }
    return c;
}

// Three short phrases for a list[str] field; `%1` in a phrase is the subject.
QStringList phrasesFor(const FieldSpec &f, const AnswerContext &c)
{
    QStringList pool;
    switch (kindOf(f)) {
    case Kind::Issue:
        pool = { QStringLiteral("The opening does not lead with the main point"),
            QStringLiteral("No source is given for the key figures"),
            QStringLiteral("Some terms need a short explanation for this audience"),
            QStringLiteral("The conclusion repeats the introduction"),
            QStringLiteral("The part on %1 needs an example") };
        break;
    case Kind::Risk:
        pool = { QStringLiteral("Rules for %1 may change"),
            QStringLiteral("Upfront costs stay higher than planned"),
            QStringLiteral("Adoption is slower than forecast"), QStringLiteral("Supply chain delays"),
            QStringLiteral("Safety and compliance requirements") };
        break;
    case Kind::Trend:
        pool = { QStringLiteral("Falling costs of %1"), QStringLiteral("Wider adoption by mid-size buyers"),
            QStringLiteral("Supportive public policy"), QStringLiteral("New entrants and partnerships"),
            QStringLiteral("Better tools and shared standards") };
        break;
    case Kind::Action:
        pool = { QStringLiteral("Collect baseline figures for %1"), QStringLiteral("Run a small pilot"),
            QStringLiteral("Review the results with the team"), QStringLiteral("Decide on a wider rollout"),
            QStringLiteral("Write down what was learned") };
        break;
    case Kind::Tag: {
        // Prefer the values of a list input named alike ("known_tags" for "tags") that the
        // message mentions; else keywords of the subject.
        QStringList tags;
        const QString stem = singular(humanName(f.name).toLower().section(QLatin1Char(' '), -1));
        for (const FieldSpec &in : c.inputs) {
            if (in.type != FieldType::ListStr || !in.name.toLower().contains(stem))
                continue;
            const QString line = inputLine(c.user, in.name);
            const QString rest = QString(c.user).remove(line);
            const QJsonArray known = QJsonDocument::fromJson(line.toUtf8()).array();
            for (const QJsonValue &v : known) {
                const QString t = v.toString();
                // "refund" is mentioned by "refunded", "login" by "login screen".
                if (!t.isEmpty() && rest.contains(t.left(qMax(4, int(t.size()) - 1)), Qt::CaseInsensitive))
                    tags << t;
            }
            if (tags.isEmpty() && !known.isEmpty())
                tags << known.at(int(c.hash(f) % quint32(known.size()))).toString();
        }
        if (tags.isEmpty()) {
            static const QRegularExpression word(QStringLiteral("[\\p{L}][\\p{L}-]{3,}"));
            static const QStringList stop
                = { QStringLiteral("with"), QStringLiteral("from"), QStringLiteral("that"),
                      QStringLiteral("this"), QStringLiteral("about"), QStringLiteral("after"),
                      QStringLiteral("into"), QStringLiteral("their"), QStringLiteral("there"),
                      QStringLiteral("have"), QStringLiteral("keeps"), QStringLiteral("please") };
            for (auto it = word.globalMatch(c.subject); it.hasNext() && tags.size() < 3;) {
                const QString w = it.next().captured().toLower();
                if (!stop.contains(w) && !tags.contains(w))
                    tags << w;
            }
        }
        if (tags.isEmpty())
            tags << QStringLiteral("general");
        return tags;
    }
    default: {
        const QString noun = capitalized(singular(humanName(f.name)));
        pool = { noun + QStringLiteral(" on cost"), noun + QStringLiteral(" on timing"),
            noun + QStringLiteral(" on quality"), noun + QStringLiteral(" on scope"),
            noun + QStringLiteral(" on who is affected") };
        break;
    }
    }
    QStringList out;
    const int start = int(c.hash(f) % quint32(pool.size()));
    for (int i = 0; i < 3; ++i)
        out << fitLength(
            QString(pool.at((start + i) % pool.size())).replace(QStringLiteral("%1"), c.about()), f);
    return out;
}

// What a str field says about the subject, without the subject: "yes, with care. Start …".
QString claimFor(const FieldSpec &f, const AnswerContext &c)
{
    const bool second = c.hash(f) & 1;
    switch (kindOf(f)) {
    case Kind::Recommendation:
        return QStringLiteral(
            "go ahead, starting small. The upside outweighs the risks as long as cost and timing "
            "are tracked and the plan is reviewed after the first results.");
    case Kind::Reason:
        return QStringLiteral("it fits the stated goal, and its main risks have known mitigations.");
    case Kind::Title:
        return {};
    case Kind::Summary:
        return second
            ? QStringLiteral("workable today, with cost and adoption as the main open questions.")
            : QStringLiteral("worth pursuing where the numbers add up; cost and timing are the open "
                             "questions.");
    case Kind::Question:
        return QStringLiteral("what would change the outlook in the next two years?");
    case Kind::Feedback:
    case Kind::Issue:
        return QStringLiteral("clear and well organised. Tighten the opening and back the main claim with a "
                              "source.");
    case Kind::Risk:
    case Kind::Trend:
    case Kind::Action:
    case Kind::Tag:
    case Kind::Answer:
        return second
            ? QStringLiteral("yes, with care. Start with the most common case, measure the result and "
                             "adjust from there.")
            : QStringLiteral("the case is strong once the limits are understood. The main trade-off is a "
                             "higher upfront cost against lower running costs.");
    case Kind::Other:
        break;
    }
    return QStringLiteral("the %1 covers the main points and the next step.").arg(humanName(f.name));
}

// A sentence or two for a str field. It leads with the subject ("Heat pumps: yes, with care.
// …"), so a chain of scripted agents keeps the original subject in view: subjectOf() reads
// it back from the part before the colon.
QString sentenceFor(const FieldSpec &f, const AnswerContext &c)
{
    const QString claim = claimFor(f, c);
    if (claim.isEmpty())
        return fitLength(c.subject.isEmpty() ? QStringLiteral("Notes on the request") : c.subject, f);
    return fitLength(c.lead() + QStringLiteral(": ") + claim, f);
}

// A short Markdown document for a multiline text output (a brief, a report): the subject as
// its heading, the claim, three points.
QString documentFor(const FieldSpec &f, const AnswerContext &c)
{
    QStringList parts;
    const QString claim = claimFor(f, c);
    if (c.subject.isEmpty() || claim.isEmpty())
        parts << sentenceFor(f, c);
    else
        parts << QStringLiteral("## ") + c.subject << capitalized(claim);
    if (kindOf(f) == Kind::Recommendation)
        parts << QStringLiteral("- **Why:** the expected gains are larger than the risks found.\n"
                                "- **First step:** a pilot with a clear budget and a date to decide.\n"
                                "- **Watch:** cost per unit and how fast people take it up.");
    else
        parts << QStringLiteral("- **What it is:** a practical option for most cases, with clear limits.\n"
                                "- **What it costs:** more up front, less over time.\n"
                                "- **What to do next:** run a small pilot and measure the result.");
    return fitLength(parts.join(QStringLiteral("\n\n")), f);
}

double clampTo(double v, const FieldSpec &f)
{
    if (f.min && v < *f.min)
        v = *f.min;
    if (f.max && v > *f.max)
        v = *f.max;
    return v;
}

// A fraction in [0.55, 0.9): answers sit in the upper middle of a range, as real ones tend to.
double fractionFor(quint32 h)
{
    return 0.55 + double(h % 35) / 100.0;
}

qint64 integerFor(const FieldSpec &f, quint32 h)
{
    double v;
    if (f.min && f.max)
        v = std::round(*f.min + (*f.max - *f.min) * fractionFor(h));
    else if (f.min)
        v = std::ceil(*f.min) + double(h % 10);
    else if (f.max)
        v = std::floor(*f.max) - double(h % 4);
    else
        v = 2 + double(h % 11);
    qint64 i = qint64(std::ceil(clampTo(v, f)));
    if (f.max && double(i) > *f.max)
        i = qint64(std::floor(*f.max));
    return i;
}

double floatFor(const FieldSpec &f, quint32 h)
{
    const QString text = (f.name + QLatin1Char(' ') + f.desc).toLower();
    const bool percent = text.contains(QLatin1String("percent")) || text.contains(QLatin1String("rate"))
        || text.contains(QLatin1Char('%'));
    double v;
    if (f.min && f.max)
        v = *f.min + (*f.max - *f.min) * fractionFor(h);
    else if (f.min)
        v = *f.min + double(h % 100) / 10.0;
    else if (f.max)
        v = *f.max > 0 ? *f.max * fractionFor(h) : *f.max - fractionFor(h);
    else
        v = percent ? 2.0 + double(h % 360) / 10.0 : fractionFor(h);
    // Two decimals read like an estimate; keep the exact bound when rounding crosses it.
    const double rounded = std::round(v * 100.0) / 100.0;
    return clampTo(rounded != 0.0 || v == 0.0 ? rounded : v, f);
}

// An object for a json field: the keys of an example object in its description
// ({"opportunity": 7, …}) with values of the same kind, else the subject and references.
QJsonObject objectFor(const FieldSpec &f, const AnswerContext &c)
{
    static const QRegularExpression pair(
        QStringLiteral("\"([A-Za-z_][A-Za-z0-9_]*)\"\\s*:\\s*(\"[^\"]*\"|-?\\d+(\\.\\d+)?|true|false)"));
    QJsonObject o;
    int i = 0;
    for (auto it = pair.globalMatch(f.desc); it.hasNext(); ++i) {
        const QRegularExpressionMatch m = it.next();
        const QString v = m.captured(2);
        const quint32 h = c.hash(f, i);
        if (v.startsWith(QLatin1Char('"')))
            o.insert(m.captured(1), c.subject.isEmpty() ? v.mid(1, v.size() - 2) : c.subject);
        else if (v == QLatin1String("true") || v == QLatin1String("false"))
            o.insert(m.captured(1), bool(h & 1));
        else if (!m.captured(3).isEmpty())
            o.insert(m.captured(1), std::round(fractionFor(h) * 100.0) / 100.0);
        else
            o.insert(m.captured(1), qint64(3 + h % 7));
    }
    if (!o.isEmpty())
        return o;
    o.insert(QStringLiteral("summary"), c.subject.isEmpty() ? QStringLiteral("No details given") : c.subject);
    if (!c.references.isEmpty())
        o.insert(QStringLiteral("references"), QJsonArray::fromStringList(c.references));
    return o;
}

QJsonValue plausibleValue(const FieldSpec &f, const AnswerContext &c)
{
    switch (f.type) {
    case FieldType::Str:
        return f.multiline ? documentFor(f, c) : sentenceFor(f, c);
    case FieldType::Int:
        return integerFor(f, c.hash(f));
    case FieldType::Float:
        return floatFor(f, c.hash(f));
    case FieldType::Bool:
        return bool(c.hash(f) & 1);
    case FieldType::Enum: {
        if (f.choices.isEmpty())
            return QString();
        // A choice the inputs name ("audience: executive") wins; else one drawn from the hash.
        for (const QString &choice : f.choices) {
            const QRegularExpression word(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(choice)),
                QRegularExpression::CaseInsensitiveOption);
            if (word.match(c.user).hasMatch())
                return choice;
        }
        // Else one of the first two: choices tend to run from the usual to the rare (approve,
        // revise, reject), and a demo reads better without a reject beside a score of 8.
        return f.choices.at(int(c.hash(f) % quint32(qMin(2, int(f.choices.size())))));
    }
    case FieldType::ListStr:
        return QJsonArray::fromStringList(phrasesFor(f, c));
    case FieldType::ListInt: {
        QJsonArray a;
        for (int i = 0; i < 3; ++i)
            a.append(integerFor(f, c.hash(f, i + 1)));
        return a;
    }
    case FieldType::ListFloat: {
        QJsonArray a;
        for (int i = 0; i < 3; ++i)
            a.append(floatFor(f, c.hash(f, i + 1)));
        return a;
    }
    case FieldType::Json:
        return objectFor(f, c);
    }
    return QJsonValue();
}

QString defaultReply(const LlmRequest &r, int replyTokens)
{
    const AnswerContext context = answerContext(r);
    const Signature &sig = r.signature;
    if (sig.outputs.isEmpty() || sig.rawTextOutput()) {
        FieldSpec text;
        if (!sig.outputs.isEmpty())
            text = sig.outputs.first();
        else
            text.name = QStringLiteral("answer");
        const bool document
            = text.multiline || text.desc.contains(QLatin1String("markdown"), Qt::CaseInsensitive);
        FieldSpec unbounded = text;
        unbounded.maxLength.reset();
        QString reply = document ? documentFor(unbounded, context) : sentenceFor(unbounded, context);
        if (replyTokens > 0) {
            // Pad to about replyTokens pieces of 4 characters (benchmarks).
            const QString base = reply + QLatin1Char(' ');
            const qsizetype want = qsizetype(replyTokens) * 4;
            reply.reserve(want + base.size());
            while (reply.size() < want)
                reply += base;
            reply.truncate(want);
        }
        if (text.maxLength && reply.size() > *text.maxLength)
            reply = fitLength(reply, text);
        return reply;
    }
    QJsonObject o;
    for (const FieldSpec &f : sig.outputs)
        o.insert(f.name, plausibleValue(f, context));
    return as::compactJson(o);
}

// --- Tool turns ------------------------------------------------------------------------

// What one call answers: text, tool calls, or why the scripted reply cannot be played.
struct Turn
{
    QString text;
    QList<ModelToolCall> toolCalls;
    QString error;
};

int assistantTurns(const LlmRequest &r)
{
    int n = 0;
    for (const ChatMessage &m : r.messages)
        n += m.role == QLatin1String("assistant");
    return n;
}

// Tool results after the last user message: the tools of this exchange have run.
bool toolResultsSinceLastUser(const LlmRequest &r)
{
    for (auto it = r.messages.crbegin(); it != r.messages.crend(); ++it) {
        if (it->role == QLatin1String("tool"))
            return true;
        if (it->role == QLatin1String("user"))
            return false;
    }
    return false;
}

QString callId(int turn, int index)
{
    return QStringLiteral("call_%1_%2").arg(turn).arg(index);
}

// From the last user message: in a continued conversation, the newest question.
schemasample::Hints hintsFor(const LlmRequest &r)
{
    LlmRequest last;
    last.signature = r.signature;
    for (auto it = r.messages.crbegin(); it != r.messages.crend() && last.messages.isEmpty(); ++it)
        if (it->role == QLatin1String("user"))
            last.messages.append(*it);
    const AnswerContext c = answerContext(last);
    return { c.subject, c.references };
}

QJsonObject sampledArguments(const LlmRequest &r, const QString &tool, const schemasample::Hints &hints)
{
    for (const ToolDefinition &t : r.tools)
        if (t.name == tool)
            return schemasample::sampleFor(t.inputSchema, hints).toObject();
    return {}; // a tool the agent is not offered: the loop answers with an error result
}

Turn defaultToolTurn(const LlmRequest &r, int turn)
{
    Turn t;
    const schemasample::Hints hints = hintsFor(r);
    for (const ToolDefinition &tool : r.tools)
        t.toolCalls.append(ModelToolCall::fromObject(callId(turn, int(t.toolCalls.size())), tool.name,
            schemasample::sampleFor(tool.inputSchema, hints).toObject()));
    return t;
}

// A `replies` entry played as turn `turn`; `where` names it in errors ("replies[1]").
Turn scriptedTurn(const QJsonValue &v, const LlmRequest &r, int turn, const QString &where)
{
    Turn t;
    const QJsonObject o = v.toObject();
    if (!v.isObject() || !o.contains(QLatin1String("tool_calls"))) {
        t.text = v.isString() ? v.toString() : as::compactJson(v);
        return t;
    }
    t.text = o.value(QLatin1String("content")).toString();
    const QJsonValue calls = o.value(QLatin1String("tool_calls"));
    if (!calls.isArray()) {
        t.error = where + QStringLiteral(".tool_calls: expected an array of calls");
        return t;
    }
    std::optional<schemasample::Hints> hints; // only when an argument is left out
    const QJsonArray list = calls.toArray();
    for (int i = 0; i < list.size(); ++i) {
        const QJsonObject c = list.at(i).toObject();
        const QString at = QStringLiteral("%1.tool_calls[%2]").arg(where).arg(i);
        const QString name = c.value(QLatin1String("name")).toString();
        if (name.isEmpty()) {
            t.error = at + QStringLiteral(": expected an object with a \"name\" string");
            return t;
        }
        const QString id = c.value(QLatin1String("id")).toString(callId(turn, i));
        const QJsonValue args = c.value(QLatin1String("arguments"));
        if (args.isString()) { // raw text, as a model might write it (invalid JSON included)
            t.toolCalls.append(ModelToolCall::fromText(id, name, args.toString()));
        } else if (args.isObject()) {
            t.toolCalls.append(ModelToolCall::fromObject(id, name, args.toObject()));
        } else if (args.isUndefined()) {
            if (!hints)
                hints = hintsFor(r);
            t.toolCalls.append(ModelToolCall::fromObject(id, name, sampledArguments(r, name, *hints)));
        } else {
            t.error = at + QStringLiteral(".arguments: expected an object or a JSON text");
            return t;
        }
    }
    return t;
}

// The content of the last user message ("" when there is none).
QString lastUserMessage(const LlmRequest &r)
{
    for (auto it = r.messages.crbegin(); it != r.messages.crend(); ++it)
        if (it->role == QLatin1String("user"))
            return it->content;
    return {};
}

Turn chooseTurn(const LlmRequest &r, int replyTokens)
{
    if (option(r, "echo").toBool())
        return { lastUserMessage(r), {}, {} };
    const QJsonArray replies = option(r, "replies").toArray();
    const int turn = assistantTurns(r);
    if (!replies.isEmpty()) {
        const int k = !r.tools.isEmpty() || turn > 0 ? turn : nextReplyIndex(replyCounterKey(r));
        const int i = k % int(replies.size());
        return scriptedTurn(replies.at(i), r, turn, QStringLiteral("replies[%1]").arg(i));
    }
    if (!r.tools.isEmpty() && !toolResultsSinceLastUser(r))
        return defaultToolTurn(r, turn);
    return { defaultReply(r, replyTokens), {}, {} };
}

class ScriptedCall final : public LlmCall
{
public:
    ScriptedCall(const LlmRequest &request, QObject *parent)
        : LlmCall(parent)
        , m_request(request)
    {
        m_tokensPerSecond = qMax(0.0, option(request, "tokens_per_second").toDouble(80));
        m_ttftMs = qMax(0, option(request, "ttft_ms").toInt(200));
        const QJsonValue fail = option(request, "fail_with");
        if (fail.isString() && !fail.toString().isEmpty())
            m_failWith = fail.toString();
        m_failAfterTokens = option(request, "fail_after_tokens").toInt(-1);
        m_failAttempts = qMax(0, option(request, "fail_attempts").toInt(0));

        Turn turn = chooseTurn(request, option(request, "reply_tokens").toInt(0));
        m_reply = std::move(turn.text);
        m_toolCalls = std::move(turn.toolCalls);
        if (!turn.error.isEmpty()) { // fails after ttft_ms, like fail_with
            m_failWith = turn.error;
            m_failAfterTokens = -1;
        }

        m_timer.setSingleShot(false);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
    }

    void start() override
    {
        if (m_started)
            return;
        m_started = true;
        m_clock.start();
        beginAttempt();
    }

    void cancel() override
    {
        if (m_finished)
            return;
        finish(false, true, QString());
    }

private:
    enum class Phase { WaitingFirstToken, Streaming };

    void beginAttempt()
    {
        m_phase = Phase::WaitingFirstToken;
        m_timer.stop();
        m_timer.setInterval(m_ttftMs);
        m_timer.start();
    }

    void tick()
    {
        if (m_finished)
            return;
        if (m_phase == Phase::WaitingFirstToken) {
            if (m_attempt <= m_failAttempts) {
                const QString err
                    = QStringLiteral("scripted: simulated overload (attempt %1)").arg(m_attempt);
                if (m_attempt > m_request.maxRetries) {
                    finish(false, false, err);
                    return;
                }
                emit attemptFailed(m_attempt, err, 0);
                ++m_attempt;
                beginAttempt();
                return;
            }
            if (!m_failWith.isEmpty() && m_failAfterTokens <= 0) {
                finish(false, false, QStringLiteral("scripted: ") + m_failWith);
                return;
            }
            m_phase = Phase::Streaming;
            m_streamClock.start();
            m_timer.stop();
            m_timer.setInterval(m_tokensPerSecond > 0 ? qBound(1, int(1000.0 / m_tokensPerSecond), 1000) : 0);
            m_timer.start();
            // The first token goes out at ttft.
        }
        int budget = kSliceSize;
        if (m_tokensPerSecond > 0) {
            const qint64 due = qint64(double(m_streamClock.elapsed()) * m_tokensPerSecond / 1000.0) + 1;
            budget = int(qBound<qint64>(0, due - m_emittedTokens, qint64(kSliceSize)));
        }
        for (int i = 0; i < budget; ++i) {
            if (finishIfDone())
                return;
            emitPiece();
        }
        finishIfDone();
    }

    // Ends the call once the reply is out (or the scripted failure point is reached).
    bool finishIfDone()
    {
        const bool failing = !m_failWith.isEmpty();
        if (failing && m_failAfterTokens > 0 && m_emittedTokens >= m_failAfterTokens) {
            finish(false, false, QStringLiteral("scripted: ") + m_failWith);
            return true;
        }
        if (m_pos >= m_reply.size()) {
            if (failing)
                finish(false, false, QStringLiteral("scripted: ") + m_failWith);
            else
                finish(true, false, QString());
            return true;
        }
        return false;
    }

    void emitPiece()
    {
        const qsizetype n = m_reply.size();
        qsizetype end = m_pos + 1;
        while (end < n && end - m_pos < 4 && !m_reply.at(end).isSpace())
            ++end;
        // Never split a surrogate pair.
        if (end < n && m_reply.at(end).isLowSurrogate())
            ++end;
        if (m_ttft < 0)
            m_ttft = m_clock.elapsed();
        const QString piece = m_reply.mid(m_pos, end - m_pos);
        m_pos = end;
        ++m_emittedTokens;
        emit chunk(piece, 1);
    }

    void finish(bool ok, bool cancelled, const QString &error)
    {
        m_finished = true;
        m_timer.stop();
        LlmResult r;
        r.ok = ok;
        r.cancelled = cancelled;
        r.text = m_reply.left(m_pos);
        r.error = cancelled ? QStringLiteral("cancelled") : error;
        if (ok)
            r.toolCalls = m_toolCalls;
        QString prompt;
        for (const ChatMessage &m : m_request.messages) {
            prompt += m.content + QLatin1Char('\n');
            for (const ModelToolCall &c : m.toolCalls)
                prompt += c.name + QLatin1Char(' ') + c.argumentsJson() + QLatin1Char('\n');
        }
        r.usage.inputTokens = estimateTokens(prompt);
        r.usage.outputTokens = estimateTokens(r.text);
        for (const ModelToolCall &c : std::as_const(r.toolCalls))
            r.usage.outputTokens += estimateTokens(c.name) + estimateTokens(c.argumentsText);
        r.usage.estimated = true;
        r.responseModel = m_request.model.name;
        r.finishReason = !ok        ? (cancelled ? QStringLiteral("cancelled") : QStringLiteral("error"))
            : r.toolCalls.isEmpty() ? QStringLiteral("stop")
                                    : QStringLiteral("tool_calls");
        r.ttftMs = m_ttft;
        r.attempts = m_attempt;
        emit finished(r);
    }

    LlmRequest m_request;
    QString m_reply;
    QList<ModelToolCall> m_toolCalls; // given with a successful finish
    QString m_failWith;
    double m_tokensPerSecond = 80;
    int m_ttftMs = 200;
    int m_failAfterTokens = -1;
    int m_failAttempts = 0;
    int m_attempt = 1;
    qsizetype m_pos = 0;
    qint64 m_emittedTokens = 0;
    qint64 m_ttft = -1;
    bool m_started = false;
    bool m_finished = false;
    Phase m_phase = Phase::WaitingFirstToken;
    QTimer m_timer;
    QElapsedTimer m_clock;
    QElapsedTimer m_streamClock;
};

} // namespace

LlmCall *createScriptedCall(const LlmRequest &request, QObject *parent)
{
    return new ScriptedCall(request, parent);
}
