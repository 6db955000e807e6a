#pragma once

// Shared by tests/server, tests/remote, tests/ui/remote, tests/fault and tests/bench: starts the REAL
// agentstudio-server binary on 127.0.0.1:0 with scripted test workspaces, and small synchronous HTTP /
// WebSocket helpers for tests (a test may wait; the server is another process).

#include "tests/support/TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>

namespace serverfixture {

inline const QString kAlphaToken = QStringLiteral("alpha-token-0123456789");
inline const QString kBetaToken = QStringLiteral("beta-token-0123456789");
inline const QString kGammaToken = QStringLiteral("gamma-token-0123456789"); // workspace not served

// Agent JSON with the scripted provider.
inline QJsonObject scriptedAgent(const QString &id, const QJsonObject &modelExtra)
{
    QJsonObject model { { QStringLiteral("provider"), QStringLiteral("offline") },
        { QStringLiteral("name"), QStringLiteral("scripted") } };
    for (auto it = modelExtra.begin(); it != modelExtra.end(); ++it)
        model.insert(it.key(), it.value());
    const QJsonArray inputs { QJsonObject { { QStringLiteral("name"), QStringLiteral("text") },
                                  { QStringLiteral("type"), QStringLiteral("str") } },
        QJsonObject { { QStringLiteral("name"), QStringLiteral("count") },
            { QStringLiteral("type"), QStringLiteral("int") }, { QStringLiteral("default"), 3 },
            { QStringLiteral("min"), 1 }, { QStringLiteral("max"), 10 } } };
    const QJsonArray outputs { QJsonObject { { QStringLiteral("name"), QStringLiteral("reply") },
        { QStringLiteral("type"), QStringLiteral("str") } } };
    return QJsonObject { { QStringLiteral("id"), id }, { QStringLiteral("name"), id },
        { QStringLiteral("version"), QStringLiteral("1") }, { QStringLiteral("model"), model },
        { QStringLiteral("instructions"), QStringLiteral("Answer about the text.") },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), inputs }, { QStringLiteral("outputs"), outputs } } } };
}

inline QByteArray alphaWorkspace()
{
    QJsonArray agents {
        scriptedAgent(QStringLiteral("echo"), {}),
        // ~3000 chunks over ~1.5 s: long enough to be cut many times.
        scriptedAgent(QStringLiteral("streamer"),
            QJsonObject {
                { QStringLiteral("reply_tokens"), 3000 }, { QStringLiteral("tokens_per_second"), 2000 } }),
        // ~20 s: stays running while a test cancels it or shuts the server down.
        scriptedAgent(QStringLiteral("slow"),
            QJsonObject {
                { QStringLiteral("reply_tokens"), 400 }, { QStringLiteral("tokens_per_second"), 20 } }),
        // 60000 chunks as fast as possible: floods a subscriber that does not read.
        // (after 1.5 s, so that a subscriber can attach before it starts).
        scriptedAgent(QStringLiteral("flood"),
            QJsonObject { { QStringLiteral("reply_tokens"), 60000 }, { QStringLiteral("ttft_ms"), 1500 },
                { QStringLiteral("tokens_per_second"), 0 } }),
    };
    const QJsonObject pipe {
        { QStringLiteral("id"), QStringLiteral("pipe") },
        { QStringLiteral("name"), QStringLiteral("Pipe") },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("inputs"),
            QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("text") },
                { QStringLiteral("type"), QStringLiteral("str") } } } },
        { QStringLiteral("nodes"),
            QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("first") },
                             { QStringLiteral("agent"), QStringLiteral("echo") } },
                QJsonObject { { QStringLiteral("id"), QStringLiteral("second") },
                    { QStringLiteral("agent"), QStringLiteral("echo") } } } },
        { QStringLiteral("edges"),
            QJsonArray { QJsonObject { { QStringLiteral("from"), QStringLiteral("input.text") },
                             { QStringLiteral("to"), QStringLiteral("first.text") } },
                QJsonObject { { QStringLiteral("from"), QStringLiteral("first.reply") },
                    { QStringLiteral("to"), QStringLiteral("second.text") } } } },
        { QStringLiteral("outputs"),
            QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("result") },
                { QStringLiteral("from"), QStringLiteral("second.reply") } } } },
    };
    const QJsonObject ws {
        { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("organization_id"), QStringLiteral("acme") },
        { QStringLiteral("workspace_id"), QStringLiteral("alpha") },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") },
                    { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } } } } },
        { QStringLiteral("agents"), agents },
        { QStringLiteral("orchestrations"), QJsonArray { pipe } },
    };
    return QJsonDocument(ws).toJson();
}

