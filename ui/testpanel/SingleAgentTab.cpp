#include "ui/testpanel/SingleAgentTab.h"

#include "core/api/ActiveBackend.h"
#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "ui/common/MessageBox.h"
#include "ui/form/FormBuilder.h"
#include "ui/testpanel/ConversationView.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FormColumn.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/SideBySideView.h"
#include "ui/testpanel/VariantColumn.h"
#include "ui/testpanel/VariantKeeper.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>

SingleAgentTab::SingleAgentTab(ExecutionBackend *backend, QWidget *parent)
    : TestTab(backend, parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("singleAgentTab"));

    // Left: what to run.
    QWidget *left = columnWidget();
    auto *pickRow = new QHBoxLayout;
    m_agentPicker = formcolumn::addPicker(pickRow, left, tr("&Agent"), QStringLiteral("agentPicker"), 16);
    m_examples = formcolumn::addExamplesPicker(pickRow, left,
        tr("Fill the form with one of the agent's saved examples"),
        [this](const QJsonObject &inputs) { m_form->setValues(inputs); });
    column()->addLayout(pickRow);

    m_agentInfo = formcolumn::addHint(column(), left, QStringLiteral("agentInfo"));
    auto *compareRow = new QHBoxLayout;
    m_compare = new QCheckBox(tr("Com&pare variants"), left);
    m_compare->setObjectName(QStringLiteral("compareVariants"));
    m_compare->setToolTip(tr("Run the same inputs on up to %1 variants of the agent side by side")
                              .arg(VariantSpec::MaxVariants));
    m_addVariant = new QPushButton(tr("A&dd variant"), left);
    m_addVariant->setObjectName(QStringLiteral("addVariantButton"));
    compareRow->addWidget(m_compare);
    compareRow->addStretch();
    compareRow->addWidget(m_addVariant);
    column()->addLayout(compareRow);
    m_keepStatus = formcolumn::addHint(column(), left, QStringLiteral("keepStatus"));

    m_form = new FormBuilder(left);
    m_form->setEmptyText(tr("This agent takes no inputs."));
    formcolumn::addScrolled(column(), m_form, left);

    addRunRow(tr("Run"), tr("Run the agent with these inputs (Ctrl+Return)"), 90);
    runButton()->setDefault(true);

    // Right: what came out, and the conversation a completed run can continue; or, comparing,
    // the variants side by side.
    placeOutputBesideColumn();
    m_right = new QStackedWidget(splitter());
    m_right->setObjectName(QStringLiteral("singleAgentRight"));
    splitter()->insertWidget(1, m_right);
    auto *right = new QSplitter(Qt::Vertical, m_right);
    m_right->addWidget(right);
    right->addWidget(output());
    m_conversation = new ConversationView(right);
    right->addWidget(m_conversation);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    splitter()->setStretchFactor(0, 2);
    splitter()->setStretchFactor(1, 3);
    connect(
        m_conversation, &ConversationView::continueRequested, this, &SingleAgentTab::continueConversation);
    connect(
        tracker(), &ExecutionTracker::runConfirmed, m_conversation, &ConversationView::setLastExecutionId);
    connect(tracker(), &ExecutionTracker::finished, this,
        [this](const QString &status, const QJsonObject &outputs, const QString &error) {
            const bool ok = status == toWire(ExecutionStatus::Completed);
            m_conversation->finishTurn(ok ? replyText(outputs) : (error.isEmpty() ? status : error), !ok);
        });
    connect(this, &TestTab::runningChanged, m_conversation, &ConversationView::setRunning);

    m_keeper = new VariantKeeper(this);
    connect(m_compare, &QCheckBox::toggled, this, &SingleAgentTab::setComparing);
    connect(m_addVariant, &QPushButton::clicked, this, [this] {
        if (m_sideBySide)
            m_sideBySide->addVariant();
    });
    connect(m_keeper, &VariantKeeper::kept, this, [this](const Workspace &ws, const QString &path) {
        m_keepStatus->setText(tr("Kept in the workspace file %1.").arg(QFileInfo(path).fileName()));
        updateKeepAllowed();
        emit variantKept(ws, path);
    });
    connect(m_keeper, &VariantKeeper::failed, this, [this](const QString &message) {
        m_keepStatus->clear();
        updateKeepAllowed();
        MessageBox::warning(this, tr("Keep this variant"), tr("The variant was not kept."), message);
    });

    connect(m_agentPicker, &QComboBox::currentIndexChanged, this, &SingleAgentTab::onAgentChanged);
    watchForm(m_form);
    setComparing(false);
    updateButtons();
}

QString SingleAgentTab::title() const
{
    return tr("Single Agent");
}

