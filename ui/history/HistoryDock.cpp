#include "ui/history/HistoryDock.h"

#include "core/api/ActiveBackend.h"
#include "core/trace/OtlpExport.h"
#include "ui/common/FileDialog.h"
#include "ui/common/MessageBox.h"
#include "ui/history/HistoryChart.h"
#include "ui/history/HistoryModel.h"
#include "ui/history/RetentionDialog.h"
#include "ui/trace/CompareView.h"
#include "ui/trace/TraceFormat.h"
#include "ui/trace/TraceView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

QString pretty(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).trimmed();
}

QComboBox *makeCombo(QWidget *parent, const QString &name, const QList<std::pair<QString, QString>> &items)
{
    auto *c = new QComboBox(parent);
    c->setObjectName(name);
    for (const auto &[label, value] : items)
        c->addItem(label, value);
    return c;
}

// An editable combo whose empty text means "any".
QComboBox *makeTargetCombo(QWidget *parent, const QString &name, const QString &placeholder)
{
    auto *c = new QComboBox(parent);
    c->setObjectName(name);
    c->setEditable(true);
    c->setInsertPolicy(QComboBox::NoInsert);
    c->lineEdit()->setPlaceholderText(placeholder);
    c->lineEdit()->setClearButtonEnabled(true);
    return c;
}

} // namespace

HistoryDock::HistoryDock(ExecutionBackend *backend, QWidget *parent)
    : QDockWidget(tr("History"), parent)
    , m_backend(backend)
    , m_model(new HistoryModel(backend, this))
    , m_queryDebounce(new QTimer(this))
{
    setObjectName(QStringLiteral("historyDock"));
    setFeatures(
        QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);

    auto *content = new QWidget(this);
    QHBoxLayout *top = buildSearchRow(content);
    buildFilterPanel(content);
    QSplitter *split = buildList(content);
    QHBoxLayout *buttons = buildActions(content);

    m_statusLabel = new QLabel(content);
    m_statusLabel->setObjectName(QStringLiteral("historyStatusLabel"));

    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_filterPanel);
    layout->addWidget(split, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_statusLabel);
    setWidget(content);

    connectFilters();
    connectListAndActions();
    updateButtons();
    updateStatusLabel();
    connectBackend();
}

// The search box, the status filter, the sort and the "Filters" toggle.
QHBoxLayout *HistoryDock::buildSearchRow(QWidget *content)
{
    m_search = new QLineEdit(content);
    m_search->setObjectName(QStringLiteral("historySearch"));
    m_search->setPlaceholderText(tr("Search inputs, outputs, errors"));
    m_search->setClearButtonEnabled(true);
    m_status = makeCombo(content, QStringLiteral("historyStatusFilter"),
        { { tr("Any status"), QString() }, { tr("Completed"), toWire(ExecutionStatus::Completed) },
            { tr("Failed"), toWire(ExecutionStatus::Failed) },
            { tr("Running"), toWire(ExecutionStatus::Running) },
            { tr("Queued"), toWire(ExecutionStatus::Queued) },
            { tr("Cancelled"), toWire(ExecutionStatus::Cancelled) },
            { tr("Interrupted"), toWire(ExecutionStatus::Interrupted) } });
    m_moreFilters = new QToolButton(content);
    m_moreFilters->setObjectName(QStringLiteral("historyMoreFilters"));
    m_moreFilters->setText(tr("Filters"));
    m_moreFilters->setCheckable(true);
    m_moreFilters->setToolTip(tr("Type, mode, agent, orchestration, trigger, time, cost and latency"));
    m_sort = makeCombo(content, QStringLiteral("historySort"),
        { { tr("Newest first"), QString() }, { tr("Oldest first"), QString() },
            { tr("Highest cost"), QString() }, { tr("Slowest"), QString() } });
    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_search, 1);
    top->addWidget(m_status);
    top->addWidget(m_sort);
    top->addWidget(m_moreFilters);

    return top;
}

