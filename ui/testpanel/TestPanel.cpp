#include "ui/testpanel/TestPanel.h"

#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/NodeInContextTab.h"
#include "ui/testpanel/SingleAgentTab.h"

TestPanel::TestPanel(ExecutionBackend *backend, QWidget *parent)
    : QTabWidget(parent)
{
    setObjectName(QStringLiteral("testPanel"));
    setDocumentMode(true);
    m_single = new SingleAgentTab(backend, this);
    m_node = new NodeInContextTab(backend, this);
    m_full = new FullWorkflowTab(backend, this);
    addTestTab(m_single);
    addTestTab(m_node);
    addTestTab(m_full);

    connect(m_node, &NodeInContextTab::pinRequested, this, &TestPanel::pinRequested);
    connect(m_single, &SingleAgentTab::variantKept, this, &TestPanel::workspaceSaved);
    // Side by side: the trace follows the first column's run.
    connect(m_single, &SingleAgentTab::variantRunConfirmed, this, &TestPanel::executionStarted);
    connect(m_full, &FullWorkflowTab::testInContextRequested, this,
        [this](const QString &orch, const QString &node, const QJsonObject &upstream, const QJsonObject &own,
            const QString &text, const QString &executionId) {
            setCurrentWidget(m_node);
            if (m_node->selectNode(orch, node))
                m_node->prefill(upstream, own, text, executionId);
        });
}

void TestPanel::addTestTab(TestTab *tab)
{
    m_tabs << tab;
    const int index = addTab(tab, tab->title());
    setTabToolTip(index, tab->description());
    // Once the backend confirmed the id: a remote server assigns its own, and following
    // the provisional one would subscribe to an execution that does not exist.
    connect(tab->tracker(), &ExecutionTracker::runConfirmed, this, &TestPanel::executionStarted);
}

TestTab *TestPanel::currentTab() const
{
    return m_tabs.value(currentIndex());
}

void TestPanel::setBeforeRun(const std::function<void()> &hook)
{
    for (TestTab *tab : std::as_const(m_tabs))
        tab->tracker()->setBeforeStart(hook);
}

void TestPanel::setPinningAllowed(bool allowed, const QString &reason)
{
    m_node->setPinningAllowed(allowed, reason);
}

void TestPanel::setWorkspace(const Workspace &workspace)
{
    for (TestTab *tab : std::as_const(m_tabs))
        tab->setWorkspace(workspace);
}

void TestPanel::showAgent(const QString &agentId)
{
    if (m_single->isRunning() && m_single->currentAgentId() != agentId)
        return; // keep the running agent in view; the picker is locked meanwhile
    m_single->selectAgent(agentId);
    setCurrentWidget(m_single);
}

void TestPanel::showOrchestration(const QString &orchestrationId)
{
    if (!m_full->isRunning())
        m_full->selectOrchestration(orchestrationId);
    setCurrentWidget(m_full);
}

void TestPanel::showNode(const QString &orchestrationId, const QString &nodeId)
{
    if (!m_node->isRunning())
        m_node->selectNode(orchestrationId, nodeId);
    setCurrentWidget(m_node);
}

void TestPanel::runCurrent()
{
    if (TestTab *tab = currentTab())
        tab->run();
}

void TestPanel::cancelCurrent()
{
    if (TestTab *tab = currentTab())
        tab->cancel();
}

void TestPanel::focusCurrentForm()
{
    if (TestTab *tab = currentTab())
        tab->focusFirstField();
}

bool TestPanel::isAnyRunning() const
{
    return std::any_of(m_tabs.cbegin(), m_tabs.cend(), [](const TestTab *tab) { return tab->isRunning(); });
}

TestMode TestPanel::modeOf(const ExecutionRecord &record)
{
    if (record.testMode != TestMode::Unset)
        return record.testMode;
    if (!record.nodeId.isEmpty())
        return TestMode::NodeInContext;
    if (!record.orchestrationId.isEmpty())
        return TestMode::FullWorkflow;
    return TestMode::SingleAgent;
}

QString TestPanel::rerun(const ExecutionRecord &record, QString *error)
{
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return QString();
    };
    const TestMode mode = modeOf(record);
    const auto tab = std::find_if(
        m_tabs.cbegin(), m_tabs.cend(), [mode](const TestTab *t) { return t->mode() == mode; });
    if (tab == m_tabs.cend())
        return fail(tr("No tab runs executions of mode %1.").arg(toWire(mode)));
    QString message;
    if (!(*tab)->loadRecord(record, &message))
        return fail(message);
    setCurrentWidget(*tab);
    const QString id = (*tab)->run(record.id);
    if (id.isEmpty())
        return fail(tr("The stored inputs do not fit the current signature; fix them in the form and run."));
    return id;
}
