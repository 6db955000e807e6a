#include "core/store/ExecutionStore.h"
#include "tests/support/ScriptedHttpServer.h"
#include "tests/support/ServerFixture.h"
#include "tests/support/TestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <memory>

using namespace Qt::StringLiterals;

// `agentstudio-run eval` as CI runs it: the built binary as a process, its stdout (the report),
// stderr (progress, problems) and exit code (docs/runner-eval.md: 0 all passed, 1 a case failed
// or errored, 2 bad arguments or invalid dataset, 3 provider or server unreachable). Providers
// are the scripted one (offline) and an OpenAI-compatible ScriptedHttpServer on loopback; the
// remote case starts the real agentstudio-server.
class TestRunnerEvalE2E : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void allPassExitsZero();
    void failingCaseExitsOne();
    void badArguments_data();
    void badArguments();
    void invalidDatasetListsEveryProblemWithItsPath();
    void unreachableProviderExitsThree();
    void junitParsesBack();
    void jsonlOneLinePerResult();
    void cacheWriteThenReadWithoutNetwork();
    void cacheReadMissFailsTheCase();
    void baselineLatestShowsNewlyFailingAndPassing();
    void remoteServer();
    void killedMidRunIsInterrupted();

private:
    testsupport::ProcessResult eval(
        const QStringList &args, testsupport::Wait wait = testsupport::Wait::Blocking);
    QString write(const QString &name, const QJsonObject &o);
    // A workspace: agent "echo" (in: str -> out: str) on the scripted provider replying "hello
    // world"; agent "cloud" the same on an OpenAI-compatible provider at `baseUrl` (when given).
    QString workspace(const QString &name, const QString &baseUrl = {});
    // A dataset on `agent`: case "greets" must contain `greetsWants`, "says-goodbye" `byeWants`.
    QJsonObject dataset(const QString &agent, const QString &greetsWants = u"hello"_s,
        const QString &byeWants = u"goodbye"_s) const;
    static QJsonObject parseJson(const testsupport::ProcessResult &r);

    QTemporaryDir m_dir;
    QString m_ws;
};

testsupport::ProcessResult TestRunnerEvalE2E::eval(const QStringList &args, testsupport::Wait wait)
{
    return testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s),
        QStringList { u"eval"_s } + args, 120000,
        { u"HOME="_s + m_dir.path(), u"XDG_DATA_HOME="_s + m_dir.filePath(u"xdg"_s) }, wait);
}

QString TestRunnerEvalE2E::write(const QString &name, const QJsonObject &o)
{
    return testsupport::writeFile(m_dir.path(), name, QJsonDocument(o).toJson());
}

QString TestRunnerEvalE2E::workspace(const QString &name, const QString &baseUrl)
{
    const QJsonObject signature {
        { u"inputs"_s, QJsonArray { QJsonObject { { u"name"_s, u"in"_s }, { u"type"_s, u"str"_s } } } },
        { u"outputs"_s, QJsonArray { QJsonObject { { u"name"_s, u"out"_s }, { u"type"_s, u"str"_s } } } }
    };
    auto agent = [&](const QString &id, const QJsonObject &model) {
        return QJsonObject { { u"id"_s, id }, { u"name"_s, id }, { u"version"_s, u"1"_s },
            { u"model"_s, model }, { u"instructions"_s, u"Answer."_s }, { u"signature"_s, signature } };
    };
    QJsonObject providers { { u"offline"_s,
        QJsonObject { { u"kind"_s, u"scripted"_s }, { u"tokens_per_second"_s, 0 }, { u"ttft_ms"_s, 0 } } } };
    QJsonArray agents { agent(u"echo"_s,
        QJsonObject { { u"provider"_s, u"offline"_s }, { u"name"_s, u"scripted"_s },
            { u"replies"_s, QJsonArray { u"hello world"_s } } }) };
    if (!baseUrl.isEmpty()) {
        providers.insert(u"loop"_s, QJsonObject { { u"kind"_s, u"openai"_s }, { u"base_url"_s, baseUrl } });
        agents.append(
            agent(u"cloud"_s, QJsonObject { { u"provider"_s, u"loop"_s }, { u"name"_s, u"gpt-test"_s } }));
    }
    return write(name,
        QJsonObject { { u"format"_s, u"agentstudio/1"_s }, { u"organization_id"_s, u"e2e-org"_s },
            { u"workspace_id"_s, u"e2e-ws"_s }, { u"providers"_s, providers }, { u"agents"_s, agents } });
}

