// The real MainWindow against the REAL agentstudio-server binary (loopback, ephemeral port, a
// temporary database, a temporary copy of the bundled example workspace and a tokens file):
// File > Connect to Remote Workspace through the dialog (driven by objectName), the status bar,
// the Single Agent test panel streaming from the server, the history and trace docks, a run that
// survives forced disconnects without losing or doubling text, and the way back to the local
// engine. Screenshot of the connected window: /tmp/shot_remote.png.
#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/remote/RemoteBackend.h"
#include "tests/support/ServerFixture.h"
#include "tests/support/TestSupport.h"
#include "ui/common/MessageBox.h"
#include "ui/form/FormBuilder.h"
#include "ui/history/HistoryDock.h"
#include "ui/history/HistoryModel.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/remote/ConnectDialog.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/NodeInContextTab.h"
#include "ui/testpanel/OutputFieldsView.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/StreamOutputView.h"
#include "ui/testpanel/TestPanel.h"
#include "ui/trace/CompareView.h"
#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceView.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <memory>

using namespace serverfixture;

namespace {

const QString kToken = QStringLiteral("app-remote-token-0123456789abcdef");

// The writer's fixed reply on the server: long enough at 60 tokens/s (~3 s) to be cut twice.
QString writerReply()
{
    QStringList sentences;
    for (int i = 0; i < 30; ++i)
        sentences << QStringLiteral("Remote line %1 streams once.").arg(i);
    return sentences.join(QLatin1Char(' '));
}

// The bundled example, renamed so that the server's copy is told apart from the local one, with
// the writer made slow and deterministic.
QByteArray servedWorkspace()
{
    QFile f(testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QJsonObject ws = QJsonDocument::fromJson(f.readAll()).object();
    ws.insert(QStringLiteral("workspace_id"), QStringLiteral("served"));
    ws.insert(QStringLiteral("organization_id"), QStringLiteral("acme"));
    QJsonArray agents = ws.value(QStringLiteral("agents")).toArray();
    for (qsizetype i = 0; i < agents.size(); ++i) {
        QJsonObject a = agents.at(i).toObject();
        if (a.value(QStringLiteral("id")).toString() != QStringLiteral("writer"))
            continue;
        a.insert(QStringLiteral("name"), QStringLiteral("Server Writer"));
        QJsonObject model = a.value(QStringLiteral("model")).toObject();
        model.insert(QStringLiteral("tokens_per_second"), 60);
        model.insert(QStringLiteral("ttft_ms"), 100);
        model.insert(QStringLiteral("replies"), QJsonArray { writerReply() });
        a.insert(QStringLiteral("model"), model);
        agents.replace(i, a);
    }
    ws.insert(QStringLiteral("agents"), agents);
    return QJsonDocument(ws).toJson();
}

template <typename T> T *child(QObject *parent, const QString &name)
{
    T *w = parent ? parent->findChild<T *>(name) : nullptr;
    if (!w)
        qWarning("no child %s named %s", T::staticMetaObject.className(), qPrintable(name));
    return w;
}

QString labelText(QObject *parent, const char *name)
{
    auto *l = parent->findChild<QLabel *>(QString::fromLatin1(name));
    return l ? l->text() : QString();
}

QStringList treeTexts(QTreeWidget *tree)
{
    QStringList out;
    for (QTreeWidgetItemIterator it(tree); *it; ++it)
        out << (*it)->text(0);
    return out;
}

} // namespace

class TestAppRemote : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    // File > Connect to Remote Workspace through the dialog: the status bar names the server and
    // says connected, the tree and test panel show the server's workspace, local-file actions
    // and Pin are off, and the saved profile holds no token.
    void connectThroughDialog();
    // Single Agent against the server: streamed text, parsed output, metrics; the run is the
    // server's (its id), in the server's history and in the history and trace docks.
    void singleAgentOnServer();
    // Forced disconnects in the middle of a slow run: the final text equals the reply exactly
    // once, and the status bar went through a non-connected state and back to connected.
    void runSurvivesDroppedConnection();
    // Full Workflow and Node in Context against the server: node states, outputs, the pins of
    // the server's workspace prefilling the node's upstream form.
    void workflowModesOnServer();
    // Switching engines is refused while a run is going (the run is followed where it started).
    void noSwitchWhileRunning();
    // File > Use Local Engine: the local workspace and engine are back, the remote backend is
    // deleted later, and a run goes through the embedded engine.
    void switchBackToLocal();
    // What --remote does at start (a backend handed over before the server answered): with a
    // refused token "connecting…", then "disconnected — refused" with the server's message;
    // with a valid one the server's workspace shows once it arrives. Use Local Engine goes back.
    void connectAtStartLikeCli();
    // agentstudio --remote without a readable token file: exit 2 naming the file.
    void cliRejectsMissingTokenFile();

private:
    SingleAgentTab *single() const { return m_window->testPanel()->singleAgent(); }
    void runCritic();

