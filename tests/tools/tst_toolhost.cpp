#include "core/tools/ToolHost.h"
#include "tests/support/TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

// ToolHost (docs/tools.md): one source per workspace entry (mock, command, MCP, or unavailable
// with the reason), kept running across setWorkspace while its spec is unchanged; status
// changes forwarded; resolve() applying the naming rule and naming the bad reference; call()
// with NotFound / InvalidInput / Unreachable; bearer tokens only under trust.

using namespace Qt::StringLiterals;

namespace {

ToolSourceSpec mockSpec(const QString &id, int latencyMs = 0)
{
    ToolSourceSpec s;
    s.id = id;
    s.kind = u"mock"_s;
    s.description = u"Look up an order"_s;
    s.parameters = QJsonObject { { u"type"_s, u"object"_s },
        { u"properties"_s, QJsonObject { { u"order_id"_s, QJsonObject { { u"type"_s, u"string"_s } } } } },
        { u"required"_s, QJsonArray { u"order_id"_s } } };
    s.responses = QJsonArray { QJsonObject { { u"when"_s, QJsonObject { { u"order_id"_s, u"A1"_s } } },
                                   { u"result"_s, QJsonObject { { u"status"_s, u"shipped"_s } } } },
        QJsonObject { { u"error"_s, u"order not found"_s } } };
    s.latencyMs = latencyMs;
    return s;
}

ToolSourceSpec commandSpec(const QString &id, const QString &mode)
{
    ToolSourceSpec s;
    s.id = id;
    s.kind = u"command"_s;
    s.command = u"python3"_s;
    s.args = QStringList { testsupport::sourcePath(u"tests/tools/command_tool.py"_s), mode };
    return s;
}

ToolSourceSpec httpMcpSpec(const QString &id)
{
    ToolSourceSpec s;
    s.id = id;
    s.kind = u"mcp"_s;
    s.url = u"http://127.0.0.1:9/mcp"_s;
    s.bearerTokenEnv = u"AS_TEST_MCP_TOKEN"_s;
    return s;
}

Workspace workspaceWith(const QList<ToolSourceSpec> &tools)
{
    Workspace ws;
    ws.workspaceId = u"t"_s;
    ws.tools = tools;
    return ws;
}

AgentSpec agentNaming(const QStringList &tools)
{
    AgentSpec a;
    a.id = u"a"_s;
    a.tools = tools;
    return a;
}

// The MCP client's in-test stdio server (tests/mcp/fault_stdio_server.py): tools echo, crash, …
ToolSourceSpec stdioMcpSpec(const QString &id)
{
    ToolSourceSpec s;
    s.id = id;
    s.kind = u"mcp"_s;
    s.command = u"python3"_s;
    s.args = QStringList { testsupport::sourcePath(u"tests/mcp/fault_stdio_server.py"_s) };
    return s;
}

ToolDefinition def(const QString &source, const QString &name)
{
    ToolDefinition d;
    d.source = source;
    d.name = name;
    return d;
}

struct Resolved
{
    QList<BoundTool> tools;
    QString error;
    bool done = false;
};

struct Called
{
    ToolResult result;
    Error error;
    bool done = false;
};

} // namespace

class TestToolHost : public QObject
{
    Q_OBJECT

private:
    QNetworkAccessManager m_network;
    Resolved resolve(ToolHost &host, const QStringList &tools)
    {
        Resolved r;
        host.resolve(agentNaming(tools), this, [&r](const QList<BoundTool> &t, const QString &e) {
            r.tools = t;
            r.error = e;
            r.done = true;
        });
        return r;
    }

private slots:
    void naming_data();
    void naming();
    void resolveBindsCommandAndMockByTheirIds();
    void resolveNamesTheBadReference();
    void sourcesKeptAcrossSetWorkspace();
    void statusChangesAreForwarded();
    void refreshListsEverySource();
    void callChecksSourceToolAndArguments();
    void bearerTokenNeedsTrust();
    void unavailableSpecSaysWhy();
    void mcpToolsNamedThroughResolve();
    void bearerTokenSentOnlyWhenTrusted();
};

