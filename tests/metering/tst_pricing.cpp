#include "core/metering/Pricing.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include "tests/support/TestSupport.h"

// The pricing table and the cost formula of resources/pricing.json. Costs are what a user is billed, so
// every row is an exact figure computed by hand from the list prices.
class TestPricing : public QObject
{
    Q_OBJECT

private slots:
    void cost_data();
    void cost();
    void resolution_data();
    void resolution();
    void userOverrideBeatsBuiltIn();
    void badOverrideChangesNothing();
    void liteLlmImport();
    void builtInCoversVendors();
};

static TokenUsage usage(qint64 in, qint64 out, qint64 cached = 0, qint64 written = 0, qint64 reasoning = 0)
{
    TokenUsage u;
    u.inputTokens = in;
    u.outputTokens = out;
    u.cachedTokens = cached;
    u.cacheWriteTokens = written;
    u.reasoningTokens = reasoning;
    return u;
}

void TestPricing::cost_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("model");
    QTest::addColumn<qint64>("input");
    QTest::addColumn<qint64>("output");
    QTest::addColumn<qint64>("cached");
    QTest::addColumn<qint64>("written");
    QTest::addColumn<qint64>("reasoning");
    QTest::addColumn<double>("expected"); // < 0: unknown

    // The two worked examples of the vendors' pricing docs.
    QTest::newRow("worked example gpt-4o-mini")
        << "openai"
        << "gpt-4o-mini" << 28ll << 9ll << 0ll << 0ll << 0ll << 0.0000096;
    QTest::newRow("worked example claude-sonnet-4-5 cache read")
        << "anthropic"
        << "claude-sonnet-4-5" << 1864ll << 12ll << 1843ll << 0ll << 0ll << 0.0007959;
    // gpt-4o: 1000 in of which 600 cached, 100 out: 400×2.5 + 600×1.25 + 100×10 = 2750 µ$.
    QTest::newRow("openai cached tokens not counted twice")
        << "openai"
        << "gpt-4o" << 1000ll << 100ll << 600ll << 0ll << 0ll << 0.00275;
    // Anthropic cache write: 100 uncached + 2000 written + 0 read, 50 out on sonnet 4.5:
    // 100×3 + 2000×3.75 + 50×15 = 300 + 7500 + 750 = 8550 µ$.
    QTest::newRow("anthropic cache write")
        << "anthropic"
        << "claude-sonnet-4-5-20250929" << 2100ll << 50ll << 0ll << 2000ll << 0ll << 0.00855;
    // Both: 10 uncached, 1000 read, 500 written, 20 out on haiku 4.5:
    // 10×1 + 1000×0.1 + 500×1.25 + 20×5 = 10 + 100 + 625 + 100 = 835 µ$.
    QTest::newRow("anthropic cache read and write")
        << "anthropic"
        << "claude-haiku-4-5" << 1510ll << 20ll << 1000ll << 500ll << 0ll << 0.000835;
    // o3: reasoning tokens are inside output and billed once: 100×2 + 1000×8 = 8200 µ$.
    QTest::newRow("reasoning inside output") << "openai"
                                             << "o3" << 100ll << 1000ll << 0ll << 0ll << 800ll << 0.0082;
    // A model with no cached price bills cached tokens at the input price: mistral-large 2/6.
    QTest::newRow("no cached price -> input price")
        << "openai"
        << "mistral-large-latest" << 1000ll << 0ll << 400ll << 0ll << 0ll << 0.002;
    QTest::newRow("ollama local is free by rule")
        << "ollama"
        << "llama3.2:latest" << 500ll << 50ll << 0ll << 0ll << 0ll << 0.0;
    QTest::newRow("scripted is free by rule") << "scripted"
                                              << "scripted" << 500ll << 50ll << 0ll << 0ll << 0ll << 0.0;
    QTest::newRow("unknown openai model") << "openai"
                                          << "gpt-9-ultra" << 10ll << 10ll << 0ll << 0ll << 0ll << -1.0;
    QTest::newRow("unknown anthropic model")
        << "anthropic"
        << "claude-unknown-7" << 10ll << 10ll << 0ll << 0ll << 0ll << -1.0;
    QTest::newRow("local model on openai-compatible server is unknown")
        << "openai"
        << "llama3.2" << 10ll << 10ll << 0ll << 0ll << 0ll << -1.0;
    QTest::newRow("unknown provider kind") << "groq"
                                           << "gpt-4o" << 10ll << 10ll << 0ll << 0ll << 0ll << -1.0;
    QTest::newRow("zero usage known model") << "openai"
                                            << "gpt-4o" << 0ll << 0ll << 0ll << 0ll << 0ll << 0.0;
}