QJsonObject TestRunnerEvalE2E::dataset(
    const QString &agent, const QString &greetsWants, const QString &byeWants) const
{
    auto testCase = [](const QString &id, const QString &in, const QString &wants) {
        return QJsonObject { { u"id"_s, id }, { u"inputs"_s, QJsonObject { { u"in"_s, in } } },
            { u"assert"_s,
                QJsonArray { QJsonObject { { u"type"_s, u"contains"_s }, { u"value"_s, wants } } } } };
    };
    return QJsonObject { { u"format"_s, u"agentstudio-eval/1"_s }, { u"name"_s, u"e2e checks"_s },
        { u"target"_s, QJsonObject { { u"agent"_s, agent } } },
        { u"cases"_s,
            QJsonArray { testCase(u"greets"_s, u"hi"_s, greetsWants),
                testCase(u"says-goodbye"_s, u"bye"_s, byeWants) } } };
}

QJsonObject TestRunnerEvalE2E::parseJson(const testsupport::ProcessResult &r)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s / stderr: %s", qPrintable(error.errorString()),
            r.out.left(2000).constData(), r.err.left(2000).constData());
    return doc.object();
}

void TestRunnerEvalE2E::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QFile::exists(testsupport::binaryPath(u"run/agentstudio-run"_s)));
    m_ws = workspace(u"e2e.agents.json"_s);
}

void TestRunnerEvalE2E::allPassExitsZero()
{
    QJsonObject d = dataset(u"echo"_s, u"hello"_s, u"world"_s);
    const QString path = write(u"pass.eval.json"_s, d);
    const auto r = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s });
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // The final table on stdout, the progress line on stderr.
    QVERIFY2(r.out.contains("2 case runs: 2 passed, 0 failed"), r.out.constData());
    QVERIFY2(r.err.contains("2/2 done"), r.err.constData());
}

void TestRunnerEvalE2E::failingCaseExitsOne()
{
    const QString path = write(u"mixed.eval.json"_s, dataset(u"echo"_s));
    const auto r = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains("1 passed, 1 failed"), r.out.constData());
    QVERIFY2(r.out.contains("says-goodbye [default] fail:"), r.out.constData());
    // Only the passing case: 0.
    const auto only
        = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s, u"--case"_s, u"greets"_s });
    QVERIFY2(only.exitCode == 0, only.err.constData());
}

void TestRunnerEvalE2E::badArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentioned");
    const QString ws = QDir(m_dir.path()).filePath(u"e2e.agents.json"_s);
    const QString d = write(u"args.eval.json"_s, dataset(u"echo"_s));
    QTest::newRow("no dataset") << QStringList { u"--workspace"_s, ws } << u"--dataset"_s;
    QTest::newRow("dataset and promptfoo")
        << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--promptfoo"_s, d } << u"--promptfoo"_s;
    QTest::newRow("repeat zero") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--repeat"_s,
        u"0"_s } << u"--repeat"_s;
    QTest::newRow("concurrency word")
        << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--concurrency"_s, u"many"_s }
        << u"many"_s;
    QTest::newRow("cache mode") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--cache"_s,
        u"sometimes"_s } << u"sometimes"_s;
    QTest::newRow("cache file without cache") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d,
        u"--cache-file"_s, u"x.db"_s } << u"--cache-file"_s;
    QTest::newRow("format") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--format"_s,
        u"xml"_s } << u"xml"_s;
    QTest::newRow("baseline without history") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d,
        u"--no-history"_s, u"--baseline"_s, u"latest"_s }
                                              << u"--baseline"_s;
    QTest::newRow("unknown case") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--no-history"_s,
        u"--case"_s, u"nope"_s } << u"--case 'nope'"_s;
    QTest::newRow("unknown variant") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d,
        u"--no-history"_s, u"--variant"_s, u"nope"_s }
                                     << u"--variant 'nope'"_s;
    QTest::newRow("missing dataset file") << QStringList { u"--workspace"_s, ws, u"--dataset"_s,
        u"/nonexistent/x.eval.json"_s } << u"/nonexistent/x.eval.json"_s;
    QTest::newRow("unknown baseline") << QStringList { u"--workspace"_s, ws, u"--dataset"_s, d, u"--db"_s,
        QDir(m_dir.path()).filePath(u"args.db"_s), u"--baseline"_s, u"no-such-run"_s }
                                      << u"no-such-run"_s;
}

