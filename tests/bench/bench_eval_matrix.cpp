// Results matrix benchmark: 10,000 case rows × 4 variants in the Evaluations panel's matrix.
//
//   bench_eval_matrix [ROWS]       (default 10000; run with QT_QPA_PLATFORM=offscreen)
//
// Prints: the time to set the model (one reset from 40,000 result records), to show the view
// and get its first paint, to sort by a variant column, to switch "only failures" on, and to
// stream the same results in per-frame batches of 250. Goal: model set + first paint < 100 ms.
// Never fails on speed.

#include "ui/eval/EvalMatrixFilter.h"
#include "ui/eval/EvalMatrixModel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QTableView>
#include <QTextStream>

#include <functional>

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

double ms(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

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

QList<EvalResultRecord> makeResults(int rows, const QStringList &variants)
{
    QList<EvalResultRecord> results;
    results.reserve(rows * variants.size());
    for (int v = 0; v < variants.size(); ++v)
        for (int c = 0; c < rows; ++c) {
            EvalResultRecord r;
            r.caseId = QStringLiteral("case-%1").arg(c, 5, 10, QLatin1Char('0'));
            r.caseOrder = c;
            r.variant = variants.at(v);
            r.executionId = QStringLiteral("exec-%1-%2").arg(c).arg(v);
            r.outcome = (c * 7 + v) % 13 == 0 ? EvalOutcome::Fail : EvalOutcome::Pass;
            r.score = r.outcome == EvalOutcome::Pass ? 1 : 0.5;
            r.latencyMs = 50 + (c * 31 + v) % 900;
            r.costUsd = 0.0001 * ((c + v) % 17);
            AssertionOutcome a;
            a.type = QStringLiteral("equals");
            a.label = QStringLiteral("equals(verdict)");
            a.pass = r.outcome == EvalOutcome::Pass;
            a.reason = a.pass ? QStringLiteral("ok") : QStringLiteral("expected \"revise\", got \"approve\"");
            r.assertions = { a };
            results.append(r);
        }
    return results;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    int rows = 10000;
    if (app.arguments().size() > 1 && app.arguments().at(1).toInt() > 0)
        rows = app.arguments().at(1).toInt();
    const QStringList variants { QStringLiteral("baseline"), QStringLiteral("strict"),
        QStringLiteral("gpt-4o-mini"), QStringLiteral("short-prompt") };
    const QList<EvalResultRecord> results = makeResults(rows, variants);
    out() << QStringLiteral("bench_eval_matrix: %1 rows × %2 variants (%3 cells)\n")
                 .arg(rows)
                 .arg(variants.size())
                 .arg(results.size());

    EvalMatrixModel model;
    EvalMatrixFilter filter;
    filter.setSourceModel(&model);
    QTableView view;
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 6);
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.horizontalHeader()->setDefaultSectionSize(230);
    view.horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    view.setSortingEnabled(true);
    view.setModel(&filter);
    view.resize(1280, 600);
    PaintCounter paints;
    view.viewport()->installEventFilter(&paints);

    QElapsedTimer t;
    t.start();
    model.setResults(variants, 1, results);
    const double setMs = ms(t);
    view.show();
    while (paints.paints == 0)
        QCoreApplication::processEvents();
    const double firstPaint = ms(t);
    out() << QStringLiteral("  model set: %1 ms; first paint of the view at %2 ms (goal < 100 ms)\n")
                 .arg(setMs, 0, 'f', 1)
                 .arg(firstPaint, 0, 'f', 1);

    const auto timedPaint = [&](const QString &what, const std::function<void()> &step) {
        const int before = paints.paints;
        QElapsedTimer s;
        s.start();
        step();
        view.viewport()->update();
        while (paints.paints == before)
            QCoreApplication::processEvents();
        out() << QStringLiteral("  %1: %2 ms (with repaint)\n").arg(what).arg(ms(s), 0, 'f', 1);
    };
    timedPaint(QStringLiteral("sort by a variant (outcome)"),
        [&] { view.sortByColumn(EvalMatrixModel::FirstVariantColumn, Qt::AscendingOrder); });
    timedPaint(QStringLiteral("only failures on"), [&] { filter.setOnlyFailures(true); });
    out() << QStringLiteral("    (%1 rows with a failure)\n").arg(filter.rowCount());
    timedPaint(QStringLiteral("only failures off"), [&] { filter.setOnlyFailures(false); });
    timedPaint(QStringLiteral("back to dataset order"), [&] { view.sortByColumn(-1, Qt::AscendingOrder); });

    // Streaming as a run would: a plan of pending cells, then batches of 250 results.
    QList<EvalMatrixModel::RowKey> plan;
    for (int c = 0; c < rows; ++c)
        plan.append({ results.at(c).caseId, 1, c });
    t.restart();
    model.setPlan(plan, variants, 1);
    for (qsizetype i = 0; i < results.size(); i += 250) {
        model.addResults(results.mid(i, 250));
        QCoreApplication::processEvents();
    }
    out() << QStringLiteral("  streamed %1 results in batches of 250: %2 ms\n")
                 .arg(results.size())
                 .arg(ms(t), 0, 'f', 1);
    return 0;
}
