#include "core/common/Util.h"

#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSet>
#include <QUuid>

namespace as {

QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

static QString randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    do {
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), bytes / 4);
    } while (raw.count('\0') == bytes); // all-zero ids are invalid in W3C trace context
    return QString::fromLatin1(raw.toHex());
}

QString newTraceId()
{
    return randomHex(16);
}
QString newSpanId()
{
    return randomHex(8);
}

QString isoTime(const QDateTime &t)
{
    if (!t.isValid())
        return {};
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QString nowIso()
{
    return isoTime(QDateTime::currentDateTimeUtc());
}

QDateTime parseIsoTime(const QString &text)
{
    if (text.isEmpty())
        return {};
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(text, Qt::ISODate);
    return t.isValid() ? t.toUTC() : QDateTime();
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QString compactJson(const QJsonArray &a)
{
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

QString compactJson(const QJsonValue &v)
{
    if (v.isObject())
        return compactJson(v.toObject());
    if (v.isArray())
        return compactJson(v.toArray());
    // Wrap scalars in an array and strip the brackets: QJsonDocument only holds containers.
    const QString wrapped = compactJson(QJsonArray { v.isUndefined() ? QJsonValue() : v });
    return wrapped.mid(1, wrapped.size() - 2);
}

QJsonValue parseJsonValue(const QString &text, QString *error)
{
    if (text.trimmed().isEmpty())
        return QJsonValue();
    QJsonParseError pe;
    const QByteArray wrapped = "[" + text.toUtf8() + "]";
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1) {
        if (error)
            *error = QStringLiteral("invalid JSON at offset %1: %2")
                         .arg(qMax(0, pe.offset - 1))
                         .arg(pe.error == QJsonParseError::NoError ? QStringLiteral("more than one value")
                                                                   : pe.errorString());
        return QJsonValue(QJsonValue::Undefined);
    }
    return doc.array().at(0);
}

QString redact(QString text, const QStringList &secrets)
{
    const QString mask = QStringLiteral("***");
    for (const QString &secret : secrets) {
        if (secret.size() < kMinRedactedSecret)
            continue;
        text.replace(secret, mask, Qt::CaseInsensitive);
        if (secret.size() < kRedactWindow)
            continue;
        // A piece of the key is as bad as the key (a server echoing part of it, a truncated
        // header): every run of text whose kRedactWindow-long windows all occur in the key,
        // case-folded, is masked as one. Simple case folding keeps lengths, so indices of the
        // folded text are indices of the text.
        const QString folded = text.toCaseFolded();
        if (folded.size() != text.size())
            continue;
        const QString key = secret.toCaseFolded();
        QSet<QStringView> windows;
        for (qsizetype i = 0; i + kRedactWindow <= key.size(); ++i)
            windows.insert(QStringView(key).mid(i, kRedactWindow));
        QList<std::pair<qsizetype, qsizetype>> runs; // [begin, end), merged when they touch
        for (qsizetype i = 0; i + kRedactWindow <= folded.size(); ++i) {
            if (!windows.contains(QStringView(folded).mid(i, kRedactWindow)))
                continue;
            if (!runs.isEmpty() && runs.last().second >= i)
                runs.last().second = i + kRedactWindow;
            else
                runs.append({ i, i + kRedactWindow });
        }
        for (auto it = runs.crbegin(); it != runs.crend(); ++it)
            text.replace(it->first, it->second - it->first, mask);
    }
    return text;
}

} // namespace as