inline QByteArray betaWorkspace()
{
    const QJsonObject ws {
        { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("organization_id"), QStringLiteral("beta") },
        { QStringLiteral("workspace_id"), QStringLiteral("bravo") },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") },
                    { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } } } } },
        { QStringLiteral("agents"),
            QJsonArray { scriptedAgent(QStringLiteral("echo"), {}),
                scriptedAgent(QStringLiteral("beta_only"), {}),
                scriptedAgent(QStringLiteral("slow"),
                    QJsonObject { { QStringLiteral("reply_tokens"), 400 },
                        { QStringLiteral("tokens_per_second"), 20 } }) } },
        { QStringLiteral("orchestrations"), QJsonArray {} },
    };
    return QJsonDocument(ws).toJson();
}

inline QByteArray tokensFile()
{
    auto entry = [](const QString &token, const char *org, const char *ws) {
        return QJsonObject { { QStringLiteral("token"), token },
            { QStringLiteral("organization_id"), QString::fromLatin1(org) },
            { QStringLiteral("workspace_id"), QString::fromLatin1(ws) } };
    };
    return QJsonDocument(
        QJsonObject { { QStringLiteral("tokens"),
            QJsonArray { entry(kAlphaToken, "acme", "alpha"), entry(kBetaToken, "beta", "bravo"),
                entry(kGammaToken, "acme", "gamma") } } })
        .toJson();
}

// The real server binary as a child process.
class ServerProcess
{
public:
    ~ServerProcess() { kill(); }

    // Writes the workspaces and tokens into dir and starts the server with extra arguments.
    bool start(const QString &dir, const QStringList &extraArgs = {}, QString *error = nullptr,
        const QString &dbName = QStringLiteral("executions.db"))
    {
        const QString alpha
            = testsupport::writeFile(dir, QStringLiteral("alpha.agents.json"), alphaWorkspace());
        const QString beta = testsupport::writeFile(dir, QStringLiteral("beta.agents.json"), betaWorkspace());
        const QString tokens = testsupport::writeFile(dir, QStringLiteral("tokens.json"), tokensFile());
        dbPath = QDir(dir).absoluteFilePath(dbName);
        QStringList args { QStringLiteral("--workspace"), alpha, QStringLiteral("--workspace"), beta,
            QStringLiteral("--db"), dbPath, QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
            QStringLiteral("--tokens"), tokens };
        args += extraArgs;
        return startRaw(args, error);
    }

    bool startRaw(const QStringList &args, QString *error = nullptr)
    {
        process = std::make_unique<QProcess>();
        process->setProcessChannelMode(QProcess::SeparateChannels);
        process->start(testsupport::binaryPath(QStringLiteral("server/agentstudio-server")), args);
        if (!process->waitForStarted(10000)) {
            if (error)
                *error = process->errorString();
            return false;
        }
        QElapsedTimer clock;
        clock.start();
        QByteArray out;
        while (clock.elapsed() < 20000) {
            if (process->state() != QProcess::Running)
                break;
            process->waitForReadyRead(200);
            out += process->readAllStandardOutput();
            const qsizetype at = out.indexOf("listening on ");
            const qsizetype nl = out.indexOf('\n', at);
            if (at >= 0 && nl > at) {
                url = QUrl(QString::fromUtf8(out.mid(at + 13, nl - at - 13).trimmed()));
                return url.isValid() && url.port() > 0;
            }
        }
        if (error)
            *error = QStringLiteral("server did not start: ") + QString::fromUtf8(out)
                + QString::fromUtf8(process->readAllStandardError());
        return false;
    }

