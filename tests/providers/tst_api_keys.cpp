#include "core/providers/ApiKeys.h"

#include <QTest>

// Keys come from the environment variable the workspace names; a missing one is a clear error.
class TestApiKeys : public QObject
{
    Q_OBJECT

private slots:
    void resolve_data();
    void resolve();
};

void TestApiKeys::resolve_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("baseUrl");
    QTest::addColumn<QString>("apiKeyEnv");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("error");

    QTest::newRow("named variable set") << "openai" << "" << "AS_TEST_KEY_SET" << "sk-from-env" << "";
    QTest::newRow("named variable missing") << "openai" << "" << "AS_TEST_KEY_UNSET" << "" << "openai: no API key: set AS_TEST_KEY_UNSET";
    QTest::newRow("default for api.openai.com") << "openai" << "https://api.openai.com/v1" << "" << "" << "openai: no API key: set OPENAI_API_KEY";
    QTest::newRow("default for anthropic") << "anthropic" << "" << "" << "" << "anthropic: no API key: set ANTHROPIC_API_KEY";
    QTest::newRow("local compatible server needs none") << "openai" << "http://127.0.0.1:8000/v1" << "" << "" << "";
    QTest::newRow("ollama needs none") << "ollama" << "" << "" << "" << "";
    QTest::newRow("scripted needs none") << "scripted" << "" << "" << "" << "";
}

void TestApiKeys::resolve()
{
    QFETCH(QString, kind);
    QFETCH(QString, baseUrl);
    QFETCH(QString, apiKeyEnv);
    QFETCH(QString, key);
    QFETCH(QString, error);
    qputenv("AS_TEST_KEY_SET", " sk-from-env\n");
    qunsetenv("AS_TEST_KEY_UNSET");
    qunsetenv("OPENAI_API_KEY");
    qunsetenv("ANTHROPIC_API_KEY");

    ProviderConfig p;
    p.id = QStringLiteral("p");
    p.kind = kind;
    p.baseUrl = baseUrl;
    p.apiKeyEnv = apiKeyEnv;
    QString gotError;
    QCOMPARE(resolveApiKey(p, &gotError), key);
    QCOMPARE(gotError, error);
}

QTEST_GUILESS_MAIN(TestApiKeys)
#include "tst_api_keys.moc"
