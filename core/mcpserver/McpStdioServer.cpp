#include "core/mcpserver/McpStdioServer.h"

#include "core/api/ExecutionBackend.h"

#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <unistd.h>

McpStdioServer::McpStdioServer(ExecutionBackend *backend, const Workspace &workspace,
    const McpToolServer::Options &options, int inputFd, int outputFd, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_inputFd(inputFd)
    , m_outputFd(outputFd)
{
    m_session = std::make_unique<McpToolServer>(backend, workspace, options,
        [this](const QJsonObject &message, const QJsonValue &, bool) { write(message); });
    m_drainLimit = new QTimer(this);
    m_drainLimit->setSingleShot(true);
    // Runs that ignore their cancel do not keep a client's shutdown waiting forever.
    m_drainLimit->setInterval(10000);
    connect(m_drainLimit, &QTimer::timeout, this, [this] {
        if (!m_finished) {
            m_finished = true;
            emit finished();
        }
    });
}

McpStdioServer::~McpStdioServer() = default;

void McpStdioServer::start()
{
    m_notifier = new QSocketNotifier(m_inputFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &McpStdioServer::onReadable);
}

void McpStdioServer::onReadable()
{
    char chunk[65536];
    const ssize_t n = ::read(m_inputFd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) { // end of input (or a broken pipe): the client is gone
        if (!m_buffer.trimmed().isEmpty() && !m_dropping)
            onLine(m_buffer);
        m_buffer.clear();
        shutdown();
        return;
    }
    m_buffer.append(chunk, n);
    qsizetype from = 0;
    for (qsizetype nl = m_buffer.indexOf('\n'); nl >= 0 && m_session; nl = m_buffer.indexOf('\n', from)) {
        if (!m_dropping)
            onLine(m_buffer.mid(from, nl - from));
        m_dropping = false;
        from = nl + 1;
    }
    m_buffer.remove(0, from);
    if (m_buffer.size() > kMaxLineBytes && m_session) {
        m_session->handleParseError(QStringLiteral("a message longer than %1 bytes").arg(kMaxLineBytes));
        m_buffer.clear();
        m_dropping = true;
    }
}

void McpStdioServer::onLine(const QByteArray &raw)
{
    QByteArray line = raw;
    if (line.endsWith('\r'))
        line.chop(1);
    if (line.trimmed().isEmpty() || !m_session)
        return;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError)
        m_session->handleParseError(
            QStringLiteral("%1 at offset %2").arg(error.errorString()).arg(error.offset));
    else if (doc.isArray())
        m_session->handleBatch(doc.array());
    else
        m_session->handle(doc.object());
}

void McpStdioServer::write(const QJsonObject &message)
{
    QByteArray bytes = QJsonDocument(message).toJson(QJsonDocument::Compact);
    bytes.append('\n');
    const char *p = bytes.constData();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(m_outputFd, p, size_t(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { // the client closed our stdout: nobody hears us any more
            QMetaObject::invokeMethod(this, &McpStdioServer::shutdown, Qt::QueuedConnection);
            return;
        }
        p += n;
        left -= n;
    }
}

void McpStdioServer::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    if (m_notifier)
        m_notifier->setEnabled(false);
    // The session's destructor cancels the executions of its running calls; their records end
    // `cancelled` once the engine has stopped them.
    m_session.reset();
    connect(m_backend, &ExecutionBackend::countsChanged, this, &McpStdioServer::finishWhenIdle);
    m_drainLimit->start();
    QMetaObject::invokeMethod(this, &McpStdioServer::finishWhenIdle, Qt::QueuedConnection);
}

void McpStdioServer::finishWhenIdle()
{
    if (m_finished || m_backend->runningCount() + m_backend->queuedCount() > 0)
        return;
    m_finished = true;
    m_drainLimit->stop();
    emit finished();
}
