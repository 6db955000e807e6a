// The app's trust decision per workspace file (docs/credentials.md), driven through the real
// MainWindow against the embedded engine and a loopback OpenAI-compatible server: asked before
// the first request, never sending the key without Trust, remembered by path and content,
// asked again when the file changes, and never asked for a workspace that sends no key beyond
// its official hosts. The dialog itself is checked (and grabbed to /tmp/trust.png).
#include "core/engine/LocalBackend.h"
#include "tests/support/ScriptedHttpServer.h"
#include "tests/support/TestSupport.h"
#include "ui/common/MessageBox.h"
#include "ui/form/FormBuilder.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/settings/WorkspaceTrust.h"
#include "ui/settings/WorkspaceTrustDialog.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/TestPanel.h"

#include <QAction>
#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <memory>

namespace {

const QByteArray kKey = "sk-ui-trust-SECRET-0123456789abcdef";

// One agent "echo" (str in, str out) on provider "cloud" = openai at `base`, key from
// AS_UI_TRUST_KEY; `instructions` lets a test change the file's content.
QByteArray workspaceJson(const QUrl &base, const QString &instructions = QStringLiteral("Echo."))
{
    const QJsonObject in { { QStringLiteral("name"), QStringLiteral("in") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject out { { QStringLiteral("name"), QStringLiteral("out") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject agent { { QStringLiteral("id"), QStringLiteral("echo") },
        { QStringLiteral("name"), QStringLiteral("Echo") },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("cloud") },
                { QStringLiteral("name"), QStringLiteral("gpt-4o-mini") } } },
        { QStringLiteral("instructions"), instructions },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), QJsonArray { in } },
                { QStringLiteral("outputs"), QJsonArray { out } } } } };
    const QJsonObject cloud { { QStringLiteral("kind"), QStringLiteral("openai") },
        { QStringLiteral("base_url"), QString(base.toString() + QStringLiteral("/v1")) },
        { QStringLiteral("api_key_env"), QStringLiteral("AS_UI_TRUST_KEY") } };
    const QJsonObject ws { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("workspace_id"), QStringLiteral("trust") },
        { QStringLiteral("providers"), QJsonObject { { QStringLiteral("cloud"), cloud } } },
        { QStringLiteral("agents"), QJsonArray { agent } } };
    return QJsonDocument(ws).toJson();
}

ScriptedHttpServer::Response okResponse()
{
    ScriptedHttpServer::Response ok;
    ok.headers = { { "Content-Type", "text/event-stream" } };
    ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi back\"}}]}\n\ndata: [DONE]\n\n";
    return ok;
}

QString labelText(QObject *parent, const char *name)
{
    auto *l = parent->findChild<QLabel *>(QString::fromLatin1(name));
    return l ? l->text() : QString();
}

} // namespace