    std::unique_ptr<QTemporaryDir> m_dir;
    ServerProcess m_server;
    QNetworkAccessManager m_nam;
    std::unique_ptr<LocalBackend> m_local;
    std::unique_ptr<MainWindow> m_window;
    QString m_hostPort;
    QString m_lastRemoteId;
};

void TestAppRemote::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_app_remote"));
    QSettings().clear();
    qRegisterMetaType<RemoteBackend *>();
    MessageBox::setDefaultAnswer(QMessageBox::NoButton);

    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const QByteArray served = servedWorkspace();
    QVERIFY(!served.isEmpty());
    const QString wsPath
        = testsupport::writeFile(m_dir->path(), QStringLiteral("served.agents.json"), served);
    const QByteArray tokens
        = QJsonDocument(QJsonObject { { QStringLiteral("tokens"),
                            QJsonArray { QJsonObject { { QStringLiteral("token"), kToken },
                                { QStringLiteral("organization_id"), QStringLiteral("acme") },
                                { QStringLiteral("workspace_id"), QStringLiteral("served") } } } } })
              .toJson();
    const QString tokensPath = testsupport::writeFile(m_dir->path(), QStringLiteral("tokens.json"), tokens);
    QString error;
    QVERIFY2(m_server.startRaw({ QStringLiteral("--workspace"), wsPath, QStringLiteral("--db"),
                                   m_dir->filePath(QStringLiteral("server.db")), QStringLiteral("--listen"),
                                   QStringLiteral("127.0.0.1:0"), QStringLiteral("--tokens"), tokensPath },
                 &error),
        qPrintable(error));
    m_hostPort = QStringLiteral("127.0.0.1:%1").arg(m_server.url.port());

    EngineSettings settings;
    settings.databasePath = m_dir->filePath(QStringLiteral("local.db"));
    m_local = std::make_unique<LocalBackend>(Workspace(), settings);
    m_window = std::make_unique<MainWindow>(m_local.get());
    m_window->resize(1500, 950);
    m_window->openInitialWorkspace(); // the bundled example, locally
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("example"));
}

void TestAppRemote::cleanupTestCase()
{
    if (m_window)
        m_window->setWindowModified(false);
    m_window.reset();
    m_local.reset();
    QCOMPARE(m_server.terminate(), 0);
}

