// SseCursor: the last event id and the retry time of an SSE stream, fed in every possible
// split of the bytes (WHATWG field rules: one space after the colon, CRLF / LF / CR lines,
// retry only when all digits, ids with NUL ignored, fields of events without data count).
#include "core/mcp/SseCursor.h"

#include <QTest>

using namespace Qt::StringLiterals;

class TestSseCursor : public QObject
{
    Q_OBJECT

private slots:
    void fields_data()
    {
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QString>("lastEventId");
        QTest::addColumn<int>("retryMs");
        QTest::newRow("priming event with retry")
            << QByteArray("id: ev-1\nretry: 500\ndata: \n\n") << u"ev-1"_s << 500;
        QTest::newRow("later id wins") << QByteArray("id: a\ndata: x\n\nid: b\ndata: y\n\n") << u"b"_s << -1;
        QTest::newRow("id without data still counts") << QByteArray("id: only\n\n") << u"only"_s << -1;
        QTest::newRow("CRLF lines") << QByteArray("id: c\r\nretry: 20\r\n\r\n") << u"c"_s << 20;
        QTest::newRow("CR lines") << QByteArray("id: d\rretry: 30\r\r") << u"d"_s << 30;
        QTest::newRow("no space after colon") << QByteArray("id:e\nretry:40\n\n") << u"e"_s << 40;
        QTest::newRow("two spaces keep one") << QByteArray("id:  f\n\n") << u" f"_s << -1;
        QTest::newRow("retry not digits is ignored")
            << QByteArray("retry: 5s\nretry: +5\nretry:  7\nretry: \n\n") << QString() << -1;
        QTest::newRow("id with NUL is ignored") << QByteArray("id: g\n\nid: h\0i\n\n", 16) << u"g"_s << -1;
        QTest::newRow("empty id resets") << QByteArray("id: j\n\nid\n\n") << QString() << -1;
        QTest::newRow("comments and data are not fields")
            << QByteArray(": id: no\ndata: id: no\ndata: retry: 9\n\n") << QString() << -1;
        QTest::newRow("an overlong line is skipped")
            << (QByteArray("id: k\n\ndata: ") + QByteArray(5000, 'x') + QByteArray("\nretry: 70\n\n"))
            << u"k"_s << 70;
        QTest::newRow("unfinished last line is not applied") << QByteArray("id: l\n\nid: m") << u"l"_s << -1;
    }
    void fields()
    {
        QFETCH(QByteArray, stream);
        QFETCH(QString, lastEventId);
        QFETCH(int, retryMs);
        for (qsizetype split = 0; split <= stream.size(); ++split) {
            SseCursor cursor;
            cursor.feed(QByteArrayView(stream).first(split));
            cursor.feed(QByteArrayView(stream).sliced(split));
            QCOMPARE(cursor.lastEventId(), lastEventId);
            QCOMPARE(cursor.retryMs(), retryMs);
        }
        SseCursor bytewise;
        for (const char c : stream)
            bytewise.feed(QByteArrayView(&c, 1));
        QCOMPARE(bytewise.lastEventId(), lastEventId);
        QCOMPARE(bytewise.retryMs(), retryMs);
    }
};

QTEST_GUILESS_MAIN(TestSseCursor)
#include "tst_sse_cursor.moc"