void TestRunnerEvalE2E::badArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentioned);
    const auto r = eval(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(mentioned), r.err.constData());
}

// Every problem of the dataset on stderr, each starting with its JSON path; nothing runs.
void TestRunnerEvalE2E::invalidDatasetListsEveryProblemWithItsPath()
{
    QJsonObject d = dataset(u"nobody"_s);
    QJsonArray cases = d.value(u"cases"_s).toArray();
    QJsonObject c = cases.at(1).toObject();
    c.insert(u"assert"_s, QJsonArray { QJsonObject { { u"type"_s, u"resembles"_s } } });
    cases[1] = c;
    d.insert(u"cases"_s, cases);
    const QString path = write(u"invalid.eval.json"_s, d);
    const auto r = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s });
    QCOMPARE(r.exitCode, 2);
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(u"$.target"_s), r.err.constData());
    QVERIFY2(err.contains(u"$.cases[1].assert[0]"_s), r.err.constData());
    QVERIFY2(err.contains(u"invalid dataset"_s), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestRunnerEvalE2E::unreachableProviderExitsThree()
{
    const QString ws = workspace(u"nowhere.agents.json"_s, u"http://127.0.0.1:1/v1"_s);
    const QString path = write(u"nowhere.eval.json"_s, dataset(u"cloud"_s));
    const auto r
        = eval({ u"--workspace"_s, ws, u"--dataset"_s, path, u"--no-history"_s, u"--format"_s, u"json"_s });
    QCOMPARE(r.exitCode, 3);
    const QJsonArray results = parseJson(r).value(u"results"_s).toArray();
    QCOMPARE(results.size(), 2);
    for (const QJsonValue &v : results)
        QCOMPARE(v.toObject().value(u"outcome"_s).toString(), u"error"_s);
}

// JUnit read back as a CI reporter does: totals, one suite per variant, names unique per
// classname, the failure's message naming the failed assertion; written to --output.
void TestRunnerEvalE2E::junitParsesBack()
{
    QJsonObject d = dataset(u"echo"_s);
    d.insert(u"variants"_s,
        QJsonArray { QJsonObject { { u"name"_s, u"base"_s } }, QJsonObject { { u"name"_s, u"v1.5"_s } } });
    const QString path = write(u"junit.eval.json"_s, d);
    const QString out = m_dir.filePath(u"report.xml"_s);
    const auto r = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s, u"--repeat"_s,
        u"2"_s, u"--format"_s, u"junit"_s, u"--output"_s, out });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.isEmpty(), r.out.constData()); // the report went to the file
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&f);
    int suites = 0;
    QStringList names;
    QStringList failureMessages;
    QString rootTests, rootFailures;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == "testsuites"_L1) {
            rootTests = xml.attributes().value("tests"_L1).toString();
            rootFailures = xml.attributes().value("failures"_L1).toString();
        } else if (xml.name() == "testsuite"_L1)
            ++suites;
        else if (xml.name() == "testcase"_L1) {
            const QString classname = xml.attributes().value("classname"_L1).toString();
            QCOMPARE(classname.count(u'.'), 2);
            names.append(classname + u'/' + xml.attributes().value("name"_L1).toString());
        } else if (xml.name() == "failure"_L1)
            failureMessages.append(xml.attributes().value("message"_L1).toString());
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(rootTests, u"8"_s);
    QCOMPARE(rootFailures, u"4"_s);
    QCOMPARE(suites, 2);
    QCOMPARE(names.size(), 8);
    QCOMPARE(QSet<QString>(names.begin(), names.end()).size(), 8);
    QVERIFY2(
        names.contains(u"agentstudio.e2e_checks.v1_5/says-goodbye [2/2]"_s), qPrintable(names.join(u", "_s)));
    QCOMPARE(failureMessages.size(), 4);
    for (const QString &m : std::as_const(failureMessages))
        QVERIFY2(m.contains(u"contains"_s) && m.contains(u"goodbye"_s), qPrintable(m));
}