void TestPricing::cost()
{
    QFETCH(QString, kind);
    QFETCH(QString, model);
    QFETCH(qint64, input);
    QFETCH(qint64, output);
    QFETCH(qint64, cached);
    QFETCH(qint64, written);
    QFETCH(qint64, reasoning);
    QFETCH(double, expected);

    const PricingTable table = PricingTable::builtIn();
    const std::optional<double> c = table.cost(kind, model, usage(input, output, cached, written, reasoning));
    if (expected < 0) {
        QVERIFY2(!c.has_value(), qPrintable(QString::number(c.value_or(0))));
        return;
    }
    QVERIFY(c.has_value());
    QVERIFY2(qAbs(*c - expected) < 1e-12, qPrintable(QString::number(*c, 'g', 12)));
}

void TestPricing::resolution_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("key");

    QTest::newRow("exact") << "openai"
                           << "gpt-4o"
                           << "openai/gpt-4o";
    QTest::newRow("dated snapshot dashes") << "openai"
                                           << "gpt-4o-2024-08-06"
                                           << "openai/gpt-4o";
    QTest::newRow("dated mini snapshot") << "openai"
                                         << "gpt-4o-mini-2024-07-18"
                                         << "openai/gpt-4o-mini";
    QTest::newRow("dated anthropic id") << "anthropic"
                                        << "claude-sonnet-4-5-20250929"
                                        << "anthropic/claude-sonnet-4-5";
    QTest::newRow("unlisted anthropic snapshot") << "anthropic"
                                                 << "claude-haiku-4-5-20991231"
                                                 << "anthropic/claude-haiku-4-5";
    QTest::newRow("short alias") << "anthropic"
                                 << "claude-sonnet-4-0"
                                 << "anthropic/claude-sonnet-4";
    QTest::newRow("case insensitive") << "anthropic"
                                      << "Claude-Opus-4-1"
                                      << "anthropic/claude-opus-4-1";
    QTest::newRow("openrouter prefix") << "openai"
                                       << "openai/gpt-4o"
                                       << "openai/gpt-4o";
    QTest::newRow("openrouter anthropic dotted") << "openai"
                                                 << "anthropic/claude-sonnet-4.5"
                                                 << "anthropic/claude-sonnet-4-5";
    QTest::newRow("openrouter google") << "openai"
                                       << "google/gemini-2.5-pro"
                                       << "google/gemini-2.5-pro";
    QTest::newRow("gemini compat bare") << "openai"
                                        << "gemini-2.5-flash"
                                        << "google/gemini-2.5-flash";
    QTest::newRow("mistral latest") << "openai"
                                    << "mistral-small-latest"
                                    << "mistral/mistral-small";
    QTest::newRow("mistralai prefix") << "openai"
                                      << "mistralai/codestral"
                                      << "mistral/codestral";
    QTest::newRow("deepseek") << "openai"
                              << "deepseek-reasoner"
                              << "deepseek/deepseek-reasoner";
    QTest::newRow("gpt-4.1 keeps its dot") << "openai"
                                           << "gpt-4.1-mini"
                                           << "openai/gpt-4.1-mini";
    QTest::newRow("ollama wildcard") << "ollama"
                                     << "qwen2.5:7b"
                                     << "ollama/*";
    QTest::newRow("anthropic kind does not see openai") << "anthropic"
                                                        << "gpt-4o"
                                                        << "";
    QTest::newRow("unknown prefix is not stripped") << "openai"
                                                    << "acme/gpt-4o"
                                                    << "";
    QTest::newRow("empty model") << "openai"
                                 << ""
                                 << "";
}