void TestAppRemote::connectThroughDialog()
{
    QVERIFY(labelText(m_window.get(), "engineLabel").contains(QStringLiteral("Engine: Local")));
    auto *connectAction = child<QAction>(m_window.get(), QStringLiteral("actionConnectRemote"));
    auto *localAction = child<QAction>(m_window.get(), QStringLiteral("actionUseLocal"));
    QVERIFY(connectAction && localAction);
    QVERIFY(!localAction->isEnabled());

    connectAction->trigger(); // opens the dialog and returns at once
    ConnectDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<ConnectDialog *>()) && dialog->isVisible());
    child<QLineEdit>(dialog, QStringLiteral("remoteUrlEdit"))->setText(m_server.url.toString());
    child<QLineEdit>(dialog, QStringLiteral("remoteProfileNameEdit"))->setText(QStringLiteral("test server"));
    QTest::keyClicks(child<QLineEdit>(dialog, QStringLiteral("remoteTokenEdit")), kToken);
    QVERIFY(child<QCheckBox>(dialog, QStringLiteral("remoteSaveProfileCheck"))->isChecked());
    child<QPushButton>(dialog, QStringLiteral("remoteConnectButton"))->click();

    QTRY_VERIFY_WITH_TIMEOUT(m_window->isRemote(), 15000);
    QCOMPARE(m_window->backend(), static_cast<ExecutionBackend *>(m_window->remoteBackend()));
    const QString engine = labelText(m_window.get(), "engineLabel");
    QVERIFY2(engine.contains(QStringLiteral("Remote: ") + m_hostPort), qPrintable(engine));
    QVERIFY2(engine.endsWith(QStringLiteral("</span> connected")), qPrintable(engine));

    // The server's workspace, not the local one.
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("served"));
    auto *tree = child<QTreeWidget>(m_window.get(), QStringLiteral("workspaceTree"));
    QVERIFY2(
        treeTexts(tree).contains(QStringLiteral("Server Writer")), qPrintable(treeTexts(tree).join(u'|')));
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("served on ") + m_hostPort));
    QVERIFY(!tree->isHeaderHidden()); // "served · on host:port" above the agents
    QVERIFY(tree->headerItem()->text(0).contains(m_hostPort));
    QVERIFY(single()->selectAgent(QStringLiteral("writer")));

    // Edited on the server: Save and friends are off, Use Local Engine is on, Pin is off.
    QVERIFY(!child<QAction>(m_window.get(), QStringLiteral("actionSave"))->isEnabled());
    QVERIFY(!child<QAction>(m_window.get(), QStringLiteral("actionSaveAs"))->isEnabled());
    QVERIFY(!child<QAction>(m_window.get(), QStringLiteral("actionOpen"))->isEnabled());
    QVERIFY(localAction->isEnabled());
    QVERIFY(!m_window->save());
    NodeInContextTab *node = m_window->testPanel()->nodeInContext();
    QVERIFY(node->selectNode(
        QStringLiteral("research_brief"), QStringLiteral("review"))); // has pins, fed by draft
    QVERIFY(!child<QPushButton>(node, QStringLiteral("pinButton"))->isEnabled());

    // The profile was saved without the token.
    QTRY_VERIFY(!m_window->findChild<ConnectDialog *>()); // closed and deleted
    QCOMPARE(ConnectDialog::savedProfiles().size(), 1);
    QSettings settings;
    settings.sync();
    QFile file(settings.fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains(kToken.toUtf8()));

    m_window->testPanel()->setCurrentIndex(0);
    QVERIFY(m_window->grab().save(QStringLiteral("/tmp/shot_remote_connected.png")));
}

void TestAppRemote::runCritic()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("critic"));
    tab->form()->setValues(
        { { QStringLiteral("draft"), QStringLiteral("Heat pumps move heat; remote review please.") },
            { QStringLiteral("audience"), QStringLiteral("technical") } });
    auto *run = child<QPushButton>(tab, QStringLiteral("runButton"));
    QVERIFY2(run->isEnabled(), qPrintable(tab->form()->problems().join(u'\n')));
    run->click();
    QVERIFY(tab->isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 20000);
}

