#include "ui/tools/ToolsPanel.h"

#include "core/api/ExecutionBackend.h"
#include "ui/common/StatusPalette.h"
#include "ui/common/ToolResultHtml.h"
#include "ui/form/FormBuilder.h"
#include "ui/tools/SchemaFields.h"
#include "ui/trace/TraceFormat.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBrowser>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {

constexpr int kSourceRole = Qt::UserRole + 1;
constexpr int kToolRole = Qt::UserRole + 2;

statuspalette::Tone toneOf(ToolSourceState state)
{
    switch (state) {
    case ToolSourceState::Idle:
        return statuspalette::Tone::Idle;
    case ToolSourceState::Starting:
        return statuspalette::Tone::Running;
    case ToolSourceState::Connected:
        return statuspalette::Tone::Succeeded;
    case ToolSourceState::Failed:
        return statuspalette::Tone::Failed;
    }
    return statuspalette::Tone::Idle;
}

QString indented(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).trimmed();
}

// Replaces an owned request context: the old one's answer is dropped with it.
QObject *renew(QObject *&context, QObject *parent)
{
    delete context;
    context = new QObject(parent);
    return context;
}

} // namespace

ToolsPanel::ToolsPanel(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("toolsPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    auto *bar = new QHBoxLayout;
    m_refresh = new QToolButton(this);
    m_refresh->setObjectName(QStringLiteral("toolsRefresh"));
    m_refresh->setText(tr("Refresh"));
    m_refresh->setToolTip(tr("List the tool sources and their tools again"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("toolsStatus"));
    bar->addWidget(m_refresh);
    bar->addWidget(m_status, 1);
    layout->addLayout(bar);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_tree = new QTreeWidget(split);
    m_tree->setObjectName(QStringLiteral("toolSources"));
    m_tree->setHeaderLabels({ tr("Source / tool"), tr("State") });
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_tree->setRootIsDecorated(true);

    auto *right = new QWidget(split);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(6, 0, 0, 0);
    m_title = new QLabel(right);
    m_title->setObjectName(QStringLiteral("toolTitle"));
    m_title->setTextFormat(Qt::RichText);
    m_description = new QLabel(right);
    m_description->setObjectName(QStringLiteral("toolDescription"));
    m_description->setWordWrap(true);
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rightLayout->addWidget(m_title);
    rightLayout->addWidget(m_description);

    m_tabs = new QTabWidget(right);
    m_tabs->setObjectName(QStringLiteral("toolTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(buildRunPage(), tr("Run"));
    m_schema = new QPlainTextEdit(m_tabs);
    m_schema->setObjectName(QStringLiteral("toolSchema"));
    m_schema->setReadOnly(true);
    m_schema->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_tabs->addTab(m_schema, tr("Schema"));
    m_log = new QPlainTextEdit(m_tabs);
    m_log->setObjectName(QStringLiteral("toolSourceLog"));
    m_log->setReadOnly(true);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("The source's error and the last lines of its log appear here."));
    m_tabs->addTab(m_log, tr("Source log"));
    rightLayout->addWidget(m_tabs, 1);

    split->addWidget(m_tree);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);
    // A small minimum: the dock shares the bottom area with history and trace and must not
    // make the window taller than a 720 px screen (the panel scrolls nothing; it just shrinks).
    setMinimumSize(240, 120);

    connect(m_refresh, &QToolButton::clicked, this, &ToolsPanel::refresh);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, &ToolsPanel::onSelectionChanged);
    connect(m_run, &QPushButton::clicked, this, &ToolsPanel::runSelected);
    connect(m_form, &FormBuilder::validityChanged, this, &ToolsPanel::updateRunButton);
    if (m_backend) {
        connect(m_backend, &ExecutionBackend::toolsChanged, this, &ToolsPanel::refresh);
        // Another workspace (or another backend) has other sources.
        connect(m_backend, &ExecutionBackend::workspaceChanged, this, &ToolsPanel::refresh);
    }
    onSelectionChanged();
    refresh();
}

QWidget *ToolsPanel::buildRunPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    m_form = new FormBuilder(page);
    m_form->setObjectName(QStringLiteral("toolForm"));
    m_form->setEmptyText(tr("This tool takes no arguments."));
    auto *scroll = new QScrollArea(page);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_form);
    auto *runRow = new QHBoxLayout;
    m_latency = new QLabel(page);
    m_latency->setObjectName(QStringLiteral("toolLatency"));
    m_run = new QPushButton(tr("Run tool"), page);
    m_run->setObjectName(QStringLiteral("toolRunButton"));
    m_run->setToolTip(tr("Call this tool once with these arguments"));
    runRow->addWidget(m_latency, 1);
    runRow->addWidget(m_run);
    m_result = new QTextBrowser(page);
    m_result->setObjectName(QStringLiteral("toolResult"));
    m_result->setOpenLinks(false);
    m_result->setPlaceholderText(tr("The result of the call appears here."));
    auto *vertical = new QSplitter(Qt::Vertical, page);
    vertical->addWidget(scroll);
    auto *lower = new QWidget(vertical);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addLayout(runRow);
    lowerLayout->addWidget(m_result, 1);
    vertical->addWidget(lower);
    // The form gets the larger share at first; the user moves the handle.
    vertical->setSizes({ 300, 200 });
    layout->addWidget(vertical, 1);
    return page;
}

