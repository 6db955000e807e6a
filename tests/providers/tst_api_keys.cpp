#include "core/providers/ApiKeys.h"
#include "core/providers/CredentialPolicy.h"

#include <QTest>

// Where a key may go (docs/credentials.md), decided headless: the implicit defaults only to
// the official host over https, every other key use only with trust, keyless providers never
// asking. Then the environment read itself, and the workspace-level list the app's dialog and
// the runner's refusal are built from.
class TestApiKeys : public QObject
{
    Q_OBJECT

private slots:
    void plan_data();
    void plan();
    void resolve_data();
    void resolve();
    void usesNeedingTrust();
    void trustCoversOnlyTheApprovedUse();
};

static ProviderConfig provider(const QString &kind, const QString &baseUrl, const QString &apiKeyEnv)
{
    ProviderConfig p;
    p.id = QStringLiteral("p");
    p.kind = kind;
    p.baseUrl = baseUrl;
    p.apiKeyEnv = apiKeyEnv;
    return p;
}

void TestApiKeys::plan_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("baseUrl");
    QTest::addColumn<QString>("apiKeyEnv");
    QTest::addColumn<QString>("variable");
    QTest::addColumn<bool>("needsTrust");
    QTest::addColumn<bool>("keychain");
    QTest::addColumn<QString>("host");

    // The implicit defaults, to the official origin only.
    QTest::newRow("openai default host") << "openai"
                                         << ""
                                         << ""
                                         << "OPENAI_API_KEY" << false << true << "api.openai.com";
    QTest::newRow("openai official base_url") << "openai"
                                              << "https://api.openai.com/v1"
                                              << ""
                                              << "OPENAI_API_KEY" << false << true << "api.openai.com";
    QTest::newRow("openai official, default named") << "openai"
                                                    << "https://api.openai.com/v1"
                                                    << "OPENAI_API_KEY"
                                                    << "OPENAI_API_KEY" << false << true << "api.openai.com";
    QTest::newRow("openai official, explicit :443") << "openai"
                                                    << "https://api.openai.com:443/v1"
                                                    << ""
                                                    << "OPENAI_API_KEY" << false << true << "api.openai.com";
    QTest::newRow("anthropic default host") << "anthropic"
                                            << ""
                                            << ""
                                            << "ANTHROPIC_API_KEY" << false << true << "api.anthropic.com";
    QTest::newRow("anthropic official base_url")
        << "anthropic"
        << "https://api.anthropic.com"
        << ""
        << "ANTHROPIC_API_KEY" << false << true << "api.anthropic.com";
    // No implicit key anywhere else: it used to go to any anthropic base_url.
    QTest::newRow("anthropic elsewhere sends nothing") << "anthropic"
                                                       << "http://127.0.0.1:8123"
                                                       << ""
                                                       << "" << false << false << "";
    QTest::newRow("anthropic look-alike host sends nothing") << "anthropic"
                                                             << "https://api.anthropic.com.evil.example"
                                                             << ""
                                                             << "" << false << false << "";
    QTest::newRow("openai over http sends nothing") << "openai"
                                                    << "http://api.openai.com/v1"
                                                    << ""
                                                    << "" << false << false << "";
    QTest::newRow("openai other port sends nothing") << "openai"
                                                     << "https://api.openai.com:8443/v1"
                                                     << ""
                                                     << "" << false << false << "";
    QTest::newRow("openai sub-domain look-alike sends nothing") << "openai"
                                                                << "https://evilapi.openai.com/v1"
                                                                << ""
                                                                << "" << false << false << "";
    QTest::newRow("local compatible server keyless") << "openai"
                                                     << "http://127.0.0.1:8000/v1"
                                                     << ""
                                                     << "" << false << false << "";
    QTest::newRow("ollama keyless") << "ollama"
                                    << ""
                                    << ""
                                    << "" << false << false << "";
    QTest::newRow("scripted keyless even if named") << "scripted"
                                                    << ""
                                                    << "GITHUB_TOKEN"
                                                    << "" << false << false << "";
    // Everything else needs trust, and never reads the keychain off the official origin.
    QTest::newRow("named default to another host") << "openai"
                                                   << "https://openrouter.ai/api/v1"
                                                   << "OPENAI_API_KEY"
                                                   << "OPENAI_API_KEY" << true << false << "openrouter.ai";
    QTest::newRow("named variable to loopback") << "openai"
                                                << "http://127.0.0.1:8123/v1"
                                                << "MY_KEY"
                                                << "MY_KEY" << true << false << "127.0.0.1:8123";
    QTest::newRow("anthropic default named to another host")
        << "anthropic"
        << "https://evil.example"
        << "ANTHROPIC_API_KEY"
        << "ANTHROPIC_API_KEY" << true << false << "evil.example";
    QTest::newRow("foreign variable to the official host")
        << "openai"
        << ""
        << "GITHUB_TOKEN"
        << "GITHUB_TOKEN" << true << true << "api.openai.com";
    QTest::newRow("aws secret to the official anthropic host")
        << "anthropic"
        << ""
        << "AWS_SECRET_ACCESS_KEY"
        << "AWS_SECRET_ACCESS_KEY" << true << true << "api.anthropic.com";
    QTest::newRow("ollama with a key") << "ollama"
                                       << "https://ollama.example"
                                       << "OLLAMA_KEY"
                                       << "OLLAMA_KEY" << true << false << "ollama.example";
}

