#include "ui/testpanel/SingleAgentTab.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "ui/form/FormBuilder.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FormColumn.h"
#include "ui/testpanel/RunOutputPane.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QVBoxLayout>

SingleAgentTab::SingleAgentTab(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("singleAgentTab"));
    m_tracker = new ExecutionTracker(backend, this);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    layout->addWidget(splitter);

    // Left: what to run.
    auto *left = new QWidget(splitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(8, 8, 8, 8);
    auto *pickRow = new QHBoxLayout;
    m_agentPicker = formcolumn::addPicker(pickRow, left, tr("&Agent"), QStringLiteral("agentPicker"), 16);
    m_examples = formcolumn::addExamplesPicker(pickRow, left,
        tr("Fill the form with one of the agent's saved examples"),
        [this](const QJsonObject &inputs) { m_form->setValues(inputs); });
    leftLayout->addLayout(pickRow);

    m_agentInfo = formcolumn::addHint(leftLayout, left, QStringLiteral("agentInfo"));

    m_form = new FormBuilder(left);
    m_form->setEmptyText(tr("This agent takes no inputs."));
    formcolumn::addScrolled(leftLayout, m_form, left);

    const formcolumn::RunRow runRow = formcolumn::addRunRow(
        leftLayout, left, tr("Run"), tr("Run the agent with these inputs (Ctrl+Return)"), 90);
    m_formStatus = runRow.status;
    m_cancel = runRow.cancel;
    m_run = runRow.run;
    m_run->setDefault(true);

    // Right: what came out.
    m_output = new RunOutputPane(m_tracker, splitter);
    splitter->addWidget(left);
    splitter->addWidget(m_output);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    connect(m_agentPicker, &QComboBox::currentIndexChanged, this, &SingleAgentTab::onAgentChanged);
    connect(m_form, &FormBuilder::validityChanged, this, &SingleAgentTab::updateButtons);
    connect(m_form, &FormBuilder::valuesEdited, this, &SingleAgentTab::updateButtons);
    connect(m_run, &QPushButton::clicked, this, [this] { run(); });
    connect(m_cancel, &QPushButton::clicked, this, &SingleAgentTab::cancel);
    connect(m_tracker, &ExecutionTracker::statusChanged, this, &SingleAgentTab::updateButtons);
    connect(m_tracker, &ExecutionTracker::finished, this, [this] {
        updateButtons();
        emit runningChanged(false);
    });
    updateButtons();
}

QString SingleAgentTab::settingsKey(const QString &workspaceId, const QString &agentId)
{
    return QStringLiteral("lastInputs/%1/%2")
        .arg(workspaceId.isEmpty() ? QStringLiteral("_") : workspaceId, agentId);
}

void SingleAgentTab::setWorkspace(const Workspace &workspace)
{
    const QString keep = currentAgentId();
    const QJsonObject keepValues = m_form->values();
    const AgentSpec *old = m_workspace.agent(keep);
    const QJsonObject oldSignature
        = old ? old->raw.value(QStringLiteral("signature")).toObject() : QJsonObject();
    m_workspace = workspace;
    {
        const QSignalBlocker block(m_agentPicker);
        m_agentPicker->clear();
        for (const AgentSpec &a : std::as_const(m_workspace.agents))
            m_agentPicker->addItem(
                a.name.isEmpty() || a.name == a.id ? a.id : QStringLiteral("%1  (%2)").arg(a.name, a.id),
                a.id);
        m_agentPicker->setCurrentIndex(qMax(0, m_agentPicker->findData(keep)));
    }
    const AgentSpec *now = m_workspace.agent(keep);
    const bool sameAgent = now && currentAgentId() == keep
        && now->raw.value(QStringLiteral("signature")).toObject() == oldSignature;
    m_shownAgent.clear();
    onAgentChanged();
    if (sameAgent)
        m_form->setValues(keepValues);
}