QString SingleAgentTab::description() const
{
    return tr("Run one agent in isolation");
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
    if (id != m_conversationAgent)
        m_conversation->clearThread(); // a thread belongs to one agent
    const AgentSpec *agent = m_workspace.agent(id);
    formcolumn::setExamples(m_examples, agent ? agent->examples : QList<InputExample>());
    if (!agent) {
        m_form->setFields({});
        m_form->setEmptyText(
            m_workspace.agents.isEmpty() ? tr("This workspace has no agents.") : tr("Choose an agent."));
        m_agentInfo->clear();
        output()->setOutputFields({});
        showAgentSideBySide();
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
    output()->setOutputFields(agent->signature.outputs);
    showAgentSideBySide();
    updateButtons();
}

void SingleAgentTab::setInputs(const QJsonObject &inputs)
{
    m_form->setValues(inputs);
}

bool SingleAgentTab::canRun() const
{
    return m_backend && m_workspace.agent(currentAgentId()) && m_form->isValid() && !isRunning()
        && (!isComparing() || (m_sideBySide && m_sideBySide->problems().isEmpty()));
}

bool SingleAgentTab::isRunning() const
{
    return TestTab::isRunning() || (m_sideBySide && m_sideBySide->isRunning());
}

void SingleAgentTab::cancel()
{
    TestTab::cancel();
    if (m_sideBySide)
        m_sideBySide->cancel();
}

QString SingleAgentTab::run(const QString &rerunOf)
{
    if (!canRun())
        return {};
    saveInputs();
    if (isComparing())
        return runVariants(rerunOf);
    ExecutionRequest request;
    request.agentId = currentAgentId();
    request.inputs = m_form->values();
    request.testMode = mode();
    request.rerunOf = rerunOf;
    const QString id = startRun(request);
    // A run from the form starts a new conversation; its first turn is the inputs.
    QStringList user;
    for (auto it = request.inputs.constBegin(); it != request.inputs.constEnd(); ++it)
        user << QStringLiteral("%1: %2").arg(
            it.key(), it.value().isString() ? it.value().toString() : as::compactJson(it.value()));
    m_conversationAgent = request.agentId;
    m_conversationInputs = request.inputs;
    m_conversation->startThread(user.join(QLatin1Char('\n')), id);
    return id;
}

QString SingleAgentTab::continueConversation(const QString &executionId, const QString &message)
{
    if (isRunning() || executionId.isEmpty() || message.trimmed().isEmpty() || !m_backend)
        return {};
    ExecutionRequest request;
    request.agentId = m_conversationAgent;
    request.inputs = m_conversationInputs;
    request.testMode = mode();
    request.conversationOf = executionId;
    request.message = message.trimmed();
    const QString id = startRun(request);
    m_conversation->addTurn(request.message, id);
    return id;
}

QString SingleAgentTab::replyText(const QJsonObject &outputs)
{
    // One output (the usual "answer"): its text; several: the JSON.
    if (outputs.size() == 1) {
        const QJsonValue only = outputs.constBegin().value();
        return only.isString() ? only.toString() : as::compactJson(only);
    }
    return QString::fromUtf8(QJsonDocument(outputs).toJson(QJsonDocument::Indented)).trimmed();
}

bool SingleAgentTab::loadRecord(const ExecutionRecord &record, QString *error)
{
    if (isRunning()) {
        *error = tr("A Single Agent run is still going.");
        return false;
    }
    if (!selectAgent(record.agentId)) {
        *error = tr("Agent %1 is not in this workspace.").arg(record.agentId);
        return false;
    }
    setInputs(record.inputData);
    return true;
}

void SingleAgentTab::saveInputs()
{
    QSettings settings;
    settings.setValue(
        settingsKey(m_workspace.workspaceId, currentAgentId()), as::compactJson(m_form->values()));
}

void SingleAgentTab::updateButtons()
{
    const bool comparing = isComparing();
    QStringList problems = m_form->problems();
    const int columns = m_sideBySide ? m_sideBySide->count() : 0;
    if (comparing && m_sideBySide)
        problems << m_sideBySide->problems();
    showRunState(m_workspace.agent(currentAgentId()) != nullptr, problems);
    m_agentPicker->setEnabled(!isRunning());
    m_compare->setEnabled(!isRunning());
    m_addVariant->setVisible(comparing);
    m_addVariant->setEnabled(!isRunning() && columns > 0 && columns < VariantSpec::MaxVariants);
    runButton()->setToolTip(m_form->isValid() ? tr("Run the agent with these inputs (Ctrl+Return)")
                                              : m_form->problems().join(QLatin1Char('\n')));
}

void SingleAgentTab::setComparing(bool on)
{
    if (isRunning())
        return;
    if (m_compare->isChecked() != on) {
        m_compare->setChecked(on); // comes back here through toggled()
        return;
    }
    if (on)
        ensureSideBySide();
    m_right->setCurrentIndex(on ? 1 : 0);
    // The columns take the room: the form narrows to what it needs, and widens back after.
    const QList<int> sizes = splitter()->sizes();
    const int total = sizes.value(0) + sizes.value(1);
    if (on && total > 0) {
        m_formWidth = sizes.value(0);
        const int narrow = qMin(m_formWidth, columnWidget()->minimumSizeHint().width());
        splitter()->setSizes({ narrow, total - narrow });
    } else if (!on && total > 0 && m_formWidth > 0) {
        splitter()->setSizes({ m_formWidth, total - m_formWidth });
    }
    m_keepStatus->clear();
    m_keepStatus->setVisible(on);
    updateButtons();
}

bool SingleAgentTab::isComparing() const
{
    return m_compare->isChecked();
}

QString SingleAgentTab::runVariants(const QString &rerunOf)
{
    ExecutionRequest request;
    request.agentId = currentAgentId();
    request.inputs = m_form->values();
    request.testMode = mode();
    request.rerunOf = rerunOf;
    applyRunOptions(request);
    // The trust question is asked once for all the variants, before any of them starts.
    if (const auto &hook = tracker()->beforeStart())
        hook();
    m_keepStatus->clear();
    const QStringList ids = ensureSideBySide()->run(request);
    updateButtons();
    return ids.value(0);
}

void SingleAgentTab::updateKeepAllowed()
{
    if (!m_sideBySide)
        return;
    auto *active = qobject_cast<ActiveBackend *>(m_backend.data());
    const ExecutionBackend *engine = active ? active->backend() : m_backend.data();
    QString reason;
    if (!engine || !engine->runsLocalWorkspace())
        reason = tr("This workspace is served by a server: its agents are edited there.");
    else if (m_workspace.filePath.isEmpty() || m_workspace.filePath.startsWith(QLatin1Char(':')))
        reason = tr("This workspace has no file yet: save it first (File > Save As).");
    else if (m_keeper->isBusy())
        reason = tr("Writing the workspace file…");
    m_sideBySide->setKeepAllowed(reason.isEmpty(), reason);
}

void SingleAgentTab::keepVariant(int index)
{
    if (!m_sideBySide)
        return;
    const AgentSpec *agent = m_workspace.agent(m_sideBySide->agentId());
    VariantColumn *column = m_sideBySide->column(index);
    if (!agent || !column || isRunning())
        return;
    const VariantSpec v = column->variant();
    const auto answer = MessageBox::question(this, tr("Keep this variant"),
        tr("Write variant \"%1\" into agent %2 and save %3?\n\nModel: %4\nInstructions: %5")
            .arg(v.name, agent->id, QFileInfo(m_workspace.filePath).fileName(), v.summary(),
                v.instructions == agent->instructions ? tr("unchanged") : tr("replaced")),
        QMessageBox::Save | QMessageBox::Cancel, QMessageBox::Save);
    if (answer != QMessageBox::Save)
        return;
    QString error;
    if (!m_keeper->keep(m_workspace, agent->id, v, &error)) {
        MessageBox::warning(this, tr("Keep this variant"), tr("The variant was not kept."), error);
        return;
    }
    m_keepStatus->setText(tr("Writing %1…").arg(QFileInfo(m_workspace.filePath).fileName()));
    updateKeepAllowed();
}

SideBySideView *SingleAgentTab::ensureSideBySide()
{
    if (m_sideBySide)
        return m_sideBySide;
    // Made the first time it is asked for: until then the tab holds one output pane only (its
    // child names — streamOutput, metricStatus, … — stay unique in the tab).
    m_sideBySide = new SideBySideView(m_backend, m_right);
    m_right->addWidget(m_sideBySide);
    connect(m_sideBySide, &SideBySideView::columnsChanged, this, [this] { updateButtons(); });
    connect(m_sideBySide, &SideBySideView::statusChanged, this, [this] { updateButtons(); });
    connect(m_sideBySide, &SideBySideView::runningChanged, this, [this](bool running) {
        updateButtons();
        emit runningChanged(running);
    });
    connect(m_sideBySide, &SideBySideView::keepRequested, this, &SingleAgentTab::keepVariant);
    connect(m_sideBySide, &SideBySideView::runConfirmed, this, &SingleAgentTab::variantRunConfirmed);
    showAgentSideBySide();
    return m_sideBySide;
}

void SingleAgentTab::showAgentSideBySide()
{
    if (!m_sideBySide)
        return;
    QStringList providers;
    for (const ProviderConfig &p : std::as_const(m_workspace.providers))
        providers << p.id;
    m_sideBySide->setAgent(m_workspace.agent(currentAgentId()), providers);
    updateKeepAllowed();
}