// The other filters (type, mode, trigger, target, time, cost, latency), folded away by default.
void HistoryDock::buildFilterPanel(QWidget *content)
{
    m_filterPanel = new QWidget(content);
    m_filterPanel->setObjectName(QStringLiteral("historyFilterPanel"));
    m_type = makeCombo(m_filterPanel, QStringLiteral("historyTypeFilter"),
        { { tr("Any type"), QString() }, { tr("Agent"), toWire(ExecutionType::Agent) },
            { tr("Orchestration"), toWire(ExecutionType::Orchestration) },
            { tr("Test"), toWire(ExecutionType::Test) } });
    m_mode = makeCombo(m_filterPanel, QStringLiteral("historyModeFilter"),
        { { tr("Any mode"), QString() }, { tr("Single agent"), toWire(TestMode::SingleAgent) },
            { tr("Node in context"), toWire(TestMode::NodeInContext) },
            { tr("Full workflow"), toWire(TestMode::FullWorkflow) } });
    m_trigger = makeCombo(m_filterPanel, QStringLiteral("historyTriggerFilter"),
        { { tr("Any trigger"), QString() }, { tr("Test panel"), toWire(TriggerType::TestPanel) },
            { QStringLiteral("CLI"), toWire(TriggerType::Cli) },
            { QStringLiteral("API"), toWire(TriggerType::Api) },
            { QStringLiteral("MCP"), toWire(TriggerType::Mcp) } });
    m_agent = makeTargetCombo(m_filterPanel, QStringLiteral("historyAgentFilter"), tr("Any agent"));
    m_orchestration = makeTargetCombo(
        m_filterPanel, QStringLiteral("historyOrchestrationFilter"), tr("Any orchestration"));
    m_sinceEnabled = new QCheckBox(tr("From"), m_filterPanel);
    m_sinceEnabled->setObjectName(QStringLiteral("historySinceEnabled"));
    m_since = new QDateTimeEdit(QDateTime::currentDateTime().addDays(-7), m_filterPanel);
    m_since->setObjectName(QStringLiteral("historySince"));
    m_since->setCalendarPopup(true);
    m_untilEnabled = new QCheckBox(tr("to"), m_filterPanel);
    m_untilEnabled->setObjectName(QStringLiteral("historyUntilEnabled"));
    m_until = new QDateTimeEdit(QDateTime::currentDateTime(), m_filterPanel);
    m_until->setObjectName(QStringLiteral("historyUntil"));
    m_until->setCalendarPopup(true);
    auto money = [this](const QString &name) {
        auto *s = new QDoubleSpinBox(m_filterPanel);
        s->setObjectName(name);
        s->setDecimals(6);
        s->setRange(0, 1'000'000);
        s->setSingleStep(0.001);
        s->setPrefix(QStringLiteral("$"));
        s->setSpecialValueText(tr("any"));
        return s;
    };
    m_minCost = money(QStringLiteral("historyMinCost"));
    m_maxCost = money(QStringLiteral("historyMaxCost"));
    auto ms = [this](const QString &name) {
        auto *s = new QSpinBox(m_filterPanel);
        s->setObjectName(name);
        s->setRange(0, 86'400'000);
        s->setSingleStep(100);
        s->setSuffix(QStringLiteral(" ms"));
        s->setSpecialValueText(tr("any"));
        return s;
    };
    m_minLatency = ms(QStringLiteral("historyMinLatency"));
    m_maxLatency = ms(QStringLiteral("historyMaxLatency"));
    auto *grid = new QGridLayout(m_filterPanel);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(m_type, 0, 0);
    grid->addWidget(m_mode, 0, 1);
    grid->addWidget(m_trigger, 0, 2);
    grid->addWidget(m_agent, 1, 0);
    grid->addWidget(m_orchestration, 1, 1, 1, 2);
    auto *timeRow = new QHBoxLayout;
    timeRow->addWidget(m_sinceEnabled);
    timeRow->addWidget(m_since, 1);
    timeRow->addWidget(m_untilEnabled);
    timeRow->addWidget(m_until, 1);
    grid->addLayout(timeRow, 2, 0, 1, 3);
    auto *rangeRow = new QHBoxLayout;
    rangeRow->addWidget(new QLabel(tr("Cost"), m_filterPanel));
    rangeRow->addWidget(m_minCost);
    rangeRow->addWidget(new QLabel(QStringLiteral("–"), m_filterPanel));
    rangeRow->addWidget(m_maxCost);
    rangeRow->addSpacing(8);
    rangeRow->addWidget(new QLabel(tr("Latency"), m_filterPanel));
    rangeRow->addWidget(m_minLatency);
    rangeRow->addWidget(new QLabel(QStringLiteral("–"), m_filterPanel));
    rangeRow->addWidget(m_maxLatency);
    grid->addLayout(rangeRow, 3, 0, 1, 3);
    m_filterPanel->setVisible(false);
}

