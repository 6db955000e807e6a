#include "ui/testpanel/FullWorkflowTab.h"

#include "core/api/ExecutionBackend.h"
#include "core/api/UpstreamResolver.h"
#include "ui/common/StatusPalette.h"
#include "ui/form/FormBuilder.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FormColumn.h"
#include "ui/testpanel/MetricsBar.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/workflow/WorkflowGraphView.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {
enum NodeColumn { NodeIdColumn, AgentColumn, StateColumn, NodeColumnCount };

WorkflowGraphView::State graphState(FullWorkflowTab::NodeState s)
{
    switch (s) {
    case FullWorkflowTab::NodeState::Waiting:
        return WorkflowGraphView::State::Waiting;
    case FullWorkflowTab::NodeState::Running:
        return WorkflowGraphView::State::Running;
    case FullWorkflowTab::NodeState::Done:
        return WorkflowGraphView::State::Done;
    case FullWorkflowTab::NodeState::Failed:
        return WorkflowGraphView::State::Failed;
    case FullWorkflowTab::NodeState::Skipped:
        return WorkflowGraphView::State::Skipped;
    }
    return WorkflowGraphView::State::Waiting;
}

// The node list's state text has the colour of the graph's border for that state.
QColor stateColor(FullWorkflowTab::NodeState s)
{
    return statuspalette::color(WorkflowGraphView::tone(graphState(s)));
}
} // namespace

FullWorkflowTab::FullWorkflowTab(ExecutionBackend *backend, QWidget *parent)
    : TestTab(backend, parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("fullWorkflowTab"));

    QWidget *left = columnWidget();
    auto *pickRow = new QHBoxLayout;
    m_orchPicker
        = formcolumn::addPicker(pickRow, left, tr("&Workflow"), QStringLiteral("orchestrationPicker"), 14);
    m_examples = formcolumn::addExamplesPicker(pickRow, left,
        tr("Fill the form with one of the workflow's saved examples"),
        [this](const QJsonObject &inputs) { m_form->setValues(inputs); });
    column()->addLayout(pickRow);
    m_orchInfo = formcolumn::addHint(column(), left, QStringLiteral("orchestrationInfo"));
    m_form = new FormBuilder(left);
    m_form->setObjectName(QStringLiteral("workflowForm"));
    m_form->setEmptyText(tr("This workflow takes no inputs."));
    formcolumn::addScrolled(column(), m_form, left);
    addRunRow(tr("Run workflow"), tr("Run the whole workflow (Ctrl+Return)"), 110);

    auto *right = new QSplitter(Qt::Vertical, splitter());
    m_graphView = new WorkflowGraphView(right);
    m_graphView->setObjectName(QStringLiteral("workflowGraph"));
    m_graphView->setMinimumHeight(160);
    right->addWidget(m_graphView);

    auto *bottom = new QSplitter(Qt::Horizontal, right);
    bottom->addWidget(buildNodesBox(bottom));
    createOutput(bottom)->setOutputCaption(tr("Workflow outputs"));
    bottom->addWidget(output());
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 3);
    bottom->setSizes({ 270, 800 });
    right->addWidget(bottom);
    right->setStretchFactor(0, 2);
    right->setStretchFactor(1, 3);

    splitter()->addWidget(left);
    splitter()->addWidget(right);
    splitter()->setStretchFactor(0, 2);
    splitter()->setStretchFactor(1, 5);
    // The input form needs room for its hints; the graph and streams take the rest.
    left->setMinimumWidth(330); // the workflow name and "Examples…" side by side
    splitter()->setSizes({ 340, 1000 });

    connect(m_orchPicker, &QComboBox::currentIndexChanged, this, &FullWorkflowTab::onOrchestrationChanged);
    watchForm(m_form);
    connect(m_testInContext, &QPushButton::clicked, this, [this] { testInContext(selectedNode()); });
    connect(m_nodes, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        const QString node = item ? item->data(NodeIdColumn, Qt::UserRole).toString() : QString();
        output()->showNode(node);
        m_graphView->selectNode(node);
        updateButtons();
    });
    connect(m_graphView, &WorkflowGraphView::nodeSelected, this, &FullWorkflowTab::selectNode);
    connect(m_graphView, &WorkflowGraphView::testInContextRequested, this, &FullWorkflowTab::testInContext);
    connect(tracker(), &ExecutionTracker::stepStarted, this, &FullWorkflowTab::onStepStarted);
    connect(tracker(), &ExecutionTracker::runConfirmed, this,
        [this](const QString &executionId) { m_runExecutionId = executionId; });
    connect(tracker(), &ExecutionTracker::stepCompleted, this, &FullWorkflowTab::onStepCompleted);
    updateButtons();
}