void TestPricing::resolution()
{
    QFETCH(QString, kind);
    QFETCH(QString, model);
    QFETCH(QString, key);
    QCOMPARE(PricingTable::builtIn().resolvedKey(kind, model), key);
}

void TestPricing::userOverrideBeatsBuiltIn()
{
    QTemporaryDir dir;
    const QString path = testsupport::writeFile(dir.path(), QStringLiteral("prices.json"), R"({
        "format": "agentstudio-pricing/1",
        "models": {
            "openai/gpt-4o": {"input": 1, "output": 2},
            "anthropic/claude-sonnet-4-5-20250929": {"input": 7, "output": 7},
            "openai/my-finetune": {"input": 3, "output": 4, "aliases": ["ft-alias"]}
        }
    })");
    PricingTable table = PricingTable::builtIn();
    const Result<void> r = table.loadFile(path);
    QVERIFY2(r.ok(), qPrintable(r.error()));

    // Replaces the built-in entry, and every dated snapshot resolving to it.
    QCOMPARE(
        *table.cost(QStringLiteral("openai"), QStringLiteral("gpt-4o"), usage(1'000'000, 1'000'000)), 3.0);
    QCOMPARE(
        *table.cost(QStringLiteral("openai"), QStringLiteral("gpt-4o-2024-08-06"), usage(1'000'000, 0)), 1.0);
    // An exact user entry beats a built-in alias of the same name...
    QCOMPARE(table.resolvedKey(QStringLiteral("anthropic"), QStringLiteral("claude-sonnet-4-5-20250929")),
        QStringLiteral("anthropic/claude-sonnet-4-5-20250929"));
    QCOMPARE(
        table.find(QStringLiteral("anthropic"), QStringLiteral("claude-sonnet-4-5-20250929"))->input, 7.0);
    // ...but leaves the short id on the built-in price.
    QCOMPARE(table.find(QStringLiteral("anthropic"), QStringLiteral("claude-sonnet-4-5"))->input, 3.0);
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("ft-alias"))->output, 4.0);
    // Untouched built-ins stay.
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("gpt-4o-mini"))->input, 0.15);
}

void TestPricing::badOverrideChangesNothing()
{
    QTemporaryDir dir;
    PricingTable table = PricingTable::builtIn();
    const int before = table.size();
    const QString bad = testsupport::writeFile(dir.path(), QStringLiteral("bad.json"),
        R"({"models": {"openai/gpt-4o": {"input": 1, "output": 2}, "openai/x": {"input": "cheap", "output": 1}}})");
    const Result<void> r = table.loadFile(bad);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(QStringLiteral("models.openai/x.input")), qPrintable(r.error()));
    QCOMPARE(table.size(), before);
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("gpt-4o"))->input, 2.5);

    const Result<void> missing = table.loadFile(dir.filePath(QStringLiteral("nope.json")));
    QVERIFY(!missing.ok());
    const QString notJson = testsupport::writeFile(dir.path(), QStringLiteral("x.json"), "{oops");
    QVERIFY(!table.loadFile(notJson).ok());
    const QString noVendor = testsupport::writeFile(
        dir.path(), QStringLiteral("y.json"), R"({"models": {"gpt-4o": {"input": 1, "output": 1}}})");
    QVERIFY(table.loadFile(noVendor).error().contains(QStringLiteral("vendor/model")));
}

