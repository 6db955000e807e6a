#include "ui/trace/TraceView.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "core/trace/OtlpExport.h"
#include "ui/common/FileDialog.h"
#include "ui/common/MessageBox.h"
#include "ui/common/ToolResultHtml.h"
#include "ui/trace/TraceFormat.h"
#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceReplayer.h"
#include "ui/trace/TraceTimeline.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QSaveFile>
#include <QScrollBar>
#include <QSplitter>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace {

// Details of huge payloads are cut, so selecting a step never stalls the window.
constexpr int kMaxSectionChars = 200'000;

QString esc(const QString &s)
{
    QString text = s;
    if (text.size() > kMaxSectionChars)
        text = text.left(kMaxSectionChars)
            + QStringLiteral("\n… (%1 more characters)").arg(s.size() - kMaxSectionChars);
    return text.toHtmlEscaped();
}

QString pretty(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).trimmed();
}

QString section(const QString &title, const QString &body, bool pre = true)
{
    if (body.isEmpty())
        return {};
    return QStringLiteral("<h4 style='margin:8px 0 2px 0'>%1</h4>").arg(title.toHtmlEscaped())
        + (pre ? QStringLiteral("<pre style='white-space:pre-wrap;margin:0'>%1</pre>").arg(esc(body)) : body);
}

QString row(const QString &k, const QString &v)
{
    return QStringLiteral("<tr><td style='padding-right:12px;color:#666'>%1</td><td>%2</td></tr>")
        .arg(k.toHtmlEscaped(), v.toHtmlEscaped());
}

QString messagesHtml(const QJsonArray &messages)
{
    QString html;
    for (const QJsonValue &v : messages) {
        const QJsonObject m = v.toObject();
        const QJsonValue content = m.value(u"content");
        const QString text = content.isString() ? content.toString() : as::compactJson(content);
        html += QStringLiteral(
            "<p style='margin:4px 0 0 0'><b>%1</b></p><pre style='white-space:pre-wrap;margin:0'>%2</pre>")
                    .arg(m.value(u"role").toString().toHtmlEscaped(), esc(text));
    }
    return html;
}

} // namespace

TraceView::TraceView(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_model(new TraceModel(this))
    , m_tree(new QTreeView(this))
    , m_replayer(new TraceReplayer(this))
    , m_searchDebounce(new QTimer(this))
    , m_detailsDebounce(new QTimer(this))
    , m_clock(new QTimer(this))
{
    setObjectName(QStringLiteral("traceView"));

    setupTree();
    m_timeline = new TraceTimeline(m_tree, m_model, this);

    m_details = new QTextBrowser(this);
    m_details->setObjectName(QStringLiteral("traceDetails"));
    m_details->setOpenLinks(false);
    m_details->setPlaceholderText(tr("Select a step to see its inputs, prompt, reply and metrics."));

    QHBoxLayout *bar = buildToolbar();

    auto *treeAndTimeline = new QSplitter(Qt::Horizontal, this);
    treeAndTimeline->setObjectName(QStringLiteral("traceSplitter"));
    treeAndTimeline->addWidget(m_tree);
    treeAndTimeline->addWidget(m_timeline);
    treeAndTimeline->setStretchFactor(0, 3);
    treeAndTimeline->setStretchFactor(1, 2);
    treeAndTimeline->setChildrenCollapsible(false);
    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(treeAndTimeline);
    vertical->addWidget(m_details);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(m_summary);
    layout->addWidget(vertical, 1);

    connectSearch();
    connectModelAndReplayer();
    updateSummary();
}

// Fixed widths and uniform rows: a 30,000-step trace stays fast.
void TraceView::setupTree()
{
    m_tree->setObjectName(QStringLiteral("traceTree"));
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true); // O(1) row geometry: the 30,000-row requirement
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_tree->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    m_tree->setAnimated(false);
    m_tree->setExpandsOnDoubleClick(true);
    m_tree->header()->setStretchLastSection(false);
    // Fixed widths: ResizeToContents would measure every row of a 30,000-step trace.
    m_tree->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_tree->setColumnWidth(TraceModel::NameColumn, 220);
    m_tree->setColumnWidth(TraceModel::KindColumn, 64);
    m_tree->setColumnWidth(TraceModel::StatusColumn, 80);
    m_tree->setColumnWidth(TraceModel::LatencyColumn, 72);
    m_tree->setColumnWidth(TraceModel::TokensColumn, 110);
    m_tree->setColumnWidth(TraceModel::CostColumn, 90);
}

