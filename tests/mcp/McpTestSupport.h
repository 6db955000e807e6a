#pragma once

#include "core/mcp/McpSource.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

#include <memory>
#include <optional>

// Shared by the MCP tests: probes that collect a source's asynchronous answers, and where the
// servers live. The tests wait on the probes with QTRY_*.
namespace mcptest {

struct CallProbe
{
    std::optional<ToolResult> result;
    QList<double> progress;
    QList<std::optional<double>> totals;
    quint64 handle = 0;
};

inline std::shared_ptr<CallProbe> call(
    ToolSource &source, const QString &name, const QJsonObject &arguments = {}, int timeoutMs = 60000)
{
    auto probe = std::make_shared<CallProbe>();
    ToolCallOptions options;
    options.timeoutMs = timeoutMs;
    probe->handle = source.callTool(
        name, arguments, options, nullptr, [probe](const ToolResult &r) { probe->result = r; },
        [probe](double progress, std::optional<double> total, const QString &) {
            probe->progress.append(progress);
            probe->totals.append(total);
        });
    return probe;
}

struct ListProbe
{
    bool done = false;
    QList<ToolDefinition> tools;
    QString error;
};

inline std::shared_ptr<ListProbe> list(ToolSource &source)
{
    auto probe = std::make_shared<ListProbe>();
    source.listTools(nullptr, [probe](const QList<ToolDefinition> &tools, const QString &error) {
        probe->done = true;
        probe->tools = tools;
        probe->error = error;
    });
    return probe;
}

inline QStringList names(const QList<ToolDefinition> &tools)
{
    QStringList out;
    for (const ToolDefinition &t : tools)
        out.append(t.name);
    return out;
}

inline QString sourceFile(const QString &relative)
{
    return QStringLiteral(AGENTSTUDIO_SOURCE_DIR "/") + relative;
}

// The pinned npm packages (tests/mcp/package.json), or a reason why they are missing.
inline QString nodeModules()
{
    return sourceFile(QStringLiteral("tests/mcp/node_modules"));
}

inline QString nodeModulesProblem()
{
    const QString dir = nodeModules();
    for (const char *package : { "@modelcontextprotocol/server-everything",
             "@modelcontextprotocol/server-filesystem", "@modelcontextprotocol/sdk" }) {
        if (!QFile::exists(dir + QLatin1Char('/') + QLatin1String(package) + QStringLiteral("/package.json")))
            return QStringLiteral("%1 is not installed in %2: run scripts/npm-deps.sh (npm ci in tests/mcp)")
                .arg(QLatin1String(package), dir);
    }
    return QString();
}

inline ToolSourceSpec stdioSpec(const QString &id, const QString &program, const QStringList &args)
{
    ToolSourceSpec spec;
    spec.id = id;
    spec.kind = QStringLiteral("mcp");
    spec.command = program;
    spec.args = args;
    return spec;
}

inline ToolSourceSpec httpSpec(const QString &id, const QString &url)
{
    ToolSourceSpec spec;
    spec.id = id;
    spec.kind = QStringLiteral("mcp");
    spec.url = url;
    return spec;
}

// Reaped: /proc/<pid> is gone (a zombie still has its entry).
inline bool processGone(qint64 pid)
{
    return pid > 0 && !QFile::exists(QStringLiteral("/proc/%1").arg(pid));
}

inline bool logContains(const ToolSource &source, const QString &text)
{
    const QStringList lines = source.status().log;
    for (const QString &line : lines) {
        if (line.contains(text))
            return true;
    }
    return false;
}

inline QString everythingScript()
{
    return nodeModules() + QStringLiteral("/@modelcontextprotocol/server-everything/dist/index.js");
}

inline QString filesystemScript()
{
    return nodeModules() + QStringLiteral("/@modelcontextprotocol/server-filesystem/dist/index.js");
}

// A node program as an HTTP server on 127.0.0.1: started with PORT=0 and tests/mcp/loopback.cjs
// preloaded, which binds it to loopback and prints the port it got (no port race).
class LoopbackNodeServer
{
public:
    ~LoopbackNodeServer() { stop(); }

    bool start(const QStringList &scriptAndArgs, QString *error)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PORT"), QStringLiteral("0"));
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.setStandardOutputFile(QProcess::nullDevice());
        QObject::connect(&m_process, &QProcess::readyReadStandardError,
            [this] { m_stderr += m_process.readAllStandardError(); });
        m_process.start(QStringLiteral("node"),
            QStringList { QStringLiteral("--require"), sourceFile(QStringLiteral("tests/mcp/loopback.cjs")) }
                + scriptAndArgs);
        static const QRegularExpression listening(QStringLiteral("AGENTSTUDIO_LISTENING (\\d+)"));
        const bool up = QTest::qWaitFor(
            [&] {
                const auto m = listening.match(QString::fromUtf8(m_stderr));
                if (m.hasMatch())
                    m_port = m.captured(1).toInt();
                return m_port > 0 || m_process.state() == QProcess::NotRunning;
            },
            30000);
        if (!up || m_port == 0) {
            *error = QStringLiteral("node %1 did not start listening: %2 %3")
                         .arg(scriptAndArgs.join(QLatin1Char(' ')), m_process.errorString(),
                             QString::fromUtf8(m_stderr));
            return false;
        }
        return true;
    }
    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(5000))
            m_process.kill();
        m_process.waitForFinished(5000);
    }
    int port() const { return m_port; }
    QString url(const QString &path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path);
    }

private:
    QProcess m_process;
    QByteArray m_stderr;
    int m_port = 0;
};

} // namespace mcptest
