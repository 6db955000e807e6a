#include "FeedBackend.h"
#include "core/api/UpstreamResolver.h"
#include "tests/support/TestSupport.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/NodeInContextTab.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/TestPanel.h"
#include "ui/testpanel/TestTab.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTest>

// TestPanel reaches its tabs only through the TestTab interface: Run / Cancel go to the
// current tab whatever its type, a stored run re-runs in the tab of its mode, and every tab
// gets the workspace and the backend.
class TestTestPanel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_testpanel"));
        QSettings().clear();
        QStringList problems;
        Result<Workspace> ws = Workspace::load(
            testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json")), &problems);
        QVERIFY2(ws, qPrintable(ws.error()));
        m_workspace = ws.take();
    }

    void init()
    {
        m_backend = std::make_unique<FeedBackend>(nullptr);
        m_panel = std::make_unique<TestPanel>(m_backend.get(), nullptr);
        m_panel->setWorkspace(m_workspace);
    }
    void cleanup()
    {
        m_panel.reset();
        m_backend.reset();
    }

    // One tab per mode, in tab order, each titled as it says.
    void tabsAreTheModes()
    {
        const QList<TestTab *> &tabs = m_panel->tabs();
        QCOMPARE(tabs.size(), 3);
        QCOMPARE(tabs.at(0)->mode(), TestMode::SingleAgent);
        QCOMPARE(tabs.at(1)->mode(), TestMode::NodeInContext);
        QCOMPARE(tabs.at(2)->mode(), TestMode::FullWorkflow);
        for (int i = 0; i < tabs.size(); ++i) {
            QCOMPARE(m_panel->widget(i), tabs.at(i));
            QCOMPARE(m_panel->tabText(i), tabs.at(i)->title());
            QCOMPARE(m_panel->tabToolTip(i), tabs.at(i)->description());
        }
    }

    void runCurrent_data()
    {
        QTest::addColumn<int>("tab");
        QTest::addColumn<TestMode>("testMode");
        QTest::newRow("single agent") << 0 << TestMode::SingleAgent;
        QTest::newRow("node in context") << 1 << TestMode::NodeInContext;
        QTest::newRow("full workflow") << 2 << TestMode::FullWorkflow;
    }
    // Ctrl+Return runs the current tab, and only that one; Esc cancels that run.
    void runCurrent()
    {
        QFETCH(int, tab);
        QFETCH(TestMode, testMode);
        m_panel->setCurrentIndex(tab);
        // A node with pins: its upstream form is filled, so it can run.
        QVERIFY(
            m_panel->nodeInContext()->selectNode(QStringLiteral("research_brief"), QStringLiteral("review")));
        QVERIFY2(m_panel->tabs().at(tab)->canRun(), "the example workspace should be runnable in every tab");
        m_panel->runCurrent();
        QCOMPARE(m_backend->requests.size(), 1);
        QCOMPARE(m_backend->requests.first().testMode, testMode);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(m_panel->tabs().at(i)->isRunning(), i == tab);
        QVERIFY(m_panel->isAnyRunning());
        m_panel->cancelCurrent();
        QCOMPARE(m_backend->cancelled, QStringList { m_backend->requests.first().executionId });
    }

    void rerunGoesToTheTabOfItsMode_data()
    {
        QTest::addColumn<TestMode>("testMode");
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("orchestration");
        QTest::addColumn<QString>("node");
        QTest::addColumn<int>("tab");
        QTest::newRow("single agent")
            << TestMode::SingleAgent << QStringLiteral("critic") << QString() << QString() << 0;
        QTest::newRow("node in context") << TestMode::NodeInContext << QString()
                                         << QStringLiteral("research_brief") << QStringLiteral("review") << 1;
        QTest::newRow("full workflow")
            << TestMode::FullWorkflow << QString() << QStringLiteral("market_scan") << QString() << 2;
        // Older records without test_mode: the mode follows from the ids.
        QTest::newRow("no mode, node id") << TestMode::Unset << QString() << QStringLiteral("research_brief")
                                          << QStringLiteral("review") << 1;
        QTest::newRow("no mode, workflow id")
            << TestMode::Unset << QString() << QStringLiteral("research_brief") << QString() << 2;
        QTest::newRow("no mode, agent id")
            << TestMode::Unset << QStringLiteral("writer") << QString() << QString() << 0;
    }
    void rerunGoesToTheTabOfItsMode()
    {
        QFETCH(TestMode, testMode);
        QFETCH(QString, agent);
        QFETCH(QString, orchestration);
        QFETCH(QString, node);
        QFETCH(int, tab);
        m_panel->setCurrentIndex(tab == 0 ? 2 : 0); // start elsewhere
        ExecutionRecord record;
        record.id = QStringLiteral("0123456789abcdef");
        record.testMode = testMode;
        record.agentId = agent;
        record.orchestrationId = orchestration;
        record.nodeId = node;
        if (!node.isEmpty())
            record.inputData = QJsonObject {
                { QStringLiteral("upstream"),
                    QJsonObject { { QStringLiteral("draft"), QStringLiteral("A draft") },
                        { QStringLiteral("audience"), QStringLiteral("executive") } } },
                { QStringLiteral("inputs"), QJsonObject() },
            };
        else if (!orchestration.isEmpty())
            record.inputData = m_workspace.orchestration(orchestration)->examples.value(0).inputs;
        else
            record.inputData = m_workspace.agent(agent)->examples.value(0).inputs;
        QString error;
        const QString id = m_panel->rerun(record, &error);
        QVERIFY2(!id.isEmpty(), qPrintable(error));
        QCOMPARE(m_panel->currentIndex(), tab);
        QCOMPARE(m_backend->requests.size(), 1);
        const ExecutionRequest &request = m_backend->requests.first();
        QCOMPARE(request.rerunOf, record.id);
        QCOMPARE(request.testMode, m_panel->tabs().at(tab)->mode());
        QCOMPARE(request.agentId, agent);
        QCOMPARE(request.orchestrationId, orchestration);
        QCOMPARE(request.nodeId, node);
    }

    // A target the workspace does not have is refused by the tab of that mode, with its reason.
    void rerunOfAnUnknownTargetSaysWhy()
    {
        ExecutionRecord record;
        record.id = QStringLiteral("0123456789abcdef");
        record.testMode = TestMode::FullWorkflow;
        record.orchestrationId = QStringLiteral("gone");
        QString error;
        QVERIFY(m_panel->rerun(record, &error).isEmpty());
        QCOMPARE(error, QStringLiteral("Workflow gone is not in this workspace."));
        QVERIFY(m_backend->requests.isEmpty());
    }

    // Every tab runs through the panel's backend (one object: the app's ActiveBackend), and
    // setBeforeRun reaches every tab.
    void backendAndHookReachEveryTab()
    {
        int hooks = 0;
        m_panel->setBeforeRun([&hooks] { ++hooks; });
        for (TestTab *tab : m_panel->tabs())
            QCOMPARE(tab->tracker()->backend(), m_backend.get());
        for (int i = 0; i < m_panel->tabs().size(); ++i) {
            m_panel->setCurrentIndex(i);
            m_panel->runCurrent();
            m_panel->tabs().at(i)->cancel();
        }
        QCOMPARE(hooks, int(m_backend->requests.size()));
        QVERIFY(hooks >= 1);
    }

    // "Latest successful run" asks the backend for exactly the resolver's definition: this
    // workspace, this workflow, completed, full_workflow, newest first, one.
    void latestRunIsTheResolversDefinition()
    {
        NodeInContextTab *node = m_panel->nodeInContext();
        QVERIFY(node->selectNode(QStringLiteral("research_brief"), QStringLiteral("review")));
        node->applySource(NodeInContextTab::Source::LatestRun);
        QCOMPARE(m_backend->queries.size(), 1);
        const HistoryQuery &q = m_backend->queries.first();
        const HistoryQuery expected = upstream::latestUsableRunQuery(
            m_workspace.organizationId, m_workspace.workspaceId, QStringLiteral("research_brief"));
        QCOMPARE(q.organizationId, expected.organizationId);
        QCOMPARE(q.workspaceId, expected.workspaceId);
        QCOMPARE(q.orchestrationId, expected.orchestrationId);
        QCOMPARE(q.statuses, expected.statuses);
        QCOMPARE(q.testMode, expected.testMode);
        QCOMPARE(int(q.sort), int(expected.sort));
        QCOMPARE(q.limit, expected.limit);
    }

    void testInContextReadsTheRunThroughTheResolver_data()
    {
        QTest::addColumn<StepStatus>("draftStatus");
        QTest::addColumn<bool>("draftUsable");
        QTest::newRow("draft completed") << StepStatus::Completed << true;
        // A failed node's partial output is not an upstream value (the resolver's rule).
        QTest::newRow("draft failed") << StepStatus::Failed << false;
    }
    // Full Workflow's "Test in context" prefills Node in Context with what the resolver reads
    // from the run the tab just followed: workflow inputs along input edges, completed node
    // outputs along node edges.
    void testInContextReadsTheRunThroughTheResolver()
    {
        QFETCH(StepStatus, draftStatus);
        QFETCH(bool, draftUsable);
        FullWorkflowTab *full = m_panel->fullWorkflow();
        QVERIFY(full->selectOrchestration(QStringLiteral("research_brief")));
        const QString id = full->run();
        QVERIFY(!id.isEmpty());
        auto event = [&](ExecutionEvent::Type type, qint64 seq) {
            ExecutionEvent e;
            e.type = type;
            e.executionId = id;
            e.seq = seq;
            return e;
        };
        ExecutionEvent started = event(ExecutionEvent::Type::StepStarted, 1);
        started.step.edit().id = QStringLiteral("s-draft");
        started.step.edit().kind = StepKind::Node;
        started.step.edit().nodeId = QStringLiteral("draft");
        started.step.edit().status = StepStatus::Running;
        ExecutionEvent done = event(ExecutionEvent::Type::StepCompleted, 2);
        done.step = started.step;
        done.step.edit().status = draftStatus;
        done.step.edit().outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("The draft") } };
        ExecutionEvent complete = event(ExecutionEvent::Type::Complete, 3);
        complete.status = ExecutionStatus::Failed;
        m_backend->feed({ started, done, complete });
        QVERIFY(!full->isRunning());

        QSignalSpy requested(full, &FullWorkflowTab::testInContextRequested);
        full->testInContext(QStringLiteral("review"));
        QCOMPARE(requested.size(), 1);
        const QJsonObject up = requested.first().at(2).toJsonObject();
        const QJsonObject inputs
            = m_workspace.orchestration(QStringLiteral("research_brief"))->examples.first().inputs;
        QCOMPARE(up.value(QStringLiteral("audience")), inputs.value(QStringLiteral("audience")));
        QCOMPARE(up.contains(QStringLiteral("draft")), draftUsable);
        if (draftUsable)
            QCOMPARE(up.value(QStringLiteral("draft")).toString(), QStringLiteral("The draft"));
        QCOMPARE(m_panel->currentWidget(), m_panel->nodeInContext());
    }

private:
    Workspace m_workspace;
    std::unique_ptr<FeedBackend> m_backend;
    std::unique_ptr<TestPanel> m_panel;
};

QTEST_MAIN(TestTestPanel)
#include "tst_testpanel.moc"