void TestToolHost::naming_data()
{
    QTest::addColumn<QList<ToolDefinition>>("tools");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("distinct names keep them") << QList<ToolDefinition> { def(u"files"_s, u"read"_s),
        def(u"web"_s, u"fetch"_s) } << QStringList { u"read"_s, u"fetch"_s };
    QTest::newRow("a shared name is prefixed on both") << QList<ToolDefinition> {
        def(u"files"_s, u"read"_s), def(u"web"_s, u"read"_s), def(u"web"_s, u"fetch"_s)
    } << QStringList { u"files__read"_s, u"web__read"_s, u"fetch"_s };
    QTest::newRow("a command named like an MCP tool")
        << QList<ToolDefinition> { def(u"search"_s, u"search"_s), def(u"web"_s, u"search"_s) }
        << QStringList { u"search__search"_s, u"web__search"_s };
    QTest::newRow("three sources") << QList<ToolDefinition> { def(u"a"_s, u"x"_s), def(u"b"_s, u"x"_s),
        def(u"c"_s, u"x"_s) } << QStringList { u"a__x"_s, u"b__x"_s, u"c__x"_s };
    QTest::newRow("none") << QList<ToolDefinition> {} << QStringList {};
}

void TestToolHost::naming()
{
    QFETCH(QList<ToolDefinition>, tools);
    QFETCH(QStringList, expected);
    const QList<BoundTool> bound = ToolHost::bindTools(tools);
    QStringList names;
    for (qsizetype i = 0; i < bound.size(); ++i) {
        names.append(bound.at(i).exposedName);
        QCOMPARE(bound.at(i).definition.name, tools.at(i).name); // the source's own name is kept
        QCOMPARE(bound.at(i).definition.source, tools.at(i).source);
    }
    QCOMPARE(names, expected);
}

void TestToolHost::resolveBindsCommandAndMockByTheirIds()
{
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ mockSpec(u"orders"_s), commandSpec(u"weather"_s, u"json"_s) }), {});
    Resolved r = resolve(host, { u"orders"_s, u"weather"_s, u"orders"_s });
    QVERIFY(!r.done); // never inside the call
    QTRY_VERIFY(r.done);
    QCOMPARE(r.error, QString());
    QCOMPARE(r.tools.size(), 2); // named twice, offered once
    QCOMPARE(r.tools.at(0).exposedName, u"orders"_s);
    QCOMPARE(r.tools.at(0).definition.source, u"orders"_s);
    QCOMPARE(r.tools.at(0).definition.description, u"Look up an order"_s);
    QCOMPARE(r.tools.at(0).definition.inputSchema, mockSpec(u"orders"_s).parameters);
    QCOMPARE(r.tools.at(1).exposedName, u"weather"_s);
    QCOMPARE(r.tools.at(1).definition.inputSchema, (QJsonObject { { u"type"_s, u"object"_s } }));

    Resolved none = resolve(host, {});
    QTRY_VERIFY(none.done);
    QVERIFY(none.tools.isEmpty());
    QCOMPARE(none.error, QString());
}

void TestToolHost::resolveNamesTheBadReference()
{
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ mockSpec(u"orders"_s), httpMcpSpec(u"search"_s) }), {});
    Resolved r = resolve(host, { u"orders"_s, u"orders/refunds"_s, u"ghost/x"_s, u"search"_s });
    QTRY_VERIFY(r.done);
    QCOMPARE(r.error,
        u"tools[2]: unknown tool source 'ghost' (known: orders, search); "
        "tools[1]: source 'orders' offers no tool 'refunds' (offers: orders); "
        "tools[3]: source 'search' failed: "_s
            + ToolHost::untrustedMessage(*ToolHost::credentialUse(httpMcpSpec(u"search"_s))));
    // What did resolve is still given.
    QCOMPARE(r.tools.size(), 1);
    QCOMPARE(r.tools.at(0).exposedName, u"orders"_s);

    ToolHost empty(&m_network);
    Resolved e = resolve(empty, { u"x"_s });
    QTRY_VERIFY(e.done);
    QCOMPARE(e.error, u"tools[0]: unknown tool source 'x' (none defined)"_s);
}

