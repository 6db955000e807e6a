#include "ui/testpanel/TestPanel.h"

#include "ui/form/FieldEditor.h"
#include "ui/form/FormBuilder.h"
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
    addTab(m_single, tr("Single Agent"));
    addTab(m_node, tr("Node in Context"));
    addTab(m_full, tr("Full Workflow"));
    setTabToolTip(0, tr("Run one agent in isolation"));
    setTabToolTip(1, tr("Run one node of a workflow with its upstream inputs simulated"));
    setTabToolTip(2, tr("Run a whole workflow end to end"));

    connect(m_node, &NodeInContextTab::pinRequested, this, &TestPanel::pinRequested);
    connect(m_full, &FullWorkflowTab::testInContextRequested, this,
        [this](const QString &orch, const QString &node, const QJsonObject &upstream, const QJsonObject &own,
            const QString &text, const QString &executionId) {
            setCurrentWidget(m_node);
            if (m_node->selectNode(orch, node))
                m_node->prefill(upstream, own, text, executionId);
        });
    for (ExecutionTracker *t : { m_single->tracker(), m_node->tracker(), m_full->tracker() }) {
        // Once the backend confirmed the id: a remote server assigns its own, and following
        // the provisional one would subscribe to an execution that does not exist.
        connect(t, &ExecutionTracker::runConfirmed, this, &TestPanel::executionStarted);
    }
}

void TestPanel::setBeforeRun(const std::function<void()> &hook)
{
    for (ExecutionTracker *t : { m_single->tracker(), m_node->tracker(), m_full->tracker() })
        t->setBeforeStart(hook);
}

void TestPanel::setPinningAllowed(bool allowed, const QString &reason)
{
    m_node->setPinningAllowed(allowed, reason);
}

void TestPanel::setWorkspace(const Workspace &workspace)
{
    m_single->setWorkspace(workspace);
    m_node->setWorkspace(workspace);
    m_full->setWorkspace(workspace);
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
    if (currentWidget() == m_single)
        m_single->run();
    else if (currentWidget() == m_node)
        m_node->run();
    else if (currentWidget() == m_full)
        m_full->run();
}

void TestPanel::cancelCurrent()
{
    if (currentWidget() == m_single)
        m_single->cancel();
    else if (currentWidget() == m_node)
        m_node->cancel();
    else if (currentWidget() == m_full)
        m_full->cancel();
}

void TestPanel::focusCurrentForm()
{
    QList<FormBuilder *> forms;
    if (currentWidget() == m_single)
        forms << m_single->form();
    else if (currentWidget() == m_node)
        forms << m_node->upstreamForm() << m_node->ownForm();
    else if (currentWidget() == m_full)
        forms << m_full->form();
    for (FormBuilder *form : std::as_const(forms)) {
        if (!form->fields().isEmpty()) {
            if (FieldEditor *editor = form->editor(form->fields().first().name)) {
                editor->inputWidget()->setFocus(Qt::OtherFocusReason);
                return;
            }
        }
    }
}

bool TestPanel::isAnyRunning() const
{
    return m_single->isRunning() || m_node->isRunning() || m_full->isRunning();
}

QString TestPanel::rerun(const ExecutionRecord &record, QString *error)
{
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return QString();
    };
    const QString mode = !record.testMode.isEmpty() ? record.testMode
        : !record.nodeId.isEmpty()                  ? QStringLiteral("node_in_context")
        : !record.orchestrationId.isEmpty()         ? QStringLiteral("full_workflow")
                                                    : QStringLiteral("single_agent");
    QString id;
    if (mode == QStringLiteral("node_in_context")) {
        if (m_node->isRunning())
            return fail(tr("A Node in Context run is still going."));
        if (!m_node->selectNode(record.orchestrationId, record.nodeId))
            return fail(tr("Node %1 of workflow %2 is not in this workspace.")
                            .arg(record.nodeId, record.orchestrationId));
        setCurrentWidget(m_node);
        m_node->prefill(record.inputData.value(QStringLiteral("upstream")).toObject(),
            record.inputData.value(QStringLiteral("inputs")).toObject(),
            tr("Inputs of execution %1.").arg(record.id.left(8)), record.id);
        id = m_node->run(record.id);
    } else if (mode == QStringLiteral("full_workflow")) {
        if (m_full->isRunning())
            return fail(tr("A workflow run is still going."));
        if (!m_full->selectOrchestration(record.orchestrationId))
            return fail(tr("Workflow %1 is not in this workspace.").arg(record.orchestrationId));
        setCurrentWidget(m_full);
        m_full->setInputs(record.inputData);
        id = m_full->run(record.id);
    } else {
        if (m_single->isRunning())
            return fail(tr("A Single Agent run is still going."));
        if (!m_single->selectAgent(record.agentId))
            return fail(tr("Agent %1 is not in this workspace.").arg(record.agentId));
        setCurrentWidget(m_single);
        m_single->setInputs(record.inputData);
        id = m_single->run(record.id);
    }
    if (id.isEmpty())
        return fail(tr("The stored inputs do not fit the current signature; fix them in the form and run."));
    return id;
}
