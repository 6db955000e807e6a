#pragma once

#include "core/common/Result.h"

#include <QJsonObject>
#include <QMutex>
#include <QString>

#include <cstdio>

// The log of agentstudio-server (docs/operations.md, "Log"): one JSON object per line
// ({"time", "level", "msg", "instance", …fields}) or, with --log-format text, one human line
// ("2026-01-01T10:00:00.000Z info request method=GET …"). Lines go to standard error or, with
// --log FILE, are appended to that file (reopen() after logrotate moved it: SIGHUP).
//
// Callers never pass a secret: request lines carry the path without its query, execution
// lines no inputs unless --log-inputs yes (docs/operations.md lists every field).
//
// Threading: any thread (Qt's message handler calls it from engine and store threads too);
// one mutex serialises the lines, so they never interleave.
class ServerLog
{
public:
    enum class Format { Json, Text };

    static ServerLog &instance();

    // Where lines go (empty path: standard error). The message names the file.
    Result<void> configure(const QString &path, Format format);
    // The instance name every line carries (set once the server knows it).
    void setInstance(const QString &instance);
    // Opens the --log file again (after it was moved); standard error: nothing to do.
    Result<void> reopen();

    // level: "debug", "info", "warning", "error".
    void write(const QString &level, const QString &msg, const QJsonObject &fields = {});
    // Routes qDebug/qInfo/qWarning/qCritical through write() ("warning" etc., msg = the text).
    static void installMessageHandler();

    // One line's text without the newline (format, time and instance given): for tests too.
    static QByteArray formatLine(Format format, const QString &time, const QString &level, const QString &msg,
        const QString &instance, const QJsonObject &fields);

private:
    ServerLog() = default;
    Result<void> openFile();

    QMutex m_mutex;
    Format m_format = Format::Json;
    QString m_path;
    QString m_instance;
    std::FILE *m_file = nullptr; // owned when m_path is set; else stderr
};