void TestToolHost::sourcesKeptAcrossSetWorkspace()
{
    QTemporaryDir dir;
    ToolHost host(&m_network);
    Workspace ws = workspaceWith({ mockSpec(u"orders"_s, 200), commandSpec(u"weather"_s, u"json"_s) });
    host.setWorkspace(ws, {});
    ToolSource *orders = host.source(u"orders"_s);
    ToolSource *weather = host.source(u"weather"_s);
    QVERIFY(orders && weather);
    QCOMPARE(orders->kind(), u"mock"_s);
    QCOMPARE(weather->kind(), u"command"_s);

    // A call running on a source that stays is not disturbed by a new workspace.
    std::optional<ToolResult> running;
    orders->callTool(u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } }, {}, this,
        [&running](const ToolResult &r) { running = r; });

    ToolSourceSpec changed = commandSpec(u"weather"_s, u"text"_s);
    host.setWorkspace(workspaceWith({ mockSpec(u"orders"_s, 200), changed, mockSpec(u"extra"_s) }), {});
    QCOMPARE(host.source(u"orders"_s), orders); // unchanged spec: the same running source
    QVERIFY(host.source(u"weather"_s) != weather); // changed: a new one
    QVERIFY(host.source(u"extra"_s));
    QTRY_VERIFY(running);
    QCOMPARE(running->structuredContent.toObject().value(u"status").toString(), u"shipped"_s);

    // The same spec from another folder resolves its paths elsewhere: a new source too.
    Workspace moved = workspaceWith({ mockSpec(u"orders"_s, 200) });
    moved.filePath = dir.filePath(u"w.agents.json"_s);
    QPointer<ToolSource> old = host.source(u"orders"_s);
    host.setWorkspace(moved, {});
    QVERIFY(host.source(u"orders"_s) != old.data());
    QVERIFY(!host.source(u"weather"_s)); // removed
    QTRY_VERIFY(old.isNull()); // and deleted
    QCOMPARE(host.statuses().size(), 1);
}

void TestToolHost::statusChangesAreForwarded()
{
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ commandSpec(u"broken"_s, u"fail"_s) }), {});
    QSignalSpy spy(&host, &ToolHost::statusChanged);
    Called c;
    host.call(u"broken"_s, u"broken"_s, {}, this, [&c](const ToolResult &r, const Error &e) {
        c.result = r;
        c.error = e;
        c.done = true;
    });
    QTRY_VERIFY(c.done);
    QCOMPARE(c.error.code, ErrorCode::None); // the tool's own failure is a result
    QVERIFY(c.result.isError);
    QVERIFY(spy.count() >= 1);
    const ToolSourceStatus last = spy.last().at(0).value<ToolSourceStatus>();
    QCOMPARE(last.id, u"broken"_s);
    QCOMPARE(last.log, (QStringList { u"first line"_s, u"second line"_s, u"something broke"_s }));
}

void TestToolHost::refreshListsEverySource()
{
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ mockSpec(u"orders"_s), httpMcpSpec(u"search"_s) }), {});
    std::optional<QList<ToolSourceStatus>> got;
    host.refresh(this, [&got](const QList<ToolSourceStatus> &s) { got = s; });
    QVERIFY(!got);
    QTRY_VERIFY(got);
    QCOMPARE(got->size(), 2);
    QCOMPARE(got->at(0).id, u"orders"_s);
    QCOMPARE(got->at(0).state, ToolSourceState::Connected);
    QCOMPARE(got->at(0).tools.size(), 1);
    QCOMPARE(got->at(1).id, u"search"_s);
    QCOMPARE(got->at(1).state, ToolSourceState::Failed);

    ToolHost empty(&m_network);
    std::optional<QList<ToolSourceStatus>> none;
    empty.refresh(this, [&none](const QList<ToolSourceStatus> &s) { none = s; });
    QTRY_VERIFY(none);
    QVERIFY(none->isEmpty());
}

void TestToolHost::callChecksSourceToolAndArguments()
{
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ mockSpec(u"orders"_s), httpMcpSpec(u"search"_s) }), {});
    auto call = [&](const QString &source, const QString &tool, const QJsonObject &args) {
        Called c;
        host.call(source, tool, args, this, [&c](const ToolResult &r, const Error &e) {
            c.result = r;
            c.error = e;
            c.done = true;
        });
        if (!QTest::qWaitFor([&c] { return c.done; }, 5000))
            qFatal("no answer");
        return c;
    };
    const Called ok = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } });
    QCOMPARE(ok.error.code, ErrorCode::None);
    QVERIFY(!ok.result.isError);
    QCOMPARE(ok.result.structuredContent.toObject().value(u"status").toString(), u"shipped"_s);

    const Called toolError = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"Z9"_s } });
    QCOMPARE(toolError.error.code, ErrorCode::None);
    QVERIFY(toolError.result.isError);
    QCOMPARE(toolError.result.text(), u"order not found"_s);

    const Called noSource = call(u"nope"_s, u"x"_s, {});
    QCOMPARE(noSource.error,
        (Error { ErrorCode::NotFound, u"unknown tool source 'nope' (known: orders, search)"_s }));
    const Called noTool = call(u"orders"_s, u"refund"_s, {});
    QCOMPARE(noTool.error,
        (Error { ErrorCode::NotFound, u"tool source 'orders' offers no tool 'refund' (offers: orders)"_s }));
    const Called badArgs = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, 5 } });
    QCOMPARE(badArgs.error,
        (Error { ErrorCode::InvalidInput, u"arguments: $.order_id: expected a string, got 5"_s }));
    const Called missing = call(u"orders"_s, u"orders"_s, {});
    QCOMPARE(
        missing.error, (Error { ErrorCode::InvalidInput, u"arguments: $.order_id: missing (required)"_s }));
    const Called unreachable = call(u"search"_s, u"find"_s, {});
    QCOMPARE(unreachable.error.code, ErrorCode::Unreachable);
    QVERIFY2(unreachable.error.message.startsWith(
                 u"tool source 'search': tool source 'search' (mcp) would send"_s),
        qPrintable(unreachable.error.message));
}

