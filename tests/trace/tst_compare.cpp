#include "core/trace/Compare.h"
#include "tests/support/TraceTestData.h"

#include <QTest>

// Compare alignment: which steps pair up, which are one-sided, and the
// deltas and line diffs of paired steps. Data-driven over small step-list shapes written as
// compact specs: "kind:name[>parent]" separated by spaces, where parent is an earlier index.
class TestCompare : public QObject
{
    Q_OBJECT

private:
    // "node:a llm:chat>0 parse:out>0" -> steps with ids s0, s1, s2 and the given parents.
    static QList<StepRecord> steps(const QString &spec, const QString &prefix)
    {
        QList<StepRecord> out;
        const QStringList parts = spec.split(u' ', Qt::SkipEmptyParts);
        for (int i = 0; i < parts.size(); ++i) {
            QString p = parts[i];
            QString parent;
            const int gt = int(p.indexOf(u'>'));
            if (gt >= 0) {
                parent = prefix + p.mid(gt + 1);
                p = p.left(gt);
            }
            StepRecord s;
            s.id = prefix + QString::number(i);
            s.kind = fromWire<StepKind>(p.section(u':', 0, 0)).value();
            s.name = p.section(u':', 1);
            if (s.kind == StepKind::Node)
                s.nodeId = s.name;
            s.parentStepId = parent;
            s.stepNumber = i + 1;
            s.status = StepStatus::Completed;
            out.append(s);
        }
        return out;
    }

    // Row summary: "L0=R0" matched, "L1-" only left, "-R2" only right.
    static QString summary(const CompareResult &r)
    {
        QStringList parts;
        for (const CompareRow &row : r.rows) {
            if (row.left >= 0 && row.right >= 0)
                parts << QStringLiteral("L%1=R%2").arg(row.left).arg(row.right);
            else if (row.left >= 0)
                parts << QStringLiteral("L%1-").arg(row.left);
            else
                parts << QStringLiteral("-R%1").arg(row.right);
        }
        return parts.join(u' ');
    }

private slots:
    void align_data()
    {
        QTest::addColumn<QString>("left");
        QTest::addColumn<QString>("right");
        QTest::addColumn<QString>("expected");
        QTest::newRow("identical") << "node:a llm:chat>0 parse:out>0"
                                   << "node:a llm:chat>0 parse:out>0"
                                   << "L0=R0 L1=R1 L2=R2";
        QTest::newRow("both empty") << ""
                                    << ""
                                    << "";
        QTest::newRow("left empty") << ""
                                    << "node:a"
                                    << "-R0";
        QTest::newRow("right empty") << "node:a node:b"
                                     << ""
                                     << "L0- L1-";
        QTest::newRow("extra retry on the right") << "node:a llm:chat>0 parse:out>0"
                                                  << "node:a llm:chat>0 llm:chat>0 parse:out>0"
                                                  << "L0=R0 L1=R1 -R2 L2=R3";
        QTest::newRow("node only in left") << "node:a node:b node:c"
                                           << "node:a node:c"
                                           << "L0=R0 L1- L2=R1";
        QTest::newRow("node added in the middle") << "node:a node:c"
                                                  << "node:a node:b node:c"
                                                  << "L0=R0 -R1 L1=R2";
        // Same names under different nodes do not match each other.
        QTest::newRow("path matters") << "node:a llm:chat>0 node:b llm:chat>2"
                                      << "node:b llm:chat>0"
                                      << "L0- L1- L2=R0 L3=R1";
        // Parallel nodes recorded in another order: children follow their own parent.
        QTest::newRow("interleaved start order") << "node:a node:b llm:chat>0 llm:chat>1"
                                                 << "node:b node:a llm:chat>1 llm:chat>0"
                                                 << "L0=R1 L2=R2 L1=R0 L3=R3";
        QTest::newRow("renamed step") << "tool:search"
                                      << "tool:lookup"
                                      << "L0- -R0";
    }

    void align()
    {
        QFETCH(QString, left);
        QFETCH(QString, right);
        QFETCH(QString, expected);
        ExecutionRecord l, r;
        l.steps = steps(left, QStringLiteral("l"));
        r.steps = steps(right, QStringLiteral("r"));
        const CompareResult result = compareExecutions(l, r);
        QCOMPARE(summary(result), expected);
        QCOMPARE(result.matched + result.onlyLeft + result.onlyRight, int(result.rows.size()));
    }

    // The fallback for traces too long for an LCS table still pairs by key and occurrence.
    void fallbackMatchesByKey()
    {
        ExecutionRecord l, r;
        l.steps = steps(QStringLiteral("node:a node:b llm:x>1 node:c"), QStringLiteral("l"));
        r.steps = steps(QStringLiteral("node:a node:c node:b llm:x>2"), QStringLiteral("r"));
        const CompareResult result = compareExecutions(l, r, /*maxCells=*/1);
        QCOMPARE(result.matched, 4);
        QCOMPARE(result.onlyLeft + result.onlyRight, 0);
    }

