#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QUrl>

class QTcpSocket;

// A real HTTP/1.1 server on loopback for protocol tests. Each incoming request is answered
// by the next queued script, written byte for byte: the status line and headers, then body
// pieces split at chosen byte boundaries (raw, or as chunked transfer), with delays, a stall
// (the connection stays open, silent) or a cut (close before the end). Lives on the test thread.
class ScriptedHttpServer : public QObject
{
    Q_OBJECT
public:
    struct Step
    {
        enum Kind { Write, Delay, Stall, Close };
        Kind kind = Write;
        QByteArray bytes;
        int ms = 0;
    };
    using Script = QList<Step>;

    struct Request
    {
        QByteArray method, path;
        QHash<QByteArray, QByteArray> headers; // lower-case names
        QByteArray body;
    };

    enum class Transfer { Close, Chunked, ContentLength };

    // One response. `splits` are byte offsets into body where a new write starts (each piece
    // is written separately, `gapMs` apart; with Chunked each piece is one chunk).
    // `cutAt` >= 0 closes the connection after that many body bytes, `stallAt` >= 0 stops
    // writing there and keeps the connection open.
    struct Response
    {
        int status = 200;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        Transfer transfer = Transfer::Close;
        QList<int> splits;
        int gapMs = 0;
        int cutAt = -1;
        int stallAt = -1;
        int delayBeforeHeadersMs = 0;
    };

    explicit ScriptedHttpServer(QObject *parent = nullptr);
    ~ScriptedHttpServer() override;

    QUrl url() const; // http://127.0.0.1:<port>
    void enqueue(const Response &response);
    void enqueueScript(const Script &script);
    static Script toScript(const Response &response);
    // A whole JSON reply with Content-Type and Content-Length, written at once.
    static Response jsonResponse(int status, const QByteArray &body);
    static QByteArray reasonPhrase(int status);

    QList<Request> requests; // every request received, in order
    int stalledClosedByClient = 0; // stalled connections the client closed (abort, timeout)
    int pendingScripts() const { return int(m_scripts.size()); }
    void closeAll(); // drops every open connection (stalled ones included)

signals:
    void requestReceived();

private:
    struct Connection
    {
        QByteArray buffer;
        Script script;
        int next = 0;
        bool answering = false;
        bool stalled = false;
    };
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void runNextStep(QTcpSocket *socket);

    QTcpServer m_server;
    QList<Script> m_scripts;
    QHash<QTcpSocket *, Connection> m_connections;
};