void TestAppRemote::singleAgentOnServer()
{
    QVERIFY(m_window->isRemote());
    SingleAgentTab *tab = single();
    runCritic();
    const QString id = tab->tracker()->executionId();
    m_lastRemoteId = id;

    // Streamed text, the parsed fields, the raw reply and the metrics.
    auto *stream = child<StreamOutputView>(tab, QStringLiteral("streamOutput"));
    QTRY_VERIFY(!stream->streamText().isEmpty());
    auto *outputs = child<OutputFieldsView>(tab, QStringLiteral("outputFields"));
    QVERIFY2(outputs->values().contains(QStringLiteral("verdict")),
        qPrintable(as::compactJson(outputs->values())));
    QVERIFY(outputs->values().contains(QStringLiteral("score")));
    auto *raw = child<QPlainTextEdit>(tab, QStringLiteral("rawReply"));
    QCOMPARE(stream->streamText(), raw->toPlainText());
    QVERIFY(labelText(tab, "metricLatency") != QStringLiteral("–"));
    QVERIFY(labelText(tab, "metricTtft") != QStringLiteral("–"));
    QVERIFY(labelText(tab, "metricTokens") != QStringLiteral("–"));
    QVERIFY(labelText(tab, "metricRate") != QStringLiteral("–"));

    // The run is the server's: it has the id the server gave and is stored there.
    const HttpResult rec
        = http(m_nam, "GET", m_server.url.resolved(QUrl(QStringLiteral("/api/executions/") + id)), kToken);
    QCOMPARE(rec.status, 200);
    QCOMPARE(rec.json.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
    QCOMPARE(rec.json.value(QStringLiteral("trigger_type")).toString(), QStringLiteral("test_panel"));
    QCOMPARE(rec.json.value(QStringLiteral("agent_id")).toString(), QStringLiteral("critic"));
    QCOMPARE(rec.json.value(QStringLiteral("output_data")).toObject(), outputs->values());

    // The trace dock followed the server's id, not the provisional one.
    auto *trace = child<TraceView>(m_window.get(), QStringLiteral("traceView"));
    QVERIFY(trace);
    QCOMPARE(trace->executionId(), id);
    QTRY_VERIFY(trace->model()->nodeCount() >= 2); // the execution and its steps, from the server's events
    // ...and the history dock lists it (the server's history).
    auto *dock = child<HistoryDock>(m_window.get(), QStringLiteral("historyDock"));
    QVERIFY(dock);
    QTRY_VERIFY_WITH_TIMEOUT(dock->model()->rowOf(id) >= 0, 10000);
    QCOMPARE(dock->model()->record(dock->model()->rowOf(id)).status, ExecutionStatus::Completed);
    child<QLineEdit>(dock, QStringLiteral("historySearch"))->setText(QStringLiteral("remote"));
    QTRY_VERIFY_WITH_TIMEOUT(
        !dock->model()->isLoading() && dock->model()->rowCount() == 1 && dock->model()->rowOf(id) == 0,
        10000);
    child<QLineEdit>(dock, QStringLiteral("historySearch"))->clear();
}

void TestAppRemote::runSurvivesDroppedConnection()
{
    RemoteBackend *remote = m_window->remoteBackend();
    QVERIFY(remote);
    // What the status bar said at each connection state change (read right after the window
    // updated it: this connection is made later, so it runs later).
    // The probe is the connection's context: it ends with this function, however it returns.
    QStringList shown;
    QObject probe;
    connect(remote, &ExecutionBackend::connectionStateChanged, &probe,
        [&](const QString &) { shown << labelText(m_window.get(), "engineLabel"); });

    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("writer"));
    child<QLineEdit>(tab->form(), QStringLiteral("field_topic"))
        ->setText(QStringLiteral("Resumable streams"));
    QVERIFY(!tab->run().isEmpty());
    auto *stream = child<StreamOutputView>(tab, QStringLiteral("streamOutput"));
    const QString reply = writerReply();

    QTRY_VERIFY_WITH_TIMEOUT(
        labelText(m_window.get(), "countsLabel").contains(QStringLiteral("1 running")), 10000);
    // Cut the connection twice while the text streams.
    QTRY_VERIFY2_WITH_TIMEOUT(stream->streamText().size() > reply.size() / 5,
        qPrintable(labelText(tab, "metricStatus") + u' ' + labelText(tab, "metricError") + u' '
            + stream->streamText()),
        15000);
    QVERIFY(tab->isRunning());
    remote->dropConnections();
    QTRY_VERIFY_WITH_TIMEOUT(remote->reconnectCount() >= 1, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(stream->streamText().size() > reply.size() / 2, 15000);
    QVERIFY(tab->isRunning());
    remote->dropConnections();
    QTRY_VERIFY_WITH_TIMEOUT(remote->reconnectCount() >= 2, 10000);

    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 20000);
    // Nothing lost, nothing doubled.
    QCOMPARE(stream->streamText(), reply);
    QCOMPARE(child<OutputFieldsView>(tab, QStringLiteral("outputFields"))
                 ->values()
                 .value(QStringLiteral("text"))
                 .toString(),
        reply);

    // The status bar left "connected" and came back to it.
    bool sawDown = false;
    for (const QString &s : std::as_const(shown))
        sawDown = sawDown || s.contains(QStringLiteral("connecting…"))
            || s.contains(QStringLiteral("disconnected"));
    QVERIFY2(sawDown, qPrintable(shown.join(u'\n')));
    QTRY_VERIFY(labelText(m_window.get(), "engineLabel").endsWith(QStringLiteral("</span> connected")));
    QVERIFY(labelText(m_window.get(), "engineLabel").contains(QStringLiteral("Remote: ") + m_hostPort));
    QTRY_VERIFY(labelText(m_window.get(), "countsLabel").contains(QStringLiteral("0 running")));

    m_window->testPanel()->setCurrentIndex(0);
    QVERIFY(m_window->grab().save(QStringLiteral("/tmp/shot_remote.png")));
}

