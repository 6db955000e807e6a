#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

// Small shared helpers for the store's contracts (docs/store.md): ids, times and compact JSON.
namespace as {

// A new UUID without braces: "3f2b…-…".
QString newId();
// W3C trace context ids: 32 and 16 lowercase hex characters.
QString newTraceId();
QString newSpanId();

// ISO-8601 UTC with milliseconds: "2026-11-24T19:02:11.615Z". Null datetime -> empty string.
QString isoTime(const QDateTime &t);
QString nowIso();
// Parses isoTime() output (and any ISO-8601 QDateTime accepts). Invalid -> null QDateTime.
QDateTime parseIsoTime(const QString &text);
qint64 nowMs(); // ms since epoch, UTC

// Compact JSON text of an object / array / any value ("null" for an undefined value).
QString compactJson(const QJsonObject &o);
QString compactJson(const QJsonArray &a);
QString compactJson(const QJsonValue &v);
// Parses JSON text into a value (object, array, or scalar). Empty text -> null value.
QJsonValue parseJsonValue(const QString &text, QString *error = nullptr);

// Replaces every copy of each secret (API keys, tokens) with "***" so a message can be shown or
// logged: exact and case-folded copies, and for secrets of kRedactWindow characters or more
// any run of text made of kRedactWindow-character pieces of the secret (a partial echo).
// Secrets shorter than kMinRedactedSecret characters are ignored.
constexpr qsizetype kMinRedactedSecret = 4;
constexpr qsizetype kRedactWindow = 12;
QString redact(QString text, const QStringList &secrets);

} // namespace as