QString FullWorkflowTab::title() const
{
    return tr("Full Workflow");
}

QString FullWorkflowTab::description() const
{
    return tr("Run a whole workflow end to end");
}

// The node list ("nodeList") with "Test in context" under it.
QWidget *FullWorkflowTab::buildNodesBox(QWidget *parent)
{
    auto *nodesBox = new QWidget(parent);
    auto *nodesLayout = new QVBoxLayout(nodesBox);
    nodesLayout->setContentsMargins(0, 0, 0, 0);
    m_nodes = new QTreeWidget(nodesBox);
    m_nodes->setObjectName(QStringLiteral("nodeList"));
    m_nodes->setColumnCount(NodeColumnCount);
    m_nodes->setHeaderLabels({ tr("Node"), tr("Agent"), tr("State") });
    m_nodes->setRootIsDecorated(false);
    m_nodes->setUniformRowHeights(true);
    m_nodes->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_nodes->setToolTip(tr("Select a node to see its own stream and raw reply"));
    nodesLayout->addWidget(m_nodes, 1);
    m_testInContext = new QPushButton(tr("Test in context"), nodesBox);
    m_testInContext->setObjectName(QStringLiteral("testInContextButton"));
    m_testInContext->setToolTip(
        tr("Open the selected node in Node in Context, prefilled with this run's upstream values"));
    nodesLayout->addWidget(m_testInContext);
    return nodesBox;
}

QString FullWorkflowTab::stateName(NodeState state)
{
    return WorkflowGraphView::stateName(graphState(state));
}

void FullWorkflowTab::setWorkspace(const Workspace &workspace)
{
    const QString keep = currentOrchestrationId();
    const QJsonObject keepValues = m_form->values();
    const OrchestrationSpec *old = m_workspace.orchestration(keep);
    const QJsonValue oldInputs = old ? old->raw.value(QStringLiteral("inputs")) : QJsonValue();
    m_workspace = workspace;
    {
        const QSignalBlocker block(m_orchPicker);
        m_orchPicker->clear();
        for (const OrchestrationSpec &o : std::as_const(m_workspace.orchestrations))
            m_orchPicker->addItem(o.name.isEmpty() ? o.id : o.name, o.id);
        m_orchPicker->setCurrentIndex(qMax(0, m_orchPicker->findData(keep)));
    }
    const OrchestrationSpec *now = m_workspace.orchestration(keep);
    const bool same
        = now && currentOrchestrationId() == keep && now->raw.value(QStringLiteral("inputs")) == oldInputs;
    m_shownOrch.clear();
    onOrchestrationChanged();
    if (same)
        m_form->setValues(keepValues);
}

bool FullWorkflowTab::selectOrchestration(const QString &orchestrationId)
{
    const int index = m_orchPicker->findData(orchestrationId);
    if (index < 0)
        return false;
    m_orchPicker->setCurrentIndex(index);
    return true;
}

QString FullWorkflowTab::currentOrchestrationId() const
{
    return m_orchPicker->currentData().toString();
}

void FullWorkflowTab::onOrchestrationChanged()
{
    const QString id = currentOrchestrationId();
    if (id == m_shownOrch && !id.isEmpty())
        return;
    m_shownOrch = id;
    const OrchestrationSpec *orch = m_workspace.orchestration(id);
    formcolumn::setExamples(m_examples, orch ? orch->examples : QList<InputExample>());
    if (!orch) {
        m_form->setFields({});
        m_form->setEmptyText(m_workspace.orchestrations.isEmpty() ? tr("This workspace has no workflows.")
                                                                  : tr("Choose a workflow."));
        m_orchInfo->clear();
        output()->setOutputFields({});
        rebuildNodes();
        updateButtons();
        return;
    }
    m_form->setEmptyText(tr("This workflow takes no inputs."));
    m_form->setFields(orch->inputs);
    // A fresh form starts from the first example, so Run works at once.
    if (!orch->examples.isEmpty())
        m_form->setValues(orch->examples.first().inputs);
    auto count = [](qsizetype n, const QString &one, const QString &many) {
        return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
    };
    m_orchInfo->setText(QStringList { count(orch->nodes.size(), tr("node"), tr("nodes")),
        count(orch->edges.size(), tr("edge"), tr("edges")),
        count(orch->outputs.size(), tr("output"), tr("outputs")) }
                            .join(QStringLiteral(" · ")));
    // Workflow outputs take the type of the node output they come from.
    QList<FieldSpec> outputs;
    for (const WorkflowOutputSpec &o : orch->outputs) {
        FieldSpec f;
        f.name = o.name;
        f.type = FieldType::Json;
        const NodeSpec *node = orch->node(o.fromNode);
        const AgentSpec *agent = node ? m_workspace.agent(node->agent) : nullptr;
        if (const FieldSpec *src = agent ? agent->signature.output(o.fromField) : nullptr) {
            f = *src;
            f.name = o.name;
        }
        f.desc = tr("from %1.%2").arg(o.fromNode, o.fromField)
            + (f.desc.isEmpty() ? QString() : QStringLiteral(" · ") + f.desc);
        outputs << f;
    }
    output()->setOutputFields(outputs);
    rebuildNodes();
    updateButtons();
}

