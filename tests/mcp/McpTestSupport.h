#pragma once

#include "core/mcp/McpSource.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QStringList>

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

inline std::shared_ptr<CallProbe> call(ToolSource &source, const QString &name, const QJsonObject &arguments = {},
    int timeoutMs = 60000)
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
    for (const char *package : { "@modelcontextprotocol/server-everything", "@modelcontextprotocol/server-filesystem",
             "@modelcontextprotocol/sdk" }) {
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

} // namespace mcptest