bool SingleAgentTab::selectAgent(const QString &agentId)
{
    const int index = m_agentPicker->findData(agentId);
    if (index < 0)
        return false;
    m_agentPicker->setCurrentIndex(index);
    return true;
}

QString SingleAgentTab::currentAgentId() const
{
    return m_agentPicker->currentData().toString();
}

void SingleAgentTab::onAgentChanged()
{
    const QString id = currentAgentId();
    if (id == m_shownAgent && !id.isEmpty())
        return;
    m_shownAgent = id;
    const AgentSpec *agent = m_workspace.agent(id);
    formcolumn::setExamples(m_examples, agent ? agent->examples : QList<InputExample>());
    if (!agent) {
        m_form->setFields({});
        m_form->setEmptyText(
            m_workspace.agents.isEmpty() ? tr("This workspace has no agents.") : tr("Choose an agent."));
        m_agentInfo->clear();
        m_output->setOutputFields({});
        updateButtons();
        return;
    }
    m_form->setEmptyText(tr("This agent takes no inputs."));
    QString info = QStringLiteral("%1 · %2").arg(agent->model.provider, agent->model.name);
    if (!agent->version.isEmpty())
        info = QStringLiteral("v%1 · ").arg(agent->version) + info;
    m_agentInfo->setText(info);
    m_agentInfo->setToolTip(agent->instructions);

    m_form->setFields(agent->signature.inputs);
    QSettings settings;
    const QString saved = settings.value(settingsKey(m_workspace.workspaceId, id)).toString();
    const QJsonObject last = QJsonDocument::fromJson(saved.toUtf8()).object();
    if (!last.isEmpty())
        m_form->setValues(last);
    else if (!agent->examples.isEmpty())
        // First time with this agent: start from its first saved example, so Run works at once.
        m_form->setValues(agent->examples.first().inputs);
    m_output->setOutputFields(agent->signature.outputs);
    updateButtons();
}

void SingleAgentTab::setInputs(const QJsonObject &inputs)
{
    m_form->setValues(inputs);
}

bool SingleAgentTab::canRun() const
{
    return m_backend && m_workspace.agent(currentAgentId()) && m_form->isValid() && !m_tracker->isActive();
}

bool SingleAgentTab::isRunning() const
{
    return m_tracker->isActive();
}

QString SingleAgentTab::run(const QString &rerunOf)
{
    if (!canRun())
        return {};
    saveInputs();
    ExecutionRequest request;
    request.agentId = currentAgentId();
    request.inputs = m_form->values();
    request.testMode = QStringLiteral("single_agent");
    request.rerunOf = rerunOf;
    const QString id = m_tracker->start(request);
    updateButtons();
    emit runningChanged(true);
    return id;
}

void SingleAgentTab::cancel()
{
    m_tracker->cancel();
}

void SingleAgentTab::saveInputs()
{
    QSettings settings;
    settings.setValue(
        settingsKey(m_workspace.workspaceId, currentAgentId()), as::compactJson(m_form->values()));
}

void SingleAgentTab::updateButtons()
{
    const bool running = m_tracker->isActive();
    m_run->setEnabled(canRun());
    m_cancel->setEnabled(running);
    m_agentPicker->setEnabled(!running);
    if (running)
        m_formStatus->setText(tr("Running…"));
    else if (!m_workspace.agent(currentAgentId()))
        m_formStatus->clear();
    else if (!m_form->isValid()) {
        QStringList names;
        for (const QString &p : m_form->problems())
            names << p.section(QLatin1Char(':'), 0, 0);
        names.removeDuplicates();
        m_formStatus->setText(tr("Fix or fill in: %1").arg(names.join(QStringLiteral(", "))));
    } else
        m_formStatus->setText(tr("Ready to run."));
    m_run->setToolTip(m_form->isValid() ? tr("Run the agent with these inputs (Ctrl+Return)")
                                        : m_form->problems().join(QLatin1Char('\n')));
}