void FullWorkflowTab::rebuildNodes()
{
    m_states.clear();
    m_nodeOutputs.clear();
    m_nodeInputs.clear();
    m_runExecutionId.clear();
    const QSignalBlocker block(m_nodes);
    m_nodes->clear();
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    if (orch)
        m_graphView->setOrchestration(*orch);
    else
        m_graphView->setOrchestration(OrchestrationSpec());
    if (!orch)
        return;
    const QStringList order = orch->topologicalOrder();
    QStringList ids = order;
    for (const NodeSpec &n : orch->nodes)
        if (!ids.contains(n.id))
            ids << n.id;
    for (const QString &id : std::as_const(ids)) {
        const NodeSpec *n = orch->node(id);
        auto *item
            = new QTreeWidgetItem(m_nodes, { id, n ? n->agent : QString(), stateName(NodeState::Waiting) });
        item->setData(NodeIdColumn, Qt::UserRole, id);
        item->setForeground(StateColumn, stateColor(NodeState::Waiting));
    }
    output()->showNode(QString());
}

void FullWorkflowTab::setNodeState(const QString &nodeId, NodeState state, const QString &detail)
{
    m_states.insert(nodeId, state);
    for (int i = 0; i < m_nodes->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_nodes->topLevelItem(i);
        if (item->data(NodeIdColumn, Qt::UserRole).toString() != nodeId)
            continue;
        item->setText(StateColumn, detail.isEmpty() ? stateName(state) : detail);
        item->setForeground(StateColumn, stateColor(state));
        item->setToolTip(StateColumn, detail);
    }
    m_graphView->setNodeState(nodeId, graphState(state));
}

void FullWorkflowTab::onStepStarted(const StepRecord &step)
{
    if (step.kind != StepKind::Node)
        return;
    const QString node = step.nodeId;
    if (node.isEmpty())
        return;
    const QJsonObject in = step.inputData;
    if (!in.isEmpty())
        m_nodeInputs.insert(node, in);
    setNodeState(node, NodeState::Running);
}

void FullWorkflowTab::onStepCompleted(const StepRecord &step)
{
    if (step.kind != StepKind::Node)
        return;
    const QString node = step.nodeId;
    if (node.isEmpty())
        return;
    const StepStatus status = step.status;
    const QJsonObject out = step.outputData;
    if (!out.isEmpty())
        m_nodeOutputs.insert(node, out);
    const QJsonObject in = step.inputData;
    if (!in.isEmpty())
        m_nodeInputs.insert(node, in);
    const qint64 ms = step.executionTimeMs;
    const qint64 tokens = step.tokensUsed;
    QStringList detail;
    if (ms >= 0)
        detail << MetricsBar::formatMs(ms);
    if (tokens > 0)
        detail << tr("%1 tok").arg(tokens);
    m_graphView->setNodeDetail(node, detail.join(QStringLiteral(" · ")));
    if (status == StepStatus::Completed)
        setNodeState(node, NodeState::Done);
    else if (status == StepStatus::Failed)
        setNodeState(node, NodeState::Failed, tr("failed: %1").arg(step.errorMessage));
    else if (status == StepStatus::Cancelled)
        setNodeState(node, NodeState::Skipped, tr("cancelled"));
    else
        setNodeState(node, NodeState::Skipped);
}

void FullWorkflowTab::onRunFinished(const QString &status)
{
    // Nodes the engine never reached are skipped; nodes still running were cancelled.
    for (int i = 0; i < m_nodes->topLevelItemCount(); ++i) {
        const QString node = m_nodes->topLevelItem(i)->data(NodeIdColumn, Qt::UserRole).toString();
        const NodeState s = nodeState(node);
        if (s == NodeState::Waiting && status != toWire(ExecutionStatus::Completed))
            setNodeState(node, NodeState::Skipped);
        else if (s == NodeState::Running)
            setNodeState(node,
                status == toWire(ExecutionStatus::Cancelled) ? NodeState::Skipped : NodeState::Failed,
                status);
    }
}