void TestAppRemote::workflowModesOnServer()
{
    TestPanel *panel = m_window->testPanel();
    FullWorkflowTab *full = panel->fullWorkflow();
    panel->showOrchestration(QStringLiteral("research_brief"));
    full->form()->setValues({ { QStringLiteral("topic"), QStringLiteral("Remote workflows") } });
    QVERIFY(!full->run().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(
        full->nodeState(QStringLiteral("draft")) != FullWorkflowTab::NodeState::Waiting, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(labelText(full, "metricStatus"), QStringLiteral("completed"), 30000);
    QCOMPARE(full->nodeState(QStringLiteral("draft")), FullWorkflowTab::NodeState::Done);
    QCOMPARE(full->nodeState(QStringLiteral("review")), FullWorkflowTab::NodeState::Done);
    const QJsonObject out = full->output()->outputs()->values();
    QCOMPARE(out.value(QStringLiteral("brief")).toString(), writerReply());
    QVERIFY(out.contains(QStringLiteral("verdict")));

    NodeInContextTab *node = panel->nodeInContext();
    panel->showNode(QStringLiteral("research_brief"), QStringLiteral("review"));
    // The server workspace's pins fill the upstream form.
    QTRY_VERIFY(node->upstreamForm()
                    ->values()
                    .value(QStringLiteral("draft"))
                    .toString()
                    .startsWith(QStringLiteral("Heat pumps")));
    QVERIFY(!node->run().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(labelText(node, "metricStatus"), QStringLiteral("completed"), 20000);
    const HttpResult rec = http(m_nam, "GET",
        m_server.url.resolved(QUrl(QStringLiteral("/api/executions/") + node->tracker()->executionId())),
        kToken);
    QCOMPARE(rec.status, 200);
    QCOMPARE(rec.json.value(QStringLiteral("test_mode")).toString(), QStringLiteral("node_in_context"));
    QCOMPARE(rec.json.value(QStringLiteral("node_id")).toString(), QStringLiteral("review"));
    panel->setCurrentIndex(0);
}

void TestAppRemote::noSwitchWhileRunning()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("writer"));
    QVERIFY(!tab->run().isEmpty());
    const int before = MessageBox::count();
    MessageBox::setNextAnswer(QMessageBox::Ok);
    QVERIFY(!m_window->useLocalEngine());
    QCOMPARE(MessageBox::count(), before + 1);
    QVERIFY(MessageBox::lastText().contains(QStringLiteral("still going")));
    QVERIFY(m_window->isRemote());
    child<QPushButton>(tab, QStringLiteral("cancelButton"))->click();
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 15000);
    QVERIFY2(labelText(tab, "metricStatus") == QStringLiteral("cancelled"),
        qPrintable(labelText(tab, "metricStatus") + u' ' + labelText(tab, "metricError")));
}