// The list beside the details / chart tabs.
QSplitter *HistoryDock::buildList(QWidget *content)
{
    m_table = new QTableView(content);
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionsClickable(true);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->horizontalHeader()->setSortIndicator(HistoryModel::TimeColumn, Qt::DescendingOrder);
    // The agent/orchestration name takes the spare width; the figures keep a fixed one.
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(HistoryModel::NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setMinimumSectionSize(40);
    m_table->setColumnWidth(HistoryModel::StatusColumn, 96);
    m_table->setColumnWidth(HistoryModel::NameColumn, 150);
    m_table->setColumnWidth(HistoryModel::ModeColumn, 100);
    m_table->setColumnWidth(HistoryModel::TimeColumn, 140);
    m_table->setColumnWidth(HistoryModel::LatencyColumn, 70);
    m_table->setColumnWidth(HistoryModel::TokensColumn, 90);

    m_details = new QTextBrowser(content);
    m_details->setObjectName(QStringLiteral("historyDetails"));
    m_details->setPlaceholderText(tr("Select a run to see its inputs, output and metrics."));
    m_chart = new HistoryChart(m_model, content);
    m_tabs = new QTabWidget(content);
    m_tabs->setObjectName(QStringLiteral("historyTabs"));
    m_tabs->addTab(m_details, tr("Details"));
    m_tabs->addTab(m_chart, tr("Cost && latency"));
    // Side by side: the dock sits in the wide, short bottom area, where stacking the list above
    // the details left only a sliver of rows visible.
    auto *split = new QSplitter(Qt::Horizontal, content);
    split->setObjectName(QStringLiteral("historySplitter"));
    split->setChildrenCollapsible(false);
    split->addWidget(m_table);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    return split;
}

// Run again, Open trace, Compare, Delete, Retention, Export and Reload.
QHBoxLayout *HistoryDock::buildActions(QWidget *content)
{
    auto button = [content](const QString &name, const QString &text, const QString &tip) {
        auto *b = new QPushButton(text, content);
        b->setObjectName(name);
        b->setToolTip(tip);
        return b;
    };
    m_rerun = button(QStringLiteral("rerunButton"), tr("Run again"),
        tr("Open this run in the test panel and run it with the same inputs"));
    m_openTrace = button(QStringLiteral("openTraceButton"), tr("Open trace"),
        tr("Show the run's steps and timeline (double-click a row)"));
    m_compare = button(
        QStringLiteral("compareButton"), tr("Compare"), tr("Select two runs to compare them step by step"));
    m_delete = button(QStringLiteral("deleteButton"), tr("Delete"), tr("Delete the selected runs"));
    m_retention = button(QStringLiteral("retentionButton"), tr("Retention…"),
        tr("Keep the last N runs or drop runs older than D days"));
    m_export = button(
        QStringLiteral("exportHistoryButton"), tr("Export…"), tr("Save the listed runs as CSV or JSON"));
    auto *refresh = new QToolButton(content);
    refresh->setObjectName(QStringLiteral("historyRefresh"));
    refresh->setText(QStringLiteral("↻"));
    refresh->setToolTip(tr("Reload"));
    auto *buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    for (QWidget *w : { static_cast<QWidget *>(m_rerun), static_cast<QWidget *>(m_openTrace),
             static_cast<QWidget *>(m_compare), static_cast<QWidget *>(m_delete),
             static_cast<QWidget *>(m_retention), static_cast<QWidget *>(m_export) })
        buttons->addWidget(w);
    buttons->addStretch(1);
    buttons->addWidget(refresh);

    connect(refresh, &QToolButton::clicked, this, &HistoryDock::refresh);
    return buttons;
}

// Any filter change re-queries after a short pause (typing in the search box does not send a
// query per key); a click on a sortable header changes the sort.
void HistoryDock::connectFilters()
{
    m_queryDebounce->setSingleShot(true);
    m_queryDebounce->setInterval(250);
    connect(m_queryDebounce, &QTimer::timeout, this, &HistoryDock::applyQuery);
    auto later = [this] { scheduleQuery(); };
    connect(m_search, &QLineEdit::textChanged, this, later);
    connect(m_search, &QLineEdit::returnPressed, this, &HistoryDock::applyQuery);
    for (QComboBox *c : { m_status, m_type, m_mode, m_trigger, m_sort })
        connect(c, &QComboBox::currentIndexChanged, this, &HistoryDock::applyQuery);
    for (QComboBox *c : { m_agent, m_orchestration })
        connect(c, &QComboBox::currentTextChanged, this, later);
    connect(m_sinceEnabled, &QCheckBox::toggled, this, later);
    connect(m_untilEnabled, &QCheckBox::toggled, this, later);
    connect(m_since, &QDateTimeEdit::dateTimeChanged, this, [this] {
        if (m_sinceEnabled->isChecked())
            scheduleQuery();
    });
    connect(m_until, &QDateTimeEdit::dateTimeChanged, this, [this] {
        if (m_untilEnabled->isChecked())
            scheduleQuery();
    });
    for (QDoubleSpinBox *s : { m_minCost, m_maxCost })
        connect(s, &QDoubleSpinBox::valueChanged, this, later);
    for (QSpinBox *s : { m_minLatency, m_maxLatency })
        connect(s, &QSpinBox::valueChanged, this, later);
    connect(m_moreFilters, &QToolButton::toggled, m_filterPanel, &QWidget::setVisible);
    connect(m_table->horizontalHeader(), &QHeaderView::sectionClicked, this, [this](int column) {
        switch (column) {
        case HistoryModel::TimeColumn:
            m_sort->setCurrentIndex(m_sort->currentIndex() == 0 ? 1 : 0);
            break;
        case HistoryModel::CostColumn:
            m_sort->setCurrentIndex(2);
            break;
        case HistoryModel::LatencyColumn:
            m_sort->setCurrentIndex(3);
            break;
        default:
            break;
        }
        applyQuery(); // also puts the indicator back where the sort is
    });
}

// Selection, model changes and the action buttons.
void HistoryDock::connectListAndActions()
{
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        updateDetails();
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this,
        [this](const QModelIndex &tl, const QModelIndex &br) {
            const QModelIndex cur = m_table->currentIndex();
            if (cur.isValid() && tl.row() <= cur.row() && cur.row() <= br.row())
                updateDetails();
        });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        updateButtons();
        updateDetails();
    });
    connect(m_model, &HistoryModel::loadingChanged, this, &HistoryDock::updateStatusLabel);
    connect(m_model, &HistoryModel::pageLoaded, this, &HistoryDock::updateStatusLabel);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &HistoryDock::updateStatusLabel);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &HistoryDock::updateStatusLabel);
    connect(m_model, &HistoryModel::loadFailed, this, [this](const QString &message) {
        m_lastMessage = tr("Could not load history: ") + message;
        updateStatusLabel();
    });
    connect(m_table, &QTableView::doubleClicked, this, [this] { openSelectedTrace(); });
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &HistoryDock::showContextMenu);
    connect(m_rerun, &QPushButton::clicked, this, &HistoryDock::rerunSelected);
    connect(m_openTrace, &QPushButton::clicked, this, &HistoryDock::openSelectedTrace);
    connect(m_compare, &QPushButton::clicked, this, &HistoryDock::compareSelected);
    connect(m_delete, &QPushButton::clicked, this, &HistoryDock::deleteSelected);
    connect(m_retention, &QPushButton::clicked, this, &HistoryDock::openRetentionDialog);
    connect(m_export, &QPushButton::clicked, this, &HistoryDock::onExportClicked);
}

