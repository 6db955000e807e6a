#include "ui/testpanel/NodeInContextTab.h"

#include "core/api/ExecutionBackend.h"
#include "core/api/UpstreamResolver.h"
#include "ui/form/FormBuilder.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FormColumn.h"
#include "ui/testpanel/RunOutputPane.h"

#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

NodeInContextTab::NodeInContextTab(ExecutionBackend *backend, QWidget *parent)
    : TestTab(backend, parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("nodeInContextTab"));

    QWidget *left = columnWidget();
    auto *pickRow = new QHBoxLayout;
    m_orchPicker
        = formcolumn::addPicker(pickRow, left, tr("&Workflow"), QStringLiteral("orchestrationPicker"), 12);
    m_nodePicker = formcolumn::addPicker(pickRow, left, tr("&Node"), QStringLiteral("nodePicker"), 10);
    column()->addLayout(pickRow);

    m_nodeInfo = formcolumn::addHint(column(), left, QStringLiteral("nodeInfo"));
    buildSourceRow();
    buildForms();
    addRunRow(tr("Run node"), tr("Run this node with these inputs (Ctrl+Return)"), 90);
    placeOutputBesideColumn();

    connect(m_orchPicker, &QComboBox::currentIndexChanged, this, &NodeInContextTab::onOrchestrationChanged);
    connect(m_nodePicker, &QComboBox::currentIndexChanged, this, &NodeInContextTab::onNodeChanged);
    connect(m_source, &QComboBox::currentIndexChanged, this,
        [this] { m_executionId->setVisible(Source(m_source->currentData().toInt()) == Source::Execution); });
    connect(m_prefill, &QPushButton::clicked, this,
        [this] { applySource(Source(m_source->currentData().toInt()), m_executionId->text().trimmed()); });
    connect(m_pin, &QPushButton::clicked, this, [this] {
        if (!currentNodeId().isEmpty()) {
            emit pinRequested(currentOrchestrationId(), currentNodeId(), m_upstream->values());
            setPrefillStatus(
                tr("Pinned: these upstream values are saved in the workspace (save it to keep them)."));
        }
    });
    watchForm(m_upstream);
    watchForm(m_own);
    m_pinToolTip = m_pin->toolTip();
    m_backend = backend;
}

QString NodeInContextTab::title() const
{
    return tr("Node in Context");
}

QString NodeInContextTab::description() const
{
    return tr("Run one node of a workflow with its upstream inputs simulated");
}

// "Upstream from" [source] [execution id] [Prefill], and the prefill status line under it.
void NodeInContextTab::buildSourceRow()
{
    QWidget *left = columnWidget();
    auto *sourceRow = new QHBoxLayout;
    m_source = new QComboBox(left);
    m_source->setObjectName(QStringLiteral("prefillSource"));
    m_source->addItem(tr("Pinned values"), int(Source::Pins));
    m_source->addItem(tr("Latest successful run"), int(Source::LatestRun));
    m_source->addItem(tr("A past execution…"), int(Source::Execution));
    m_source->addItem(tr("Nothing (type by hand)"), int(Source::ByHand));
    m_executionId = new QLineEdit(left);
    m_executionId->setObjectName(QStringLiteral("prefillExecutionId"));
    m_executionId->setPlaceholderText(tr("execution id"));
    m_executionId->setClearButtonEnabled(true);
    m_executionId->hide();
    m_prefill = new QPushButton(tr("Prefill"), left);
    m_prefill->setObjectName(QStringLiteral("prefillButton"));
    m_prefill->setToolTip(tr("Fill the upstream inputs from the chosen source"));
    auto *sourceLabel = new QLabel(tr("Upstream &from"), left);
    sourceLabel->setBuddy(m_source);
    sourceRow->addWidget(sourceLabel);
    sourceRow->addWidget(m_source);
    sourceRow->addWidget(m_executionId, 1);
    sourceRow->addWidget(m_prefill);
    sourceRow->addStretch();
    column()->addLayout(sourceRow);
    m_prefillStatus = new QLabel(left);
    m_prefillStatus->setObjectName(QStringLiteral("prefillStatus"));
    m_prefillStatus->setWordWrap(true);
    column()->addWidget(m_prefillStatus);
}

