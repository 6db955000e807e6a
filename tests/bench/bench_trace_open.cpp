// Trace viewer benchmark: a 30,000-step execution opened in the TraceView.
//
//   bench_trace_open [NODES] [--screenshot FILE.png]
//                                  (default 10000 nodes = 30,000 steps: node + llm + parse;
//                                   the screenshot is of the opened view, for checking by eye)
//
// Prints: time to build the model, to show the view and get its first paint (tree and
// timeline), expand-all, scrolling frames, search, replay at "instant" speed, and the process
// memory (VmRSS) before and after. Goal: open + first paint < 300 ms. Never fails on speed.
// Run with QT_QPA_PLATFORM=offscreen (or on a desktop).

#include "tests/support/TraceTestData.h"

#include "core/api/EventSynthesizer.h"
#include "core/store/ExecutionStore.h"
#include "core/trace/Compare.h"
#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceTimeline.h"
#include "ui/trace/TraceView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTreeView>

#include <algorithm>

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

double rssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return -1;
}

// Counts paint events of a widget (the tree's viewport).
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

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    int nodes = 10000;
    QString screenshot;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--screenshot") && i + 1 < args.size())
            screenshot = args[++i];
        else if (args[i].toInt() > 0)
            nodes = args[i].toInt();
    }

    const double rssStart = rssMb();
    QElapsedTimer t;
    t.start();
    ExecutionRecord record = makeTraceRecord(nodes, 0, QStringLiteral("bench"));
    const double generateMs = ms(t);
    const double rssRecord = rssMb();
    out() << "Trace viewer benchmark: " << record.steps.size() << " steps (" << nodes
          << " nodes × node/llm/parse), platform " << QApplication::platformName() << Qt::endl;
    out() << QStringLiteral("  synthetic record generated in %1 ms (not part of opening), RSS %2 MB -> %3 MB")
                 .arg(generateMs, 0, 'f', 1)
                 .arg(rssStart, 0, 'f', 1)
                 .arg(rssRecord, 0, 'f', 1)
          << Qt::endl;

    // A view as the app has it, already on screen before a trace is opened.
    TraceView view(nullptr);
    view.resize(1400, 900);
    view.show();
    QCoreApplication::processEvents();
    PaintCounter treePaints;
    view.tree()->viewport()->installEventFilter(&treePaints);
    bool timelinePainted = false;
    QObject::connect(view.timeline(), &TraceTimeline::painted, &view, [&] { timelinePainted = true; });
    QCoreApplication::processEvents();
    const double rssBefore = rssMb();

    // 1. Open: build the model, lay out, paint tree and timeline.
    treePaints.paints = 0;
    timelinePainted = false;
    t.restart();
    view.showExecution(record);
    const double buildMs = ms(t);
    while (treePaints.paints == 0 || !timelinePainted) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        if (t.elapsed() > 30000)
            break;
    }
    const double openMs = ms(t);
    const double rssOpen = rssMb();
    out() << QStringLiteral("  open: model + view built in %1 ms; first paint of tree and timeline at %2 ms "
                            "(goal < 300 ms); bars painted %3")
                 .arg(buildMs, 0, 'f', 1)
                 .arg(openMs, 0, 'f', 1)
                 .arg(view.timeline()->lastPaintedBars())
          << Qt::endl;

    if (!screenshot.isEmpty()) {
        view.expandAll();
        view.tree()->setCurrentIndex(view.model()->indexForStep(QStringLiteral("bench-l3-1")));
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 200)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        view.grab().save(screenshot);
        view.collapseAll();
    }

    // 2. Expand all 30,000 rows and paint.
    treePaints.paints = 0;
    t.restart();
    view.expandAll();
    view.tree()->viewport()->repaint();
    view.timeline()->repaint();
    const double expandMs = ms(t);
    out() << QStringLiteral("  expand all (%1 visible rows) + repaint: %2 ms")
                 .arg(record.steps.size() + 1)
                 .arg(expandMs, 0, 'f', 1)
          << Qt::endl;

    // 3. Scrolling: 200 steps of 3 rows each, tree and timeline repainted per step.
    {
        QList<double> frames;
        QScrollBar *bar = view.tree()->verticalScrollBar();
        for (int i = 0; i < 200; ++i) {
            QElapsedTimer f;
            f.start();
            bar->setValue(bar->value() + (i < 100 ? 3 : bar->maximum() / 200));
            view.tree()->viewport()->repaint();
            view.timeline()->repaint();
            frames << ms(f);
        }
        std::sort(frames.begin(), frames.end());
        out() << QStringLiteral(
            "  scrolling, per frame (tree + timeline repaint): p50 %1 ms, p95 %2 ms, max %3 ms")
                     .arg(frames[frames.size() / 2], 0, 'f', 2)
                     .arg(frames[int(frames.size() * 0.95)], 0, 'f', 2)
                     .arg(frames.last(), 0, 'f', 2)
              << Qt::endl;
    }

    // 4. Timeline zoom frames.
    {
        QList<double> frames;
        for (int i = 0; i < 50; ++i) {
            QElapsedTimer f;
            f.start();
            view.timeline()->zoomBy(i < 25 ? 0.8 : 1.25, 400);
            view.timeline()->repaint();
            frames << ms(f);
        }
        std::sort(frames.begin(), frames.end());
        out() << QStringLiteral("  timeline zoom, per frame: p50 %1 ms, max %2 ms")
                     .arg(frames[frames.size() / 2], 0, 'f', 2)
                     .arg(frames.last(), 0, 'f', 2)
              << Qt::endl;
    }

    // 5. Search within the trace (highlight + jump to the first match).
    t.restart();
    const int matches = view.search(QStringLiteral("node9999"));
    QCoreApplication::processEvents();
    out() << QStringLiteral("  search \"node9999\": %1 matches in %2 ms").arg(matches).arg(ms(t), 0, 'f', 1)
          << Qt::endl;
    t.restart();
    const int many = view.search(QStringLiteral("chat"));
    QCoreApplication::processEvents();
    out() << QStringLiteral("  search \"chat\": %1 matches in %2 ms").arg(many).arg(ms(t), 0, 'f', 1)
          << Qt::endl;
    view.search(QString());

    // 6. Selecting a step formats its details (lazily).
    t.restart();
    view.tree()->setCurrentIndex(view.model()->indexForStep(QStringLiteral("bench-l5000-1")));
    while (!view.detailsHtml().contains(QLatin1String("topic: tides 5000")) && t.elapsed() < 5000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    out() << QStringLiteral("  select a step -> details shown: %1 ms (includes the 30 ms settle delay)")
                 .arg(ms(t), 0, 'f', 1)
          << Qt::endl;

    // 7. Replay at "instant" speed: every event of the run through the live path.
    {
        bool done = false;
        QObject::connect(&view, &TraceView::replayFinished, &view, [&] { done = true; });
        t.restart();
        view.replay(0);
        while (!done && t.elapsed() < 60000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        out() << QStringLiteral(
            "  replay, instant (synthesize + every event through the live path): %1 ms, %2 steps in the tree")
                     .arg(ms(t), 0, 'f', 1)
                     .arg(view.model()->nodeCount() - 1)
              << Qt::endl;
    }

    // 8. Where live time goes: event synthesis, and the model alone (no view attached).
    {
        t.restart();
        const QList<TimedEvent> timed = synthesizeEvents(record);
        const double synthMs = ms(t);
        ExecutionEventList events;
        events.reserve(timed.size());
        for (const TimedEvent &e : timed)
            events.append(e.event);
        TraceModel model;
        model.startReplay(record);
        t.restart();
        for (qsizetype i = 0; i < events.size(); i += 500)
            model.applyEvents(events.mid(i, 500));
        out() << QStringLiteral(
            "  live path split: synthesize %1 events %2 ms; model alone applies them in %3 ms (%4 µs/event)")
                     .arg(events.size())
                     .arg(synthMs, 0, 'f', 1)
                     .arg(ms(t), 0, 'f', 1)
                     .arg(ms(t) * 1000.0 / double(qMax<qsizetype>(1, events.size())), 0, 'f', 1)
              << Qt::endl;
    }

    // 10. Compare two 30,000-step runs (the second with retries: extra steps on one side).
    {
        const ExecutionRecord other = makeTraceRecord(nodes, 7, QStringLiteral("other"));
        t.restart();
        const CompareResult c = compareExecutions(record, other);
        out() << QStringLiteral("  compare %1 vs %2 steps: %3 ms (%4 aligned, %5 only right, %6 changed)")
                     .arg(record.steps.size())
                     .arg(other.steps.size())
                     .arg(ms(t), 0, 'f', 1)
                     .arg(c.matched)
                     .arg(c.onlyRight)
                     .arg(c.changed)
              << Qt::endl;
    }

    // 9. Opening from history first fetches the run with its steps from the store (engine
    // thread); measured here on a temp database, with a fresh connection.
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("trace.db"));
        {
            ExecutionStore store(path);
            if (!store.open().ok())
                return 1;
            t.restart();
            bool ok = store.begin().ok() && store.insertExecution(record).ok();
            for (const StepRecord &step : std::as_const(record.steps))
                ok = ok && store.insertStep(step).ok();
            ok = ok && store.commit().ok();
            if (!ok) {
                out() << "error: could not write the trace to the store" << Qt::endl;
                return 1;
            }
            out() << QStringLiteral("  store: execution + %1 steps written in %2 ms")
                         .arg(record.steps.size())
                         .arg(ms(t), 0, 'f', 1)
                  << Qt::endl;
        }
        ExecutionStore store(path);
        if (!store.open().ok())
            return 1;
        t.restart();
        const Result<ExecutionRecord> fetched
            = store.execution(StoreScope::everyWorkspace(), record.id, true);
        out() << QStringLiteral("  store: fetch execution with %1 steps (what \"Open trace\" waits for, off "
                                "the GUI thread): %2 ms")
                     .arg(fetched.ok() ? fetched.value().steps.size() : -1)
                     .arg(ms(t), 0, 'f', 1)
              << Qt::endl;
    }

    out() << QStringLiteral(
        "  memory (VmRSS): %1 MB with the view empty, %2 MB after opening (+%3 MB for the model and view)")
                 .arg(rssBefore, 0, 'f', 1)
                 .arg(rssOpen, 0, 'f', 1)
                 .arg(rssOpen - rssBefore, 0, 'f', 1)
          << Qt::endl;
    out() << QStringLiteral("  memory (VmRSS) at the end: %1 MB").arg(rssMb(), 0, 'f', 1) << Qt::endl;
    return 0;
}