HistoryDock::~HistoryDock() = default;

// Once: the backend is the app's ActiveBackend; a switch (local <-> remote) lists the other
// engine's history and drops what was in flight for the old one.
void HistoryDock::connectBackend()
{
    if (!m_backend)
        return;
    connect(m_backend, &ExecutionBackend::workspaceChanged, this, &HistoryDock::onWorkspaceChanged);
    if (auto *active = qobject_cast<ActiveBackend *>(m_backend.data()))
        connect(active, &ActiveBackend::backendChanged, this, &HistoryDock::onBackendChanged);
    onBackendChanged();
}

void HistoryDock::onBackendChanged()
{
    delete std::exchange(m_compareContext, nullptr);
    delete std::exchange(m_deleteContext, nullptr);
    m_compareRecords[0] = m_compareRecords[1] = ExecutionRecord {};
    const Workspace ws = m_backend->workspace();
    m_tenant = { ws.organizationId, ws.workspaceId };
    populateTargets();
    applyQuery();
}

void HistoryDock::setTraceView(TraceView *view)
{
    m_traceView = view;
}

void HistoryDock::onWorkspaceChanged()
{
    populateTargets();
    const Workspace ws = m_backend->workspace();
    const QPair<QString, QString> tenant { ws.organizationId, ws.workspaceId };
    if (tenant == m_tenant)
        return; // the same workspace, edited: the list stays
    m_tenant = tenant;
    applyQuery();
}