// Search, match navigation, expand / collapse, fit, replay and export, over the tree.
QHBoxLayout *TraceView::buildToolbar()
{
    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("traceSearch"));
    m_search->setPlaceholderText(tr("Search steps (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_matchLabel = new QLabel(this);
    m_matchLabel->setObjectName(QStringLiteral("traceMatchLabel"));
    auto makeButton = [this](const QString &name, const QString &text, const QString &tip) {
        auto *b = new QToolButton(this);
        b->setObjectName(name);
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        return b;
    };
    QToolButton *prev
        = makeButton(QStringLiteral("tracePrevMatch"), QStringLiteral("▲"), tr("Previous match (Shift+F3)"));
    QToolButton *next
        = makeButton(QStringLiteral("traceNextMatch"), QStringLiteral("▼"), tr("Next match (F3)"));
    m_onlyMatches = new QCheckBox(tr("Only matches"), this);
    m_onlyMatches->setObjectName(QStringLiteral("traceOnlyMatches"));
    QToolButton *expand
        = makeButton(QStringLiteral("traceExpandAll"), tr("Expand all"), tr("Expand all (Ctrl+])"));
    QToolButton *collapse
        = makeButton(QStringLiteral("traceCollapseAll"), tr("Collapse all"), tr("Collapse all (Ctrl+[)"));
    QToolButton *fitButton = makeButton(QStringLiteral("traceFit"), tr("Fit"),
        tr("Fit the whole run in the timeline (0); Ctrl+wheel zooms, drag pans"));
    m_replayButton = makeButton(
        QStringLiteral("traceReplayButton"), tr("Replay"), tr("Play the run back, no provider call"));
    m_replaySpeed = new QComboBox(this);
    m_replaySpeed->setObjectName(QStringLiteral("traceReplaySpeed"));
    for (const auto &[label, speed] : { std::pair { "1×", 1.0 }, { "2×", 2.0 }, { "5×", 5.0 },
             { "10×", 10.0 }, { "100×", 100.0 }, { "instant", 0.0 } })
        m_replaySpeed->addItem(QString::fromUtf8(label), speed);
    m_replaySpeed->setCurrentIndex(3);
    m_exportButton = makeButton(QStringLiteral("traceExportOtlp"), tr("Export OTLP…"),
        tr("Save the trace as OTLP/JSON (Jaeger, Langfuse, OTel Collector)"));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("traceSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_search, 1);
    bar->addWidget(m_matchLabel);
    bar->addWidget(prev);
    bar->addWidget(next);
    bar->addWidget(m_onlyMatches);
    bar->addSpacing(8);
    bar->addWidget(expand);
    bar->addWidget(collapse);
    bar->addWidget(fitButton);
    bar->addSpacing(8);
    bar->addWidget(m_replayButton);
    bar->addWidget(m_replaySpeed);
    bar->addWidget(m_exportButton);

    connect(next, &QToolButton::clicked, this, &TraceView::nextMatch);
    connect(prev, &QToolButton::clicked, this, &TraceView::previousMatch);
    connect(m_onlyMatches, &QCheckBox::toggled, this, &TraceView::applyOnlyMatches);
    connect(expand, &QToolButton::clicked, this, &TraceView::expandAll);
    connect(collapse, &QToolButton::clicked, this, &TraceView::collapseAll);
    connect(fitButton, &QToolButton::clicked, m_timeline, &TraceTimeline::fit);
    connect(m_replayButton, &QToolButton::clicked, this, &TraceView::onReplayClicked);
    connect(m_exportButton, &QToolButton::clicked, this, &TraceView::onExportClicked);
    return bar;
}

// The search box (debounced) and the keyboard shortcuts.
void TraceView::connectSearch()
{
    m_searchDebounce->setSingleShot(true);
    m_searchDebounce->setInterval(150);
    connect(m_search, &QLineEdit::textChanged, m_searchDebounce, qOverload<>(&QTimer::start));
    connect(m_searchDebounce, &QTimer::timeout, this, [this] { search(m_search->text()); });
    connect(m_search, &QLineEdit::returnPressed, this, &TraceView::nextMatch);

    auto addShortcut = [this](const QKeySequence &keys, auto slot) {
        auto *a = new QAction(this);
        a->setShortcut(keys);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
    };
    addShortcut(QKeySequence::Find, [this] {
        m_search->setFocus();
        m_search->selectAll();
    });
    addShortcut(QKeySequence(Qt::Key_F3), [this] { nextMatch(); });
    addShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F3), [this] { previousMatch(); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_BracketRight), [this] { expandAll(); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_BracketLeft), [this] { collapseAll(); });
}