void TestRunnerEvalE2E::jsonlOneLinePerResult()
{
    const QString path = write(u"jsonl.eval.json"_s, dataset(u"echo"_s));
    const auto r = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--no-history"_s, u"--repeat"_s,
        u"2"_s, u"--format"_s, u"jsonl"_s });
    QCOMPARE(r.exitCode, 1);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    QSet<QString> seen;
    for (qsizetype i = 0; i < 4; ++i) {
        const QJsonObject o = QJsonDocument::fromJson(lines.at(i)).object();
        QCOMPARE(o.value(u"type"_s).toString(), u"result"_s);
        seen.insert(o.value(u"case_id"_s).toString() + QString::number(o.value(u"repeat_index"_s).toInt()));
    }
    QCOMPARE(seen.size(), 4);
    const QJsonObject summary = QJsonDocument::fromJson(lines.last()).object();
    QCOMPARE(summary.value(u"type"_s).toString(), u"summary"_s);
    QCOMPARE(summary.value(u"passed"_s).toInt(), 2);
    QCOMPARE(summary.value(u"failed"_s).toInt(), 1 * 2);
}

static ScriptedHttpServer::Response sseReply(const QByteArray &text)
{
    ScriptedHttpServer::Response ok;
    ok.headers = { { "Content-Type", "text/event-stream" } };
    ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text
        + "\"}}],\"usage\":null}\n\ndata: [DONE]\n\n";
    return ok;
}

// `write` records the answers; with the server gone, `read` replays them: the same outputs and
// outcomes, every result marked cached.
void TestRunnerEvalE2E::cacheWriteThenReadWithoutNetwork()
{
    auto server = std::make_unique<ScriptedHttpServer>();
    server->enqueue(sseReply("hello from the cloud"));
    server->enqueue(sseReply("goodbye from the cloud"));
    const QString ws = workspace(u"cache.agents.json"_s, server->url().toString() + u"/v1"_s);
    const QString path = write(u"cache.eval.json"_s, dataset(u"cloud"_s, u"cloud"_s, u"cloud"_s));
    const QString cache = m_dir.filePath(u"answers.cache.db"_s);
    const QStringList common { u"--workspace"_s, ws, u"--dataset"_s, path, u"--no-history"_s,
        u"--concurrency"_s, u"1"_s, u"--cache-file"_s, cache, u"--format"_s, u"json"_s };
    const auto written
        = eval(QStringList { u"--cache"_s, u"write"_s } + common, testsupport::Wait::EventLoop);
    QVERIFY2(written.exitCode == 0, written.err.constData());
    QCOMPARE(server->requests.size(), 2);
    server.reset(); // the network is gone

    const auto read = eval(QStringList { u"--cache"_s, u"read"_s } + common);
    QVERIFY2(read.exitCode == 0, read.err.constData());
    auto outputs = [](const QJsonObject &report) {
        QStringList list;
        for (const QJsonValue &v : report.value(u"results"_s).toArray())
            list.append(v[u"case_id"_s].toString() + u'=' + v[u"outcome"_s].toString() + u'='
                + QString::fromUtf8(
                    QJsonDocument(QJsonArray { v[u"output"_s] }).toJson(QJsonDocument::Compact)));
        list.sort();
        return list;
    };
    const QJsonObject before = parseJson(written), after = parseJson(read);
    QCOMPARE(outputs(after), outputs(before));
    QVERIFY(outputs(after).join(u' ').contains(u"goodbye from the cloud"_s));
    for (const QJsonValue &v : after.value(u"results"_s).toArray())
        QVERIFY(v[u"cached"_s].toBool());
}