void FullWorkflowTab::selectNode(const QString &nodeId)
{
    for (int i = 0; i < m_nodes->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_nodes->topLevelItem(i);
        if (item->data(NodeIdColumn, Qt::UserRole).toString() == nodeId) {
            if (m_nodes->currentItem() != item)
                m_nodes->setCurrentItem(item);
            return;
        }
    }
    m_nodes->setCurrentItem(nullptr);
    m_nodes->clearSelection();
}

QString FullWorkflowTab::selectedNode() const
{
    QTreeWidgetItem *item = m_nodes->currentItem();
    return item ? item->data(NodeIdColumn, Qt::UserRole).toString() : QString();
}

void FullWorkflowTab::setInputs(const QJsonObject &inputs)
{
    m_form->setValues(inputs);
}

bool FullWorkflowTab::canRun() const
{
    return m_backend && m_workspace.orchestration(currentOrchestrationId()) && m_form->isValid()
        && !isRunning();
}

QString FullWorkflowTab::run(const QString &rerunOf)
{
    if (!canRun())
        return {};
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    // Fresh states, keeping the selected node.
    const QString keepNode = selectedNode();
    m_states.clear();
    m_nodeOutputs.clear();
    m_nodeInputs.clear();
    m_graphView->resetStates();
    for (const NodeSpec &n : orch->nodes)
        setNodeState(n.id, NodeState::Waiting);
    ExecutionRequest request;
    request.orchestrationId = orch->id;
    request.inputs = m_form->values();
    request.testMode = mode();
    request.rerunOf = rerunOf;
    m_runOrch = orch->id;
    m_runInputs = request.inputs;
    m_runExecutionId = startRun(request);
    output()->showNode(keepNode);
    return m_runExecutionId;
}

bool FullWorkflowTab::loadRecord(const ExecutionRecord &record, QString *error)
{
    if (isRunning()) {
        *error = tr("A workflow run is still going.");
        return false;
    }
    if (!selectOrchestration(record.orchestrationId)) {
        *error = tr("Workflow %1 is not in this workspace.").arg(record.orchestrationId);
        return false;
    }
    setInputs(record.inputData);
    return true;
}

ExecutionRecord FullWorkflowTab::lastRun() const
{
    ExecutionRecord run;
    run.id = m_runExecutionId;
    run.orchestrationId = m_runOrch;
    run.testMode = TestMode::FullWorkflow;
    run.inputData = m_runInputs;
    QStringList nodes = m_nodeInputs.keys() + m_nodeOutputs.keys();
    nodes.removeDuplicates();
    for (const QString &node : std::as_const(nodes)) {
        StepRecord step;
        step.kind = StepKind::Node;
        step.nodeId = node;
        step.status = nodeState(node) == NodeState::Done ? StepStatus::Completed : StepStatus::Failed;
        step.inputData = m_nodeInputs.value(node);
        step.outputData = m_nodeOutputs.value(node);
        run.steps << step;
    }
    return run;
}

QJsonObject FullWorkflowTab::upstreamOf(const QString &nodeId, QStringList *missing) const
{
    const OrchestrationSpec *orch = m_workspace.orchestration(m_runOrch);
    if (!orch)
        return {};
    const upstream::Resolution r = upstream::resolve(*orch, nodeId, lastRun());
    if (missing)
        *missing << r.missing;
    return r.values;
}

void FullWorkflowTab::testInContext(const QString &nodeId)
{
    if (nodeId.isEmpty() || m_runExecutionId.isEmpty() || isRunning())
        return;
    const OrchestrationSpec *orch = m_workspace.orchestration(m_runOrch);
    const upstream::Resolution r
        = orch ? upstream::resolve(*orch, nodeId, lastRun()) : upstream::Resolution();
    QString text = tr("Upstream values from Full Workflow run %1.").arg(m_runExecutionId.left(8));
    if (!r.missing.isEmpty())
        text += QLatin1Char(' ')
            + tr("Not produced in that run: %1.").arg(r.missing.join(QStringLiteral(", ")));
    emit testInContextRequested(m_runOrch, nodeId, r.values, r.ownInputs, text, m_runExecutionId);
}

void FullWorkflowTab::updateButtons()
{
    const bool running = isRunning();
    showRunState(m_workspace.orchestration(currentOrchestrationId()) != nullptr, m_form->problems());
    m_orchPicker->setEnabled(!running);
    m_testInContext->setEnabled(!running && !m_runExecutionId.isEmpty() && !selectedNode().isEmpty()
        && m_runOrch == currentOrchestrationId());
}