// The "From upstream" group (with Pin) over the "Own inputs" group, scrolled together.
void NodeInContextTab::buildForms()
{
    QWidget *left = columnWidget();
    auto *forms = new QWidget(left);
    auto *formsLayout = new QVBoxLayout(forms);
    formsLayout->setContentsMargins(0, 0, 0, 0);
    m_upstreamGroup = new QGroupBox(tr("From upstream"), forms);
    m_upstreamGroup->setObjectName(QStringLiteral("upstreamGroup"));
    auto *ug = new QVBoxLayout(m_upstreamGroup);
    m_upstream = new FormBuilder(m_upstreamGroup);
    m_upstream->setObjectName(QStringLiteral("upstreamForm"));
    m_upstream->setEmptyText(tr("No edges feed this node: it reads only its own inputs."));
    ug->addWidget(m_upstream);
    m_pin = new QPushButton(tr("Pin these values"), m_upstreamGroup);
    m_pin->setObjectName(QStringLiteral("pinButton"));
    m_pin->setToolTip(tr("Save the upstream values above as this node's pins in the workspace"));
    auto *pinRow = new QHBoxLayout;
    pinRow->addStretch();
    pinRow->addWidget(m_pin);
    ug->addLayout(pinRow);
    formsLayout->addWidget(m_upstreamGroup);
    m_ownGroup = new QGroupBox(tr("Own inputs"), forms);
    m_ownGroup->setObjectName(QStringLiteral("ownGroup"));
    auto *og = new QVBoxLayout(m_ownGroup);
    m_own = new FormBuilder(m_ownGroup);
    m_own->setObjectName(QStringLiteral("ownForm"));
    m_own->setEmptyText(tr("Every input of this node is fed by an edge."));
    og->addWidget(m_own);
    formsLayout->addWidget(m_ownGroup);
    formsLayout->addStretch();
    formcolumn::addScrolled(column(), forms, left);
}

QObject *NodeInContextTab::newLookup()
{
    // Deleting the previous context drops its answer: only the newest lookup is heard.
    delete m_lookup;
    m_lookup = new QObject(this);
    return m_lookup;
}

void NodeInContextTab::onLatestRuns(const HistoryPage &page, const Error &error)
{
    if (error.code != ErrorCode::None) {
        setPrefillStatus(tr("Could not load the run: %1").arg(error.message), true);
        return;
    }
    if (page.items.isEmpty()) {
        setPrefillStatus(tr("No successful full run of this workflow yet: run it in Full Workflow, "
                            "use pins, or type the values."),
            true);
        return;
    }
    fetchRun(page.items.first().id);
}

void NodeInContextTab::fetchRun(const QString &executionId)
{
    m_backend->fetchExecution(
        executionId, newLookup(), [this](const ExecutionRecord &rec, const Error &error) {
            if (error.code != ErrorCode::None)
                setPrefillStatus(tr("Could not load the run: %1").arg(error.message), true);
            else
                onExecutionFetched(rec);
        });
}

void NodeInContextTab::setPinningAllowed(bool allowed, const QString &reason)
{
    m_pinningAllowed = allowed;
    m_pin->setToolTip(allowed ? m_pinToolTip : reason);
    m_pin->setEnabled(allowed && !m_upstream->fields().isEmpty());
}

void NodeInContextTab::setWorkspace(const Workspace &workspace)
{
    const QString keepOrch = currentOrchestrationId();
    const QString keepNode = currentNodeId();
    const QJsonObject keepUp = m_upstream->values();
    const QJsonObject keepOwn = m_own->values();
    const QString keepKey = m_shownKey;
    m_workspace = workspace;
    {
        const QSignalBlocker block(m_orchPicker);
        m_orchPicker->clear();
        for (const OrchestrationSpec &o : std::as_const(m_workspace.orchestrations))
            m_orchPicker->addItem(o.name.isEmpty() ? o.id : o.name, o.id);
        m_orchPicker->setCurrentIndex(qMax(0, m_orchPicker->findData(keepOrch)));
    }
    m_shownKey.clear();
    onOrchestrationChanged();
    if (!keepNode.isEmpty())
        selectNode(keepOrch, keepNode);
    if (!keepKey.isEmpty() && m_shownKey == keepKey) {
        m_upstream->setValues(keepUp);
        m_own->setValues(keepOwn);
    }
}

bool NodeInContextTab::selectNode(const QString &orchestrationId, const QString &nodeId)
{
    const int o = m_orchPicker->findData(orchestrationId);
    if (o < 0)
        return false;
    m_orchPicker->setCurrentIndex(o);
    const int n = m_nodePicker->findData(nodeId);
    if (n < 0)
        return false;
    m_nodePicker->setCurrentIndex(n);
    return true;
}

