#include "ui/testpanel/VariantSpec.h"

#include <QJsonDocument>
#include <QTest>

namespace {
const char kWorkspace[] = R"({
  "format": "agentstudio/1", "workspace_id": "variants",
  "providers": {"alpha": {"kind": "scripted"}, "beta": {"kind": "scripted"}},
  "agents": [
    {"id": "critic", "model": {"provider": "alpha", "name": "scripted", "temperature": 0.7, "tokens_per_second": 0},
     "instructions": "Judge the draft.",
     "signature": {"inputs": [{"name": "draft", "type": "str"}], "outputs": [{"name": "verdict", "type": "str"}]}},
    {"id": "writer", "model": {"provider": "alpha", "name": "scripted"}, "instructions": "Write.",
     "signature": {"inputs": [{"name": "topic", "type": "str"}], "outputs": [{"name": "text", "type": "str"}]}}
  ]
})";

Workspace workspace()
{
    Result<Workspace> ws = Workspace::fromJson(QByteArray(kWorkspace));
    Q_ASSERT_X(ws.ok(), "workspace", ws.ok() ? "" : qPrintable(ws.error()));
    return ws.value();
}

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}
} // namespace

// A variant turns into the request's agent_overrides (only what differs from the agent), and
// into the agent when it is kept (validated, other agents untouched).
class TestVariantSpec : public QObject
{
    Q_OBJECT

private slots:
    void fromAgentIsTheAgentAsItIs()
    {
        const Workspace ws = workspace();
        const VariantSpec v
            = VariantSpec::fromAgent(*ws.agent(QStringLiteral("critic")), QStringLiteral("as is"));
        QCOMPARE(v.name, QStringLiteral("as is"));
        QCOMPARE(v.instructions, QStringLiteral("Judge the draft."));
        QCOMPARE(v.provider, QStringLiteral("alpha"));
        QCOMPARE(v.model, QStringLiteral("scripted"));
        QCOMPARE(v.temperature, std::optional<double>(0.7));
        QCOMPARE(v.maxTokens, std::optional<int>());
        QCOMPARE(v.overridesFor(*ws.agent(QStringLiteral("critic"))), QJsonObject());
    }

    void overrides_data()
    {
        QTest::addColumn<QString>("instructions");
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("model");
        QTest::addColumn<double>("temperature"); // < 0: unset
        QTest::addColumn<int>("maxTokens"); // 0: unset
        QTest::addColumn<QJsonObject>("expected");
        QTest::newRow("as is") << "Judge the draft."
                               << "alpha"
                               << "scripted" << 0.7 << 0 << QJsonObject();
        QTest::newRow("unset temperature inherits") << "Judge the draft."
                                                    << "alpha"
                                                    << "scripted" << -1.0 << 0 << QJsonObject();
        QTest::newRow("instructions only")
            << "Be strict."
            << "alpha"
            << "scripted" << 0.7 << 0 << json(R"({"critic": {"instructions": "Be strict."}})");
        QTest::newRow("other provider")
            << "Judge the draft."
            << "beta"
            << "scripted" << 0.7 << 0
            << json(R"({"critic": {"model": {"provider": "beta", "name": "scripted", "temperature": 0.7}}})");
        QTest::newRow("other model name")
            << "Judge the draft."
            << "alpha"
            << "other" << -1.0 << 0
            << json(R"({"critic": {"model": {"provider": "alpha", "name": "other"}}})");
        QTest::newRow("temperature and max tokens")
            << "Judge the draft."
            << "alpha"
            << "scripted" << 0.2 << 300
            << json(
                   R"({"critic": {"model": {"provider": "alpha", "name": "scripted", "temperature": 0.2, "max_tokens": 300}}})");
        QTest::newRow("everything")
            << "New."
            << "beta"
            << "m2" << 1.0 << 64
            << json(
                   R"({"critic": {"instructions": "New.", "model": {"provider": "beta", "name": "m2", "temperature": 1, "max_tokens": 64}}})");
    }
    void overrides()
    {
        QFETCH(QString, instructions);
        QFETCH(QString, provider);
        QFETCH(QString, model);
        QFETCH(double, temperature);
        QFETCH(int, maxTokens);
        QFETCH(QJsonObject, expected);
        VariantSpec v { QStringLiteral("v"), instructions, provider, model, {}, {} };
        if (temperature >= 0)
            v.temperature = temperature;
        if (maxTokens > 0)
            v.maxTokens = maxTokens;
        QCOMPARE(v.overridesFor(*workspace().agent(QStringLiteral("critic"))), expected);
    }

    // Kept: the agent's instructions and model settings change, its other model keys (scripted
    // options) stay, the other agent is as it was.
    void keptInChangesOnlyThatAgent()
    {
        const Workspace ws = workspace();
        VariantSpec v = VariantSpec::fromAgent(*ws.agent(QStringLiteral("critic")), QStringLiteral("b"));
        v.instructions = QStringLiteral("Be strict.");
        v.provider = QStringLiteral("beta");
        v.maxTokens = 128;
        Result<Workspace> kept = v.keptIn(ws, QStringLiteral("critic"));
        QVERIFY2(kept.ok(), qPrintable(kept.error()));
        const QJsonArray before = ws.toJson().value(QStringLiteral("agents")).toArray();
        const QJsonArray after = kept->toJson().value(QStringLiteral("agents")).toArray();
        QCOMPARE(after.at(1), before.at(1));
        const QJsonObject critic = after.at(0).toObject();
        QCOMPARE(critic.value(QStringLiteral("instructions")).toString(), QStringLiteral("Be strict."));
        QCOMPARE(critic.value(QStringLiteral("model")).toObject(),
            json(
                R"({"provider": "beta", "name": "scripted", "temperature": 0.7, "max_tokens": 128, "tokens_per_second": 0})"));
        QCOMPARE(critic.value(QStringLiteral("signature")),
            before.at(0).toObject().value(QStringLiteral("signature")));
    }

    void keptInRefuses_data()
    {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown agent") << "ghost"
                                       << "alpha"
                                       << "agent ghost: not in the workspace";
        QTest::newRow("unknown provider") << "critic"
                                          << "gamma"
                                          << "agents[0].model.provider: unknown provider";
    }
    void keptInRefuses()
    {
        QFETCH(QString, agent);
        QFETCH(QString, provider);
        QFETCH(QString, message);
        const Workspace ws = workspace();
        VariantSpec v = VariantSpec::fromAgent(*ws.agent(QStringLiteral("critic")), QStringLiteral("b"));
        v.provider = provider;
        Result<Workspace> kept = v.keptIn(ws, agent);
        QVERIFY(!kept.ok());
        QVERIFY2(kept.error().startsWith(message), qPrintable(kept.error()));
    }
};

QTEST_MAIN(TestVariantSpec)
#include "tst_variantspec.moc"