void ToolsPanel::refresh()
{
    if (!m_backend)
        return;
    m_status->setText(tr("Listing tools…"));
    m_backend->listTools(renew(m_listContext, this),
        [this](const QList<ToolSourceStatus> &sources, const Error &error) { showSources(sources, error); });
}

void ToolsPanel::showSources(const QList<ToolSourceStatus> &sources, const Error &error)
{
    if (error.code != ErrorCode::None) {
        m_status->setText(error.message);
        m_status->setStyleSheet(
            QStringLiteral("color:%1").arg(statuspalette::color(statuspalette::Tone::Failed).name()));
    } else {
        int tools = 0, failed = 0;
        for (const ToolSourceStatus &s : sources) {
            tools += int(s.tools.size());
            failed += s.state == ToolSourceState::Failed ? 1 : 0;
        }
        m_status->setStyleSheet({});
        m_status->setText(sources.isEmpty() ? tr("This workspace has no tool sources.")
                                            : tr("%1 %2, %3 %4")
                                                  .arg(sources.size())
                                                  .arg(sources.size() == 1 ? tr("source") : tr("sources"))
                                                  .arg(tools)
                                                  .arg(tools == 1 ? tr("tool") : tr("tools"))
                    + (failed ? tr(" · %1 failed").arg(failed) : QString()));
    }
    m_sources = sources;
    const QString keepSource = m_shownSource, keepTool = m_shownTool;
    {
        const QSignalBlocker block(m_tree);
        m_tree->clear();
        for (const ToolSourceStatus &s : std::as_const(m_sources)) {
            auto *item = new QTreeWidgetItem(m_tree);
            item->setText(0, QStringLiteral("%1  (%2)").arg(s.id, s.kind));
            item->setText(1, toWire(s.state));
            item->setIcon(0, statuspalette::icon(toneOf(s.state)));
            item->setForeground(1, statuspalette::color(toneOf(s.state)));
            item->setToolTip(0, s.error.isEmpty() ? s.target : s.error);
            item->setData(0, kSourceRole, s.id);
            for (const ToolDefinition &t : s.tools) {
                auto *child = new QTreeWidgetItem(item);
                child->setText(
                    0, t.title.isEmpty() ? t.name : QStringLiteral("%1 — %2").arg(t.name, t.title));
                child->setToolTip(0, t.description);
                child->setData(0, kSourceRole, s.id);
                child->setData(0, kToolRole, t.name);
            }
            item->setExpanded(true);
        }
    }
    // The same tool selected again keeps its form and result (showTool sees it is the same).
    if (!selectTool(keepSource, keepTool))
        onSelectionChanged();
    emit sourcesShown();
}

const ToolSourceStatus *ToolsPanel::sourceOf(const QString &id) const
{
    for (const ToolSourceStatus &s : m_sources)
        if (s.id == id)
            return &s;
    return nullptr;
}

bool ToolsPanel::selectTool(const QString &sourceId, const QString &tool)
{
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *source = m_tree->topLevelItem(i);
        if (source->data(0, kSourceRole).toString() != sourceId)
            continue;
        if (tool.isEmpty()) {
            m_tree->setCurrentItem(source);
            return true;
        }
        for (int j = 0; j < source->childCount(); ++j)
            if (source->child(j)->data(0, kToolRole).toString() == tool) {
                m_tree->setCurrentItem(source->child(j));
                return true;
            }
    }
    return false;
}

void ToolsPanel::onSelectionChanged()
{
    QTreeWidgetItem *item = m_tree->currentItem();
    const ToolSourceStatus *source = item ? sourceOf(item->data(0, kSourceRole).toString()) : nullptr;
    const QString toolName = item ? item->data(0, kToolRole).toString() : QString();
    if (!source) {
        m_shownSource.clear();
        m_shownTool.clear();
        m_title->setText(tr("<b>Tools</b>"));
        m_description->setText(tr("Select a tool to see its schema and run it by itself."));
        m_form->setEmptyText(tr("Select a tool in the list."));
        m_form->setFields({});
        m_shownSchema = {};
        m_schema->clear();
        m_log->clear();
        updateRunButton();
        return;
    }
    showSource(*source);
    for (const ToolDefinition &t : source->tools)
        if (t.name == toolName) {
            showTool(*source, t);
            return;
        }
    m_shownSource = source->id;
    m_shownTool.clear();
    updateRunButton();
}