// Details, summary and live expansion follow the model; the replayer feeds the model.
void TraceView::connectModelAndReplayer()
{
    // Details are formatted after the selection settles (holding an arrow key over 30,000
    // rows formats only where it stops).
    m_detailsDebounce->setSingleShot(true);
    m_detailsDebounce->setInterval(30);
    connect(m_detailsDebounce, &QTimer::timeout, this, &TraceView::updateDetails);
    connect(
        m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &TraceView::onCurrentChanged);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
        [this](const QModelIndex &tl, const QModelIndex &br) {
            const QModelIndex cur = m_tree->currentIndex();
            if (cur.isValid() && tl.parent() == cur.parent() && tl.row() <= cur.row()
                && cur.row() <= br.row())
                m_detailsDebounce->start();
        });
    connect(m_model, &TraceModel::executionStatusChanged, this, [this](ExecutionStatus status) {
        updateSummary();
        if (isTerminal(status)) {
            m_clock->stop();
            // The first status event carries the header; a server too old to send one leaves
            // the root unnamed: read the stored record once the run has ended.
            if (m_backend && !m_replayer->isRunning() && m_model->record().agentId.isEmpty()
                && m_model->record().orchestrationId.isEmpty() && !m_model->executionId().isEmpty())
                fetchIdentity(m_model->executionId());
        } else if (!m_replayer->isRunning())
            m_clock->start();
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent) {
        // Live: keep the execution and node levels open as steps arrive.
        if (!parent.isValid() || !parent.parent().isValid())
            m_tree->expand(parent);
    });

    m_clock->setInterval(250);
    connect(m_clock, &QTimer::timeout, this, &TraceView::tickClock);

    connect(m_replayer, &TraceReplayer::eventsReady, m_model, &TraceModel::applyEvents);
    connect(m_replayer, &TraceReplayer::clockChanged, m_model, &TraceModel::setClockMs);
    connect(m_replayer, &TraceReplayer::finished, this, [this] {
        m_replayButton->setText(tr("Replay"));
        updateSummary();
        emit replayFinished();
    });
}

TraceView::~TraceView() = default;

QObject *TraceView::renew(QObject *&context)
{
    // The previous request's context goes, and with it its answer (or subscription).
    delete context;
    context = new QObject(this);
    return context;
}

void TraceView::fetchIdentity(const QString &executionId)
{
    m_backend->fetchExecution(
        executionId, renew(m_identityContext), [this](const ExecutionRecord &record, const Error &error) {
            if (error.code != ErrorCode::None)
                return; // the root keeps its generic name
            m_model->setIdentity(record);
            updateSummary();
        });
}

void TraceView::follow(const QString &executionId)
{
    // Only this execution's events, each once: the catch-up from seq 1 and then live ones.
    m_backend->subscribe(executionId, 0, renew(m_followContext),
        [this](const ExecutionEventList &events) { onEventsReceived(events); });
}

void TraceView::onEventsReceived(const ExecutionEventList &events)
{
    if (m_replayer->isRunning() || m_model->nodeCount() == 0)
        return;
    m_model->applyEvents(events);
    if (m_model->isLive())
        tickClock();
}

void TraceView::tickClock()
{
    if (m_replayer->isRunning() || !m_model->origin().isValid())
        return;
    m_model->setClockMs(m_model->origin().msecsTo(QDateTime::currentDateTimeUtc()));
}

void TraceView::showExecution(const ExecutionRecord &record)
{
    stopReplay();
    m_model->setExecution(record);
    if (m_backend && !isTerminal(record.status))
        follow(record.id);
    else
        delete std::exchange(m_followContext, nullptr);
    expandDefault();
    const QString text = m_search->text().trimmed();
    if (!text.isEmpty())
        search(text);
    m_tree->setCurrentIndex(m_model->index(0, 0));
    updateSummary();
    if (m_model->isLive())
        m_clock->start();
    else
        m_clock->stop();
    emit executionShown(record.id);
}

void TraceView::followExecution(const QString &executionId)
{
    stopReplay();
    m_model->startLive(executionId);
    m_tree->expand(m_model->index(0, 0));
    m_tree->setCurrentIndex(m_model->index(0, 0));
    updateSummary();
    m_clock->start();
    // Whatever the run emitted before we started listening comes again from seq 1; the model
    // keeps each seq once and puts early steps in place.
    if (m_backend)
        follow(executionId); // from seq 1: the queued event's header names the root
    emit executionShown(executionId);
}