void HistoryDock::populateTargets()
{
    if (!m_backend)
        return;
    const Workspace ws = m_backend->workspace();
    auto refill = [](QComboBox *c, const QStringList &ids) {
        const QSignalBlocker block(c);
        const QString keep = c->currentText();
        c->clear();
        c->addItem(QString());
        c->addItems(ids);
        c->setCurrentText(keep);
    };
    QStringList agents, orchestrations;
    for (const AgentSpec &a : ws.agents)
        agents << a.id;
    for (const OrchestrationSpec &o : ws.orchestrations)
        orchestrations << o.id;
    refill(m_agent, agents);
    refill(m_orchestration, orchestrations);
}

HistoryQuery HistoryDock::currentQuery() const
{
    HistoryQuery q;
    q.search = m_search->text().trimmed();
    // The combos hold wire names; empty = any.
    if (const auto s = fromWire<ExecutionStatus>(m_status->currentData().toString()))
        q.statuses = { *s };
    q.executionType = fromWire<ExecutionType>(m_type->currentData().toString());
    if (const QString mode = m_mode->currentData().toString(); !mode.isEmpty())
        q.testMode = fromWire<TestMode>(mode);
    q.triggerType = fromWire<TriggerType>(m_trigger->currentData().toString());
    q.agentId = m_agent->currentText().trimmed();
    q.orchestrationId = m_orchestration->currentText().trimmed();
    if (m_sinceEnabled->isChecked())
        q.since = m_since->dateTime().toUTC();
    if (m_untilEnabled->isChecked())
        q.until = m_until->dateTime().toUTC();
    if (m_minCost->value() > 0)
        q.minCost = m_minCost->value();
    if (m_maxCost->value() > 0)
        q.maxCost = m_maxCost->value();
    if (m_minLatency->value() > 0)
        q.minLatencyMs = m_minLatency->value();
    if (m_maxLatency->value() > 0)
        q.maxLatencyMs = m_maxLatency->value();
    static const HistoryQuery::Sort sorts[] = { HistoryQuery::Sort::NewestFirst,
        HistoryQuery::Sort::OldestFirst, HistoryQuery::Sort::CostDesc, HistoryQuery::Sort::LatencyDesc };
    q.sort = sorts[qBound(0, m_sort->currentIndex(), 3)];
    return q;
}

void HistoryDock::scheduleQuery()
{
    m_queryDebounce->start();
}

void HistoryDock::applyQuery()
{
    m_queryDebounce->stop();
    m_lastMessage.clear();
    const HistoryQuery q = currentQuery();
    QHeaderView *header = m_table->horizontalHeader();
    switch (q.sort) {
    case HistoryQuery::Sort::NewestFirst:
        header->setSortIndicator(HistoryModel::TimeColumn, Qt::DescendingOrder);
        break;
    case HistoryQuery::Sort::OldestFirst:
        header->setSortIndicator(HistoryModel::TimeColumn, Qt::AscendingOrder);
        break;
    case HistoryQuery::Sort::CostDesc:
        header->setSortIndicator(HistoryModel::CostColumn, Qt::DescendingOrder);
        break;
    case HistoryQuery::Sort::LatencyDesc:
        header->setSortIndicator(HistoryModel::LatencyColumn, Qt::DescendingOrder);
        break;
    }
    m_model->setQuery(q);
    updateStatusLabel();
}

void HistoryDock::refresh()
{
    applyQuery();
}

QList<ExecutionRecord> HistoryDock::selectedRecords() const
{
    QList<int> rows;
    for (const QModelIndex &i : m_table->selectionModel()->selectedRows())
        rows << i.row();
    std::sort(rows.begin(), rows.end());
    QList<ExecutionRecord> out;
    for (int r : rows)
        out << m_model->record(r);
    return out;
}

void HistoryDock::updateButtons()
{
    const int n = int(m_table->selectionModel()->selectedRows().size());
    m_rerun->setEnabled(n == 1);
    m_openTrace->setEnabled(n == 1);
    m_compare->setEnabled(n == 2);
    m_delete->setEnabled(n >= 1);
    m_retention->setEnabled(m_backend && m_backend->canDelete());
}