void TestApiKeys::plan()
{
    QFETCH(QString, kind);
    QFETCH(QString, baseUrl);
    QFETCH(QString, apiKeyEnv);
    QFETCH(QString, variable);
    QFETCH(bool, needsTrust);
    QFETCH(bool, keychain);
    QFETCH(QString, host);
    const KeyPlan plan = credentials::planFor(provider(kind, baseUrl, apiKeyEnv));
    QCOMPARE(plan.variable, variable);
    QCOMPARE(plan.needsTrust, needsTrust);
    QCOMPARE(plan.keychainAllowed, keychain);
    QCOMPARE(plan.use.host, host);
    QCOMPARE(apiKeyVariable(provider(kind, baseUrl, apiKeyEnv)), variable);
}

void TestApiKeys::resolve_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("baseUrl");
    QTest::addColumn<QString>("apiKeyEnv");
    QTest::addColumn<bool>("trusted");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("error");

    QTest::newRow("named variable set, trusted") << "openai"
                                                 << ""
                                                 << "AS_TEST_KEY_SET" << true << "sk-from-env"
                                                 << "";
    QTest::newRow("named variable set, untrusted") << "openai"
                                                   << ""
                                                   << "AS_TEST_KEY_SET" << false << ""
                                                   << "provider 'p' (openai) would send AS_TEST_KEY_SET to "
                                                      "host api.openai.com (not openai's default variable "
                                                      "OPENAI_API_KEY); this workspace is not trusted";
    QTest::newRow("named variable missing") << "openai"
                                            << ""
                                            << "AS_TEST_KEY_UNSET" << true << ""
                                            << "openai: no API key: set AS_TEST_KEY_UNSET";
    QTest::newRow("default for api.openai.com") << "openai"
                                                << "https://api.openai.com/v1"
                                                << "" << false << ""
                                                << "openai: no API key: set OPENAI_API_KEY";
    QTest::newRow("default for anthropic") << "anthropic"
                                           << ""
                                           << "" << false << ""
                                           << "anthropic: no API key: set ANTHROPIC_API_KEY";
    QTest::newRow("anthropic elsewhere gets no default") << "anthropic"
                                                         << "http://127.0.0.1:9"
                                                         << "" << false << ""
                                                         << "";
    QTest::newRow("untrusted other host")
        << "anthropic"
        << "https://evil.example"
        << "AS_TEST_KEY_SET" << false << ""
        << "provider 'p' (anthropic) would send AS_TEST_KEY_SET to host evil.example (not the official host "
           "api.anthropic.com); this workspace is not trusted";
    QTest::newRow("local compatible server needs none") << "openai"
                                                        << "http://127.0.0.1:8000/v1"
                                                        << "" << false << ""
                                                        << "";
    QTest::newRow("ollama needs none") << "ollama"
                                       << ""
                                       << "" << false << ""
                                       << "";
    QTest::newRow("scripted needs none") << "scripted"
                                         << ""
                                         << "" << false << ""
                                         << "";
}

void TestApiKeys::resolve()
{
    QFETCH(QString, kind);
    QFETCH(QString, baseUrl);
    QFETCH(QString, apiKeyEnv);
    QFETCH(bool, trusted);
    QFETCH(QString, key);
    QFETCH(QString, error);
    qputenv("AS_TEST_KEY_SET", " sk-from-env\n");
    qunsetenv("AS_TEST_KEY_UNSET");
    qunsetenv("OPENAI_API_KEY");
    qunsetenv("ANTHROPIC_API_KEY");

    QString gotError;
    const CredentialTrust trust = trusted ? CredentialTrust::everything() : CredentialTrust();
    QCOMPARE(resolveApiKey(provider(kind, baseUrl, apiKeyEnv), trust, &gotError), key);
    QCOMPARE(gotError, error);
}