void TestToolHost::bearerTokenNeedsTrust()
{
    const std::optional<CredentialUse> use = ToolHost::credentialUse(httpMcpSpec(u"search"_s));
    QVERIFY(use);
    QCOMPARE(use->providerId, u"search"_s);
    QCOMPARE(use->kind, u"mcp"_s);
    QCOMPARE(use->host, u"127.0.0.1:9"_s);
    QCOMPARE(use->origin, u"http://127.0.0.1:9"_s);
    QCOMPARE(use->variable, u"AS_TEST_MCP_TOKEN"_s);
    QCOMPARE(ToolHost::untrustedMessage(*use),
        u"tool source 'search' (mcp) would send AS_TEST_MCP_TOKEN to host 127.0.0.1:9 (an MCP server's "
        u"bearer "
        "token goes only to a trusted workspace's servers); this workspace is not trusted"_s);
    QVERIFY(!ToolHost::credentialUse(mockSpec(u"m"_s)));
    ToolSourceSpec noToken = httpMcpSpec(u"open"_s);
    noToken.bearerTokenEnv.clear();
    QVERIFY(!ToolHost::credentialUse(noToken));
    const Workspace ws = workspaceWith({ mockSpec(u"m"_s), httpMcpSpec(u"a"_s), httpMcpSpec(u"b"_s) });
    QCOMPARE(ToolHost::credentialUses(ws).size(), 2);
    QCOMPARE(ToolHost::credentialUses(ws, { u"b"_s }).size(), 1);
    QCOMPARE(ToolHost::credentialUses(ws, { u"b"_s }).at(0).providerId, u"b"_s);
    AgentSpec agent = agentNaming({ u"b/find"_s, u"m"_s, u"b"_s });
    QCOMPARE(ToolHost::sourcesOf(agent), (QStringList { u"b"_s, u"m"_s }));

    // Untrusted: no McpSource at all, the reason shown; trusted: a real MCP source.
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ httpMcpSpec(u"search"_s) }), {});
    QCOMPARE(host.statuses().at(0).state, ToolSourceState::Failed);
    QCOMPARE(host.statuses().at(0).error, ToolHost::untrustedMessage(*use));
    ToolSource *untrusted = host.source(u"search"_s);
    // Its target is shown without what a URL may hide a secret in.
    ToolSourceSpec secretUrl = httpMcpSpec(u"leaky"_s);
    secretUrl.url = u"http://user:pw@127.0.0.1:9/mcp?key=s3cret#x"_s;
    ToolHost leaky(&m_network);
    leaky.setWorkspace(workspaceWith({ secretUrl }), {});
    QCOMPARE(leaky.statuses().at(0).target, u"http://127.0.0.1:9/mcp"_s);
    host.setWorkspace(workspaceWith({ httpMcpSpec(u"search"_s) }), CredentialTrust::everything());
    QVERIFY(host.source(u"search"_s) != untrusted); // the trust decision changed what it is
    QVERIFY(host.statuses().at(0).error != ToolHost::untrustedMessage(*use));
    CredentialTrust exact;
    exact.approved = { *use };
    ToolSource *trusted = host.source(u"search"_s);
    host.setWorkspace(
        workspaceWith({ httpMcpSpec(u"search"_s) }), exact); // the same decision, said otherwise
    QCOMPARE(host.source(u"search"_s), trusted);
}

void TestToolHost::unavailableSpecSaysWhy()
{
    ToolSourceSpec bad;
    bad.id = u"files"_s;
    bad.kind = u"mcp"_s;
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ bad }), {});
    const ToolSourceStatus s = host.statuses().at(0);
    QCOMPARE(s.state, ToolSourceState::Failed);
    QCOMPARE(s.error, u"tools.files: an mcp source needs a command (stdio) or a url (Streamable HTTP)"_s);
    std::optional<ToolResult> r;
    host.source(u"files"_s)->callTool(u"x"_s, {}, {}, this, [&r](const ToolResult &result) { r = result; });
    QTRY_VERIFY(r);
    QVERIFY(r->isError);
    QCOMPARE(r->text(), s.error);
}

