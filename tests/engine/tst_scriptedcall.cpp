#include "core/common/Util.h"
#include "core/model/Prompt.h"
#include "core/providers/LlmCall.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <memory>

Q_DECLARE_METATYPE(LlmResult)

// The scripted provider (docs/workspace-format.md) is what the examples and nearly every test run on:
// its default reply must fit any output signature, and its options must do what they say.
class TestScriptedCall : public QObject
{
    Q_OBJECT

private:
    static Signature signatureFrom(const QJsonArray &outputs)
    {
        Signature s;
        QStringList problems;
        for (int i = 0; i < outputs.size(); ++i) {
            auto f = FieldSpec::fromJson(outputs.at(i), QStringLiteral("outputs[%1]").arg(i), &problems);
            if (f)
                s.outputs.append(*f);
        }
        const auto in = FieldSpec::fromJson(QJsonObject{{QStringLiteral("name"), QStringLiteral("text")},
                                                        {QStringLiteral("type"), QStringLiteral("str")}},
                                            QStringLiteral("inputs[0]"), &problems);
        s.inputs.append(*in);
        return s;
    }

    static LlmRequest request(const Signature &sig, const QJsonObject &model = {})
    {
        LlmRequest r;
        r.provider.id = QStringLiteral("offline");
        r.provider.kind = QStringLiteral("scripted");
        r.model.provider = QStringLiteral("offline");
        r.model.name = QStringLiteral("scripted");
        r.model.raw = model;
        r.model.raw.insert(QStringLiteral("ttft_ms"), model.value(QLatin1String("ttft_ms")).toInt(0));
        r.model.raw.insert(QStringLiteral("tokens_per_second"), model.value(QLatin1String("tokens_per_second")).toDouble(0));
        r.signature = sig;
        r.messages = {ChatMessage{QStringLiteral("system"), QStringLiteral("Be brief.")},
                      ChatMessage{QStringLiteral("user"), QStringLiteral("text: Quarterly revenue of aardvark farms")}};
        return r;
    }

    // Runs a call to its end; returns the result and the concatenated chunks.
    static LlmResult run(const LlmRequest &r, QString *streamed = nullptr, int *chunks = nullptr)
    {
        QString err;
        LlmCall *call = createLlmCall(r, nullptr, nullptr, &err);
        if (!call)
            qFatal("no scripted call: %s", qPrintable(err));
        QString text;
        int n = 0;
        LlmResult result;
        bool done = false;
        QObject::connect(call, &LlmCall::chunk, call, [&](const QString &c, int) { text += c; ++n; });
        QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &res) { result = res; done = true; });
        call->start();
        if (!QTest::qWaitFor([&] { return done; }, 20000))
            qFatal("scripted call did not finish");
        delete call;
        if (streamed)
            *streamed = text;
        if (chunks)
            *chunks = n;
        return result;
    }