void HistoryDock::updateStatusLabel()
{
    QString text;
    if (!m_lastMessage.isEmpty())
        text = m_lastMessage;
    else if (m_model->isLoading() && m_model->rowCount() == 0)
        text = tr("Loading…");
    else if (m_model->rowCount() == 0)
        text = m_backend ? tr("No runs match") : tr("No engine");
    else
        text = QStringLiteral("%1%2 %3%4")
                   .arg(m_model->rowCount())
                   .arg(m_model->hasMore() ? QStringLiteral("+") : QString(),
                       m_model->rowCount() == 1 && !m_model->hasMore() ? QStringLiteral("run")
                                                                       : QStringLiteral("runs"),
                       m_model->isLoading() ? tr(" · loading more…") : QString());
    m_statusLabel->setText(text);
}

QStringList HistoryDock::searchTerms() const
{
    QStringList terms;
    for (QString t : m_search->text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        t.remove(u'"');
        if (t.endsWith(u'*'))
            t.chop(1);
        if (t.isEmpty() || t == QLatin1String("AND") || t == QLatin1String("OR") || t == QLatin1String("NOT"))
            continue;
        terms << t;
    }
    return terms;
}

QString HistoryDock::detailsHtml() const
{
    return m_details->toHtml();
}

void HistoryDock::updateDetails()
{
    const QList<QModelIndex> rows = m_table->selectionModel()->selectedRows();
    if (rows.size() != 1) {
        m_details->setHtml(
            rows.size() > 1 ? QStringLiteral("<i>%1 runs selected</i>").arg(rows.size()) : QString());
        return;
    }
    const ExecutionRecord &r = m_model->record(rows.first().row());
    // Matches of the search are highlighted in one pass over the escaped text (one regex of
    // all terms, so a highlight never lands inside another's markup).
    QStringList escapedTerms;
    for (const QString &t : searchTerms())
        escapedTerms << QRegularExpression::escape(t.toHtmlEscaped());
    const QRegularExpression highlight(
        escapedTerms.isEmpty() ? QString() : u'(' + escapedTerms.join(u'|') + u')',
        QRegularExpression::CaseInsensitiveOption);
    auto mark = [&](const QString &text) {
        QString html = text.toHtmlEscaped();
        if (!escapedTerms.isEmpty())
            html.replace(highlight, QStringLiteral("<span style='background:#ffe066'>\\1</span>"));
        return html;
    };
    auto row = [](const QString &k, const QString &v) {
        return QStringLiteral("<tr><td style='padding-right:12px;color:#666'>%1</td><td>%2</td></tr>")
            .arg(k.toHtmlEscaped(), v.toHtmlEscaped());
    };
    const QString name = r.orchestrationId.isEmpty() ? r.agentId : r.orchestrationId;
    QString html = QStringLiteral(
        "<h3 style='margin:0'>%1 <span style='color:#666;font-weight:normal'>%2 · %3</span></h3>")
                       .arg(name.toHtmlEscaped(), toWire(r.status).toHtmlEscaped(),
                           traceformat::modeLabel(r.testMode, r.executionType).toHtmlEscaped());
    html += QStringLiteral("<table>");
    html += row(tr("Queued"), traceformat::time(r.queuedAt));
    html += row(tr("Queue time"), traceformat::latency(r.queueMs));
    if (r.ttftMs >= 0)
        html += row(tr("Time to first token"), traceformat::latency(r.ttftMs));
    html += row(tr("Latency"), traceformat::latency(r.executionTimeMs));
    html += row(tr("Tokens"),
        tr("in %1 (cached %2), out %3%4")
            .arg(r.inputTokens)
            .arg(r.cachedTokens)
            .arg(r.outputTokens)
            .arg(r.tokensEstimated ? tr(" — estimated") : QString()));
    if (r.executionTimeMs > 0 && r.outputTokens > 0)
        html += row(tr("Tokens/s"),
            QString::number(double(r.outputTokens) * 1000.0 / double(r.executionTimeMs), 'f', 1));
    html += row(tr("Cost"), traceformat::cost(r.costUsd));
    if (!r.model.isEmpty())
        html += row(
            tr("Model"), r.provider.isEmpty() ? r.model : r.provider + QStringLiteral(" / ") + r.model);
    if (!r.nodeId.isEmpty())
        html += row(tr("Node"), r.nodeId);
    html += row(tr("Trigger"), toWire(r.triggerType));
    html += row(QStringLiteral("Id"), r.id);
    if (!r.rerunOf.isEmpty())
        html += row(tr("Re-run of"), r.rerunOf);
    html += QStringLiteral("</table>");
    if (!r.errorMessage.isEmpty())
        html += QStringLiteral("<h4 style='margin:8px 0 2px 0;color:#c0392b'>Error</h4><pre "
                               "style='white-space:pre-wrap;margin:0'>%1</pre>")
                    .arg(mark(r.errorMessage));
    html += QStringLiteral(
        "<h4 style='margin:8px 0 2px 0'>Inputs</h4><pre style='white-space:pre-wrap;margin:0'>%1</pre>")
                .arg(mark(pretty(r.inputData)));
    html += QStringLiteral(
        "<h4 style='margin:8px 0 2px 0'>Output</h4><pre style='white-space:pre-wrap;margin:0'>%1</pre>")
                .arg(mark(pretty(r.outputData)));
    m_details->setHtml(html);
}