void TraceView::openExecution(const QString &executionId)
{
    if (!m_backend)
        return;
    m_summary->setText(tr("Opening %1…").arg(executionId));
    delete std::exchange(m_followContext, nullptr); // the previous trace's events are not wanted
    m_backend->fetchExecution(
        executionId, renew(m_fetchContext), [this](const ExecutionRecord &record, const Error &error) {
            delete std::exchange(m_fetchContext, nullptr);
            if (error.code != ErrorCode::None) {
                m_summary->setText(tr("Could not open the trace: ") + error.message);
                emit fetchFailed(error.message);
                return;
            }
            showExecution(record);
        });
}

void TraceView::clear()
{
    stopReplay();
    m_model->clear();
    m_details->clear();
    updateSummary();
}

QString TraceView::executionId() const
{
    return m_model->executionId();
}

void TraceView::expandDefault()
{
    // Small traces open fully; big ones show the execution's direct children (expanding
    // 30,000 rows at once is the user's choice, via "Expand all").
    if (m_model->nodeCount() <= 2000)
        m_tree->expandAll();
    else
        m_tree->expand(m_model->index(0, 0));
}

void TraceView::expandAll()
{
    m_tree->expandAll();
}

void TraceView::collapseAll()
{
    m_tree->collapseAll();
    m_tree->expand(m_model->index(0, 0));
}

// --- search ---------------------------------------------------------------------------------

int TraceView::search(const QString &text)
{
    if (m_search->text() != text) {
        const QSignalBlocker block(m_search);
        m_search->setText(text);
    }
    const int count = m_model->setSearchText(text);
    m_matchCursor = -1;
    if (text.trimmed().isEmpty())
        m_matchLabel->clear();
    else
        m_matchLabel->setText(
            count == 1 ? QStringLiteral("1 match") : QStringLiteral("%1 matches").arg(count));
    applyOnlyMatches();
    if (count > 0)
        goToMatch(0);
    return count;
}

void TraceView::nextMatch()
{
    const int count = int(m_model->matches().size());
    if (count > 0)
        goToMatch((m_matchCursor + 1) % count);
}

void TraceView::previousMatch()
{
    const int count = int(m_model->matches().size());
    if (count > 0)
        goToMatch((m_matchCursor - 1 + count) % count);
}

void TraceView::goToMatch(int k)
{
    const auto &matches = m_model->matches();
    if (k < 0 || size_t(k) >= matches.size())
        return;
    m_matchCursor = k;
    const QModelIndex idx = m_model->indexOfNode(matches[size_t(k)]);
    for (QModelIndex p = idx.parent(); p.isValid(); p = p.parent())
        m_tree->expand(p);
    m_tree->setCurrentIndex(idx);
    m_tree->scrollTo(idx);
    m_matchLabel->setText(QStringLiteral("%1 / %2").arg(k + 1).arg(matches.size()));
}

void TraceView::applyOnlyMatches()
{
    const bool filter = m_onlyMatches->isChecked() && !m_model->searchText().isEmpty();
    if (!filter && !m_rowsHidden)
        return;
    m_tree->setUpdatesEnabled(false);
    for (int i = 1; i < m_model->nodeCount(); ++i) {
        const TraceModel::Node &n = m_model->nodeAt(i);
        const bool hide = filter && !m_model->subtreeMatches(i);
        m_tree->setRowHidden(n.row, m_model->indexOfNode(n.parent), hide);
    }
    m_tree->setUpdatesEnabled(true);
    m_rowsHidden = filter;
    m_timeline->update();
}

// --- details --------------------------------------------------------------------------------

void TraceView::onCurrentChanged()
{
    m_detailsDebounce->start();
}

QString TraceView::detailsHtml() const
{
    return m_details->toHtml();
}

