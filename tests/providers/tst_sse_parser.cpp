#include "core/providers/SseParser.h"

#include <QTest>

// WHATWG event-stream parsing. Every case is also fed split at every byte boundary and one
// byte at a time: the events must not depend on how the bytes arrive.
class TestSseParser : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void lastEventIdPersists();
    void finishReportsPendingData();
};

// "type|data" per event, data with '\n' shown as is.
static QStringList describe(const QList<SseParser::Event> &events)
{
    QStringList out;
    for (const SseParser::Event &e : events)
        out.append(e.event + u'|' + QString::fromUtf8(e.data));
    return out;
}

static QStringList sl(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *i : items)
        out.append(QString::fromUtf8(i));
    return out;
}

static QStringList parseWhole(const QByteArray &input, bool *pending = nullptr)
{
    SseParser p;
    QStringList out = describe(p.feed(input));
    const bool rest = p.finish();
    if (pending)
        *pending = rest;
    return out;
}

void TestSseParser::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("one event LF") << QByteArray("data: hello\n\n") << sl({ "|hello" });
    QTest::newRow("one event CRLF") << QByteArray("data: hello\r\n\r\n") << sl({ "|hello" });
    QTest::newRow("one event CR") << QByteArray("data: hello\r\r") << sl({ "|hello" });
    QTest::newRow("mixed line ends") << QByteArray("data: a\r\n\ndata: b\r\rdata: c\n\r\n")
                                     << sl({ "|a", "|b", "|c" });
    QTest::newRow("CRLF inside an event")
        << QByteArray("event: a\r\ndata: x\r\ndata: y\r\n\r\n") << sl({ "a|x\ny" });
    QTest::newRow("no space after colon") << QByteArray("data:x\n\n") << sl({ "|x" });
    QTest::newRow("only one space stripped") << QByteArray("data:  two\n\n") << sl({ "| two" });
    QTest::newRow("multi-line data joined")
        << QByteArray("data: line1\ndata: line2\ndata:\n\n") << sl({ "|line1\nline2\n" });
    QTest::newRow("event names") << QByteArray(
        "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n")
                                 << sl({ "message_start|{}", "ping|{\"type\": \"ping\"}" });
    QTest::newRow("event type resets after dispatch")
        << QByteArray("event: a\ndata: 1\n\ndata: 2\n\n") << sl({ "a|1", "|2" });
    QTest::newRow("comments and keep-alives")
        << QByteArray(": keep-alive\n\n:another\ndata: x\n: inside\n\n") << sl({ "|x" });
    QTest::newRow("event without data is dropped")
        << QByteArray("event: lonely\n\ndata: y\n\n") << sl({ "|y" });
    QTest::newRow("field without colon") << QByteArray("data\n\n") << sl({ "|" });
    QTest::newRow("unknown fields and retry ignored")
        << QByteArray("retry: 100\nfoo: bar\ndata: z\n\n") << sl({ "|z" });
    QTest::newRow("id field") << QByteArray("id: 7\ndata: z\n\n") << sl({ "|z" });
    QTest::newRow("BOM at start") << QByteArray("\xEF\xBB\xBF"
                                                "data: bom\n\n")
                                  << sl({ "|bom" });
    QTest::newRow("utf8 multi-byte") << QByteArray("data: w\xc3\xb6rld \xf0\x9f\x9a\x80 \xe6\x97\xa5\n\n")
                                     << QStringList { QStringLiteral("|w\u00f6rld \U0001F680 \u65e5") };
    QTest::newRow("colon in value") << QByteArray("data: {\"a\":\"b: c\"}\n\n")
                                    << sl({ "|{\"a\":\"b: c\"}" });
    QTest::newRow("DONE marker") << QByteArray("data: [DONE]\n\n") << sl({ "|[DONE]" });
    QTest::newRow("unterminated last event discarded") << QByteArray("data: a\n\ndata: b\n") << sl({ "|a" });
    QTest::newRow("blank lines only") << QByteArray("\n\n\r\n\r\r") << sl({});
    QTest::newRow("empty") << QByteArray() << sl({});
}

void TestSseParser::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, expected);

    QCOMPARE(parseWhole(input), expected);

    for (int k = 0; k <= input.size(); ++k) {
        SseParser p;
        QStringList got = describe(p.feed(input.left(k)));
        got += describe(p.feed(input.mid(k)));
        QVERIFY2(got == expected, qPrintable(QStringLiteral("split at %1: %2").arg(k).arg(got.join(u','))));
    }
    SseParser bytewise;
    QStringList got;
    for (char c : input)
        got += describe(bytewise.feed(QByteArrayView(&c, 1)));
    QCOMPARE(got, expected);
}

void TestSseParser::lastEventIdPersists()
{
    SseParser p;
    const QList<SseParser::Event> events = p.feed("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
    QCOMPARE(events.size(), 3);
    QCOMPARE(events.at(0).id, QStringLiteral("1"));
    QCOMPARE(events.at(1).id, QStringLiteral("1"));
    QCOMPARE(events.at(2).id, QString());
}

void TestSseParser::finishReportsPendingData()
{
    bool pending = false;
    parseWhole("data: a\n\n", &pending);
    QVERIFY(!pending);
    parseWhole("data: a\n\ndata: {\"cut", &pending);
    QVERIFY(pending);
    parseWhole("data: a\n", &pending);
    QVERIFY(pending);
    parseWhole(": comment only\n", &pending);
    QVERIFY(!pending);
}

QTEST_GUILESS_MAIN(TestSseParser)
#include "tst_sse_parser.moc"