// --- actions --------------------------------------------------------------------------------

void HistoryDock::rerunSelected()
{
    const QList<ExecutionRecord> selected = selectedRecords();
    if (selected.size() == 1)
        emit rerunRequested(selected.first());
}

void HistoryDock::openSelectedTrace()
{
    const QList<ExecutionRecord> selected = selectedRecords();
    if (selected.size() != 1)
        return;
    const QString id = selected.first().id;
    if (m_traceView)
        m_traceView->openExecution(id);
    emit traceRequested(id);
}

void HistoryDock::saveSelectedAsTestCase()
{
    const QList<ExecutionRecord> selected = selectedRecords();
    if (selected.size() == 1)
        emit saveAsTestCaseRequested(selected.first().id);
}

// The row's actions, the same as the buttons, plus "Save as Test Case…" (the Evaluations
// panel builds the case and asks where it goes).
void HistoryDock::showContextMenu(const QPoint &pos)
{
    const QModelIndex at = m_table->indexAt(pos);
    if (!at.isValid())
        return;
    if (!m_table->selectionModel()->isRowSelected(at.row(), at.parent()))
        m_table->selectRow(at.row());
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("historyContextMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const bool one = selectedRecords().size() == 1;
    menu->addAction(tr("Open Trace"), this, &HistoryDock::openSelectedTrace)->setEnabled(one);
    menu->addAction(tr("Run Again"), this, &HistoryDock::rerunSelected)->setEnabled(m_rerun->isEnabled());
    menu->addAction(tr("Compare"), this, &HistoryDock::compareSelected)->setEnabled(m_compare->isEnabled());
    QAction *save = menu->addAction(tr("Save as Test Case…"), this, &HistoryDock::saveSelectedAsTestCase);
    save->setObjectName(QStringLiteral("actionSaveAsTestCase"));
    save->setEnabled(one);
    menu->popup(m_table->viewport()->mapToGlobal(pos));
}

void HistoryDock::compareSelected()
{
    const QList<ExecutionRecord> selected = selectedRecords();
    if (selected.size() != 2 || !m_backend)
        return;
    // Older run on the left.
    const bool swap = selected[0].queuedAt > selected[1].queuedAt;
    m_compareRecords[0] = m_compareRecords[1] = ExecutionRecord {};
    // A new comparison replaces one still loading: its context (and answers) go.
    delete m_compareContext;
    m_compareContext = new QObject(this);
    m_comparePending = 2;
    for (int side = 0; side < 2; ++side)
        m_backend->fetchExecution(selected[(side == 0) == swap ? 1 : 0].id, m_compareContext,
            [this, side](
                const ExecutionRecord &record, const Error &error) { onFetched(side, record, error); });
    m_lastMessage = tr("Loading both runs…");
    updateStatusLabel();
}

void HistoryDock::onFetched(int side, const ExecutionRecord &record, const Error &error)
{
    if (error.code != ErrorCode::None) {
        delete std::exchange(m_compareContext, nullptr); // the other side is not wanted any more
        m_compareRecords[0] = m_compareRecords[1] = ExecutionRecord {};
        m_lastMessage = tr("Could not load a run to compare: ") + error.message;
        updateStatusLabel();
        return;
    }
    m_compareRecords[side] = record;
    if (--m_comparePending > 0)
        return;
    delete std::exchange(m_compareContext, nullptr);
    // A window of its own, so two traces can be read side by side at full width.
    auto *view = new CompareView(this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->setExecutions(m_compareRecords[0], m_compareRecords[1]);
    m_compareRecords[0] = m_compareRecords[1] = ExecutionRecord {};
    m_compareView = view;
    view->show();
    m_lastMessage.clear();
    updateStatusLabel();
    emit compareOpened(view);
}

void HistoryDock::deleteSelected()
{
    const QList<ExecutionRecord> selected = selectedRecords();
    if (selected.isEmpty() || !m_backend)
        return;
    const QString text = selected.size() == 1 ? tr("Delete this run and its trace?")
                                              : tr("Delete %1 runs and their traces?").arg(selected.size());
    if (MessageBox::question(
            this, tr("Delete runs"), text, QMessageBox::Yes | QMessageBox::No, QMessageBox::No)
        != QMessageBox::Yes)
        return;
    QStringList ids;
    for (const ExecutionRecord &r : selected)
        ids << r.id;
    if (!m_backend->canDelete()) {
        MessageBox::warning(this, tr("Delete runs"),
            tr("This engine (%1) cannot delete history.").arg(m_backend->displayName()));
        return;
    }
    m_deleteIds = ids;
    m_backend->deleteExecutions(
        ids, newDeleteContext(), [this](int count, const Error &error) { onDeleted(count, error); });
}

void HistoryDock::applyRetention(int keepLast, int olderThanDays)
{
    if (!m_backend)
        return;
    const QDateTime olderThan
        = olderThanDays > 0 ? QDateTime::currentDateTimeUtc().addDays(-olderThanDays) : QDateTime();
    if (!m_backend->canDelete()) {
        MessageBox::warning(this, tr("History retention"),
            tr("This engine (%1) cannot delete history.").arg(m_backend->displayName()));
        return;
    }
    m_deleteIds.clear(); // unknown which: reload the list when done
    m_backend->applyRetention(keepLast, olderThan, newDeleteContext(),
        [this](int count, const Error &error) { onDeleted(count, error); });
}

QObject *HistoryDock::newDeleteContext()
{
    // One delete at a time is heard: a newer one replaces the older one's context.
    delete m_deleteContext;
    m_deleteContext = new QObject(this);
    return m_deleteContext;
}

void HistoryDock::onDeleted(int count, const Error &error)
{
    delete std::exchange(m_deleteContext, nullptr);
    if (error.code != ErrorCode::None) {
        m_lastMessage = tr("Could not delete: ") + error.message;
        updateStatusLabel();
        return;
    }
    if (m_deleteIds.isEmpty())
        refresh();
    else
        m_model->removeExecutions(m_deleteIds);
    m_deleteIds.clear();
    m_lastMessage = count == 1 ? tr("Deleted 1 run") : tr("Deleted %1 runs").arg(count);
    updateStatusLabel();
    emit executionsDeleted(count);
}

void HistoryDock::openRetentionDialog()
{
    auto *dialog = new RetentionDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const QString what = dialog->keepLast() > 0 && dialog->olderThanDays() > 0
            ? tr("keep the last %1 runs and delete runs older than %2 days")
                  .arg(dialog->keepLast())
                  .arg(dialog->olderThanDays())
            : dialog->keepLast() > 0 ? tr("keep only the last %1 runs").arg(dialog->keepLast())
                                     : tr("delete runs older than %1 days").arg(dialog->olderThanDays());
        if (MessageBox::question(this, tr("History retention"), tr("Really %1?").arg(what),
                QMessageBox::Yes | QMessageBox::No, QMessageBox::No)
            == QMessageBox::Yes)
            applyRetention(dialog->keepLast(), dialog->olderThanDays());
    });
    dialog->open();
}

QString HistoryDock::exportTo(const QString &path) const
{
    const QList<ExecutionRecord> &rows = m_model->records();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("%1: %2").arg(path, file.errorString());
    if (QFileInfo(path).suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0)
        file.write(QJsonDocument(exportHistoryJson(rows)).toJson(QJsonDocument::Indented));
    else
        file.write(exportHistoryCsv(rows));
    if (!file.commit())
        return QStringLiteral("%1: %2").arg(path, file.errorString());
    return {};
}

void HistoryDock::onExportClicked()
{
    const QString path = FileDialog::getSaveFileName(this, tr("Export history"),
        QStringLiteral("history.csv"), QStringLiteral("CSV (*.csv);;JSON (*.json)"));
    if (path.isEmpty())
        return;
    const QString error = exportTo(path);
    if (!error.isEmpty())
        MessageBox::warning(this, tr("Export failed"), error);
    else
        MessageBox::information(
            this, tr("Export"), tr("Exported %1 listed runs to %2").arg(m_model->rowCount()).arg(path));
}