// A request the cache has not seen, in read mode: the case errors with "cache miss" and no
// request leaves (the server stays silent).
void TestRunnerEvalE2E::cacheReadMissFailsTheCase()
{
    ScriptedHttpServer server;
    const QString ws = workspace(u"miss.agents.json"_s, server.url().toString() + u"/v1"_s);
    const QString path = write(u"miss.eval.json"_s, dataset(u"cloud"_s));
    const auto r = eval({ u"--workspace"_s, ws, u"--dataset"_s, path, u"--no-history"_s, u"--cache"_s,
                            u"read"_s, u"--format"_s, u"json"_s },
        testsupport::Wait::EventLoop);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(server.requests.size(), 0);
    const QJsonArray results = parseJson(r).value(u"results"_s).toArray();
    QCOMPARE(results.size(), 2);
    for (const QJsonValue &v : results) {
        QCOMPARE(v[u"outcome"_s].toString(), u"error"_s);
        QCOMPARE(v[u"error_kind"_s].toString(), u"cache_miss"_s);
        QVERIFY2(v[u"error"_s].toString().startsWith(u"cache miss"_s), qPrintable(v[u"error"_s].toString()));
    }
    // The default cache file sits next to the dataset.
    QVERIFY(QFile::exists(m_dir.filePath(u"miss.eval.cache.db"_s)));
}

// Run, change the dataset, run again against the latest finished run of the same file.
void TestRunnerEvalE2E::baselineLatestShowsNewlyFailingAndPassing()
{
    const QString db = m_dir.filePath(u"baseline.db"_s);
    const QString path
        = write(u"baseline.eval.json"_s, dataset(u"echo"_s)); // greets passes, says-goodbye fails
    const auto first = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--db"_s, db, u"--format"_s,
        u"json"_s, u"--baseline"_s, u"latest"_s }); // nothing to compare with yet: a note, no error
    QCOMPARE(first.exitCode, 1);
    const QString firstId = parseJson(first).value(u"run"_s)[u"id"_s].toString();
    QVERIFY(!firstId.isEmpty());
    write(u"baseline.eval.json"_s, dataset(u"echo"_s, u"goodbye"_s, u"hello"_s)); // the other way round
    const auto second = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--db"_s, db, u"--format"_s,
        u"json"_s, u"--baseline"_s, u"latest"_s });
    QCOMPARE(second.exitCode, 1);
    const QJsonObject report = parseJson(second);
    QCOMPARE(report.value(u"run"_s)[u"baseline_id"_s].toString(), firstId);
    const QJsonObject c = report.value(u"comparison"_s).toObject();
    QCOMPARE(c.value(u"baseline_id"_s).toString(), firstId);
    QCOMPARE(c.value(u"newly_failing"_s).toInt(), 1);
    QCOMPARE(c.value(u"newly_passing"_s).toInt(), 1);
    QHash<QString, QString> change;
    for (const QJsonValue &v : c.value(u"cases"_s).toArray())
        change.insert(v[u"case_id"_s].toString(), v[u"change"_s].toString());
    QCOMPARE(change.value(u"greets"_s), u"newly_failing"_s);
    QCOMPARE(change.value(u"says-goodbye"_s), u"newly_passing"_s);
    // The text report says the same.
    const auto text
        = eval({ u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--db"_s, db, u"--baseline"_s, firstId });
    QVERIFY2(text.out.contains("1 newly failing, 1 newly passing"), text.out.constData());
}

// --remote: every case an ordinary execution on the real server (execution_type test); a
// server that is not there is exit 3.
void TestRunnerEvalE2E::remoteServer()
{
    if (!QFile::exists(testsupport::binaryPath(u"server/agentstudio-server"_s)))
        QSKIP("agentstudio-server is not built");
    serverfixture::ServerProcess server;
    QString error;
    QVERIFY(QDir().mkpath(m_dir.filePath(u"server"_s)));
    QVERIFY2(server.start(m_dir.filePath(u"server"_s), {}, &error), qPrintable(error));
    const QString token
        = testsupport::writeFile(m_dir.path(), u"alpha.token"_s, serverfixture::kAlphaToken.toUtf8());
    const QJsonObject d { { u"format"_s, u"agentstudio-eval/1"_s }, { u"name"_s, u"remote"_s },
        { u"target"_s, QJsonObject { { u"agent"_s, u"echo"_s } } },
        { u"cases"_s,
            QJsonArray { QJsonObject { { u"id"_s, u"one"_s },
                             { u"inputs"_s, QJsonObject { { u"text"_s, u"first"_s } } },
                             { u"assert"_s,
                                 QJsonArray { QJsonObject {
                                     { u"type"_s, u"status"_s }, { u"value"_s, u"completed"_s } } } } },
                QJsonObject { { u"id"_s, u"two"_s },
                    { u"inputs"_s, QJsonObject { { u"text"_s, u"second"_s } } },
                    { u"assert"_s,
                        QJsonArray { QJsonObject {
                            { u"type"_s, u"status"_s }, { u"value"_s, u"completed"_s } } } } } } } };
    const QString path = write(u"remote.eval.json"_s, d);
    const QString url = server.url.toString();
    const auto r = eval(
        { u"--remote"_s, url, u"--token-file"_s, token, u"--dataset"_s, path, u"--format"_s, u"json"_s });
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonArray results = parseJson(r).value(u"results"_s).toArray();
    QCOMPARE(results.size(), 2);
    for (const QJsonValue &v : results) {
        const QString id = v[u"execution_id"_s].toString();
        QVERIFY(!id.isEmpty());
        const auto shown = testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s),
            { u"show"_s, id, u"--remote"_s, url, u"--token-file"_s, token, u"--format"_s, u"json"_s });
        QVERIFY2(shown.exitCode == 0, shown.err.constData());
        QCOMPARE(
            QJsonDocument::fromJson(shown.out).object().value(u"execution_type"_s).toString(), u"test"_s);
    }
    const auto gone
        = eval({ u"--remote"_s, u"http://127.0.0.1:1"_s, u"--token-file"_s, token, u"--dataset"_s, path });
    QCOMPARE(gone.exitCode, 3);
}

