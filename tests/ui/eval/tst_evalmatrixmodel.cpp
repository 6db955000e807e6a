#include "ui/eval/EvalMatrixFilter.h"
#include "ui/eval/EvalMatrixModel.h"
#include "ui/eval/EvalText.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

// The results matrix model and its proxy, headless: cells filled as results come (in any
// order), the rows of a loaded run in dataset order, the "only failures" filter, sorting by
// outcome / cost, and the marks of a baseline comparison. Every model runs under
// QAbstractItemModelTester.
class TestEvalMatrixModel : public QObject
{
    Q_OBJECT

private:
    static EvalResultRecord result(const QString &caseId, int order, const QString &variant,
        EvalOutcome outcome, double cost = 0.001, qint64 latency = 100, int repeat = 1)
    {
        EvalResultRecord r;
        r.caseId = caseId;
        r.caseOrder = order;
        r.variant = variant;
        r.repeatIndex = repeat;
        r.outcome = outcome;
        r.score = outcome == EvalOutcome::Pass ? 1 : 0;
        r.costUsd = cost;
        r.latencyMs = latency;
        r.executionId = caseId + QLatin1Char('-') + variant;
        if (outcome == EvalOutcome::Fail) {
            AssertionOutcome a;
            a.type = QStringLiteral("equals");
            a.label = QStringLiteral("equals(verdict)");
            a.reason = QStringLiteral("expected \"revise\", got \"approve\" (at $.verdict)");
            r.assertions = { a };
        }
        return r;
    }

