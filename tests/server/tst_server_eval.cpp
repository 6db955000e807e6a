// What evaluation requests carry, over the real agentstudio-server (docs/eval-runs.md):
// execution_type test, agent_overrides, agent_spec; `providers` refused with a 400.
#include "tests/support/ServerFixture.h"

#include <QTest>

using namespace serverfixture;

// Request bodies, defined after the class (moc loses a class after a raw string literal).
QByteArray overrideBody();
QByteArray inlineAgentBody();
QByteArray providersBody();
QByteArray badProviderBody();
QByteArray badTypeBody();

class TestServerEval : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ServerProcess m_server;
    QNetworkAccessManager m_nam;

    QUrl api(const QString &path) const
    {
        QUrl u = m_server.url;
        u.setPath(path);
        return u;
    }
    HttpResult post(const QString &path, const QByteArray &body)
    {
        return http(m_nam, "POST", api(path), kAlphaToken, body);
    }
    // The finished execution (with steps), or {} when it did not finish in time.
    QJsonObject finished(const QString &id)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 30000) {
            const HttpResult r
                = http(m_nam, "GET", api(QStringLiteral("/api/executions/") + id), kAlphaToken);
            const QString s = r.json.value(QLatin1String("status")).toString();
            if (s == u"completed" || s == u"failed" || s == u"cancelled")
                return r.json;
            QTest::qWait(20);
        }
        return {};
    }
    static QString systemText(const QJsonObject &execution)
    {
        for (const QJsonValue &v : execution.value(QLatin1String("steps")).toArray()) {
            const QJsonObject s = v.toObject();
            if (s.value(QLatin1String("kind")).toString() == u"llm")
                return s.value(QLatin1String("input_data"))
                    .toObject()
                    .value(QLatin1String("messages"))
                    .toArray()
                    .first()
                    .toObject()
                    .value(QLatin1String("content"))
                    .toString();
        }
        return {};
    }
    QString echoInstructions()
    {
        const HttpResult w = http(m_nam, "GET", api(QStringLiteral("/api/workspace")), kAlphaToken);
        for (const QJsonValue &a : w.json.value(QLatin1String("agents")).toArray())
            if (a.toObject().value(QLatin1String("id")).toString() == u"echo")
                return a.toObject().value(QLatin1String("instructions")).toString();
        return {};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(m_server.start(m_dir.path(), {}, &error), qPrintable(error));
    }
    void cleanupTestCase() { QCOMPARE(m_server.terminate(), 0); }

    void overridesReachTheProviderAndTheRunIsATest()
    {
        const QString before = echoInstructions();
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"), overrideBody());
        QCOMPARE(r.status, 202);
        const QJsonObject e = finished(r.json.value(QLatin1String("execution_id")).toString());
        QCOMPARE(e.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(e.value(QLatin1String("execution_type")).toString(), QStringLiteral("test"));
        QCOMPARE(e.value(QLatin1String("output_data")).toObject().value(QLatin1String("reply")).toString(),
            QStringLiteral("arr"));
        QVERIFY2(systemText(e).startsWith(QStringLiteral("Speak like a pirate.")), qPrintable(systemText(e)));
        QCOMPARE(echoInstructions(), before);
    }

    void inlineAgentRuns()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/inline_judge/test"), inlineAgentBody());
        QCOMPARE(r.status, 202);
        const QJsonObject e = finished(r.json.value(QLatin1String("execution_id")).toString());
        QCOMPARE(e.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(e.value(QLatin1String("agent_id")).toString(), QStringLiteral("inline_judge"));
        QCOMPARE(
            e.value(QLatin1String("output_data")).toObject().value(QLatin1String("pass")).toBool(), true);
        // Without agent_spec the path's agent must exist.
        QCOMPARE(post(QStringLiteral("/api/agents/inline_judge/test"), "{\"inputs\":{}}").status, 404);
    }

    void providersAreRefused()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"), providersBody());
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString(),
            QStringLiteral("providers: a server runs only its own providers"));
    }

    void badOverrideNamesThePath()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"), badProviderBody());
        QCOMPARE(r.status, 422);
        QCOMPARE(r.json.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString(),
            QStringLiteral("agent_overrides.echo.model.provider: unknown provider 'x'"));
        const HttpResult t = post(QStringLiteral("/api/agents/echo/test"), badTypeBody());
        QCOMPARE(t.status, 400);
        QCOMPARE(t.json.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString(),
            QStringLiteral("execution_type: only 'test' may be asked for, got 'agent'"));
    }
};

QByteArray overrideBody()
{
    return R"({"inputs": {"text": "hello"}, "execution_type": "test",
        "agent_overrides": {"echo": {"instructions": "Speak like a pirate.", "model": {"replies": ["arr"]}}}})";
}
QByteArray inlineAgentBody()
{
    return R"({"inputs": {"q": "x"}, "execution_type": "test",
        "agent_spec": {"id": "inline_judge", "model": {"provider": "offline", "name": "scripted",
                       "replies": ["{\"pass\": true}"]},
                       "instructions": "Grade.",
                       "signature": {"inputs": [{"name": "q", "type": "str"}],
                                     "outputs": [{"name": "pass", "type": "bool"}]}}})";
}
QByteArray providersBody()
{
    return R"({"inputs": {"text": "x"}, "providers": [{"id": "p", "kind": "openai"}]})";
}
QByteArray badProviderBody()
{
    return R"({"inputs": {"text": "x"}, "agent_overrides": {"echo": {"model": {"provider": "x"}}}})";
}
QByteArray badTypeBody()
{
    return R"({"inputs": {"text": "x"}, "execution_type": "agent"})";
}

QTEST_GUILESS_MAIN(TestServerEval)
#include "tst_server_eval.moc"