void TraceView::updateDetails()
{
    const QModelIndex idx = m_tree->currentIndex();
    const TraceModel::Node *n = m_model->node(idx);
    if (!n) {
        m_details->clear();
        return;
    }
    const ExecutionRecord &e = m_model->record();
    const StepRecord *s = m_model->step(idx);
    QString html;
    html += QStringLiteral(
        "<h3 style='margin:0'>%1 <span style='color:#666;font-weight:normal'>%2 · %3%4</span></h3>")
                .arg(n->name.toHtmlEscaped(), n->kind.toHtmlEscaped(), n->status.toHtmlEscaped(),
                    n->attempt > 1 ? QStringLiteral(" · attempt %1").arg(n->attempt) : QString());

    QString metrics = QStringLiteral("<table>");
    const QString est = n->estimated ? QStringLiteral(" (estimated)") : QString();
    // A tool call spends no tokens and has no price of its own: only its latency counts.
    if (!s || s->kind != StepKind::Tool) {
        metrics += row(tr("Tokens in"),
            QStringLiteral("%1 (cached %2)%3").arg(n->inputTokens).arg(n->cachedTokens).arg(est));
        metrics += row(tr("Tokens out"),
            QStringLiteral("%1 (reasoning %2)%3").arg(n->outputTokens).arg(n->reasoningTokens).arg(est));
        if (n->streamedTokens > 0 && n->endMs < 0)
            metrics += row(tr("Streamed so far"), QStringLiteral("%1 tokens").arg(n->streamedTokens));
        metrics += row(tr("Cost"), traceformat::cost(n->cost));
    }
    metrics += row(
        tr("Latency"), n->latencyMs >= 0 ? traceformat::latency(n->latencyMs) : QStringLiteral("running"));
    if (!s)
        metrics += row(tr("Queue time"), traceformat::latency(n->queueMs));
    if (n->ttftMs >= 0)
        metrics += row(tr("Time to first token"), traceformat::latency(n->ttftMs));
    if (n->startMs >= 0)
        metrics += row(tr("Started at"), QStringLiteral("+%1").arg(traceformat::latency(n->startMs)));
    const QString model = s ? s->model : e.model;
    const QString provider = s ? s->provider : e.provider;
    if (!model.isEmpty() && !(s && s->kind == StepKind::Tool))
        metrics += row(tr("Model"), provider.isEmpty() ? model : provider + QStringLiteral(" / ") + model);
    if (s && !s->nodeId.isEmpty())
        metrics += row(tr("Node"), s->nodeId);
    if (s && s->kind == StepKind::Tool) {
        metrics += row(tr("Tool"), s->name);
        metrics += row(tr("Source"), s->provider);
        metrics += row(tr("Tool call id"), s->toolCallId);
    }
    metrics += row(QStringLiteral("Id"), n->id);
    if (!s && !e.traceId.isEmpty())
        metrics += row(tr("Trace id"), e.traceId);
    metrics += QStringLiteral("</table>");
    html += metrics;

    const QString error = s ? s->errorMessage : e.errorMessage;
    if (!error.isEmpty())
        html += QStringLiteral("<h4 style='margin:8px 0 2px 0;color:#c0392b'>Error</h4><pre "
                               "style='white-space:pre-wrap;margin:0;color:#c0392b'>%1</pre>")
                    .arg(esc(error));

    if (!s) {
        html += section(tr("Inputs"), pretty(e.inputData));
        html += section(tr("Output"), pretty(e.outputData));
    } else if (s->kind == StepKind::Llm) {
        QJsonObject rest = s->inputData;
        const QJsonArray messages = rest.take(u"messages").toArray();
        html += section(tr("Prompt messages sent"), messagesHtml(messages), false);
        if (!rest.isEmpty())
            html += section(tr("Request"), pretty(rest));
        const QString raw = s->outputData.value(u"text").toString();
        const QString streamed = m_model->streamedText(s->id);
        html += section(n->endMs < 0 ? tr("Reply so far") : tr("Raw reply"), raw.isEmpty() ? streamed : raw);
        QJsonObject other = s->outputData;
        other.remove(u"text");
        if (!other.isEmpty())
            html += section(tr("Reply details"), pretty(other));
    } else if (s->kind == StepKind::Tool) {
        html += toolSections(*s);
    } else if (s->kind == StepKind::Parse) {
        html += section(tr("Input"), pretty(s->inputData));
        html += section(tr("Parsed output"), pretty(s->outputData));
    } else {
        html += section(tr("Inputs"), pretty(s->inputData));
        html += section(tr("Output"), pretty(s->outputData));
    }
    toolhtml::apply(m_details, html, m_detailImages);
    m_detailImages.clear();
}

// A tool step: the arguments the model gave, the result as the tool returned it (text blocks,
// structured content, images shown as images), the error in the error style.
QString TraceView::toolSections(const StepRecord &s)
{
    QString html = section(tr("Arguments"), toolhtml::arguments(s.inputData), false);
    if (!s.outputData.isEmpty()) {
        toolhtml::Rendered result = toolhtml::result(s.outputData, s.id);
        html += section(tr("Result"), result.html, false);
        m_detailImages = std::move(result.images);
    } else if (s.status == StepStatus::Running) {
        html += section(tr("Result"), tr("running…"));
    }
    return html;
}

