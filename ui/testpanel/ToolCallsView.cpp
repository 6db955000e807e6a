#include "ui/testpanel/ToolCallsView.h"

#include "core/api/ToolTypes.h"
#include "core/common/Util.h"
#include "ui/common/StatusPalette.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/trace/TraceFormat.h"

#include <QFontDatabase>
#include <QHeaderView>

namespace {

// Long arguments and results are cut in the row (the trace has them in full).
constexpr int kMaxRowChars = 2000;

QString cut(const QString &text)
{
    return text.size() > kMaxRowChars ? text.left(kMaxRowChars) + QStringLiteral(" …") : text;
}

} // namespace

ToolCallsView::ToolCallsView(ExecutionTracker *tracker, QWidget *parent)
    : QTreeWidget(parent)
    , m_tracker(tracker)
{
    setObjectName(QStringLiteral("toolCalls"));
    setHeaderLabels({ tr("Tool call"), tr("Latency") });
    header()->setStretchLastSection(false);
    header()->setSectionResizeMode(0, QHeaderView::Stretch);
    header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    setUniformRowHeights(false);
    setWordWrap(true);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setVisible(false);
    connect(tracker, &ExecutionTracker::runStarted, this, &ToolCallsView::clearCalls);
    connect(tracker, &ExecutionTracker::stepStarted, this, [this](const StepRecord &s) { onStep(s, false); });
    connect(
        tracker, &ExecutionTracker::stepCompleted, this, [this](const StepRecord &s) { onStep(s, true); });
}

void ToolCallsView::clearCalls()
{
    clear();
    m_items.clear();
    setVisible(false);
    emit callsChanged(0);
}

QTreeWidgetItem *ToolCallsView::itemFor(const StepRecord &step)
{
    if (QTreeWidgetItem *item = m_items.value(step.id))
        return item;
    auto *item = new QTreeWidgetItem(this);
    item->setData(0, Qt::UserRole, step.id);
    new QTreeWidgetItem(item); // arguments
    new QTreeWidgetItem(item); // result or error
    item->child(1)->setHidden(true);
    item->setExpanded(true); // arguments and result in view; the user folds what is done
    m_items.insert(step.id, item);
    setVisible(true);
    emit callsChanged(topLevelItemCount());
    return item;
}

void ToolCallsView::setDetail(
    QTreeWidgetItem *call, int index, const QString &label, const QString &text, bool error)
{
    QTreeWidgetItem *row = call->child(index);
    row->setHidden(false);
    row->setText(0, QStringLiteral("%1: %2").arg(label, cut(text)));
    row->setToolTip(0, cut(text));
    if (error)
        row->setForeground(0, statuspalette::color(statuspalette::Tone::Failed));
}

void ToolCallsView::onStep(const StepRecord &step, bool completed)
{
    if (step.kind != StepKind::Tool)
        return;
    QTreeWidgetItem *item = itemFor(step);
    const QString source = step.provider.isEmpty() ? QString() : QStringLiteral("  · %1").arg(step.provider);
    setDetail(item, 0, tr("arguments"), as::compactJson(step.inputData), false);
    if (!completed) {
        item->setText(0, QStringLiteral("%1%2").arg(step.name, source));
        item->setText(1, tr("running…"));
        item->setIcon(0, statuspalette::icon(statuspalette::Tone::Running));
        return;
    }
    const ToolResult result = ToolResult::fromJson(step.outputData);
    const bool failed = step.status == StepStatus::Failed || result.isError || !step.errorMessage.isEmpty();
    item->setText(0, QStringLiteral("%1%2%3").arg(step.name, source, failed ? tr("  · error") : QString()));
    item->setText(1, traceformat::latency(step.executionTimeMs));
    item->setIcon(
        0, statuspalette::icon(failed ? statuspalette::Tone::Failed : statuspalette::tone(step.status)));
    if (failed) {
        item->setForeground(0, statuspalette::color(statuspalette::Tone::Failed));
        setDetail(
            item, 1, tr("error"), step.errorMessage.isEmpty() ? result.text() : step.errorMessage, true);
    } else {
        QString text = result.structuredContent.isUndefined() ? result.text()
                                                              : as::compactJson(result.structuredContent);
        for (const QJsonValue &block : result.content)
            if (block.toObject().value(u"type").toString() == QLatin1String("image"))
                text += tr(" [image]");
        setDetail(item, 1, tr("result"), text, false);
    }
}
