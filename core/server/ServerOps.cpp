// Operations of agentstudio-server (docs/operations.md): /api/health, /metrics, the metric
// families and the log lines. Part of WorkspaceServer.
#include "core/server/WorkspaceServer.h"

#include <QJsonObject>

void WorkspaceServer::setUpOperations()
{
}

void WorkspaceServer::serveHealth(const HttpServer::Responder &respond)
{
    respond(HttpResponse::json(200,
        QJsonObject { { QStringLiteral("status"), QStringLiteral("ok") }, { QStringLiteral("ready"), true },
            { QStringLiteral("store"), m_storeKind }, { QStringLiteral("instance"), m_instanceName },
            { QStringLiteral("instance_id"), m_instanceId },
            { QStringLiteral("version"), QStringLiteral(AGENTSTUDIO_VERSION) } }));
}

void WorkspaceServer::serveMetrics(const HttpServer::Responder &respond)
{
    HttpResponse r;
    r.status = 200;
    r.contentType = QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
    r.body = m_metrics.render();
    respond(r);
}

HttpServer::Responder WorkspaceServer::loggedResponder(
    const HttpRequest &, const HttpServer::Responder &respond)
{
    return respond;
}

void WorkspaceServer::observeEvent(const ServedWorkspace *, const ExecutionEvent &)
{
}