    // SIGTERM, then wait. Returns the exit code (-1 on crash or timeout).
    int terminate(int timeoutMs = 30000)
    {
        if (!process || process->state() == QProcess::NotRunning)
            return process ? process->exitCode() : -1;
        process->terminate();
        if (!process->waitForFinished(timeoutMs)) {
            kill();
            return -1;
        }
        return process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
    }

    void kill()
    {
        if (process && process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(5000);
        }
    }

    QUrl wsUrl(const QString &path) const
    {
        QUrl u = url;
        u.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
        const qsizetype q = path.indexOf(QLatin1Char('?'));
        u.setPath(q < 0 ? path : path.left(q));
        if (q >= 0)
            u.setQuery(path.mid(q + 1));
        return u;
    }

    std::unique_ptr<QProcess> process;
    QUrl url;
    QString dbPath;
    QByteArray stderrSeen; // what a test has read of the server's stderr so far
};

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QString networkError;
};

// A blocking request for tests (runs a local event loop until the reply finishes).
inline HttpResult http(QNetworkAccessManager &nam, const QByteArray &verb, const QUrl &url,
    const QString &token = {}, const QByteArray &body = {},
    const QByteArray &contentType = "application/json")
{
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    if (!body.isNull())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    request.setTransferTimeout(30000);
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    HttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.json = QJsonDocument::fromJson(r.body).object();
    if (r.status == 0)
        r.networkError = reply->errorString();
    reply->deleteLater();
    return r;
}

inline QString errorCode(const HttpResult &r)
{
    return r.json.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString();
}

// A WebSocket client that records every message (as JSON objects) and how it closed.
class WsRecorder : public QObject
{
public:
    explicit WsRecorder(QObject *parent = nullptr)
        : QObject(parent)
    {
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            messages.append(QJsonDocument::fromJson(text.toUtf8()).object());
            if (onMessage)
                onMessage(messages.constLast());
        });
        connect(&socket, &QWebSocket::connected, this, [this] { connected = true; });
        connect(&socket, &QWebSocket::disconnected, this, [this] {
            closed = true;
            closeCode = int(socket.closeCode());
            closeReason = socket.closeReason();
        });
        connect(&socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) { errored = true; });
    }
    void open(const QUrl &url, const QString &token)
    {
        QNetworkRequest request(url);
        if (!token.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
        socket.open(request);
    }
    bool hasComplete() const
    {
        for (const QJsonObject &m : messages)
            if (m.value(QLatin1String("type")).toString() == QLatin1String("complete"))
                return true;
        return false;
    }
    QJsonObject last() const { return messages.isEmpty() ? QJsonObject() : messages.constLast(); }

    QWebSocket socket;
    QList<QJsonObject> messages;
    std::function<void(const QJsonObject &)> onMessage;
    bool connected = false;
    bool closed = false;
    bool errored = false;
    int closeCode = 0;
    QString closeReason;
};

// Connects `socket` to 127.0.0.1:port as a client that stops reading: a 4 KiB kernel receive
// buffer set before connecting (so the TCP window stays small) and a Qt read buffer of
// `readBuffer` bytes. What the server writes then backs up on its side.
inline bool connectStalledReader(QTcpSocket &socket, quint16 port, qint64 readBuffer)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    const int size = 4096;
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0
        || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return false;
    }
    socket.setReadBufferSize(readBuffer);
    return socket.setSocketDescriptor(fd);
}

} // namespace serverfixture
