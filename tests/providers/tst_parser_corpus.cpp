#include "tests/support/ParserInvariants.h"
#include "tests/support/TestSupport.h"

#include <QDir>
#include <QFile>
#include <QTest>

// Replays the fuzz seed corpus (tests/fuzz/corpus) through both parsers in the normal build,
// at every split point: no crash, and the same events wherever the bytes are split.
class TestParserCorpus : public QObject
{
    Q_OBJECT

private slots:
    void replay_data();
    void replay();
    void seedsParseAsExpected();
};

void TestParserCorpus::replay_data()
{
    QTest::addColumn<QString>("path");
    for (const char *kind : { "sse", "ndjson" }) {
        const QDir dir(testsupport::sourcePath(QStringLiteral("tests/fuzz/corpus/") + QLatin1String(kind)));
        const QStringList files = dir.entryList(QDir::Files, QDir::Name);
        QVERIFY2(!files.isEmpty(), qPrintable(dir.path()));
        for (const QString &f : files)
            QTest::newRow(qPrintable(QLatin1String(kind) + u'/' + f)) << dir.filePath(f);
    }
}

void TestParserCorpus::replay()
{
    QFETCH(QString, path);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray input = file.readAll();
    for (qsizetype k = 0; k <= input.size(); ++k) {
        const char *broken = parserinvariants::check(input, { k });
        QVERIFY2(!broken, qPrintable(QStringLiteral("split at %1: %2").arg(k).arg(QLatin1String(broken))));
    }
    QVERIFY(!parserinvariants::check(input, parserinvariants::derivedSplits(input)));
}

void TestParserCorpus::seedsParseAsExpected()
{
    QFile sse(testsupport::sourcePath(QStringLiteral("tests/fuzz/corpus/sse/anthropic_basic.txt")));
    QVERIFY(sse.open(QIODevice::ReadOnly));
    SseParser p;
    const QList<SseParser::Event> events = p.feed(sse.readAll());
    QCOMPARE(events.size(), 7);
    QCOMPARE(events.first().event, QStringLiteral("message_start"));
    QCOMPARE(events.last().event, QStringLiteral("message_stop"));

    QFile nd(testsupport::sourcePath(QStringLiteral("tests/fuzz/corpus/ndjson/ollama_tools.ndjson")));
    QVERIFY(nd.open(QIODevice::ReadOnly));
    NdjsonParser n;
    QCOMPARE(n.feed(nd.readAll()).size(), 1);
    QVERIFY(n.finish().startsWith("{\"model\":\"qwen3\""));
}

QTEST_GUILESS_MAIN(TestParserCorpus)
#include "tst_parser_corpus.moc"