// Real MCP servers (the MCP client's stdio fault server, twice) and a mock that share the name
// "echo": resolve prefixes exactly those, and a tool the server does not offer is named.
void TestToolHost::mcpToolsNamedThroughResolve()
{
    ToolSourceSpec echo = mockSpec(u"echo"_s);
    echo.parameters = {};
    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ stdioMcpSpec(u"a"_s), stdioMcpSpec(u"b"_s), echo }), {});
    Resolved r = resolve(host, { u"a/echo"_s, u"b"_s, u"echo"_s });
    QTRY_VERIFY_WITH_TIMEOUT(r.done, 30000);
    QCOMPARE(r.error, QString());
    QHash<QString, QString> exposed; // "source/name" -> exposed name
    for (const BoundTool &t : std::as_const(r.tools))
        exposed.insert(t.definition.source + u'/' + t.definition.name, t.exposedName);
    QCOMPARE(exposed.value(u"a/echo"_s), u"a__echo"_s);
    QCOMPARE(exposed.value(u"b/echo"_s), u"b__echo"_s);
    QCOMPARE(exposed.value(u"echo/echo"_s), u"echo__echo"_s);
    QCOMPARE(exposed.value(u"b/crash"_s), u"crash"_s); // offered once: kept as is
    QVERIFY(!exposed.contains(u"a/crash"_s)); // only a/echo was asked of "a"
    QCOMPARE(host.source(u"a"_s)->kind(), u"mcp"_s);
    QCOMPARE(host.statuses().at(0).state, ToolSourceState::Connected);

    Resolved bad = resolve(host, { u"a/nope"_s });
    QTRY_VERIFY(bad.done);
    QVERIFY2(bad.error.startsWith(u"tools[0]: source 'a' offers no tool 'nope' (offers: echo, crash, "_s),
        qPrintable(bad.error));
    host.shutdown();
}

// The bearer token is read from the environment and sent only when the workspace is trusted;
// untrusted, the server sees no request at all (the in-test HTTP server records each one).
void TestToolHost::bearerTokenSentOnlyWhenTrusted()
{
    QProcess server;
    server.start(u"python3"_s,
        { testsupport::sourcePath(u"tests/mcp/fault_http_server.py"_s), u"--token"_s, u"s3cret-token"_s });
    QVERIFY(server.waitForStarted());
    QTRY_VERIFY(server.canReadLine());
    const QByteArray first = server.readLine().trimmed();
    QVERIFY2(first.startsWith("LISTENING "), first.constData());
    const QString port = QString::fromLatin1(first.mid(10));
    qputenv("AS_TEST_MCP_TOKEN", "s3cret-token");
    ToolSourceSpec spec = httpMcpSpec(u"search"_s);
    spec.url = u"http://127.0.0.1:%1/mcp"_s.arg(port);

    ToolHost host(&m_network);
    host.setWorkspace(workspaceWith({ spec }), {});
    std::optional<QList<ToolSourceStatus>> untrusted;
    host.refresh(this, [&untrusted](const QList<ToolSourceStatus> &s) { untrusted = s; });
    QTRY_VERIFY(untrusted);
    QCOMPARE(untrusted->at(0).state, ToolSourceState::Failed);
    QCOMPARE(untrusted->at(0).error, ToolHost::untrustedMessage(*ToolHost::credentialUse(spec)));

    host.setWorkspace(workspaceWith({ spec }), CredentialTrust::everything());
    std::optional<QList<ToolSourceStatus>> trusted;
    host.refresh(this, [&trusted](const QList<ToolSourceStatus> &s) { trusted = s; });
    QTRY_VERIFY_WITH_TIMEOUT(trusted, 20000);
    QCOMPARE(trusted->at(0).error, QString());
    QCOMPARE(trusted->at(0).state, ToolSourceState::Connected);
    QVERIFY(trusted->at(0).tools.size() >= 1);
    host.shutdown();
    // Every request the server saw came after trust, and carried the token.
    QTRY_VERIFY(server.canReadLine());
    int requests = 0;
    while (server.canReadLine()) {
        const QJsonObject line = QJsonDocument::fromJson(server.readLine()).object();
        QCOMPARE(
            line.value(u"headers").toObject().value(u"authorization").toString(), u"Bearer s3cret-token"_s);
        ++requests;
    }
    QVERIFY(requests >= 2); // initialize, tools/list (and the initialized notification)
    qunsetenv("AS_TEST_MCP_TOKEN");
    server.kill();
    server.waitForFinished();
}

QTEST_GUILESS_MAIN(TestToolHost)
#include "tst_toolhost.moc"