private slots:
    // The default reply parses into every kind of output signature, within min/max/choices.
    void defaultReplyFits_data()
    {
        QTest::addColumn<QByteArray>("outputs");
        QTest::newRow("single str (raw text)") << QByteArray(R"([{"name":"summary","type":"str"}])");
        QTest::newRow("str with max_length") << QByteArray(R"([{"name":"s","type":"str","max_length":12},{"name":"n","type":"int"}])");
        QTest::newRow("int in range") << QByteArray(R"([{"name":"score","type":"int","min":1,"max":5}])");
        QTest::newRow("int above 42") << QByteArray(R"([{"name":"year","type":"int","min":1990}])");
        QTest::newRow("int below 42") << QByteArray(R"([{"name":"small","type":"int","max":3}])");
        QTest::newRow("float in range") << QByteArray(R"([{"name":"confidence","type":"float","min":0,"max":1}])");
        QTest::newRow("bool") << QByteArray(R"([{"name":"ok","type":"bool"}])");
        QTest::newRow("enum") << QByteArray(R"([{"name":"verdict","type":"enum","choices":["accept","reject"]}])");
        QTest::newRow("lists") << QByteArray(R"([{"name":"tags","type":"list[str]"},{"name":"ns","type":"list[int]","min":5,"max":9},{"name":"fs","type":"list[float]","max":0.1}])");
        QTest::newRow("json") << QByteArray(R"([{"name":"facts","type":"json"}])");
        QTest::newRow("every type") << QByteArray(R"([{"name":"a","type":"str"},{"name":"b","type":"int"},{"name":"c","type":"float"},{"name":"d","type":"bool"},{"name":"e","type":"enum","choices":["x"]},{"name":"f","type":"list[str]"},{"name":"g","type":"list[int]"},{"name":"h","type":"list[float]"},{"name":"i","type":"json"}])");
    }
    void defaultReplyFits()
    {
        QFETCH(QByteArray, outputs);
        const Signature sig = signatureFrom(QJsonDocument::fromJson(outputs).array());
        QString streamed;
        const LlmResult r = run(request(sig), &streamed);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(streamed, r.text);
        const Result<QJsonObject> parsed = parseReply(sig, r.text);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error() + QStringLiteral(" in ") + r.text));
        QCOMPARE(parsed->size(), sig.outputs.size());
        QVERIFY(r.usage.estimated);
        QVERIFY(r.usage.inputTokens > 0);
        QVERIFY(r.usage.outputTokens > 0);
    }

    // Same request, same reply; words of the inputs appear in it (history search finds them).
    void deterministic()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        const LlmResult a = run(request(sig));
        const LlmResult b = run(request(sig));
        QCOMPARE(a.text, b.text);
        QVERIFY2(a.text.contains(QLatin1String("aardvark")), qPrintable(a.text));
    }

    void repliesCycle()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        const QJsonObject model{{QStringLiteral("replies"), QJsonArray{QStringLiteral("one two"), QStringLiteral("three")}},
                                {QStringLiteral("tag"), QStringLiteral("repliesCycle")}};
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("one two"));
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("three"));
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("one two"));
    }

    void providerDefaultsUnderModel()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        LlmRequest r = request(sig, QJsonObject{{QStringLiteral("tag"), QStringLiteral("defaults")}});
        r.provider.raw = QJsonObject{{QStringLiteral("replies"), QJsonArray{QStringLiteral("from provider")}}};
        QCOMPARE(run(r).text, QStringLiteral("from provider"));
        r.model.raw.insert(QStringLiteral("replies"), QJsonArray{QStringLiteral("from model")});
        QCOMPARE(run(r).text, QStringLiteral("from model"));
    }

    void failWith()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        const LlmResult r = run(request(sig, QJsonObject{{QStringLiteral("fail_with"), QStringLiteral("quota exceeded")}}));
        QVERIFY(!r.ok);
        QVERIFY(!r.cancelled);
        QCOMPARE(r.error, QStringLiteral("scripted: quota exceeded"));
        QVERIFY(r.text.isEmpty());

        int chunks = 0;
        const LlmResult late = run(request(sig, QJsonObject{{QStringLiteral("fail_with"), QStringLiteral("cut")},
                                                             {QStringLiteral("fail_after_tokens"), 3}}),
                                   nullptr, &chunks);
        QVERIFY(!late.ok);
        QCOMPARE(chunks, 3);
        QVERIFY(!late.text.isEmpty());
    }

    // fail_attempts: retryable failures are reported one by one, then the call proceeds.
    void attemptsFail()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        LlmRequest r = request(sig, QJsonObject{{QStringLiteral("fail_attempts"), 2}});
        QString err;
        std::unique_ptr<LlmCall> call(createLlmCall(r, nullptr, nullptr, &err));
        QSignalSpy attempts(call.get(), &LlmCall::attemptFailed);
        QSignalSpy finished(call.get(), &LlmCall::finished);
        call->start();
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(attempts.size(), 2);
        QCOMPARE(attempts.at(0).at(0).toInt(), 1);
        QCOMPARE(attempts.at(1).at(0).toInt(), 2);
        QVERIFY(finished.at(0).at(0).value<LlmResult>().ok);
    }

    // Pieces are token-sized, in order, and add up to the reply; reply_tokens sets its length.
    void streamsTokenPieces()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        QString streamed;
        int chunks = 0;
        const LlmResult r = run(request(sig, QJsonObject{{QStringLiteral("reply_tokens"), 5000}}), &streamed, &chunks);
        QVERIFY(r.ok);
        QCOMPARE(streamed, r.text);
        QVERIFY2(chunks >= 4000 && chunks <= 8000, qPrintable(QString::number(chunks)));
        QVERIFY(r.text.size() <= 4 * chunks);
    }

    // Cancel stops at once with the text so far.
    void cancelKeepsPartial()
    {
        const Signature sig = signatureFrom(QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("out")},
                                                                   {QStringLiteral("type"), QStringLiteral("str")}}});
        LlmRequest r = request(sig, QJsonObject{{QStringLiteral("tokens_per_second"), 200},
                                                {QStringLiteral("reply_tokens"), 1000}});
        QString err;
        std::unique_ptr<LlmCall> call(createLlmCall(r, nullptr, nullptr, &err));
        QString text;
        connect(call.get(), &LlmCall::chunk, this, [&](const QString &c, int) { text += c; });
        QSignalSpy finished(call.get(), &LlmCall::finished);
        call->start();
        QTRY_VERIFY(text.size() >= 12);
        call->cancel();
        QCOMPARE(finished.size(), 1);
        const LlmResult res = finished.at(0).at(0).value<LlmResult>();
        QVERIFY(res.cancelled);
        QVERIFY(!res.ok);
        QCOMPARE(res.text, text);
        QVERIFY(res.text.size() < 4000);
        call->cancel();   // a second cancel does nothing
        QCOMPARE(finished.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestScriptedCall)
#include "tst_scriptedcall.moc"