// kill -9 while a case hangs on a slow provider: the next open of the database marks the eval
// run interrupted and keeps the cases that had finished.
void TestRunnerEvalE2E::killedMidRunIsInterrupted()
{
    QJsonObject d = dataset(u"echo"_s, u"hello"_s, u"world"_s);
    d.insert(u"variants"_s,
        QJsonArray { QJsonObject { { u"name"_s, u"quick"_s } },
            QJsonObject {
                { u"name"_s, u"stuck"_s }, { u"model"_s, QJsonObject { { u"ttft_ms"_s, 120000 } } } } });
    const QString path = write(u"kill.eval.json"_s, d);
    const QString db = m_dir.filePath(u"kill.db"_s);
    QProcess p;
    p.setProcessEnvironment([this] {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"HOME"_s, m_dir.path());
        return env;
    }());
    p.start(testsupport::binaryPath(u"run/agentstudio-run"_s),
        { u"eval"_s, u"--workspace"_s, m_ws, u"--dataset"_s, path, u"--db"_s, db, u"--format"_s,
            u"jsonl"_s });
    QVERIFY(p.waitForStarted());
    QByteArray out;
    // The two quick cases report; the stuck ones wait on their first token.
    QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).count("\"type\":\"result\"") >= 2, 60000);
    QString runId
        = QJsonDocument::fromJson(out.left(out.indexOf('\n'))).object().value(u"eval_run_id"_s).toString();
    QVERIFY(!runId.isEmpty());
    // Both results are on disk before the kill (the recorder writes them as they come).
    auto onDisk = [&]() -> qsizetype {
        ExecutionStore store(db);
        if (!store.open())
            return -1;
        const auto results = store.evalResults(runId);
        return results ? results->size() : -1;
    };
    QTRY_COMPARE_WITH_TIMEOUT(onDisk(), qsizetype(2), 20000);
    p.kill(); // SIGKILL
    QVERIFY(p.waitForFinished());

    ExecutionStore store(db);
    QVERIFY(store.open());
    const auto run = store.evalRun(StoreScope::everyWorkspace(), runId);
    QVERIFY2(run.ok(), run.ok() ? "" : qPrintable(run.error()));
    QCOMPARE(run->status, EvalRunStatus::Interrupted);
    const auto results = store.evalResults(runId);
    QVERIFY(results.ok());
    QCOMPARE(results->size(), 2);
    for (const EvalResultRecord &r : *results) {
        QCOMPARE(r.variant, u"quick"_s);
        QVERIFY2(r.outcome == EvalOutcome::Pass, qPrintable(toWire(r.outcome) + u": "_s + r.error));
        QVERIFY(!r.executionId.isEmpty());
    }
}

QTEST_GUILESS_MAIN(TestRunnerEvalE2E)
#include "tst_runner_eval_e2e.moc"
