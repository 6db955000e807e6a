// Trace viewer benchmark for agent runs with tools: a 200-turn agent run (200 llm steps and
// 200 tool steps, scripted data, the first tool result with an image) opened in the TraceView.
//
//   bench_trace_tools [TURNS] [--runs N] [--screenshot FILE.png]
//                                  (default 200 turns, 15 runs; the screenshot is of the opened
//                                   view with a tool step selected, for checking by eye)
//
// Prints, per figure, the median and the worst over the runs: open + first paint of tree and
// timeline (from showExecution to both painted), the summary's model/tool totals, and the
// details of the selected tool step (arguments, result, image) formatted and painted. Never
// fails on speed. Run with QT_QPA_PLATFORM=offscreen (or on a desktop).

#include "tests/support/TraceTestData.h"

#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceTimeline.h"
#include "ui/trace/TraceView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QRegularExpression>
#include <QTextBrowser>
#include <QTextStream>
#include <QTreeView>

#include <algorithm>

namespace {

class PaintCounter : public QObject
{
public:
    int paints = 0;
    bool eventFilter(QObject *o, QEvent *e) override
    {
        if (e->type() == QEvent::Paint)
            ++paints;
        return QObject::eventFilter(o, e);
    }
};

double ms(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

QString figure(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return QStringLiteral("median %1 ms, worst %2 ms")
        .arg(values.at(values.size() / 2), 0, 'f', 1)
        .arg(values.last(), 0, 'f', 1);
}

// Spins the event loop until `done` or 30 s.
template <typename F> void until(const QElapsedTimer &t, F done)
{
    while (!done() && t.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    int turns = 200;
    int runs = 15;
    QString screenshot;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--screenshot") && i + 1 < args.size())
            screenshot = args[++i];
        else if (args[i] == QLatin1String("--runs") && i + 1 < args.size())
            runs = qMax(1, args[++i].toInt());
        else if (args[i].toInt() > 0)
            turns = args[i].toInt();
    }
    QTextStream out(stdout);
    const ExecutionRecord record = makeToolTraceRecord(turns, 10, QStringLiteral("bench-tools"));
    out << "Trace viewer, agent run with tools: " << turns << " turns = " << record.steps.size()
        << " steps (llm + tool), every 10th tool call an error, platform " << QApplication::platformName()
        << ", " << runs << " runs" << Qt::endl;

    TraceView view(nullptr);
    view.resize(1400, 900);
    view.show();
    QCoreApplication::processEvents();
    PaintCounter treePaints;
    view.tree()->viewport()->installEventFilter(&treePaints);
    auto *details = view.findChild<QTextBrowser *>(QStringLiteral("traceDetails"));
    PaintCounter detailPaints;
    details->viewport()->installEventFilter(&detailPaints);
    bool timelinePainted = false;
    QObject::connect(view.timeline(), &TraceTimeline::painted, &view, [&] { timelinePainted = true; });

    QList<double> open, select;
    for (int run = 0; run < runs; ++run) {
        view.clear();
        QCoreApplication::processEvents();
        treePaints.paints = 0;
        timelinePainted = false;
        QElapsedTimer t;
        t.start();
        view.showExecution(record);
        until(t, [&] { return treePaints.paints > 0 && timelinePainted; });
        open << ms(t);

        // A tool step selected: its details (arguments, result with the image) shown and painted.
        const QModelIndex tool = view.model()->indexForStep(QStringLiteral("bench-tools-t0"));
        detailPaints.paints = 0;
        t.restart();
        view.tree()->setCurrentIndex(tool);
        until(t,
            [&] { return detailPaints.paints > 0 && view.detailsHtml().contains(QLatin1String("call_0")); });
        select << ms(t);
    }
    out << QStringLiteral("  open + first paint of tree and timeline: %1").arg(figure(open)) << Qt::endl;
    out << QStringLiteral(
        "  select a tool step -> details painted (includes the details pane's 30 ms debounce"
        "): %1")
               .arg(figure(select))
        << Qt::endl;
    out << "  summary: "
        << view.findChild<QLabel *>(QStringLiteral("traceSummary"))
               ->text()
               .remove(QRegularExpression(QStringLiteral("<[^>]*>|&#9632;")))
        << Qt::endl;
    if (!screenshot.isEmpty()) {
        view.grab().save(screenshot);
        out << "  screenshot: " << screenshot << Qt::endl;
    }
    return 0;
}
