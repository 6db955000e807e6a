#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/model/FieldSpec.h"
#include "ui/testpanel/MetricsBar.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class ExecutionTracker;
class OutputFieldsView;
class QPlainTextEdit;
class QTabWidget;
class StreamOutputView;
class ToolCallsView;

// The right-hand side of a test-panel tab: the metrics bar over three pages — the live stream
// ("streamOutput", with the run's tool calls above it, "toolCalls"), the parsed output fields
// ("outputFields") and the raw reply ("rawReply"). Fed by an ExecutionTracker. In workflow runs every node
// streams on its own: the stream page shows the selected node's stream (showNode) or, with none selected, all
// of them with a header where the node changes. Compact (a side-by-side variant column): the
// metrics in a grid and short page titles.
class RunOutputPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunOutputPane)
public:
    RunOutputPane(
        ExecutionTracker *tracker, QWidget *parent, MetricsBar::Density density = MetricsBar::Density::Wide);

    void setOutputFields(const QList<FieldSpec> &fields);
    void setOutputCaption(const QString &caption); // the parsed page's tab title
    void reset();
    // Workflow runs: show one node's stream and raw reply ("" = all nodes).
    void showNode(const QString &nodeId);
    QString shownNode() const { return m_shownNode; }
    QString nodeStream(const QString &nodeId) const { return m_nodeText.value(nodeId); }

    StreamOutputView *stream() const { return m_stream; }
    ToolCallsView *toolCalls() const { return m_toolCalls; }
    OutputFieldsView *outputs() const { return m_outputs; }
    QPlainTextEdit *rawReply() const { return m_raw; }
    MetricsBar *metrics() const { return m_metrics; }
    QTabWidget *pages() const { return m_pages; }

private:
    void onChunk(const QString &stepId, const QString &nodeId, const QString &text);
    void onStepCompleted(const StepRecord &step);
    void onFinished(const QString &status, const QJsonObject &outputs, const QString &error);
    void showRaw();

    QPointer<ExecutionTracker> m_tracker;
    MetricsBar *m_metrics = nullptr; // Owned (children, all of them).
    QTabWidget *m_pages = nullptr;
    StreamOutputView *m_stream = nullptr;
    ToolCallsView *m_toolCalls = nullptr;
    OutputFieldsView *m_outputs = nullptr;
    QPlainTextEdit *m_raw = nullptr;

    QString m_shownNode;
    QString m_lastChunkNode;
    bool m_anyNode = false;
    QString m_allText; // every chunk, with node headers
    QHash<QString, QString> m_nodeText; // node id ("" outside workflows) -> its stream
    QHash<QString, QString> m_nodeRaw; // node id -> raw reply of its llm step
};
