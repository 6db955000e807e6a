#include "FeedBackend.h"
#include "core/api/UpstreamResolver.h"
#include "tests/support/TestSupport.h"
#include "ui/testpanel/ConversationView.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/NodeInContextTab.h"
#include "ui/testpanel/RunOptions.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/TestPanel.h"
#include "ui/testpanel/TestTab.h"
#include "ui/testpanel/ToolCallsView.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTextBrowser>

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

    // A tool call shows in the live output as it happens: the tool, its source and arguments
    // while it runs, then its result (or error) and latency; each call is a collapsible row.
    void toolCallShownLive()
    {
        SingleAgentTab *single = m_panel->singleAgent();
        QVERIFY(single->selectAgent(QStringLiteral("writer")));
        const QString id = single->run();
        QVERIFY(!id.isEmpty());
        auto *calls = single->findChild<ToolCallsView *>(QStringLiteral("toolCalls"));
        QVERIFY(calls);
        QVERIFY(calls->isHidden()); // no call yet
        StepRecord step;
        step.id = QStringLiteral("tool-1");
        step.executionId = id;
        step.kind = StepKind::Tool;
        step.name = QStringLiteral("lookup_order");
        step.provider = QStringLiteral("orders");
        step.toolCallId = QStringLiteral("call_1");
        step.status = StepStatus::Running;
        step.inputData = QJsonObject { { QStringLiteral("order_id"), 42 } };
        m_backend->feed({ stepEvent(ExecutionEvent::Type::StepStarted, id, 1, step) });
        QCOMPARE(calls->callCount(), 1);
        QVERIFY(!calls->isHidden());
        QTreeWidgetItem *row = calls->callItem(QStringLiteral("tool-1"));
        QVERIFY(row);
        QVERIFY(row->text(0).contains(QLatin1String("lookup_order")));
        QVERIFY(row->text(0).contains(QLatin1String("orders")));
        QCOMPARE(row->text(1), QStringLiteral("running…"));
        QCOMPARE(row->child(0)->text(0), QStringLiteral("arguments: {\"order_id\":42}"));
        QVERIFY(row->child(1)->isHidden());

        step.status = StepStatus::Completed;
        step.executionTimeMs = 37;
        step.outputData
            = ToolResult::fromValue(QJsonObject { { QStringLiteral("status"), QStringLiteral("shipped") } })
                  .toJson();
        StepRecord failed = step;
        failed.id = QStringLiteral("tool-2");
        failed.status = StepStatus::Failed;
        failed.outputData = ToolResult::fromError(QStringLiteral("order 7 not found")).toJson();
        failed.errorMessage = QStringLiteral("order 7 not found");
        m_backend->feed({ stepEvent(ExecutionEvent::Type::StepCompleted, id, 2, step),
            stepEvent(ExecutionEvent::Type::StepStarted, id, 3, failed),
            stepEvent(ExecutionEvent::Type::StepCompleted, id, 4, failed) });
        QCOMPARE(calls->callCount(), 2);
        QCOMPARE(row->text(1), QStringLiteral("37 ms"));
        QVERIFY(!row->child(1)->isHidden());
        QCOMPARE(row->child(1)->text(0), QStringLiteral("result: {\"status\":\"shipped\"}"));
        QTreeWidgetItem *error = calls->callItem(QStringLiteral("tool-2"));
        QVERIFY(error->text(0).contains(QLatin1String("error")));
        QCOMPARE(error->child(1)->text(0), QStringLiteral("error: order 7 not found"));
        // Collapsible: a row folds its arguments and result away.
        calls->collapseItem(row);
        QVERIFY(!row->isExpanded());
        calls->expandItem(row);
        QVERIFY(row->isExpanded());
        // The next run starts with no calls.
        m_backend->feed({ complete(id, 5, ExecutionStatus::Completed, {}) });
        single->run();
        QCOMPARE(calls->callCount(), 0);
        QVERIFY(calls->isHidden());
    }

    // "Mock the next run" from the tool menu: the override goes into the next request only
    // (shown while pending, then cleared); the budget fields go into every request.
    void mockNextRunAndBudget()
    {
        m_backend->toolSources = { orderSource() };
        m_panel = std::make_unique<TestPanel>(m_backend.get(), nullptr);
        m_panel->setWorkspace(m_workspace);
        SingleAgentTab *single = m_panel->singleAgent();
        QVERIFY(single->selectAgent(QStringLiteral("writer")));
        RunOptions *options = single->runOptions();
        QTRY_COMPARE(options->knownTools(), QStringList { QStringLiteral("lookup_order") });
        auto *menu = single->findChild<QMenu *>(QStringLiteral("mockToolMenu"));
        QVERIFY(menu);
        emit menu->aboutToShow();
        auto *mock = menu->findChild<QAction *>(QStringLiteral("mock_lookup_order"));
        QVERIFY(mock);
        mock->trigger();
        auto *dialog = single->findChild<ToolOverrideDialog *>(QStringLiteral("toolOverrideDialog"));
        QVERIFY(dialog);
        auto *kind = dialog->findChild<QComboBox *>(QStringLiteral("overrideKind"));
        kind->setCurrentIndex(kind->findData(QStringLiteral("error")));
        dialog->findChild<QLineEdit *>(QStringLiteral("overrideError"))->setText(QStringLiteral("db down"));
        dialog->findChild<QSpinBox *>(QStringLiteral("overrideLatency"))->setValue(250);
        dialog->accept();
        auto *pending = single->findChild<QLabel *>(QStringLiteral("pendingOverrides"));
        QVERIFY(!pending->isHidden());
        QVERIFY2(pending->text().contains(QStringLiteral("lookup_order → error “db down” +250 ms")),
            qPrintable(pending->text()));
        single->findChild<QDoubleSpinBox *>(QStringLiteral("budgetMaxCost"))->setValue(0.05);
        single->findChild<QSpinBox *>(QStringLiteral("budgetMaxToolCalls"))->setValue(3);

        const QString id = single->run();
        QCOMPARE(m_backend->requests.size(), 1);
        const ExecutionRequest first = m_backend->requests.first();
        QCOMPARE(first.toolOverrides,
            (QJsonObject { { QStringLiteral("lookup_order"),
                QJsonObject { { QStringLiteral("error"), QStringLiteral("db down") },
                    { QStringLiteral("latency_ms"), 250 } } } }));
        QCOMPARE(first.budget.maxCostUsd.value_or(-1), 0.05);
        QCOMPARE(first.budget.maxToolCalls.value_or(-1), 3);
        QVERIFY(pending->isHidden());
        m_backend->feed({ complete(id, 1, ExecutionStatus::Completed, {}) });
        single->run();
        QCOMPARE(m_backend->requests.size(), 2);
        QVERIFY(m_backend->requests.at(1).toolOverrides.isEmpty());
        QCOMPARE(m_backend->requests.at(1).budget.maxToolCalls.value_or(-1), 3);
    }

    // After a completed Single Agent run the message box continues the conversation: the next
    // request carries conversation_of (the last run's id) and the message; the thread shows
    // both turns, each with its reply.
    void conversationContinues()
    {
        SingleAgentTab *single = m_panel->singleAgent();
        QVERIFY(single->selectAgent(QStringLiteral("writer")));
        auto *thread = single->findChild<QTextBrowser *>(QStringLiteral("conversationThread"));
        auto *message = single->findChild<QLineEdit *>(QStringLiteral("conversationMessage"));
        auto *send = single->findChild<QPushButton *>(QStringLiteral("continueButton"));
        QVERIFY(thread && message && send);
        const QString first = single->run();
        m_backend->answerStart(first);
        QVERIFY(!message->isEnabled()); // running: nothing to continue yet
        m_backend->feed({ complete(first, 1, ExecutionStatus::Completed,
            QJsonObject { { QStringLiteral("text"), QStringLiteral("Tides rise twice a day.") } }) });
        QVERIFY(thread->isVisibleTo(single));
        QVERIFY(message->isEnabled());
        QTest::keyClicks(message, QStringLiteral("Why twice?"));
        QVERIFY(send->isEnabled());
        QTest::mouseClick(send, Qt::LeftButton);
        QCOMPARE(m_backend->requests.size(), 2);
        const ExecutionRequest next = m_backend->requests.at(1); // a copy: requests grows
        QCOMPARE(next.conversationOf, first);
        QCOMPARE(next.message, QStringLiteral("Why twice?"));
        QCOMPARE(next.agentId, QStringLiteral("writer"));
        QVERIFY(next.executionId != first);
        QVERIFY(message->text().isEmpty());
        m_backend->answerStart(next.executionId);
        m_backend->feed({ complete(next.executionId, 1, ExecutionStatus::Completed,
            QJsonObject { { QStringLiteral("text"), QStringLiteral("The moon and the sun.") } }) });
        const QList<ConversationView::Turn> &turns = single->conversation()->turns();
        QCOMPARE(turns.size(), 2);
        QCOMPARE(turns.at(0).executionId, first);
        QCOMPARE(turns.at(1).executionId, next.executionId);
        const QString text = thread->toPlainText();
        QVERIFY2(text.contains(QLatin1String("Turn 1")) && text.contains(QLatin1String("Turn 2")),
            qPrintable(text));
        QVERIFY(text.contains(QLatin1String("Tides rise twice a day.")));
        QVERIFY(text.contains(QLatin1String("You: Why twice?")));
        QVERIFY(text.contains(QLatin1String("Agent: The moon and the sun.")));
        QVERIFY(text.indexOf(QLatin1String("Why twice?")) < text.indexOf(QLatin1String("The moon")));
        // The third message continues from the second turn.
        QTest::keyClicks(message, QStringLiteral("And the sun?"));
        QTest::keyClick(message, Qt::Key_Return);
        QCOMPARE(m_backend->requests.size(), 3);
        QCOMPARE(m_backend->requests.at(2).conversationOf, next.executionId);
    }

private:
    static ExecutionEvent stepEvent(
        ExecutionEvent::Type type, const QString &id, qint64 seq, const StepRecord &step)
    {
        ExecutionEvent e = ExecutionEvent::makeStep(type, step);
        e.executionId = id;
        e.seq = seq;
        return e;
    }
    static ExecutionEvent complete(
        const QString &id, qint64 seq, ExecutionStatus status, const QJsonObject &outputs)
    {
        ExecutionEvent e;
        e.type = ExecutionEvent::Type::Complete;
        e.executionId = id;
        e.seq = seq;
        e.status = status;
        e.summary.edit().outputData = outputs;
        return e;
    }
    static ToolSourceStatus orderSource()
    {
        ToolSourceStatus s;
        s.id = QStringLiteral("orders");
        s.kind = QStringLiteral("mock");
        s.state = ToolSourceState::Connected;
        ToolDefinition t;
        t.source = s.id;
        t.name = QStringLiteral("lookup_order");
        s.tools = { t };
        return s;
    }

    Workspace m_workspace;
    std::unique_ptr<FeedBackend> m_backend;
    std::unique_ptr<TestPanel> m_panel;
};

QTEST_MAIN(TestTestPanel)
#include "tst_testpanel.moc"
