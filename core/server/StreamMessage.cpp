#include "core/server/StreamMessage.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace {

StreamMessage bad(const QString &problem)
{
    StreamMessage m;
    m.problem = problem;
    return m;
}

} // namespace

StreamMessage StreamMessage::parse(const QString &text, qint64 lastSent)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return bad(QStringLiteral("expected a JSON object"));
    const QJsonObject o = doc.object();
    const QString type = o.value(QLatin1String("type")).toString();
    if (type == QLatin1String("ack")) {
        const QJsonValue seq = o.value(QLatin1String("seq"));
        const double v = seq.toDouble(-1);
        // Range first: converting a double beyond qint64 is undefined.
        if (!seq.isDouble() || !(v >= 0) || v > double(kMaxSeq) || v != double(qint64(v)))
            return bad(QStringLiteral("ack.seq: expected an integer from 0 to %1").arg(kMaxSeq));
        if (qint64(v) > lastSent)
            return bad(QStringLiteral("ack.seq: %1 was not sent yet").arg(qint64(v)));
        StreamMessage m;
        m.kind = Kind::Ack;
        m.seq = qint64(v);
        return m;
    }
    if (type == QLatin1String("cancel")) {
        StreamMessage m;
        m.kind = Kind::Cancel;
        return m;
    }
    return bad(type.isEmpty() ? QStringLiteral("type: missing")
                              : QStringLiteral("type: unknown message type '%1'").arg(type.left(64)));
}
