#include "ui/testpanel/RunOutputPane.h"

#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/MetricsBar.h"
#include "ui/testpanel/OutputFieldsView.h"
#include "ui/testpanel/StreamOutputView.h"
#include "ui/testpanel/ToolCallsView.h"

#include <QFontDatabase>
#include <QFrame>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

RunOutputPane::RunOutputPane(ExecutionTracker *tracker, QWidget *parent, MetricsBar::Density density)
    : QWidget(parent)
    , m_tracker(tracker)
{
    const bool wide = density == MetricsBar::Density::Wide;
    setObjectName(QStringLiteral("runOutput"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_metrics = new MetricsBar(this, density);
    m_metrics->setTracker(tracker);
    auto *frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    auto *frameLayout = new QVBoxLayout(frame);
    frameLayout->setContentsMargins(0, 0, 0, 0);
    frameLayout->addWidget(m_metrics);
    layout->addWidget(frame);

    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("outputPages"));
    m_pages->setDocumentMode(true);
    // Live output: the run's tool calls (shown once there is one) over the streamed text.
    auto *live = new QSplitter(Qt::Vertical, m_pages);
    live->setObjectName(QStringLiteral("liveSplitter"));
    m_toolCalls = new ToolCallsView(tracker, live);
    m_stream = new StreamOutputView(live);
    live->addWidget(m_toolCalls);
    live->addWidget(m_stream);
    live->setStretchFactor(0, 2);
    live->setStretchFactor(1, 3);
    m_pages->addTab(live, wide ? tr("Live output") : tr("Live"));
    m_outputs = new OutputFieldsView(m_pages);
    auto *scroll = new QScrollArea(m_pages);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_outputs);
    m_pages->addTab(scroll, wide ? tr("Parsed output") : tr("Parsed"));
    m_raw = new QPlainTextEdit(m_pages);
    m_raw->setObjectName(QStringLiteral("rawReply"));
    m_raw->setReadOnly(true);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_raw->setPlaceholderText(tr("The model's raw reply, exactly as received."));
    m_pages->addTab(m_raw, wide ? tr("Raw reply") : tr("Raw"));
    layout->addWidget(m_pages, 1);

    connect(tracker, &ExecutionTracker::runStarted, this, &RunOutputPane::reset);
    connect(tracker, &ExecutionTracker::chunkReceived, this,
        [this](const QString &stepId, const QString &nodeId, const QString &text, int) {
            onChunk(stepId, nodeId, text);
        });
    connect(tracker, &ExecutionTracker::stepCompleted, this, &RunOutputPane::onStepCompleted);
    connect(tracker, &ExecutionTracker::finished, this, &RunOutputPane::onFinished);
}

void RunOutputPane::setOutputFields(const QList<FieldSpec> &fields)
{
    m_outputs->setFields(fields);
}

void RunOutputPane::setOutputCaption(const QString &caption)
{
    m_pages->setTabText(1, caption);
}

void RunOutputPane::reset()
{
    m_allText.clear();
    m_nodeText.clear();
    m_nodeRaw.clear();
    m_lastChunkNode.clear();
    m_anyNode = false;
    m_stream->clearStream();
    m_outputs->clearValues();
    m_raw->clear();
    m_pages->setCurrentIndex(0);
}

void RunOutputPane::onChunk(const QString &, const QString &nodeId, const QString &text)
{
    m_nodeText[nodeId] += text;
    QString forAll = text;
    if (!nodeId.isEmpty() && (!m_anyNode || nodeId != m_lastChunkNode)) {
        forAll = (m_anyNode ? QStringLiteral("\n\n") : QString()) + QStringLiteral("── %1 ──\n").arg(nodeId)
            + text;
        m_anyNode = true;
    }
    m_lastChunkNode = nodeId;
    m_allText += forAll;
    if (m_shownNode.isEmpty())
        m_stream->appendChunk(forAll);
    else if (m_shownNode == nodeId)
        m_stream->appendChunk(text);
}

void RunOutputPane::onStepCompleted(const StepRecord &step)
{
    if (step.kind != StepKind::Llm)
        return;
    const QString text = step.outputData.value(QStringLiteral("text")).toString();
    QString node = step.nodeId;
    if (node.isEmpty() && m_tracker)
        node = m_tracker->nodeOfStep(step.id);
    m_nodeRaw[node] = text;
    showRaw();
}

void RunOutputPane::showRaw()
{
    if (!m_shownNode.isEmpty()) {
        m_raw->setPlainText(m_nodeRaw.value(m_shownNode));
        return;
    }
    if (m_nodeRaw.size() == 1) {
        m_raw->setPlainText(m_nodeRaw.cbegin().value());
        return;
    }
    QString all;
    for (auto it = m_nodeRaw.cbegin(); it != m_nodeRaw.cend(); ++it)
        all += QStringLiteral("── %1 ──\n%2\n\n").arg(it.key(), it.value());
    m_raw->setPlainText(all.trimmed());
}

void RunOutputPane::showNode(const QString &nodeId)
{
    m_shownNode = nodeId;
    m_stream->setStreamText(nodeId.isEmpty() ? m_allText : m_nodeText.value(nodeId));
    showRaw();
}

void RunOutputPane::onFinished(const QString &status, const QJsonObject &outputs, const QString &)
{
    m_stream->flush();
    m_outputs->setValues(outputs);
    if (status == toWire(ExecutionStatus::Completed))
        m_pages->setCurrentIndex(1);
}