QString NodeInContextTab::currentOrchestrationId() const
{
    return m_orchPicker->currentData().toString();
}
QString NodeInContextTab::currentNodeId() const
{
    return m_nodePicker->currentData().toString();
}

void NodeInContextTab::onOrchestrationChanged()
{
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    {
        const QSignalBlocker block(m_nodePicker);
        m_nodePicker->clear();
        if (orch) {
            for (const NodeSpec &n : orch->nodes)
                m_nodePicker->addItem(QStringLiteral("%1  (%2)").arg(n.id, n.agent), n.id);
        }
    }
    onNodeChanged();
}

void NodeInContextTab::onNodeChanged()
{
    const QString key = currentOrchestrationId() + QLatin1Char('/') + currentNodeId();
    if (key == m_shownKey)
        return;
    m_shownKey = key;
    delete std::exchange(m_lookup, nullptr);
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    const NodeSpec *node = orch ? orch->node(currentNodeId()) : nullptr;
    const AgentSpec *agent = node ? m_workspace.agent(node->agent) : nullptr;
    if (!agent) {
        m_upstream->setFields({});
        m_own->setFields({});
        output()->setOutputFields({});
        m_nodeInfo->setText(m_workspace.orchestrations.isEmpty() ? tr("This workspace has no workflows.")
                                                                 : tr("Choose a workflow and a node."));
        setPrefillStatus(QString());
        updateButtons();
        return;
    }
    QHash<QString, QString> sources; // input field -> "draft.text"
    for (const EdgeSpec &e : orch->edgesInto(node->id))
        sources.insert(e.toField, e.fromNode + QLatin1Char('.') + e.fromField);
    QList<FieldSpec> up, own;
    for (FieldSpec f : agent->signature.inputs) {
        if (sources.contains(f.name)) {
            f.desc = (f.desc.isEmpty() ? QString() : f.desc + QStringLiteral(" · "))
                + tr("from %1").arg(sources.value(f.name));
            up << f;
        } else {
            own << f;
        }
    }
    m_upstream->setFields(up);
    m_own->setFields(own);
    m_upstreamGroup->setTitle(tr("From upstream (%1)").arg(up.size()));
    m_ownGroup->setTitle(tr("Own inputs (%1)").arg(own.size()));
    output()->setOutputFields(agent->signature.outputs);
    m_nodeInfo->setText(
        tr("Node <b>%1</b> runs agent <b>%2</b> (%3 · %4)")
            .arg(node->id.toHtmlEscaped(), (agent->name.isEmpty() ? agent->id : agent->name).toHtmlEscaped(),
                agent->model.provider.toHtmlEscaped(), agent->model.name.toHtmlEscaped()));
    m_pin->setEnabled(m_pinningAllowed && !up.isEmpty());
    // Start from the pins when there are some: the quickest way to a runnable node.
    if (orch->pins.contains(node->id)) {
        m_source->setCurrentIndex(m_source->findData(int(Source::Pins)));
        applySource(Source::Pins);
    } else {
        setPrefillStatus(up.isEmpty()
                ? QString()
                : tr("No pins for this node. Prefill from a past run, or type the values."));
    }
    updateButtons();
}

void NodeInContextTab::applySource(Source source, const QString &executionId)
{
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    if (!orch || currentNodeId().isEmpty())
        return;
    delete std::exchange(m_lookup, nullptr);
    switch (source) {
    case Source::Pins: {
        const QJsonObject pins = orch->pins.value(currentNodeId());
        if (pins.isEmpty()) {
            setPrefillStatus(tr("No pins for this node yet: fill the upstream values and press Pin."), true);
            return;
        }
        QJsonObject up, own;
        for (auto it = pins.begin(); it != pins.end(); ++it) {
            if (m_upstream->editor(it.key()))
                up.insert(it.key(), it.value());
            else
                own.insert(it.key(), it.value());
        }
        m_upstream->setValues(up);
        if (!own.isEmpty())
            m_own->setValues(own);
        setPrefillStatus(tr("Upstream values from the pins of node %1.").arg(currentNodeId()));
        break;
    }
    case Source::LatestRun: {
        if (!m_backend)
            return;
        // The one definition of "latest successful run" (core/api/UpstreamResolver).
        const HistoryQuery q
            = upstream::latestUsableRunQuery(m_workspace.organizationId, m_workspace.workspaceId, orch->id);
        setPrefillStatus(tr("Looking up the latest successful run…"));
        m_backend->queryHistory(q, newLookup(),
            [this](const HistoryPage &page, const Error &error) { onLatestRuns(page, error); });
        break;
    }
    case Source::Execution:
        if (!m_backend)
            return;
        if (executionId.isEmpty()) {
            setPrefillStatus(tr("Enter the id of a past execution of this workflow."), true);
            return;
        }
        setPrefillStatus(tr("Loading execution %1…").arg(executionId.left(8)));
        fetchRun(executionId);
        break;
    case Source::ByHand:
        m_upstream->setValues({});
        setPrefillStatus(tr("Type the upstream values by hand."));
        break;
    }
    updateButtons();
}