void ToolsPanel::showSource(const ToolSourceStatus &source)
{
    QString log;
    if (!source.error.isEmpty())
        log += tr("Error: %1\n\n").arg(source.error);
    if (!source.serverName.isEmpty())
        log += tr("Server: %1 %2 (protocol %3)\n")
                   .arg(source.serverName, source.serverVersion, source.protocolVersion);
    if (!source.target.isEmpty())
        log += tr("Target: %1\n").arg(source.target);
    if (!source.log.isEmpty())
        log += QStringLiteral("\n") + source.log.join(QLatin1Char('\n'));
    m_log->setPlainText(log.trimmed());
    m_title->setText(QStringLiteral("<b>%1</b> <span style='color:%2'>%3</span>")
                         .arg(source.id.toHtmlEscaped(), statuspalette::color(toneOf(source.state)).name(),
                             toWire(source.state)));
    m_description->setText(source.error.isEmpty()
            ? tr("%1 source · %n tool(s)", nullptr, int(source.tools.size())).arg(source.kind)
            : source.error);
    if (source.state == ToolSourceState::Failed)
        m_tabs->setCurrentWidget(m_log);
}

void ToolsPanel::showTool(const ToolSourceStatus &source, const ToolDefinition &tool)
{
    const bool sameTool = m_shownSource == source.id && m_shownTool == tool.name;
    m_shownSource = source.id;
    m_shownTool = tool.name;
    m_title->setText(QStringLiteral("<b>%1</b> <span style='color:#666'>· %2</span>")
                         .arg(tool.name.toHtmlEscaped(), source.id.toHtmlEscaped()));
    m_description->setText(tool.description.isEmpty() ? tr("(no description)") : tool.description);
    QJsonObject schema { { QStringLiteral("inputSchema"), tool.inputSchema } };
    if (!tool.outputSchema.isEmpty())
        schema.insert(u"outputSchema", tool.outputSchema);
    if (!tool.annotations.isEmpty())
        schema.insert(u"annotations", tool.annotations);
    m_schema->setPlainText(indented(schema));
    if (!sameTool || m_shownSchema != tool.inputSchema) {
        // A new tool (or a changed schema): a fresh form, the old result goes.
        m_shownSchema = tool.inputSchema;
        m_form->setEmptyText(tr("This tool takes no arguments."));
        m_form->setFields(schemafields::fromSchema(tool.inputSchema));
        m_result->clear();
        m_latency->clear();
        m_tabs->setCurrentIndex(0);
    }
    updateRunButton();
}

void ToolsPanel::updateRunButton()
{
    m_run->setEnabled(m_backend && !m_shownTool.isEmpty() && m_form->isValid());
    m_run->setToolTip(m_form->isValid() ? tr("Call this tool once with these arguments")
                                        : m_form->problems().join(QLatin1Char('\n')));
}

void ToolsPanel::runSelected()
{
    if (!m_backend || m_shownTool.isEmpty() || !m_form->isValid())
        return;
    m_latency->setText(tr("Running %1…").arg(m_shownTool));
    m_callClock.start();
    m_backend->callTool(m_shownSource, m_shownTool, m_form->values(), renew(m_callContext, this),
        [this](const ToolResult &result, const Error &error) { showResult(result, error); });
}

void ToolsPanel::showResult(const ToolResult &result, const Error &error)
{
    const qint64 wall = m_callClock.isValid() ? m_callClock.elapsed() : -1;
    if (error.code != ErrorCode::None) {
        m_latency->setText(tr("Failed after %1").arg(traceformat::latency(wall)));
        toolhtml::apply(m_result, toolhtml::errorBlock(tr("The call failed"), error.message), {});
        emit resultShown();
        return;
    }
    // The source's own measure when it gave one (the call itself), else the round trip here.
    const qint64 latency = result.latencyMs > 0 ? result.latencyMs : wall;
    m_latency->setText(
        (result.isError ? tr("Error result · %1") : tr("Done · %1")).arg(traceformat::latency(latency)));
    m_latency->setStyleSheet(result.isError
            ? QStringLiteral("color:%1").arg(statuspalette::color(statuspalette::Tone::Failed).name())
            : QString());
    const toolhtml::Rendered shown = toolhtml::result(result.toJson(), m_shownSource + u'/' + m_shownTool);
    toolhtml::apply(m_result, shown.html, shown.images);
    emit resultShown();
}
