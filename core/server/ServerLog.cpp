#include "core/server/ServerLog.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>

#include <cerrno>
#include <cstring>

ServerLog &ServerLog::instance()
{
    static ServerLog log;
    return log;
}

Result<void> ServerLog::openFile()
{
    std::FILE *f = std::fopen(QFile::encodeName(m_path).constData(), "a");
    if (!f)
        return Failure {
            QStringLiteral("--log %1: %2").arg(m_path, QString::fromLocal8Bit(std::strerror(errno)))
        };
    std::setvbuf(f, nullptr, _IOLBF, 0); // a line is complete on disk once written
    if (m_file && m_file != stderr)
        std::fclose(m_file);
    m_file = f;
    return {};
}

Result<void> ServerLog::configure(const QString &path, Format format)
{
    QMutexLocker lock(&m_mutex);
    m_format = format;
    m_path = path;
    if (path.isEmpty()) {
        if (m_file && m_file != stderr)
            std::fclose(m_file);
        m_file = nullptr;
        return {};
    }
    return openFile();
}

void ServerLog::setInstance(const QString &instance)
{
    QMutexLocker lock(&m_mutex);
    m_instance = instance;
}

Result<void> ServerLog::reopen()
{
    QMutexLocker lock(&m_mutex);
    if (m_path.isEmpty())
        return {};
    return openFile();
}

QByteArray ServerLog::formatLine(Format format, const QString &time, const QString &level, const QString &msg,
    const QString &instance, const QJsonObject &fields)
{
    if (format == Format::Json) {
        QJsonObject o = fields;
        o.insert(QStringLiteral("time"), time);
        o.insert(QStringLiteral("level"), level);
        o.insert(QStringLiteral("msg"), msg);
        if (!instance.isEmpty())
            o.insert(QStringLiteral("instance"), instance);
        return QJsonDocument(o).toJson(QJsonDocument::Compact);
    }
    QString line = time + QLatin1Char(' ') + level + QLatin1Char(' ') + msg;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        const QJsonValue v = it.value();
        QString text = v.isString() ? v.toString()
            : v.isObject() ? QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact))
            : v.isArray()  ? QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact))
            : v.isBool()   ? QLatin1String(v.toBool() ? "true" : "false")
            : v.isNull()   ? QStringLiteral("null")
                           : QString::number(v.toDouble(), 'g', 15);
        text.replace(QLatin1Char('\n'), QLatin1String("\\n"));
        line += QLatin1Char(' ') + it.key() + QLatin1Char('=') + text;
    }
    return line.toUtf8();
}

void ServerLog::write(const QString &level, const QString &msg, const QJsonObject &fields)
{
    const QString time = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QMutexLocker lock(&m_mutex);
    QByteArray line = formatLine(m_format, time, level, msg, m_instance, fields);
    line += '\n';
    std::FILE *out = m_file ? m_file : stderr;
    std::fwrite(line.constData(), 1, size_t(line.size()), out);
    std::fflush(out);
}

void ServerLog::installMessageHandler()
{
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &text) {
        const char *level = type == QtDebugMsg ? "debug"
            : type == QtInfoMsg                ? "info"
            : type == QtWarningMsg             ? "warning"
                                               : "error";
        ServerLog::instance().write(QLatin1String(level), text);
        if (type == QtFatalMsg)
            std::abort();
    });
}
