#include "core/providers/NdjsonParser.h"

#include <QTest>

// NDJSON line splitting; each case is also fed split at every byte boundary and byte by byte.
class TestNdjsonParser : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
};

using Lines = QList<QByteArray>;

void TestNdjsonParser::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<Lines>("lines");
    QTest::addColumn<QByteArray>("rest"); // what finish() returns

    QTest::newRow("two lines") << QByteArray("{\"a\":1}\n{\"b\":2}\n") << Lines { "{\"a\":1}", "{\"b\":2}" }
                               << QByteArray();
    QTest::newRow("CRLF") << QByteArray("{\"a\":1}\r\n{\"b\":2}\r\n") << Lines { "{\"a\":1}", "{\"b\":2}" }
                          << QByteArray();
    QTest::newRow("blank lines skipped") << QByteArray("\n{\"a\":1}\n\n\r\n  \n{\"b\":2}\n")
                                         << Lines { "{\"a\":1}", "{\"b\":2}" } << QByteArray();
    QTest::newRow("unterminated last line")
        << QByteArray("{\"a\":1}\n{\"done\":true}") << Lines { "{\"a\":1}" } << QByteArray("{\"done\":true}");
    QTest::newRow("utf8 inside") << QByteArray("{\"c\":\"w\xc3\xb6rld \xf0\x9f\x9a\x80\"}\n")
                                 << Lines { "{\"c\":\"w\xc3\xb6rld \xf0\x9f\x9a\x80\"}" } << QByteArray();
    QTest::newRow("escaped newline stays in line")
        << QByteArray("{\"c\":\"a\\nb\"}\n") << Lines { "{\"c\":\"a\\nb\"}" } << QByteArray();
    QTest::newRow("empty") << QByteArray() << Lines {} << QByteArray();
}

void TestNdjsonParser::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(Lines, lines);
    QFETCH(QByteArray, rest);

    for (int k = 0; k <= input.size(); ++k) {
        NdjsonParser p;
        Lines got = p.feed(input.left(k));
        got += p.feed(input.mid(k));
        QVERIFY2(got == lines, qPrintable(QStringLiteral("split at %1").arg(k)));
        QCOMPARE(p.finish(), rest);
        QVERIFY(!p.hasPendingData());
    }
    NdjsonParser bytewise;
    Lines got;
    for (char c : input)
        got += bytewise.feed(QByteArrayView(&c, 1));
    QCOMPARE(got, lines);
    QCOMPARE(bytewise.finish(), rest);
}

QTEST_GUILESS_MAIN(TestNdjsonParser)
#include "tst_ndjson_parser.moc"
