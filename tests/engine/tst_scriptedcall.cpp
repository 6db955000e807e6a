#include "core/common/Util.h"
#include "core/model/Prompt.h"
#include "core/providers/LlmCall.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
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
        const auto in = FieldSpec::fromJson(QJsonObject { { QStringLiteral("name"), QStringLiteral("text") },
                                                { QStringLiteral("type"), QStringLiteral("str") } },
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
        r.model.raw.insert(
            QStringLiteral("tokens_per_second"), model.value(QLatin1String("tokens_per_second")).toDouble(0));
        r.signature = sig;
        r.messages = { ChatMessage { QStringLiteral("system"), QStringLiteral("Be brief.") },
            ChatMessage {
                QStringLiteral("user"), QStringLiteral("text: Quarterly revenue of aardvark farms") } };
        return r;
    }

    // A request whose inputs are `inputs` (name -> value, all str fields unless listed in
    // `fields`), with the user message the engine would send for them.
    static LlmRequest requestWithInputs(
        const QJsonArray &outputs, const QJsonObject &inputs, const QJsonArray &fields = {})
    {
        AgentSpec agent;
        agent.id = QStringLiteral("a");
        agent.instructions = QStringLiteral("Be useful.");
        QStringList problems;
        for (int i = 0; i < outputs.size(); ++i)
            if (auto f = FieldSpec::fromJson(outputs.at(i), QStringLiteral("outputs[%1]").arg(i), &problems))
                agent.signature.outputs.append(*f);
        QJsonArray in = fields;
        for (auto it = inputs.begin(); it != inputs.end(); ++it) {
            bool listed = false;
            for (const QJsonValue &f : fields)
                listed = listed || f.toObject().value(QLatin1String("name")).toString() == it.key();
            if (!listed)
                in.append(QJsonObject { { QStringLiteral("name"), it.key() },
                    { QStringLiteral("type"), QStringLiteral("str") } });
        }
        for (int i = 0; i < in.size(); ++i)
            if (auto f = FieldSpec::fromJson(in.at(i), QStringLiteral("inputs[%1]").arg(i), &problems))
                agent.signature.inputs.append(*f);
        if (!problems.isEmpty())
            qFatal("bad test signature: %s", qPrintable(problems.join(QLatin1Char('\n'))));
        LlmRequest r = request(agent.signature);
        r.messages = buildPrompt(agent, inputs);
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
        QObject::connect(call, &LlmCall::chunk, call, [&](const QString &c, int) {
            text += c;
            ++n;
        });
        QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &res) {
            result = res;
            done = true;
        });
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
        QTest::newRow("str with max_length")
            << QByteArray(R"([{"name":"s","type":"str","max_length":12},{"name":"n","type":"int"}])");
        QTest::newRow("int in range") << QByteArray(R"([{"name":"score","type":"int","min":1,"max":5}])");
        QTest::newRow("int above 42") << QByteArray(R"([{"name":"year","type":"int","min":1990}])");
        QTest::newRow("int below 42") << QByteArray(R"([{"name":"small","type":"int","max":3}])");
        QTest::newRow("float in range")
            << QByteArray(R"([{"name":"confidence","type":"float","min":0,"max":1}])");
        QTest::newRow("bool") << QByteArray(R"([{"name":"ok","type":"bool"}])");
        QTest::newRow("enum") << QByteArray(
            R"([{"name":"verdict","type":"enum","choices":["accept","reject"]}])");
        QTest::newRow("lists") << QByteArray(
            R"([{"name":"tags","type":"list[str]"},{"name":"ns","type":"list[int]","min":5,"max":9},{"name":"fs","type":"list[float]","max":0.1}])");
        QTest::newRow("json") << QByteArray(R"([{"name":"facts","type":"json"}])");
        QTest::newRow("every type") << QByteArray(
            R"([{"name":"a","type":"str"},{"name":"b","type":"int"},{"name":"c","type":"float"},{"name":"d","type":"bool"},{"name":"e","type":"enum","choices":["x"]},{"name":"f","type":"list[str]"},{"name":"g","type":"list[int]"},{"name":"h","type":"list[float]"},{"name":"i","type":"json"}])");
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

    // The default answers read like answers to the inputs, built from the output fields' names
    // and descriptions, not like a salad of input words: every str value is a sentence or two
    // about the subject, every list[str] item a short phrase of its own words, enums pick a
    // choice (the one the inputs name, when they name one), numbers sit inside min/max.
    void readsLikeAnAnswer_data()
    {
        QTest::addColumn<QByteArray>("outputs");
        QTest::addColumn<QByteArray>("inputs");
        QTest::addColumn<QByteArray>("inputFields");
        QTest::addColumn<QString>("subject"); // expected in every str value ("" = none)
        QTest::addColumn<QStringList>("expected"); // substrings of the reply
        QTest::newRow("critic")
            << QByteArray(R"([{"name":"verdict","type":"enum","choices":["approve","revise","reject"]},
                              {"name":"score","type":"int","min":0,"max":10},
                              {"name":"issues","type":"list[str]","desc":"Concrete problems, one per item"},
                              {"name":"confidence","type":"float","min":0,"max":1}])")
            << QByteArray(
                   "{\"draft\":\"## Heat pumps in cold climates\\n\\nThey work down to -25 \u00b0C.\"}")
            << QByteArray(R"([{"name":"draft","type":"str","multiline":true}])")
            << QStringLiteral("Heat pumps in cold climates") << QStringList {};
        QTest::newRow("trends with growth in percent")
            << QByteArray(
                   R"([{"name":"trends","type":"list[str]","desc":"The main trends, most important first"},
                              {"name":"growth_rates","type":"list[float]","desc":"Estimated yearly growth in percent"},
                              {"name":"confidence","type":"float","min":0,"max":1}])")
            << QByteArray(R"({"topic":"Residential battery storage","horizon_years":5})")
            << QByteArray(R"([{"name":"horizon_years","type":"int"}])")
            << QStringLiteral("Residential battery storage") << QStringList {};
        QTest::newRow("raw text summary")
            << QByteArray(R"([{"name":"summary","type":"str","desc":"The summary"}])")
            << QByteArray(R"({"text":"Quarterly revenue of aardvark farms"})") << QByteArray("[]")
            << QStringLiteral("Quarterly revenue of aardvark farms") << QStringList {};
        QTest::newRow("markdown brief")
            << QByteArray(
                   R"([{"name":"text","type":"str","desc":"The brief, in Markdown","multiline":true}])")
            << QByteArray(R"({"topic":"Heat pumps in cold climates","audience":"executive"})")
            << QByteArray("[]") << QStringLiteral("Heat pumps in cold climates")
            << QStringList { QStringLiteral("## Heat pumps in cold climates\n\n"), QStringLiteral("\n- ") };
        QTest::newRow("recommendation and a scorecard like its description")
            << QByteArray("[{\"name\":\"recommendation\",\"type\":\"str\",\"desc\":\"What to do and why\"},"
                          "{\"name\":\"scorecard\",\"type\":\"json\","
                          "\"desc\":\"An object such as {\\\"opportunity\\\": 7, \\\"risk\\\": 4}\"}]")
            << QByteArray(R"({"topic":"Small modular nuclear reactors"})") << QByteArray("[]")
            << QStringLiteral("small modular nuclear reactors")
            << QStringList { QStringLiteral("\"opportunity\":"), QStringLiteral("\"risk\":") };
        QTest::newRow("ticket: tags from the known ones it mentions, facts with its order id")
            << QByteArray(R"([{"name":"category","type":"enum","choices":["billing","technical","shipping"]},
                              {"name":"tags","type":"list[str]"},{"name":"needs_human","type":"bool"},
                              {"name":"facts","type":"json","desc":"Structured facts found in the ticket"}])")
            << QByteArray(
                   "{\"ticket\":\"Hi, I was charged twice for order #A-1042.\\nPlease refund one of them.\","
                   "\"known_tags\":[\"billing\",\"login\",\"refund\"]}")
            << QByteArray(
                   R"([{"name":"ticket","type":"str","multiline":true},{"name":"known_tags","type":"list[str]"}])")
            << QString()
            << QStringList { QStringLiteral("\"tags\":[\"refund\"]"), QStringLiteral("#A-1042") };
        QTest::newRow("enum named by the inputs")
            << QByteArray(
                   R"([{"name":"reading_level","type":"enum","choices":["general","technical","executive"]},
                              {"name":"note","type":"str"}])")
            << QByteArray(R"({"topic":"Vector databases","audience":"executive"})") << QByteArray("[]")
            << QStringLiteral("vector databases")
            << QStringList { QStringLiteral("\"reading_level\":\"executive\"") };
        QTest::newRow("a list named like nothing known uses its own name")
            << QByteArray(
                   R"([{"name":"highlights","type":"list[str]"},{"name":"year","type":"int","min":1990}])")
            << QByteArray(R"({"topic":"Solar roofs"})") << QByteArray("[]") << QString()
            << QStringList { QStringLiteral("Highlight on") };
        QTest::newRow("no inputs at all")
            << QByteArray(R"([{"name":"answer","type":"str"},{"name":"risks","type":"list[str]"}])")
            << QByteArray("{}") << QByteArray("[]") << QStringLiteral("this request") << QStringList {};
    }
    void readsLikeAnAnswer()
    {
        QFETCH(QByteArray, outputs);
        QFETCH(QByteArray, inputs);
        QFETCH(QByteArray, inputFields);
        QFETCH(QString, subject);
        QFETCH(QStringList, expected);
        const QJsonArray outs = QJsonDocument::fromJson(outputs).array();
        const QJsonObject in = QJsonDocument::fromJson(inputs).object();
        QVERIFY(!outs.isEmpty());
        QVERIFY(QJsonDocument::fromJson(inputs).isObject());
        const LlmRequest req = requestWithInputs(outs, in, QJsonDocument::fromJson(inputFields).array());
        const LlmResult r = run(req);
        QVERIFY2(r.ok, qPrintable(r.error));
        const QString text = r.text;
        QVERIFY2(!text.contains(QLatin1String("cripted")) && !text.contains(QLatin1String("reply about")),
            qPrintable(text));
        for (const QString &e : std::as_const(expected))
            QVERIFY2(text.contains(e), qPrintable(e + QStringLiteral(" not in ") + text));
        const Result<QJsonObject> parsed = parseReply(req.signature, text);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error() + QStringLiteral(" in ") + text));

        QString userText;
        for (const ChatMessage &m : req.messages)
            if (m.role == QLatin1String("user"))
                userText += m.content.toLower();
        static const QRegularExpression wordRe(QStringLiteral("[\\p{L}][\\p{L}'-]*"));
        auto words = [](const QString &s) {
            QStringList out;
            for (auto it = wordRe.globalMatch(s); it.hasNext();)
                out << it.next().captured();
            return out;
        };
        for (const FieldSpec &f : req.signature.outputs) {
            const QJsonValue v = parsed->value(f.name);
            const QByteArray what = (f.name + QStringLiteral(": ") + as::compactJson(v)).toUtf8();
            if (f.type == FieldType::Str) {
                const QString s = v.toString();
                // A sentence or two: words, a capital (or a Markdown heading) first, a full stop.
                QVERIFY2(words(s).size() >= 5, what.constData());
                QVERIFY2(s.front().isUpper() || s.startsWith(QLatin1Char('#')), what.constData());
                QVERIFY2(s.trimmed().endsWith(QLatin1Char('.')) || s.trimmed().endsWith(QLatin1Char('?')),
                    what.constData());
                if (!subject.isEmpty())
                    QVERIFY2(s.contains(subject, Qt::CaseInsensitive), what.constData());
            } else if (f.type == FieldType::ListStr && f.name != QLatin1String("tags")) {
                const QJsonArray items = v.toArray();
                QVERIFY2(items.size() >= 2 && items.size() <= 5, what.constData());
                for (const QJsonValue &item : items) {
                    // A short phrase of its own, not one word lifted from the inputs.
                    const QStringList w = words(item.toString());
                    QVERIFY2(w.size() >= 2 && w.size() <= 12, what.constData());
                    QVERIFY2(item.toString().front().isUpper(), what.constData());
                    bool ownWord = false;
                    for (const QString &x : w)
                        ownWord = ownWord || !userText.contains(x.toLower());
                    QVERIFY2(ownWord, what.constData());
                }
                QStringList distinct;
                for (const QJsonValue &item : items)
                    distinct << item.toString();
                distinct.removeDuplicates();
                QCOMPARE(distinct.size(), items.size());
            } else if (f.type == FieldType::Json) {
                QVERIFY2(v.isObject() && !v.toObject().isEmpty(), what.constData());
            }
        }
    }

    // A field's description steers what its phrases are about when its name says nothing.
    void descriptionSteersPhrases()
    {
        auto items = [this](const char *desc) {
            const QJsonArray outs { QJsonObject { { QStringLiteral("name"), QStringLiteral("points") },
                { QStringLiteral("type"), QStringLiteral("list[str]") },
                { QStringLiteral("desc"), QString::fromLatin1(desc) } } };
            const LlmRequest req = requestWithInputs(
                outs, QJsonObject { { QStringLiteral("topic"), QStringLiteral("Solar roofs") } });
            return parseReply(req.signature, run(req).text)->value(QLatin1String("points")).toArray();
        };
        const QJsonArray risks = items("Risks that could stop the project");
        const QJsonArray trends = items("Trends worth following");
        const QJsonArray plain = items("");
        QCOMPARE(risks.size(), 3);
        QVERIFY(risks != trends);
        QVERIFY(risks != plain);
        QVERIFY(trends != plain);
        for (const QJsonValue &v : plain)
            QVERIFY2(v.toString().startsWith(QLatin1String("Point on")), qPrintable(v.toString()));
    }

    // Same inputs, same reply, for every output type and across processes (the choices come
    // from a stable hash, not qHash's per-process seed): a pinned reply proves the latter.
    // Other inputs give another reply.
    void deterministicForEveryType()
    {
        const QJsonArray outs
            = QJsonDocument::fromJson(R"([{"name":"a","type":"str"},{"name":"b","type":"int","min":1,"max":9},
            {"name":"c","type":"float"},{"name":"d","type":"bool"},{"name":"e","type":"enum","choices":["x","y"]},
            {"name":"f","type":"list[str]"},{"name":"g","type":"list[int]"},{"name":"h","type":"list[float]"},
            {"name":"i","type":"json"}])")
                  .array();
        const QJsonObject heat { { QStringLiteral("topic"), QStringLiteral("Heat pumps") } };
        const QString first = run(requestWithInputs(outs, heat)).text;
        QCOMPARE(run(requestWithInputs(outs, heat)).text, first);
        QVERIFY(run(requestWithInputs(
                        outs, QJsonObject { { QStringLiteral("topic"), QStringLiteral("Wind farms") } }))
                    .text
            != first);
        const QJsonArray score = QJsonDocument::fromJson(R"([{"name":"score","type":"int","min":0,"max":10},
            {"name":"verdict","type":"enum","choices":["approve","revise","reject"]}])")
                                     .array();
        QCOMPARE(
            run(requestWithInputs(score, heat)).text, QStringLiteral(R"({"score":6,"verdict":"revise"})"));
    }

    // Same request, same reply; words of the inputs appear in it (history search finds them).
    void deterministic()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        const LlmResult a = run(request(sig));
        const LlmResult b = run(request(sig));
        QCOMPARE(a.text, b.text);
        QVERIFY2(a.text.contains(QLatin1String("aardvark")), qPrintable(a.text));
    }

    void repliesCycle()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        const QJsonObject model { { QStringLiteral("replies"),
                                      QJsonArray { QStringLiteral("one two"), QStringLiteral("three") } },
            { QStringLiteral("tag"), QStringLiteral("repliesCycle") } };
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("one two"));
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("three"));
        QCOMPARE(run(request(sig, model)).text, QStringLiteral("one two"));
    }

    void providerDefaultsUnderModel()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        LlmRequest r = request(sig, QJsonObject { { QStringLiteral("tag"), QStringLiteral("defaults") } });
        r.provider.raw
            = QJsonObject { { QStringLiteral("replies"), QJsonArray { QStringLiteral("from provider") } } };
        QCOMPARE(run(r).text, QStringLiteral("from provider"));
        r.model.raw.insert(QStringLiteral("replies"), QJsonArray { QStringLiteral("from model") });
        QCOMPARE(run(r).text, QStringLiteral("from model"));
    }

    void failWith()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        const LlmResult r = run(
            request(sig, QJsonObject { { QStringLiteral("fail_with"), QStringLiteral("quota exceeded") } }));
        QVERIFY(!r.ok);
        QVERIFY(!r.cancelled);
        QCOMPARE(r.error, QStringLiteral("scripted: quota exceeded"));
        QVERIFY(r.text.isEmpty());

        int chunks = 0;
        const LlmResult late = run(request(sig,
                                       QJsonObject { { QStringLiteral("fail_with"), QStringLiteral("cut") },
                                           { QStringLiteral("fail_after_tokens"), 3 } }),
            nullptr, &chunks);
        QVERIFY(!late.ok);
        QCOMPARE(chunks, 3);
        QVERIFY(!late.text.isEmpty());
    }

    // fail_attempts: retryable failures are reported one by one, then the call proceeds.
    void attemptsFail()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        LlmRequest r = request(sig, QJsonObject { { QStringLiteral("fail_attempts"), 2 } });
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
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        QString streamed;
        int chunks = 0;
        const LlmResult r
            = run(request(sig, QJsonObject { { QStringLiteral("reply_tokens"), 5000 } }), &streamed, &chunks);
        QVERIFY(r.ok);
        QCOMPARE(streamed, r.text);
        QVERIFY2(chunks >= 4000 && chunks <= 8000, qPrintable(QString::number(chunks)));
        QVERIFY(r.text.size() <= 4 * chunks);
    }

    // Cancel stops at once with the text so far.
    void cancelKeepsPartial()
    {
        const Signature sig
            = signatureFrom(QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("out") },
                { QStringLiteral("type"), QStringLiteral("str") } } });
        LlmRequest r = request(sig,
            QJsonObject {
                { QStringLiteral("tokens_per_second"), 200 }, { QStringLiteral("reply_tokens"), 1000 } });
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
        call->cancel(); // a second cancel does nothing
        QCOMPARE(finished.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestScriptedCall)
#include "tst_scriptedcall.moc"