    static QList<EvalMatrixModel::RowKey> plan()
    {
        return { { QStringLiteral("a"), 1, 0 }, { QStringLiteral("b"), 1, 1 },
            { QStringLiteral("c"), 1, 2 } };
    }

private slots:
    // Results arrive out of order and land in their own cells; the rest stay pending.
    void addResultsFillsPlannedCells()
    {
        EvalMatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QStringList variants { QStringLiteral("baseline"), QStringLiteral("strict") };
        model.setPlan(plan(), variants, 1);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.pendingCount(), 6);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.addResults({ result(QStringLiteral("c"), 2, QStringLiteral("strict"), EvalOutcome::Fail),
            result(QStringLiteral("a"), 0, QStringLiteral("baseline"), EvalOutcome::Pass) });
        QCOMPARE(changed.count(), 1); // one signal per batch
        QCOMPARE(model.pendingCount(), 4);
        QCOMPARE(model.countOf(EvalOutcome::Pass), 1);
        QCOMPARE(model.countOf(EvalOutcome::Fail), 1);
        QCOMPARE(model.index(2, 2).data(EvalMatrixModel::OutcomeRole).toString(), QStringLiteral("fail"));
        QCOMPARE(model.index(0, 1).data(EvalMatrixModel::OutcomeRole).toString(), QStringLiteral("pass"));
        QCOMPARE(model.index(1, 1).data(EvalMatrixModel::OutcomeRole).toString(), QString());
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("pass 1.00 · $0.0010 · 100 ms"));
        QVERIFY(model.index(2, 2)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("expected \"revise\"")));
        QCOMPARE(
            model.index(2, 2).data(EvalMatrixModel::ExecutionIdRole).toString(), QStringLiteral("c-strict"));
        QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("strict"));
        // A second result for the same cell replaces the first.
        model.addResults({ result(QStringLiteral("c"), 2, QStringLiteral("strict"), EvalOutcome::Pass) });
        QCOMPARE(model.countOf(EvalOutcome::Fail), 0);
        QCOMPARE(model.results().size(), 2);
    }

    // A loaded run: rows in dataset order (not finish order), repeats named "[r/N]", and a
    // result for a row the plan lacks adds the row.
    void setResultsOrdersRowsAndAddsUnknownRows()
    {
        EvalMatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResults({ QStringLiteral("v") }, 2,
            { result(QStringLiteral("b"), 1, QStringLiteral("v"), EvalOutcome::Pass, 0.1, 10, 2),
                result(QStringLiteral("a"), 0, QStringLiteral("v"), EvalOutcome::Fail),
                result(QStringLiteral("b"), 1, QStringLiteral("v"), EvalOutcome::Pass) });
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("a [1/2]"));
        QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("b [1/2]"));
        QCOMPARE(model.index(2, 0).data().toString(), QStringLiteral("b [2/2]"));
        model.addResults({ result(QStringLiteral("z"), 9, QStringLiteral("v"), EvalOutcome::Error) });
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(3, 1).data(EvalMatrixModel::OutcomeRole).toString(), QStringLiteral("error"));
        // A new variant lays the matrix out again with the extra column.
        model.addResults({ result(QStringLiteral("a"), 0, QStringLiteral("w"), EvalOutcome::Pass) });
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.results().size(), 5);
    }

    // "Only failures" keeps the rows with a cell that is not a pass; pending cells are not
    // failures.
    void onlyFailuresKeepsRowsWithAFailingCell()
    {
        EvalMatrixModel model;
        EvalMatrixFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPlan(plan(), { QStringLiteral("x"), QStringLiteral("y") }, 1);
        model.addResults({ result(QStringLiteral("a"), 0, QStringLiteral("x"), EvalOutcome::Pass),
            result(QStringLiteral("a"), 0, QStringLiteral("y"), EvalOutcome::Pass),
            result(QStringLiteral("b"), 1, QStringLiteral("x"), EvalOutcome::Pass),
            result(QStringLiteral("b"), 1, QStringLiteral("y"), EvalOutcome::Error),
            result(QStringLiteral("c"), 2, QStringLiteral("x"), EvalOutcome::Fail) });
        filter.setOnlyFailures(true);
        QCOMPARE(filter.rowCount(), 2);
        QCOMPARE(filter.index(0, 0).data().toString(), QStringLiteral("b"));
        QCOMPARE(filter.index(1, 0).data().toString(), QStringLiteral("c"));
        // A row that turns failing while the filter is on appears.
        model.addResults({ result(QStringLiteral("a"), 0, QStringLiteral("y"), EvalOutcome::Fail) });
        QCOMPARE(filter.rowCount(), 3);
        filter.setOnlyFailures(false);
        QCOMPARE(filter.rowCount(), 3);
    }

    // A variant column sorts failures first (then errors, skipped, passes, pending); by cost
    // with the sort key set to cost; the case column back in dataset order.
    void sortingByOutcomeAndCost()
    {
        EvalMatrixModel model;
        EvalMatrixFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPlan({ { QStringLiteral("a"), 1, 0 }, { QStringLiteral("b"), 1, 1 },
                          { QStringLiteral("c"), 1, 2 }, { QStringLiteral("d"), 1, 3 } },
            { QStringLiteral("x") }, 1);
        model.addResults({ result(QStringLiteral("a"), 0, QStringLiteral("x"), EvalOutcome::Pass, 0.003),
            result(QStringLiteral("b"), 1, QStringLiteral("x"), EvalOutcome::Error, 0.001),
            result(QStringLiteral("c"), 2, QStringLiteral("x"), EvalOutcome::Fail, 0.002) });
        const auto order = [&] {
            QStringList ids;
            for (int r = 0; r < filter.rowCount(); ++r)
                ids << filter.index(r, 0).data().toString();
            return ids.join(QLatin1Char(','));
        };
        filter.sort(1, Qt::AscendingOrder);
        QCOMPARE(order(), QStringLiteral("c,b,a,d"));
        model.setSortKey(EvalMatrixModel::SortKey::Cost);
        QCOMPARE(order(), QStringLiteral("b,c,a,d"));
        filter.sort(1, Qt::DescendingOrder);
        QCOMPARE(order(), QStringLiteral("d,a,c,b"));
        filter.sort(0, Qt::AscendingOrder);
        QCOMPARE(order(), QStringLiteral("a,b,c,d"));
    }

    // A comparison marks each cell: newly failing in bold with "▼ new", newly passing "▲ new";
    // clearing it removes the marks. A newly failing cell counts as a failure for the filter.
    void comparisonMarksCells()
    {
        EvalMatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPlan(plan(), { QStringLiteral("x") }, 1);
        model.addResults({ result(QStringLiteral("a"), 0, QStringLiteral("x"), EvalOutcome::Fail),
            result(QStringLiteral("b"), 1, QStringLiteral("x"), EvalOutcome::Pass),
            result(QStringLiteral("c"), 2, QStringLiteral("x"), EvalOutcome::Pass) });
        EvalComparison c;
        c.baselineId = QStringLiteral("0123456789");
        EvalCaseDelta d;
        d.caseId = QStringLiteral("a");
        d.variant = QStringLiteral("x");
        d.change = EvalCaseDelta::Change::NewlyFailing;
        c.cases << d;
        d.caseId = QStringLiteral("b");
        d.change = EvalCaseDelta::Change::NewlyPassing;
        c.cases << d;
        d.caseId = QStringLiteral("gone");
        d.change = EvalCaseDelta::Change::Removed;
        c.cases << d;
        model.setComparison(c);
        QCOMPARE(
            model.index(0, 1).data(EvalMatrixModel::ChangeRole).toString(), QStringLiteral("newly_failing"));
        QVERIFY(model.index(0, 1).data().toString().startsWith(QStringLiteral("▼ new fail")));
        QVERIFY(model.index(0, 1).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(model.index(1, 1).data().toString().startsWith(QStringLiteral("▲ new pass")));
        QCOMPARE(model.index(2, 1).data(EvalMatrixModel::ChangeRole).toString(), QString());
        model.setComparison(std::nullopt);
        QCOMPARE(model.index(0, 1).data(EvalMatrixModel::ChangeRole).toString(), QString());
    }

    // The words of the summary line and the details pane.
    void textsNameWhatChanged()
    {
        EvalComparison c;
        c.baselineId = QStringLiteral("abcdef0123");
        c.newlyFailing = 2;
        c.newlyPassing = 1;
        c.costDeltaUsd = -0.001;
        c.latencyDeltaMs = 120;
        c.meanScoreDelta = -0.05;
        QCOMPARE(evaltext::comparisonSummary(c),
            QStringLiteral(
                "vs baseline abcdef01: 2 newly failing · 1 newly passing · cost −$0.0010 · latency "
                "+120 ms · score −0.050"));
        const EvalResultRecord r = result(QStringLiteral("a"), 0, QStringLiteral("x"), EvalOutcome::Fail);
        const QString html = evaltext::detailsHtml(r, nullptr);
        QVERIFY(html.contains(QStringLiteral("equals(verdict)")));
        QVERIFY(html.contains(QStringLiteral("expected &quot;revise&quot;, got &quot;approve&quot;")));
    }
};

QTEST_MAIN(TestEvalMatrixModel)
#include "tst_evalmatrixmodel.moc"
