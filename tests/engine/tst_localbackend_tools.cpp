#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/tools/ToolHost.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/TestSupport.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

// LocalBackend's tools (docs/tools.md): the engine's ToolHost runs on the engine thread and is
// reached from the caller's thread through listTools / callTool, whose answers come back on the
// caller's thread; the host's status changes arrive as toolsChanged(); setWorkspace replaces
// the sources.

using namespace Qt::StringLiterals;

namespace {

ToolSourceSpec ordersSpec()
{
    ToolSourceSpec s;
    s.id = u"orders"_s;
    s.kind = u"mock"_s;
    s.parameters = QJsonObject { { u"type"_s, u"object"_s },
        { u"properties"_s, QJsonObject { { u"order_id"_s, QJsonObject { { u"type"_s, u"string"_s } } } } },
        { u"required"_s, QJsonArray { u"order_id"_s } } };
    s.responses = QJsonArray { QJsonObject { { u"when"_s, QJsonObject { { u"order_id"_s, u"A1"_s } } },
                                   { u"result"_s, QJsonObject { { u"status"_s, u"shipped"_s } } } },
        QJsonObject { { u"error"_s, u"order not found"_s } } };
    return s;
}

ToolSourceSpec failingCommand()
{
    ToolSourceSpec s;
    s.id = u"broken"_s;
    s.kind = u"command"_s;
    s.command = u"python3"_s;
    s.args = QStringList { testsupport::sourcePath(u"tests/tools/command_tool.py"_s), u"fail"_s };
    return s;
}

Workspace workspace(const QList<ToolSourceSpec> &tools)
{
    Workspace ws;
    ws.workspaceId = u"tools"_s;
    ws.tools = tools;
    return ws;
}

} // namespace

class TestLocalBackendTools : public QObject
{
    Q_OBJECT

private slots:
    void hostLivesOnTheEngineThread();
    void listToolsAnswersOnTheCallersThread();
    void callToolResultsAndErrors();
    void statusChangesBecomeToolsChanged();
    void setWorkspaceReplacesTheSources();
};

void TestLocalBackendTools::hostLivesOnTheEngineThread()
{
    LocalBackend backend(workspace({ ordersSpec() }), EngineSettings {});
    Engine *engine = backend.engine();
    QThread *hostThread = nullptr;
    // Asked on the engine thread itself: the host is only ever touched there.
    QMetaObject::invokeMethod(
        engine, [engine, &hostThread] { hostThread = engine->tools()->thread(); },
        Qt::BlockingQueuedConnection);
    QVERIFY(hostThread);
    QCOMPARE(hostThread->objectName(), u"agentstudio-engine"_s);
    QVERIFY(hostThread != QThread::currentThread());
}

void TestLocalBackendTools::listToolsAnswersOnTheCallersThread()
{
    LocalBackend backend(workspace({ ordersSpec(), failingCommand() }), EngineSettings {});
    QThread *answeredOn = nullptr;
    const auto answer = awaitReply<QList<ToolSourceStatus>>([&](QObject *context, auto callback) {
        backend.listTools(context, [&answeredOn, callback](const QList<ToolSourceStatus> &s, const Error &e) {
            answeredOn = QThread::currentThread();
            callback(s, e);
        });
    });
    QVERIFY(answer);
    QCOMPARE(answeredOn, QThread::currentThread());
    const auto &[sources, error] = *answer;
    QCOMPARE(error.code, ErrorCode::None);
    QCOMPARE(sources.size(), 2);
    QCOMPARE(sources.at(0).id, u"orders"_s);
    QCOMPARE(sources.at(0).kind, u"mock"_s);
    QCOMPARE(sources.at(0).state, ToolSourceState::Connected);
    QCOMPARE(sources.at(0).tools.at(0).inputSchema, ordersSpec().parameters);
    QCOMPARE(sources.at(1).id, u"broken"_s);
    QCOMPARE(sources.at(1).kind, u"command"_s);
}

void TestLocalBackendTools::callToolResultsAndErrors()
{
    LocalBackend backend(workspace({ ordersSpec() }), EngineSettings {});
    auto call = [&](const QString &source, const QString &tool, const QJsonObject &args) {
        const auto answer = awaitReply<ToolResult>([&](QObject *context, auto callback) {
            backend.callTool(source, tool, args, context, callback);
        });
        if (!answer)
            qFatal("no answer from callTool");
        return *answer;
    };
    const auto [ok, okError] = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } });
    QCOMPARE(okError.code, ErrorCode::None);
    QVERIFY(!ok.isError);
    QCOMPARE(ok.structuredContent.toObject().value(u"status").toString(), u"shipped"_s);
    const auto [toolError, toolErrorError]
        = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"B"_s } });
    QCOMPARE(toolErrorError.code, ErrorCode::None);
    QVERIFY(toolError.isError);
    QCOMPARE(toolError.text(), u"order not found"_s);
    const auto [r1, unknownSource] = call(u"ghost"_s, u"x"_s, {});
    QCOMPARE(
        unknownSource, (Error { ErrorCode::NotFound, u"unknown tool source 'ghost' (known: orders)"_s }));
    const auto [r2, unknownTool] = call(u"orders"_s, u"x"_s, {});
    QCOMPARE(unknownTool.code, ErrorCode::NotFound);
    const auto [r3, badArgs] = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, true } });
    QCOMPARE(badArgs,
        (Error { ErrorCode::InvalidInput, u"arguments: $.order_id: expected a string, got true"_s }));

    // A caller that is gone hears nothing.
    bool heard = false;
    auto *context = new QObject;
    backend.callTool(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } }, context,
        [&heard](const ToolResult &, const Error &) { heard = true; });
    delete context;
    const auto after = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } });
    QCOMPARE(after.second.code, ErrorCode::None); // answers are in order: the first one was dropped
    QVERIFY(!heard);
}

void TestLocalBackendTools::statusChangesBecomeToolsChanged()
{
    LocalBackend backend(workspace({ failingCommand() }), EngineSettings {});
    QSignalSpy changed(&backend, &ExecutionBackend::toolsChanged);
    const auto answer = awaitReply<ToolResult>([&](QObject *context, auto callback) {
        backend.callTool(u"broken"_s, u"broken"_s, {}, context, callback);
    });
    QVERIFY(answer);
    QVERIFY(answer->first.isError);
    QTRY_VERIFY(changed.count() >= 1); // its stderr became the source's log
    const auto listed = awaitReply<QList<ToolSourceStatus>>(
        [&](QObject *context, auto callback) { backend.listTools(context, callback); });
    QVERIFY(listed);
    QCOMPARE(listed->first.at(0).log.last(), u"something broke"_s);
}

void TestLocalBackendTools::setWorkspaceReplacesTheSources()
{
    LocalBackend backend(workspace({ ordersSpec() }), EngineSettings {});
    ToolSourceSpec other = ordersSpec();
    other.id = u"refunds"_s;
    backend.setWorkspace(workspace({ other }));
    const auto listed = awaitReply<QList<ToolSourceStatus>>(
        [&](QObject *context, auto callback) { backend.listTools(context, callback); });
    QVERIFY(listed);
    QCOMPARE(listed->first.size(), 1);
    QCOMPARE(listed->first.at(0).id, u"refunds"_s);
}

QTEST_GUILESS_MAIN(TestLocalBackendTools)
#include "tst_localbackend_tools.moc"
