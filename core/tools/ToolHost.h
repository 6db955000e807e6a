#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ToolSource.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <optional>

class QNetworkAccessManager;

// A tool as one agent's model sees it (docs/tools.md): the name it is offered under (the
// source's name, prefixed "source__" only where two sources of that agent offer the same name)
// and where it comes from.
struct BoundTool
{
    QString exposedName;
    ToolDefinition definition; // definition.source = the source id, definition.name = its name
};

// The workspace's tool sources (docs/tools.md): creates one ToolSource per "tools" entry
// (core/mcp McpSource, core/tools CommandSource / MockSource), starts them on first use,
// resolves an agent's tool references and runs calls.
//
// Threading: lives on the engine thread (the runner: its main thread); everything answers later
// on that thread. A bearer token variable is read only when `trust` allows it (docs/credentials.md).
class ToolHost : public QObject
{
    Q_OBJECT
public:
    using StatusCallback = std::function<void(const QList<ToolSourceStatus> &sources)>;
    using ResolveCallback = std::function<void(const QList<BoundTool> &tools, const QString &error)>;

    explicit ToolHost(QNetworkAccessManager *network, QObject *parent = nullptr);
    ~ToolHost() override;

    // Replaces the sources (sources whose spec is unchanged are kept running).
    void setWorkspace(const Workspace &workspace, const CredentialTrust &trust);
    // Every source's current status, without starting anything.
    QList<ToolSourceStatus> statuses() const;
    // Starts and lists every source, then answers with all statuses.
    void refresh(QObject *context, StatusCallback callback);
    ToolSource *source(const QString &id) const;
    // The tools `agent` may call (lists the sources it names). An error names the reference
    // ("tools[1]: source 'files' offers no tool 'read'") or the failed source.
    void resolve(const AgentSpec &agent, QObject *context, ResolveCallback callback);
    // Shuts every source down (process children stopped, sessions closed).
    void shutdown();

    // Runs one tool by itself (the Tools panel, `agentstudio-run tools call`, the server's
    // call endpoint): lists the source, checks `arguments` against the tool's schema, calls.
    // `error` is NotFound for an unknown source or tool, InvalidInput for arguments that do
    // not fit (each problem with its JSON path), Unreachable for a source that cannot be
    // started or listed; else error.code is None and the tool's own failure is result.isError.
    using CallCallback = std::function<void(const ToolResult &result, const Error &error)>;
    void call(const QString &sourceId, const QString &tool, const QJsonObject &arguments, QObject *context,
        CallCallback callback);

    // The naming rule (docs/tools.md): each tool keeps its name, prefixed "source__" only
    // where two of the given sources offer that name. `tools` in order, each with its source.
    static QList<BoundTool> bindTools(const QList<ToolDefinition> &tools);

    // The bearer token a url MCP source would send (docs/credentials.md): no host is an MCP
    // server's official one, so every bearer_token_env is a use that needs trust. nullopt for a
    // source that sends none.
    static std::optional<CredentialUse> credentialUse(const ToolSourceSpec &spec);
    // The uses of the workspace's sources (only `sourceIds` when given), in source order.
    static QList<CredentialUse> credentialUses(const Workspace &workspace, const QStringList &sourceIds = {});
    // The source ids an agent names ("files/read" names "files"), in order, each once.
    static QStringList sourcesOf(const AgentSpec &agent);
    // "tool source 'search' (mcp) would send SEARCH_TOKEN to host h:9000 (…); this workspace is
    // not trusted"
    static QString untrustedMessage(const CredentialUse &use);

signals:
    void statusChanged(const ToolSourceStatus &status);

private:
    struct Private;
    Private *d;
};
