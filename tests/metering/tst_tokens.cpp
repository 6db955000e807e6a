#include "core/metering/Pricing.h"

#include <QTest>

// The local token estimate used where a provider reports no usage. Reference counts are the
// o200k_base token ids as gpt-tokenizer / js-tiktoken give them.
class TestTokens : public QObject
{
    Q_OBJECT

private slots:
    void nearReference_data();
    void nearReference();
    void deterministic();
    void edgeCases();
};

void TestTokens::nearReference_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("reference");

    QTest::newRow("hello world") << QStringLiteral("hello world") << 2;
    QTest::newRow("Hello, world!") << QStringLiteral("Hello, world!") << 4;
    QTest::newRow("quick brown fox") << QStringLiteral("The quick brown fox jumps over the lazy dog.") << 10;
    QTest::newRow("indented paragraphs") << QStringLiteral("  indented\n\nnew paragraph") << 6;
    QTest::newRow("non-ascii") << QStringLiteral("naïve café 日本語 🚀") << 8;
    QTest::newRow("contractions") << QStringLiteral("I'm can't we'll") << 3;
    QTest::newRow("digits") << QStringLiteral("12345678") << 3;
    QTest::newRow("special token as text") << QStringLiteral("<|endoftext|>") << 7;
}

void TestTokens::nearReference()
{
    QFETCH(QString, text);
    QFETCH(int, reference);
    const qint64 estimate = estimateTokens(text);
    const double ratio = double(estimate) / reference;
    QVERIFY2(ratio >= 0.7 && ratio <= 1.3,
        qPrintable(QStringLiteral("estimate %1 vs reference %2").arg(estimate).arg(reference)));
}

void TestTokens::deterministic()
{
    const QString text = QStringLiteral(
        "Summarize the text for an executive reader. {\"summary\": \"ok\", \"confidence\": 0.9}\n");
    const qint64 first = estimateTokens(text);
    QVERIFY(first > 10);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(estimateTokens(text), first);
    // Additive over whole pieces: the estimate of a repeated text grows with it.
    QVERIFY(estimateTokens(text + text) >= 2 * first - 2);
}

void TestTokens::edgeCases()
{
    QCOMPARE(estimateTokens(QString()), 0);
    QCOMPARE(estimateTokens(QStringLiteral(" ")), 1);
    QVERIFY(estimateTokens(QStringLiteral("\u00a0\u2003\u3000")) >= 1); // unicode spaces
    QVERIFY(estimateTokens(QString(4000, u'a')) > 500); // long runs split
    QVERIFY(estimateTokens(QString(QChar(0xD83D))) >= 1); // a lone surrogate
}

QTEST_GUILESS_MAIN(TestTokens)
#include "tst_tokens.moc"