class TestWorkspaceTrust : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<LocalBackend> m_backend;
    std::unique_ptr<MainWindow> m_window;

    void openWindow(const QString &workspacePath)
    {
        m_window.reset();
        m_backend.reset();
        m_backend = std::make_unique<LocalBackend>(Workspace(), EngineSettings());
        m_window = std::make_unique<MainWindow>(m_backend.get());
        QVERIFY(m_window->loadWorkspace(workspacePath));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    // Runs "echo" from the Single Agent tab and waits for its end; returns the final status.
    QString runEcho()
    {
        SingleAgentTab *tab = m_window->testPanel()->singleAgent();
        m_window->testPanel()->showAgent(QStringLiteral("echo"));
        auto *field = tab->form()->findChild<QLineEdit *>(QStringLiteral("field_in"));
        if (!field)
            return QStringLiteral("<no field>");
        field->setText(QStringLiteral("hello"));
        auto *run = tab->findChild<QPushButton *>(QStringLiteral("runButton"));
        if (!run)
            return QStringLiteral("<no run button>");
        run->click();
        if (!QTest::qWaitFor(
                [&] {
                    return !tab->isRunning() && !labelText(tab, "metricStatus").isEmpty()
                        && labelText(tab, "metricStatus") != u"starting";
                },
                20000))
            return QStringLiteral("<no end>");
        return labelText(tab, "metricStatus");
    }

    QString runError() const { return labelText(m_window->testPanel()->singleAgent(), "metricError"); }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_workspacetrust"));
        QSettings().clear();
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        qputenv("AS_UI_TRUST_KEY", kKey);
    }

    void cleanup()
    {
        m_window.reset();
        m_backend.reset();
    }

    void cleanupTestCase() { qunsetenv("AS_UI_TRUST_KEY"); }

    // What the user sees: one row per key use with provider, host and variable, and Don't
    // Trust as the default button (Return never trusts by accident).
    void dialogListsEveryUse()
    {
        const QList<CredentialUse> uses {
            { QStringLiteral("cloud"), QStringLiteral("openai"), QStringLiteral("collector.example:8443"),
                QStringLiteral("https://collector.example:8443"), QStringLiteral("GITHUB_TOKEN"),
                QStringLiteral("not the official host api.openai.com") },
            { QStringLiteral("claude"), QStringLiteral("anthropic"), QStringLiteral("api.anthropic.com"),
                QStringLiteral("https://api.anthropic.com"), QStringLiteral("AWS_SECRET_ACCESS_KEY"),
                QStringLiteral("not anthropic's default variable ANTHROPIC_API_KEY") }
        };
        WorkspaceTrustDialog dialog(QStringLiteral("shared.agents.json"), uses);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *list = dialog.findChild<QTreeWidget *>(QStringLiteral("trustUsesList"));
        QVERIFY(list);
        QCOMPARE(list->topLevelItemCount(), 2);
        QCOMPARE(list->topLevelItem(0)->text(WorkspaceTrustDialog::ProviderColumn),
            QStringLiteral("cloud (openai)"));
        QCOMPARE(list->topLevelItem(0)->text(WorkspaceTrustDialog::HostColumn),
            QStringLiteral("collector.example:8443"));
        QCOMPARE(list->topLevelItem(0)->text(WorkspaceTrustDialog::VariableColumn),
            QStringLiteral("$GITHUB_TOKEN"));
        QCOMPARE(list->topLevelItem(1)->text(WorkspaceTrustDialog::VariableColumn),
            QStringLiteral("$AWS_SECRET_ACCESS_KEY"));
        auto *dontTrust = dialog.findChild<QPushButton *>(QStringLiteral("dontTrustButton"));
        auto *trust = dialog.findChild<QPushButton *>(QStringLiteral("trustButton"));
        QVERIFY(dontTrust && trust);
        QVERIFY(dontTrust->isDefault());
        QVERIFY(!trust->isDefault());
        dialog.grab().save(QStringLiteral("/tmp/trust.png"));
        QTest::keyClick(&dialog, Qt::Key_Return);
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
    }

    // Don't Trust: the run fails before any request with the message naming provider, host and
    // variable; the answer is remembered (no second question on the next run).
    void dontTrustFailsBeforeAnyRequest()
    {
        ScriptedHttpServer server;
        const QString path = testsupport::writeFile(
            m_dir->path(), QStringLiteral("a.agents.json"), workspaceJson(server.url()));
        openWindow(path);
        const int asked = WorkspaceTrust::askedCount();
        WorkspaceTrust::setNextAnswer(WorkspaceTrust::Answer::DontTrust);
        QCOMPARE(runEcho(), QStringLiteral("failed"));
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1);
        const QList<CredentialUse> listed = WorkspaceTrust::lastAsked();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.first().providerId, QStringLiteral("cloud"));
        QCOMPARE(listed.first().host, server.url().authority());
        QCOMPARE(listed.first().variable, QStringLiteral("AS_UI_TRUST_KEY"));
        QVERIFY2(runError().contains(
                     QStringLiteral("would send AS_UI_TRUST_KEY to host %1").arg(server.url().authority())),
            qPrintable(runError()));
        QCOMPARE(server.requests.size(), 0);

        QCOMPARE(runEcho(), QStringLiteral("failed"));
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1); // remembered
        QCOMPARE(server.requests.size(), 0);
    }

    // Trust (here from Settings > Workspace Trust): the key goes to the server; a new window on
    // the same unchanged file runs without asking; a changed file asks again.
    void trustIsRememberedUntilTheFileChanges()
    {
        ScriptedHttpServer server;
        const QString path = testsupport::writeFile(
            m_dir->path(), QStringLiteral("b.agents.json"), workspaceJson(server.url()));
        openWindow(path);
        const int asked = WorkspaceTrust::askedCount();
        auto *action = m_window->findChild<QAction *>(QStringLiteral("actionWorkspaceTrust"));
        QVERIFY(action);
        WorkspaceTrust::setNextAnswer(WorkspaceTrust::Answer::Trust);
        action->trigger();
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1);
        server.enqueue(okResponse());
        QCOMPARE(runEcho(), QStringLiteral("completed"));
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1);
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(server.requests.first().headers.value("authorization"), QByteArray("Bearer " + kKey));

        openWindow(path); // a later session: QSettings remembers path + content hash
        server.enqueue(okResponse());
        QCOMPARE(runEcho(), QStringLiteral("completed"));
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1);
        QCOMPARE(server.requests.size(), 2);

        testsupport::writeFile(m_dir->path(), QStringLiteral("b.agents.json"),
            workspaceJson(server.url(), QStringLiteral("Echo, but changed.")));
        openWindow(path);
        WorkspaceTrust::setNextAnswer(WorkspaceTrust::Answer::DontTrust);
        QCOMPARE(runEcho(), QStringLiteral("failed"));
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 2);
        QCOMPARE(server.requests.size(), 2);
    }

    // An MCP server's bearer token is a credential like a key: the app asks about it too, and
    // trusting the workspace lets the token go (the engine's tool sources read it only then).
    void mcpBearerTokenIsAskedAbout()
    {
        const QByteArray json
            = "{\"format\": \"agentstudio/1\", \"workspace_id\": \"t\","
              "\"providers\": {\"offline\": {\"kind\": \"scripted\"}},"
              "\"tools\": {\"search\": {\"kind\": \"mcp\", \"url\": \"http://127.0.0.1:9/mcp\","
              "\"bearer_token_env\": \"AS_UI_MCP_TOKEN\"}}, \"agents\": []}";
        Result<Workspace> ws = Workspace::fromJson(json);
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        ws->filePath = m_dir->filePath(QStringLiteral("mcp.agents.json"));
        const int asked = WorkspaceTrust::askedCount();
        WorkspaceTrust::setNextAnswer(WorkspaceTrust::Answer::Trust);
        const CredentialTrust trust = WorkspaceTrust::decide(nullptr, ws.value());
        QCOMPARE(WorkspaceTrust::askedCount(), asked + 1);
        const QList<CredentialUse> listed = WorkspaceTrust::lastAsked();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.first().providerId, QStringLiteral("search"));
        QCOMPARE(listed.first().kind, QStringLiteral("mcp"));
        QCOMPARE(listed.first().host, QStringLiteral("127.0.0.1:9"));
        QCOMPARE(listed.first().variable, QStringLiteral("AS_UI_MCP_TOKEN"));
        QVERIFY(trust.allows(listed.first()));
    }

    // The decision headless: nothing to ask for a workspace whose keys stay with their official
    // hosts (the bundled example), and the same path with other content is another decision.
    void decisionIsByPathAndContent()
    {
        const int asked = WorkspaceTrust::askedCount();
        QVERIFY(credentials::usesNeedingTrust(Workspace::example()).isEmpty());
        QCOMPARE(WorkspaceTrust::decide(nullptr, Workspace::example()).approved.size(), 0);
        QCOMPARE(WorkspaceTrust::askedCount(), asked);

        const QString path = m_dir->filePath(QStringLiteral("c.agents.json"));
        WorkspaceTrust::remember(path, QStringLiteral("aaaa"), true);
        QCOMPARE(WorkspaceTrust::remembered(path, QStringLiteral("aaaa")), std::optional<bool>(true));
        QCOMPARE(WorkspaceTrust::remembered(path, QStringLiteral("bbbb")), std::nullopt);
        QCOMPARE(WorkspaceTrust::remembered(
                     m_dir->filePath(QStringLiteral("d.agents.json")), QStringLiteral("aaaa")),
            std::nullopt);
    }
};

QTEST_MAIN(TestWorkspaceTrust)
#include "tst_workspacetrust.moc"