void TestAppRemote::switchBackToLocal()
{
    QPointer<RemoteBackend> remote = m_window->remoteBackend();
    QVERIFY(remote);
    child<QAction>(m_window.get(), QStringLiteral("actionUseLocal"))->trigger();
    QVERIFY(!m_window->isRemote());
    QCOMPARE(m_window->backend(), static_cast<ExecutionBackend *>(m_local.get()));
    QTRY_VERIFY(remote.isNull()); // deleted later, not at once
    const QString engine = labelText(m_window.get(), "engineLabel");
    QVERIFY2(engine.contains(QStringLiteral("Engine: Local")) && !engine.contains(QStringLiteral("Remote")),
        qPrintable(engine));
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("example"));
    auto *tree = child<QTreeWidget>(m_window.get(), QStringLiteral("workspaceTree"));
    QVERIFY(!treeTexts(tree).contains(QStringLiteral("Server Writer")));
    QVERIFY(tree->isHeaderHidden());
    QVERIFY(child<QAction>(m_window.get(), QStringLiteral("actionSave"))->isEnabled());
    QVERIFY(!child<QAction>(m_window.get(), QStringLiteral("actionUseLocal"))->isEnabled());

    // A run goes through the embedded engine now: its id is not one the server knows.
    runCritic();
    const QString id = single()->tracker()->executionId();
    QVERIFY(id != m_lastRemoteId);
    const HttpResult rec
        = http(m_nam, "GET", m_server.url.resolved(QUrl(QStringLiteral("/api/executions/") + id)), kToken);
    QCOMPARE(rec.status, 404);
    auto *dock = child<HistoryDock>(m_window.get(), QStringLiteral("historyDock"));
    QTRY_VERIFY_WITH_TIMEOUT(dock->model()->rowOf(id) >= 0, 10000);
    QCOMPARE(dock->model()->rowOf(m_lastRemoteId), -1); // the server's runs are not listed here
}

void TestAppRemote::connectAtStartLikeCli()
{
    QVERIFY(!m_window->isRemote());
    QVERIFY(m_window->useRemoteBackend(new RemoteBackend(m_server.url, QStringLiteral("not-a-valid-token"))));
    QVERIFY(m_window->isRemote());
    QVERIFY2(labelText(m_window.get(), "engineLabel").endsWith(QStringLiteral("</span> connecting…")),
        qPrintable(labelText(m_window.get(), "engineLabel")));
    QTRY_VERIFY_WITH_TIMEOUT(
        labelText(m_window.get(), "engineLabel").endsWith(QStringLiteral("disconnected — refused")), 10000);
    QVERIFY2(m_window->statusBar()->currentMessage().contains(QStringLiteral("401")),
        qPrintable(m_window->statusBar()->currentMessage()));
    QVERIFY(m_window->workspace().agents.isEmpty());

    // A valid token replaces it (the refused backend is deleted later).
    QPointer<RemoteBackend> refused = m_window->remoteBackend();
    QVERIFY(m_window->useRemoteBackend(new RemoteBackend(m_server.url, kToken)));
    QTRY_VERIFY(refused.isNull());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->workspace().workspaceId, QStringLiteral("served"), 10000);
    QVERIFY(m_window->testPanel()->singleAgent()->selectAgent(QStringLiteral("writer")));
    QVERIFY(labelText(m_window.get(), "engineLabel").endsWith(QStringLiteral("</span> connected")));
    QVERIFY(m_window->useLocalEngine());
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("example"));
    QVERIFY(labelText(m_window.get(), "engineLabel").contains(QStringLiteral("Engine: Local")));
}

void TestAppRemote::cliRejectsMissingTokenFile()
{
    const QString missing = m_dir->filePath(QStringLiteral("no-such-token"));
    const testsupport::ProcessResult r
        = testsupport::runProcess(testsupport::binaryPath(QStringLiteral("studio/agentstudio")),
            { QStringLiteral("--remote"), m_server.url.toString(), QStringLiteral("--token-file"), missing },
            30000, { QStringLiteral("QT_QPA_PLATFORM=offscreen") });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(missing.toUtf8()), r.err.constData());
}

QTEST_MAIN(TestAppRemote)
#include "tst_app_remote.moc"