void NodeInContextTab::onExecutionFetched(const ExecutionRecord &record)
{
    const OrchestrationSpec *orch = m_workspace.orchestration(currentOrchestrationId());
    if (!orch)
        return;
    if (record.orchestrationId != orch->id) {
        setPrefillStatus(tr("Execution %1 is not a run of this workflow.").arg(record.id.left(8)), true);
        return;
    }
    const upstream::Resolution r = upstream::resolve(*orch, currentNodeId(), record);
    const QStringList &missing = r.missing;
    prefill(r.values, r.ownInputs, QString());
    QString text = tr("Upstream values from run %1 (%2, %3).")
                       .arg(record.id.left(8), toWire(record.status),
                           record.queuedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    if (!missing.isEmpty())
        text += QLatin1Char(' ') + tr("Not in that run: %1.").arg(missing.join(QStringLiteral(", ")));
    setPrefillStatus(text, !missing.isEmpty());
    m_prefillStatus->setToolTip(r.problems.join(QLatin1Char('\n'))); // which edge, and why
}

void NodeInContextTab::prefill(const QJsonObject &upstream, const QJsonObject &own, const QString &sourceText,
    const QString &executionId)
{
    if (!executionId.isEmpty()) {
        const QSignalBlocker block(m_source);
        m_source->setCurrentIndex(m_source->findData(int(Source::Execution)));
        m_executionId->setText(executionId);
        m_executionId->show();
    }
    m_upstream->setValues(upstream);
    if (!own.isEmpty())
        m_own->setValues(own);
    if (!sourceText.isEmpty())
        setPrefillStatus(sourceText);
    updateButtons();
}

QString NodeInContextTab::prefillStatus() const
{
    return m_prefillStatus->text();
}

void NodeInContextTab::setPrefillStatus(const QString &text, bool problem)
{
    m_prefillStatus->setText(text);
    m_prefillStatus->setStyleSheet(
        problem ? QStringLiteral("color: #b26a00;") : QStringLiteral("color: #2e7d32;"));
    m_prefillStatus->setVisible(!text.isEmpty());
}

bool NodeInContextTab::canRun() const
{
    return m_backend && !currentNodeId().isEmpty() && m_upstream->isValid() && m_own->isValid()
        && !isRunning();
}

QString NodeInContextTab::run(const QString &rerunOf)
{
    if (!canRun())
        return {};
    ExecutionRequest request;
    request.orchestrationId = currentOrchestrationId();
    request.nodeId = currentNodeId();
    request.inputs = m_own->values();
    request.upstream = m_upstream->values();
    request.testMode = mode();
    request.rerunOf = rerunOf;
    return startRun(request);
}

bool NodeInContextTab::loadRecord(const ExecutionRecord &record, QString *error)
{
    if (isRunning()) {
        *error = tr("A Node in Context run is still going.");
        return false;
    }
    if (!selectNode(record.orchestrationId, record.nodeId)) {
        *error = tr("Node %1 of workflow %2 is not in this workspace.")
                     .arg(record.nodeId, record.orchestrationId);
        return false;
    }
    prefill(record.inputData.value(QStringLiteral("upstream")).toObject(),
        record.inputData.value(QStringLiteral("inputs")).toObject(),
        tr("Inputs of execution %1.").arg(record.id.left(8)), record.id);
    return true;
}

void NodeInContextTab::updateButtons()
{
    const bool running = isRunning();
    const QStringList problems = m_upstream->problems() + m_own->problems();
    showRunState(!currentNodeId().isEmpty(), problems);
    m_orchPicker->setEnabled(!running);
    m_nodePicker->setEnabled(!running);
    m_prefill->setEnabled(!running && !currentNodeId().isEmpty());
    runButton()->setToolTip(problems.isEmpty() ? tr("Run this node with these inputs (Ctrl+Return)")
                                               : problems.join(QLatin1Char('\n')));
}