void TestPricing::liteLlmImport()
{
    // The shape of LiteLLM's model_prices_and_context_window.json (USD per token).
    const QByteArray json = R"({
      "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of ..."},
      "gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                 "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
      "brand-new-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": "2e-06",
                          "litellm_provider": "openai", "mode": "chat"},
      "claude-sonnet-4-5-20250929": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                 "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
                 "litellm_provider": "anthropic"},
      "gemini/gemini-9-flash": {"input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07, "litellm_provider": "gemini"},
      "gemini-9-flash": {"input_cost_per_token": 5e-07, "output_cost_per_token": 5e-07, "litellm_provider": "vertex_ai-language-models"},
      "deepseek/deepseek-v9": {"input_cost_per_token": 2.8e-07, "output_cost_per_token": 4.2e-07, "litellm_provider": "deepseek"},
      "bedrock/anthropic.claude-x": {"input_cost_per_token": 1, "output_cost_per_token": 1, "litellm_provider": "bedrock"},
      "dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai", "mode": "image_generation"}
    })";
    PricingTable table;
    const Result<int> r = table.importLiteLlm(QJsonDocument::fromJson(json).object());
    QVERIFY(r.ok());
    QCOMPARE(r.value(),
        5); // gpt-4o, brand-new-model, claude, gemini/, deepseek (vertex dup, bedrock, images skipped)

    const auto gpt = table.find(QStringLiteral("openai"), QStringLiteral("gpt-4o-2024-11-20"));
    QVERIFY(gpt);
    QCOMPARE(gpt->input, 2.5);
    QCOMPARE(gpt->output, 10.0);
    QCOMPARE(*gpt->cachedInput, 1.25);
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("brand-new-model"))->output, 2.0);
    const auto claude = table.find(QStringLiteral("anthropic"), QStringLiteral("claude-sonnet-4-5-20250929"));
    QVERIFY(claude);
    QCOMPARE(*claude->cacheWrite, 3.75);
    QCOMPARE(*claude->cachedInput, 0.3);
    QCOMPARE(table.resolvedKey(QStringLiteral("openai"), QStringLiteral("gemini-9-flash")),
        QStringLiteral("google/gemini-9-flash"));
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("gemini-9-flash"))->input,
        0.1); // AI Studio row, not Vertex
    QCOMPARE(table.find(QStringLiteral("openai"), QStringLiteral("deepseek-v9"))->output, 0.42);
    QVERIFY(!table.find(QStringLiteral("openai"), QStringLiteral("dall-e-3")));

    // Imported on top of the built-ins, it wins like any later load.
    PricingTable both = PricingTable::builtIn();
    QVERIFY(both.importLiteLlm(QJsonDocument::fromJson(R"({"gpt-4o-mini": {"input_cost_per_token": 1e-06,
        "output_cost_per_token": 1e-06, "litellm_provider": "openai"}})")
                                   .object())
                .ok());
    QCOMPARE(both.find(QStringLiteral("openai"), QStringLiteral("gpt-4o-mini"))->input, 1.0);
    QVERIFY(!both.find(QStringLiteral("openai"), QStringLiteral("gpt-4o-mini"))->cachedInput.has_value());
}

void TestPricing::builtInCoversVendors()
{
    const PricingTable table = PricingTable::builtIn();
    const QList<QPair<const char *, const char *>> models = {
        { "openai", "gpt-4o" },
        { "openai", "gpt-4o-mini" },
        { "openai", "gpt-4.1" },
        { "openai", "gpt-4.1-nano" },
        { "openai", "o3" },
        { "openai", "o3-mini" },
        { "openai", "o4-mini" },
        { "openai", "gpt-5" },
        { "openai", "gpt-5-mini" },
        { "anthropic", "claude-sonnet-4-20250514" },
        { "anthropic", "claude-sonnet-4-5" },
        { "anthropic", "claude-3-5-haiku-20241022" },
        { "anthropic", "claude-haiku-4-5" },
        { "anthropic", "claude-opus-4-20250514" },
        { "anthropic", "claude-opus-4-1" },
        { "anthropic", "claude-opus-4-5" },
        { "openai", "gemini-2.0-flash" },
        { "openai", "gemini-2.5-flash" },
        { "openai", "gemini-2.5-pro" },
        { "openai", "mistral-large-latest" },
        { "openai", "mistral-small-latest" },
        { "openai", "codestral-latest" },
        { "openai", "deepseek-chat" },
        { "openai", "deepseek-reasoner" },
    };
    for (const auto &[kindText, modelText] : models) {
        const QString kind = QString::fromLatin1(kindText), model = QString::fromLatin1(modelText);
        const auto price = table.find(kind, model);
        QVERIFY2(price.has_value(), qPrintable(kind + u'/' + model));
        QVERIFY2(price->input > 0 && price->output > 0, qPrintable(model));
    }
}

QTEST_GUILESS_MAIN(TestPricing)
#include "tst_pricing.moc"