void TraceView::updateSummary()
{
    if (m_model->nodeCount() == 0) {
        m_summary->setText(tr("No execution selected"));
        return;
    }
    const TraceModel::Node &root = m_model->nodeAt(0);
    QStringList parts;
    parts << QStringLiteral("<b>%1</b>").arg(root.name.toHtmlEscaped()) << root.status.toHtmlEscaped()
          << QStringLiteral("%1 steps").arg(m_model->nodeCount() - 1);
    if (root.latencyMs >= 0)
        parts << traceformat::latency(root.latencyMs);
    if (root.queueMs > 0)
        parts << QStringLiteral("queued %1").arg(traceformat::latency(root.queueMs));
    if (root.ttftMs >= 0)
        parts << QStringLiteral("TTFT %1").arg(traceformat::latency(root.ttftMs));
    if (root.ended) {
        parts << traceformat::tokens(root.inputTokens, root.outputTokens, root.estimated)
                + QStringLiteral(" tokens");
        parts << traceformat::cost(root.cost).toHtmlEscaped();
    }
    const TraceModel::KindTimes times = m_model->kindTimes();
    if (times.toolSteps > 0) {
        // The legend of the timeline's colours, with the totals: model time apart from tool time.
        const auto chip = [](StepKind kind) {
            return QStringLiteral("<span style='color:%1'>&#9632;</span> ")
                .arg(traceformat::kindColor(kind).name());
        };
        const QString calls = times.toolSteps == 1 ? tr("1 call") : tr("%1 calls").arg(times.toolSteps);
        parts << chip(StepKind::Llm) + tr("model %1").arg(traceformat::latency(times.modelMs))
                + QStringLiteral(" · ") + chip(StepKind::Tool)
                + tr("tools %1 (%2)").arg(traceformat::latency(times.toolMs), calls);
    }
    if (m_replayer->isRunning())
        parts << QStringLiteral("<i>replay %1</i>").arg(m_replaySpeed->currentText().toHtmlEscaped());
    m_summary->setText(parts.join(QStringLiteral(" · ")));
}

// --- replay and export ----------------------------------------------------------------------

void TraceView::replay(double speed)
{
    if (m_model->nodeCount() == 0)
        return;
    if (!m_replayer->isRunning())
        m_replaySource = m_model->record();
    m_clock->stop();
    m_model->startReplay(m_replaySource);
    m_tree->expand(m_model->index(0, 0));
    m_replayButton->setText(tr("Stop"));
    m_replayer->start(m_replaySource, speed);
    updateSummary();
}

void TraceView::stopReplay()
{
    if (!m_replayer->isRunning())
        return;
    m_replayer->stop();
    m_replayButton->setText(tr("Replay"));
    // Back to the full stored run.
    m_model->setExecution(m_replaySource);
    expandDefault();
    updateSummary();
}

bool TraceView::isReplaying() const
{
    return m_replayer->isRunning();
}

void TraceView::onReplayClicked()
{
    if (m_replayer->isRunning()) {
        stopReplay();
        return;
    }
    if (m_model->isLive())
        return; // a run still going has nothing to replay yet
    replay(m_replaySpeed->currentData().toDouble());
}

QString TraceView::exportOtlpTo(const QString &path) const
{
    if (m_model->nodeCount() == 0)
        return tr("no execution is shown");
    const ExecutionRecord &record = m_replayer->isRunning() ? m_replaySource : m_model->record();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("%1: %2").arg(path, file.errorString());
    // The workspace says which tool source is which kind (gen_ai.tool.type).
    const OtlpOptions options = m_backend ? OtlpOptions::forWorkspace(m_backend->workspace()) : OtlpOptions();
    file.write(QJsonDocument(exportOtlp(record, options)).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return QStringLiteral("%1: %2").arg(path, file.errorString());
    return {};
}

void TraceView::onExportClicked()
{
    if (m_model->nodeCount() == 0)
        return;
    const QString path = FileDialog::getSaveFileName(this, tr("Export trace as OTLP/JSON"),
        QStringLiteral("trace-%1.otlp.json").arg(m_model->executionId()),
        QStringLiteral("OTLP JSON (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    const QString error = exportOtlpTo(path);
    if (!error.isEmpty())
        MessageBox::warning(this, tr("Export failed"), error);
}
