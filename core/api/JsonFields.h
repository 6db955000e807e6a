#pragma once

#include "core/common/Util.h"

#include <QDateTime>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

// How the execution types write and read their JSON fields (docs/wire-protocol.md): an empty
// text, a negative duration and an unknown cost are null; numbers may arrive as doubles.
namespace jsonfield {

inline QJsonValue textOrNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

inline QJsonValue msOrNull(qint64 ms)
{
    return ms < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(ms);
}

inline QJsonValue timeOrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(as::isoTime(t)) : QJsonValue(QJsonValue::Null);
}

inline QJsonValue costToJson(const std::optional<double> &cost)
{
    return cost ? QJsonValue(*cost) : QJsonValue(QJsonValue::Null);
}

inline std::optional<double> costFromJson(const QJsonValue &v)
{
    if (v.isDouble())
        return v.toDouble();
    return std::nullopt;
}

// A number, or `fallback` when the value is missing, null or not a number.
inline qint64 integerOr(const QJsonValue &v, qint64 fallback)
{
    return v.isDouble() ? qint64(v.toDouble()) : fallback;
}

// input_data / output_data may arrive as objects (our own JSON) or as JSON text (a
// hand-written file, an old export).
inline QJsonObject objectFromJson(const QJsonValue &v)
{
    if (v.isObject())
        return v.toObject();
    if (v.isString())
        return as::parseJsonValue(v.toString()).toObject();
    return {};
}

} // namespace jsonfield
