#pragma once

#include "core/api/ErrorCode.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

#include <functional>
#include <memory>
#include <optional>

class HttpStream;

// One parsed HTTP/1.1 request as the small server of this folder sees it.
struct HttpRequest
{
    QByteArray method; // "GET", "POST", …
    QString target; // raw request target ("/api/x?y=1")
    QString path; // percent-decoded path ("/api/x")
    QStringList segments; // path split on '/', decoded, empty ones dropped
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; // lower-case names; repeated headers joined by ", "
    QByteArray body;
    QHostAddress peerAddress;
    quint16 peerPort = 0;

    QByteArray header(const char *lowerCaseName) const { return headers.value(QByteArray(lowerCaseName)); }
    // The bearer token of the Authorization header, or empty.
    QString bearerToken() const;
    // A query value, percent-decoded ("" when absent; see hasQuery).
    QString queryValue(const QString &key) const { return query.queryItemValue(key, QUrl::FullyDecoded); }
};

struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers; // extra headers
    bool closeConnection = false;
    // A body written over time (Server-Sent Events): when set, `body` is ignored, the head goes
    // out without Content-Length (chunked, or Connection: close for an HTTP/1.0 client) and this
    // is called with the stream the handler then writes and ends (HttpServer.h, HttpStream).
    std::function<void(const std::shared_ptr<HttpStream> &)> streamed;

    static HttpResponse json(int status, const QJsonObject &object);
    // {"error": {"code": code, "message": message, "error_code": toWire(errorCode)}}
    // (docs/wire-protocol.md, "Errors"). Without an ErrorCode (a refusal of the protocol layer:
    // 401, 405, 413, …) the status says it: errorCodeFromHttpStatus().
    static HttpResponse error(
        int status, const QString &code, const QString &message, std::optional<ErrorCode> errorCode = {});
    static QByteArray reasonPhrase(int status);
};
