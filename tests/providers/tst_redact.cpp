#include "core/common/Util.h"

#include <QTest>

// A key must not survive in a message in any recognisable form: exact, case-folded (a server
// or a proxy that upper-cases headers), or a long enough piece of it (a truncated echo).
class TestRedact : public QObject
{
    Q_OBJECT

private slots:
    void redact_data();
    void redact();
};

static const QString kKey = QStringLiteral("sk-test-SECRET-0123456789abcdef");

void TestRedact::redact_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("secrets");
    QTest::addColumn<QString>("expected");

    QTest::newRow("exact copy") << QString(QStringLiteral("401: bad key ") + kKey) << QStringList { kKey }
                                << "401: bad key ***";
    QTest::newRow("upper-cased copy")
        << QString(QStringLiteral("key=") + kKey.toUpper() + QStringLiteral(" rejected"))
        << QStringList { kKey } << "key=*** rejected";
    QTest::newRow("lower-cased copy")
        << QString(QStringLiteral("key=") + kKey.toLower()) << QStringList { kKey } << "key=***";
    QTest::newRow("a 12-character piece") << QStringLiteral("Incorrect API key provided: sk-test-SECR...")
                                          << QStringList { kKey } << "Incorrect API key provided: ***...";
    QTest::newRow("the tail only") << QStringLiteral("…ending in 0123456789abcdef.") << QStringList { kKey }
                                   << "…ending in ***.";
    QTest::newRow("a middle piece, case-folded")
        << QStringLiteral("[secret-0123456]") << QStringList { kKey } << "[***]";
    QTest::newRow("two pieces") << QStringLiteral("a=sk-test-SECRE b=456789abcdef") << QStringList { kKey }
                                << "a=*** b=***";
    QTest::newRow("11 characters stay")
        << QStringLiteral("x 0123456789a y") << QStringList { kKey } << "x 0123456789a y";
    QTest::newRow("unrelated text stays")
        << QStringLiteral("openai: 429 rate limited") << QStringList { kKey } << "openai: 429 rate limited";
    QTest::newRow("short secret: exact and case-folded only")
        << QStringLiteral("tok=abcd1234 TOK=ABCD1234 part=abcd123")
        << QStringList { QStringLiteral("abcd1234") } << "tok=*** TOK=*** part=abcd123";
    QTest::newRow("secrets under 4 characters are ignored")
        << QStringLiteral("abc") << QStringList { QStringLiteral("abc") } << "abc";
    QTest::newRow("several secrets") << QString(
        QStringLiteral("a ") + kKey + QStringLiteral(" b Bearer-TOKEN-xyz-987654"))
                                     << QStringList { kKey, QStringLiteral("bearer-token-xyz-987654") }
                                     << "a *** b ***";
    QTest::newRow("empty secret list") << QStringLiteral("nothing") << QStringList {} << "nothing";
}

void TestRedact::redact()
{
    QFETCH(QString, text);
    QFETCH(QStringList, secrets);
    QFETCH(QString, expected);
    QCOMPARE(as::redact(text, secrets), expected);
}

QTEST_GUILESS_MAIN(TestRedact)
#include "tst_redact.moc"