    // Tool steps align by tool name like other steps (an extra turn is one-sided); their diff
    // shows the arguments and result lines that changed, an image by type and size only.
    void toolSteps()
    {
        const ExecutionRecord l = makeToolTraceRecord(2);
        ExecutionRecord r = makeToolTraceRecord(3);
        r.steps[3].inputData = QJsonObject { { QStringLiteral("order_id"), 99 } };
        const CompareResult result = compareExecutions(l, r);
        QCOMPARE(result.matched, 4);
        QCOMPARE(result.onlyRight, 2); // the third turn: llm + tool
        QCOMPARE(stepAlignmentKeys(l.steps).at(1), QStringLiteral("tool:lookup_order"));
        const QString first = stepOutputText(l.steps[1]);
        QVERIFY2(first.contains(QLatin1String("text: order 42: shipped")), qPrintable(first));
        QVERIFY(first.contains(QLatin1String("image: image/png, ")));
        QVERIFY(!first.contains(tinyPngBase64()));
        QVERIFY(first.contains(QLatin1String("\"status\": \"shipped\"")));
        const CompareRow *changed = nullptr;
        for (const CompareRow &row : result.rows)
            if (row.left == 3 && row.right == 3)
                changed = &row;
        QVERIFY(changed);
        QVERIFY(changed->outputChanged);
        QVERIFY(changed->outputDiff.contains(
            DiffLine { DiffLine::Kind::Removed, QStringLiteral("arguments: {\"order_id\":43}") }));
        QVERIFY(changed->outputDiff.contains(
            DiffLine { DiffLine::Kind::Added, QStringLiteral("arguments: {\"order_id\":99}") }));
        QVERIFY(changed->outputDiff.contains(
            DiffLine { DiffLine::Kind::Same, QStringLiteral("text: order 43: shipped") }));
        QCOMPARE(stepOutputText(makeToolTraceRecord(2, 2).steps[3]).split(u'\n').at(1),
            QStringLiteral("error result"));
    }

    void alignmentKeys()
    {
        const QStringList keys
            = stepAlignmentKeys(steps(QStringLiteral("node:a llm:chat>0 parse:out>0"), QStringLiteral("s")));
        QCOMPARE(keys,
            (QStringList { QStringLiteral("node:a"), QStringLiteral("node:a/llm:chat"),
                QStringLiteral("node:a/parse:out") }));
    }

    // Deltas are right - left; unknown cost on either side gives no cost delta.
    void deltas()
    {
        ExecutionRecord l, r;
        l.steps = steps(QStringLiteral("llm:chat llm:chat"), QStringLiteral("l"));
        r.steps = steps(QStringLiteral("llm:chat llm:chat"), QStringLiteral("r"));
        l.steps[0].inputTokens = 10;
        l.steps[0].outputTokens = 5;
        l.steps[0].executionTimeMs = 100;
        l.steps[0].costUsd = 0.01;
        r.steps[0].inputTokens = 12;
        r.steps[0].outputTokens = 9;
        r.steps[0].executionTimeMs = 80;
        r.steps[0].costUsd = 0.015;
        l.steps[1].costUsd = 0.01; // right side unknown
        l.steps[0].outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("one\ntwo\nthree") } };
        r.steps[0].outputData
            = QJsonObject { { QStringLiteral("text"), QStringLiteral("one\n2\nthree\nfour") } };
        l.inputTokens = 100;
        r.inputTokens = 90;
        l.executionTimeMs = 1000;
        r.executionTimeMs = 1500;
        l.costUsd = 0.5;
        const CompareResult result = compareExecutions(l, r);
        QCOMPARE(result.rows.size(), 2);
        const CompareRow &row = result.rows[0];
        QCOMPARE(row.tokensDelta, 6);
        QCOMPARE(row.latencyDeltaMs, -20);
        QVERIFY(row.costDelta.has_value());
        QVERIFY(qAbs(*row.costDelta - 0.005) < 1e-12);
        QVERIFY(row.outputChanged);
        QCOMPARE(result.changed, 1);
        QVERIFY(!result.rows[1].costDelta.has_value());
        QVERIFY(!result.rows[1].outputChanged);
        QCOMPARE(result.tokensDelta, -10);
        QCOMPARE(result.latencyDeltaMs, 500);
        QVERIFY(!result.costDelta.has_value());
    }

    void diff_data()
    {
        QTest::addColumn<QString>("left");
        QTest::addColumn<QString>("right");
        QTest::addColumn<QString>("expected"); // " x" same, "-x" removed, "+x" added
        QTest::newRow("equal") << "a\nb"
                               << "a\nb"
                               << " a| b";
        QTest::newRow("changed middle") << "a\nb\nc"
                                        << "a\nB\nc"
                                        << " a|-b|+B| c";
        QTest::newRow("appended") << "a"
                                  << "a\nb"
                                  << " a|+b";
        QTest::newRow("removed head") << "x\na"
                                      << "a"
                                      << "-x| a";
        QTest::newRow("from empty") << ""
                                    << "a\nb"
                                    << "+a|+b";
        QTest::newRow("to empty") << "a"
                                  << ""
                                  << "-a";
        QTest::newRow("moved line") << "a\nb\nc"
                                    << "b\nc\na"
                                    << "-a| b| c|+a";
    }

    void diff()
    {
        QFETCH(QString, left);
        QFETCH(QString, right);
        QFETCH(QString, expected);
        QStringList parts;
        for (const DiffLine &d : diffLines(left, right)) {
            const QChar mark = d.kind == DiffLine::Kind::Same ? u' '
                : d.kind == DiffLine::Kind::Removed           ? u'-'
                                                              : u'+';
            parts << mark + d.text;
        }
        QCOMPARE(parts.join(u'|'), expected);
    }

    // A too-big middle degrades to remove-all/add-all, still a valid diff of the two texts.
    void diffFallback()
    {
        const QList<DiffLine> d = diffLines(QStringLiteral("h\na\nb\nt"), QStringLiteral("h\nc\nd\nt"), 1);
        QCOMPARE(d.size(), 6);
        QCOMPARE(d.first().kind, DiffLine::Kind::Same);
        QCOMPARE(d.last().kind, DiffLine::Kind::Same);
    }
};

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"
