#include "core/common/Util.h"
#include "core/metering/Pricing.h"
#include "core/providers/LlmCall.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QSet>
#include <QTimer>

#include <cmath>

// The scripted provider (docs/workspace-format.md, "Agents"): in-process, deterministic, no network.
//
// Options, read from the agent's `model` object over the provider entry's defaults:
//   tokens_per_second  pace of the stream (default 80; 0 = as fast as possible)
//   ttft_ms            delay before the first token (default 200)
//   replies            array of fixed reply strings. Each call takes the next one, cycling:
//                      the counter is per process and keyed by the provider id, the model
//                      object and the system message (so in practice per agent and model
//                      configuration); call k (0-based) answers replies[k % n].
//   fail_with          fail with this message ("scripted: <message>") after ttft_ms, or after
//                      `fail_after_tokens` tokens have streamed when that is set
//   fail_attempts      the first N attempts fail as retryable ("simulated overload") before
//                      the call proceeds; attempts beyond request.maxRetries fail the call
//   reply_tokens       length of the default raw-text reply in tokens (for benchmarks)
// Without `replies` the reply is derived only from the request (same request -> same reply):
// raw text when the signature has a single str output, else a JSON object with a value per
// output field that respects its type, min/max, max_length and choices. Words of the user
// message (the inputs) appear in the str values, so a history search can find the run.
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

QStringList inputWords(const LlmRequest &r)
{
    QString user;
    for (const ChatMessage &m : r.messages)
        if (m.role == QLatin1String("user"))
            user += m.content + QLatin1Char(' ');
    static const QRegularExpression wordRe(QStringLiteral("[\\p{L}\\p{N}][\\p{L}\\p{N}'-]*"));
    // Distinct words only: a chain of scripted agents keeps the original words in view
    // instead of pushing them out with repeated "Scripted reply about …" prefixes.
    QStringList words;
    QSet<QString> seen;
    auto it = wordRe.globalMatch(user);
    while (it.hasNext() && words.size() < 16) {
        const QString w = it.next().captured();
        if (w.size() >= 2 && !seen.contains(w.toLower())) {
            seen.insert(w.toLower());
            words << w;
        }
    }
    return words;
}

double clampTo(double v, const FieldSpec &f)
{
    if (f.min && v < *f.min)
        v = *f.min;
    if (f.max && v > *f.max)
        v = *f.max;
    return v;
}

QJsonValue plausibleValue(const FieldSpec &f, const QStringList &words)
{
    const QString about = words.isEmpty() ? QStringLiteral("the given inputs") : words.join(QLatin1Char(' '));
    switch (f.type) {
    case FieldType::Str: {
        QString s = QStringLiteral("Scripted %1 about %2.").arg(f.name, about);
        if (f.maxLength && s.size() > *f.maxLength)
            s.truncate(qMax(0, *f.maxLength));
        return s;
    }
    case FieldType::Int: {
        double v = 42;
        if (f.min && f.max)
            v = std::floor((*f.min + *f.max) / 2);
        qint64 i = qint64(std::ceil(clampTo(v, f)));
        if (f.max && double(i) > *f.max)
            i = qint64(std::floor(*f.max));
        return i;
    }
    case FieldType::Float: {
        double v = 0.75;
        if (f.min && f.max)
            v = (*f.min + *f.max) / 2;
        return clampTo(v, f);
    }
    case FieldType::Bool:
        return true;
    case FieldType::Enum:
        return f.choices.isEmpty() ? QJsonValue(QString()) : QJsonValue(f.choices.first());
    case FieldType::ListStr: {
        QJsonArray a;
        for (const QString &w : words.mid(0, 3))
            a.append(w);
        if (a.isEmpty())
            a.append(QStringLiteral("item"));
        return a;
    }
    case FieldType::ListInt: {
        QJsonArray a;
        for (double v : {1.0, 2.0, 3.0})
            a.append(qint64(std::ceil(clampTo(v, f))));
        return a;
    }
    case FieldType::ListFloat: {
        QJsonArray a;
        for (double v : {0.25, 0.5})
            a.append(clampTo(v, f));
        return a;
    }
    case FieldType::Json:
        return QJsonObject{{QStringLiteral("source"), QStringLiteral("scripted")},
                           {QStringLiteral("about"), about}};
    }
    return QJsonValue();
}

QString defaultReply(const LlmRequest &r, int replyTokens)
{
    const QStringList words = inputWords(r);
    const Signature &sig = r.signature;
    if (sig.outputs.isEmpty() || sig.rawTextOutput()) {
        QString text = words.isEmpty()
            ? QStringLiteral("Scripted reply.")
            : QStringLiteral("Scripted reply about %1.").arg(words.join(QLatin1Char(' ')));
        if (replyTokens > 0) {
            // Pad to about replyTokens pieces of 4 characters (benchmarks).
            const QString base = text + QLatin1Char(' ');
            const qsizetype want = qsizetype(replyTokens) * 4;
            text.reserve(want + base.size());
            while (text.size() < want)
                text += base;
            text.truncate(want);
        }
        if (!sig.outputs.isEmpty() && sig.outputs.first().maxLength && text.size() > *sig.outputs.first().maxLength)
            text.truncate(*sig.outputs.first().maxLength);
        return text;
    }
    QJsonObject o;
    for (const FieldSpec &f : sig.outputs)
        o.insert(f.name, plausibleValue(f, words));
    return as::compactJson(o);
}

class ScriptedCall final : public LlmCall
{
public:
    ScriptedCall(const LlmRequest &request, QObject *parent)
        : LlmCall(parent), m_request(request)
    {
        m_tokensPerSecond = qMax(0.0, option(request, "tokens_per_second").toDouble(80));
        m_ttftMs = qMax(0, option(request, "ttft_ms").toInt(200));
        const QJsonValue fail = option(request, "fail_with");
        if (fail.isString() && !fail.toString().isEmpty())
            m_failWith = fail.toString();
        m_failAfterTokens = option(request, "fail_after_tokens").toInt(-1);
        m_failAttempts = qMax(0, option(request, "fail_attempts").toInt(0));

        const QJsonArray replies = option(request, "replies").toArray();
        if (!replies.isEmpty()) {
            const int k = nextReplyIndex(replyCounterKey(request));
            const QJsonValue v = replies.at(k % replies.size());
            m_reply = v.isString() ? v.toString() : as::compactJson(v);
        } else {
            m_reply = defaultReply(request, option(request, "reply_tokens").toInt(0));
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
                const QString err = QStringLiteral("scripted: simulated overload (attempt %1)").arg(m_attempt);
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
        QString prompt;
        for (const ChatMessage &m : m_request.messages)
            prompt += m.content + QLatin1Char('\n');
        r.usage.inputTokens = estimateTokens(prompt);
        r.usage.outputTokens = estimateTokens(r.text);
        r.usage.estimated = true;
        r.responseModel = m_request.model.name;
        r.finishReason = ok ? QStringLiteral("stop") : cancelled ? QStringLiteral("cancelled") : QStringLiteral("error");
        r.ttftMs = m_ttft;
        r.attempts = m_attempt;
        emit finished(r);
    }

    LlmRequest m_request;
    QString m_reply;
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