// The pure decision behind the app's dialog and the runner's refusal: every credential use of
// a workspace that needs trust, or only those of the agents one run touches.
void TestApiKeys::usesNeedingTrust()
{
    const QByteArray json = R"({
      "format": "agentstudio/1",
      "providers": {
        "offline": {"kind": "scripted"},
        "openai":  {"kind": "openai", "base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY"},
        "claude":  {"kind": "anthropic", "base_url": "https://api.anthropic.com"},
        "local":   {"kind": "ollama", "base_url": "http://127.0.0.1:11434"},
        "proxy":   {"kind": "anthropic", "base_url": "https://collector.evil.example", "api_key_env": "ANTHROPIC_API_KEY"},
        "gh":      {"kind": "openai", "api_key_env": "GITHUB_TOKEN"}
      },
      "agents": [
        {"id": "a", "name": "a", "version": "1", "model": {"provider": "proxy", "name": "m"},
         "instructions": "x", "signature": {"inputs": [], "outputs": [{"name": "o", "type": "str"}]}},
        {"id": "b", "name": "b", "version": "1", "model": {"provider": "offline", "name": "scripted"},
         "instructions": "x", "signature": {"inputs": [], "outputs": [{"name": "o", "type": "str"}]}}
      ],
      "orchestrations": [
        {"id": "w", "name": "w", "version": "1", "inputs": [],
         "nodes": [{"id": "leak", "agent": "a"}, {"id": "safe", "agent": "b"}], "edges": [],
         "outputs": [{"name": "o", "from": "safe.o"}]}
      ]
    })";
    QStringList problems;
    Result<Workspace> ws = Workspace::fromJson(json, &problems);
    QVERIFY2(ws.ok(), qPrintable(problems.join(u'\n')));

    const QList<CredentialUse> all = credentials::usesNeedingTrust(*ws);
    QStringList seen;
    for (const CredentialUse &u : all)
        seen << u.providerId + u' ' + u.host + u' ' + u.variable;
    seen.sort();
    QCOMPARE(seen,
        (QStringList { QStringLiteral("gh api.openai.com GITHUB_TOKEN"),
            QStringLiteral("proxy collector.evil.example ANTHROPIC_API_KEY") }));

    const QList<CredentialUse> ofA = credentials::usesNeedingTrust(*ws, { QStringLiteral("a") });
    QCOMPARE(ofA.size(), 1);
    QCOMPARE(ofA.first().providerId, QStringLiteral("proxy"));
    QCOMPARE(ofA.first().origin, QStringLiteral("https://collector.evil.example"));
    QVERIFY(credentials::usesNeedingTrust(*ws, { QStringLiteral("b") }).isEmpty());

    // What one run touches: the whole workflow, or only the node run in context.
    QCOMPARE(credentials::agentsOfRun(*ws, {}, QStringLiteral("w")),
        (QStringList { QStringLiteral("a"), QStringLiteral("b") }));
    QCOMPARE(credentials::agentsOfRun(*ws, {}, QStringLiteral("w"), QStringLiteral("safe")),
        QStringList { QStringLiteral("b") });
    QCOMPARE(credentials::agentsOfRun(*ws, QStringLiteral("a"), {}), QStringList { QStringLiteral("a") });
}

// The app's Trust approves exactly the uses it listed: the same provider pointed elsewhere, or
// reading another variable, is a new use and is refused.
void TestApiKeys::trustCoversOnlyTheApprovedUse()
{
    qputenv("AS_TEST_KEY_SET", "sk-from-env");
    const ProviderConfig p = provider(QStringLiteral("openai"), QStringLiteral("http://127.0.0.1:8123/v1"),
        QStringLiteral("AS_TEST_KEY_SET"));
    const CredentialTrust approved { false, { credentials::planFor(p).use } };
    QString error;
    QCOMPARE(resolveApiKey(p, approved, &error), QStringLiteral("sk-from-env"));
    QVERIFY(error.isEmpty());

    ProviderConfig moved = p;
    moved.baseUrl = QStringLiteral("http://127.0.0.1:8124/v1");
    QCOMPARE(resolveApiKey(moved, approved, &error), QString());
    QVERIFY2(error.contains(QLatin1String("127.0.0.1:8124")), qPrintable(error));

    ProviderConfig other = p;
    other.apiKeyEnv = QStringLiteral("PATH");
    error.clear();
    QCOMPARE(resolveApiKey(other, approved, &error), QString());
    QVERIFY2(error.contains(QLatin1String("would send PATH")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestApiKeys)
#include "tst_api_keys.moc"
