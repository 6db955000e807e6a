#include "tests/support/ScriptedHttpServer.h"

#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

ScriptedHttpServer::ScriptedHttpServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &ScriptedHttpServer::onNewConnection);
    if (!m_server.listen(QHostAddress::LocalHost, 0))
        qFatal("ScriptedHttpServer: cannot listen: %s", qPrintable(m_server.errorString()));
}

ScriptedHttpServer::~ScriptedHttpServer()
{
    closeAll();
}

void ScriptedHttpServer::closeAll()
{
    const QList<QTcpSocket *> sockets = m_connections.keys();
    m_connections.clear();
    for (QTcpSocket *s : sockets) {
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
}

QUrl ScriptedHttpServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
}

void ScriptedHttpServer::enqueue(const Response &response)
{
    m_scripts.append(toScript(response));
}

void ScriptedHttpServer::enqueueScript(const Script &script)
{
    m_scripts.append(script);
}

QByteArray ScriptedHttpServer::reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 529:
        return "Overloaded";
    default:
        return "Status";
    }
}

ScriptedHttpServer::Script ScriptedHttpServer::toScript(const Response &r)
{
    Script script;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + reasonPhrase(r.status) + "\r\n";
    for (const auto &[name, value] : r.headers)
        head += name + ": " + value + "\r\n";
    switch (r.transfer) {
    case Transfer::Chunked:
        head += "Transfer-Encoding: chunked\r\n";
        break;
    case Transfer::ContentLength:
        head += "Content-Length: " + QByteArray::number(r.body.size()) + "\r\n";
        break;
    case Transfer::Close:
        break;
    }
    head += "Connection: close\r\n\r\n";
    if (r.delayBeforeHeadersMs > 0)
        script.append({ Step::Delay, {}, r.delayBeforeHeadersMs });
    script.append({ Step::Write, head, 0 });

    // Body pieces between split points, truncated at the cut or stall point.
    const int end = r.cutAt >= 0 ? std::min(r.cutAt, int(r.body.size()))
        : r.stallAt >= 0         ? std::min(r.stallAt, int(r.body.size()))
                                 : int(r.body.size());
    QList<int> bounds = r.splits;
    bounds.append(0);
    bounds.append(end);
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    bool first = true;
    for (qsizetype i = 0; i + 1 < bounds.size(); ++i) {
        const int from = bounds.at(i), to = bounds.at(i + 1);
        if (from >= end || to <= from)
            continue;
        const QByteArray piece = r.body.mid(from, std::min(to, end) - from);
        if (!first && r.gapMs > 0)
            script.append({ Step::Delay, {}, r.gapMs });
        first = false;
        if (r.transfer == Transfer::Chunked)
            script.append({ Step::Write, QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n", 0 });
        else
            script.append({ Step::Write, piece, 0 });
    }
    if (r.stallAt >= 0) {
        script.append({ Step::Stall, {}, 0 });
        return script;
    }
    if (r.cutAt < 0 && r.transfer == Transfer::Chunked)
        script.append({ Step::Write, "0\r\n\r\n", 0 });
    script.append({ Step::Close, {}, 0 });
    return script;
}

void ScriptedHttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_connections.insert(socket, Connection {});
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            const auto it = m_connections.constFind(socket);
            if (it != m_connections.cend() && it->stalled)
                ++stalledClosedByClient;
            m_connections.remove(socket);
            socket->deleteLater();
        });
    }
}

void ScriptedHttpServer::onReadyRead(QTcpSocket *socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    Connection &c = *it;
    c.buffer += socket->readAll();
    if (c.answering)
        return;
    const qsizetype headerEnd = c.buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        return;
    Request req;
    const QList<QByteArray> lines = c.buffer.left(headerEnd).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    req.method = requestLine.value(0);
    req.path = requestLine.value(1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            req.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    const int length = req.headers.value("content-length", "0").toInt();
    if (c.buffer.size() < headerEnd + 4 + length)
        return; // wait for the whole body
    req.body = c.buffer.mid(headerEnd + 4, length);
    c.answering = true;
    requests.append(req);
    if (m_scripts.isEmpty()) {
        Response r;
        r.status = 500;
        r.body = "{\"error\":\"test server: no script queued\"}";
        r.transfer = Transfer::ContentLength;
        c.script = toScript(r);
    } else {
        c.script = m_scripts.takeFirst();
    }
    emit requestReceived();
    runNextStep(socket);
}

void ScriptedHttpServer::runNextStep(QTcpSocket *socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    while (it->next < it->script.size()) {
        const Step step = it->script.at(it->next++);
        switch (step.kind) {
        case Step::Write:
            socket->write(step.bytes);
            socket->flush();
            break;
        case Step::Delay:
            QTimer::singleShot(step.ms, socket, [this, socket] { runNextStep(socket); });
            return;
        case Step::Stall:
            it->stalled = true;
            return;
        case Step::Close:
            socket->disconnectFromHost();
            return;
        }
    }
}

ScriptedHttpServer::Response ScriptedHttpServer::jsonResponse(int status, const QByteArray &body)
{
    Response r;
    r.status = status;
    r.headers = { { "Content-Type", "application/json" } };
    r.body = body;
    r.transfer = Transfer::ContentLength;
    return r;
}
