// Operations of the real agentstudio-server (docs/operations.md): /metrics in the Prometheus
// text format (checked by a small promtool-style parser written here) with counters that move
// as runs happen, /api/health, the JSON log lines without secrets, SIGHUP reopening --log,
// --config files, and --help naming every flag the parser takes.
#include "core/server/ServerLog.h"
#include "core/server/ServerOptions.h"
#include "tests/support/ServerFixture.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

using namespace serverfixture;

namespace {

// One parsed exposition: sample values by "name{labels}" (labels as written), plus problems.
struct Exposition
{
    QHash<QString, double> samples;
    QStringList problems;
    double value(const QString &series) const { return samples.value(series, 0); }
};

// promtool-style checks of the text format 0.0.4: each line is a HELP/TYPE comment, another
// comment or a sample `name{l="v",…} value`; names and label names are valid, label values
// escaped; every sample belongs to a family with HELP and TYPE given before it; histogram
// buckets are cumulative, end with le="+Inf" and that bucket equals _count.
Exposition parseExposition(const QByteArray &text)
{
    Exposition e;
    static const QRegularExpression nameRe(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    static const QRegularExpression sampleRe(
        QStringLiteral("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? ([^ ]+)$"));
    static const QRegularExpression labelRe(
        QStringLiteral("^([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\\\""));
    QHash<QString, QString> types;
    QSet<QString> helps;
    // histogram series (labels without le) -> buckets seen in order
    QHash<QString, QList<std::pair<QString, double>>> buckets;
    if (!text.endsWith('\n'))
        e.problems << QStringLiteral("the text does not end with a newline");
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype n = 0; n + 1 < lines.size(); ++n) {
        const QString line = QString::fromUtf8(lines[n]);
        const QString where = QStringLiteral("line %1: ").arg(n + 1);
        if (line.startsWith(QLatin1String("# HELP ")) || line.startsWith(QLatin1String("# TYPE "))) {
            const QStringList parts = line.mid(7).split(QLatin1Char(' '));
            if (parts.size() < 2 || !nameRe.match(parts[0]).hasMatch()) {
                e.problems << where + QStringLiteral("bad comment: ") + line;
                continue;
            }
            if (line.startsWith(QLatin1String("# HELP ")))
                helps.insert(parts[0]);
            else if (!QStringList { QStringLiteral("counter"), QStringLiteral("gauge"),
                         QStringLiteral("histogram"), QStringLiteral("summary"), QStringLiteral("untyped") }
                          .contains(parts[1]))
                e.problems << where + QStringLiteral("bad type: ") + line;
            else if (types.contains(parts[0]))
                e.problems << where + QStringLiteral("TYPE given twice: ") + line;
            else
                types.insert(parts[0], parts[1]);
            continue;
        }
        if (line.startsWith(QLatin1Char('#')))
            continue;
        const QRegularExpressionMatch m = sampleRe.match(line);
        if (!m.hasMatch()) {
            e.problems << where + QStringLiteral("not a sample: ") + line;
            continue;
        }
        const QString name = m.captured(1);
        QString rest = m.captured(3);
        QString le;
        QStringList others;
        while (!rest.isEmpty()) {
            const QRegularExpressionMatch l = labelRe.match(rest);
            if (!l.hasMatch()) {
                e.problems << where + QStringLiteral("bad labels: ") + line;
                break;
            }
            if (l.captured(1) == QLatin1String("le"))
                le = l.captured(2);
            else
                others << l.captured(0);
            rest = rest.mid(l.capturedLength());
            if (rest.startsWith(QLatin1Char(',')))
                rest = rest.mid(1);
            else if (!rest.isEmpty()) {
                e.problems << where + QStringLiteral("bad label separator: ") + line;
                break;
            }
        }
        bool ok = false;
        const QString v = m.captured(4);
        const double value = v == QLatin1String("+Inf") ? qInf()
            : v == QLatin1String("-Inf")                ? -qInf()
                                                        : v.toDouble(&ok);
        if (!ok && !v.endsWith(QLatin1String("Inf")) && v != QLatin1String("NaN"))
            e.problems << where + QStringLiteral("bad value: ") + line;
        QString family = name;
        for (const char *suffix : { "_bucket", "_sum", "_count" })
            if (name.endsWith(QLatin1String(suffix))
                && types.value(name.chopped(int(qstrlen(suffix)))) == QLatin1String("histogram"))
                family = name.chopped(int(qstrlen(suffix)));
        if (!types.contains(family) || !helps.contains(family))
            e.problems << where + QStringLiteral("sample without HELP and TYPE before it: ") + line;
        const QString key = family + QLatin1Char('{') + others.join(QLatin1Char(',')) + QLatin1Char('}');
        if (name.endsWith(QLatin1String("_bucket")) && family != name)
            buckets[key].append({ le, value });
        e.samples.insert(name + (m.captured(2).isEmpty() ? QString() : m.captured(2)), value);
        if (name.endsWith(QLatin1String("_count")) && family != name) {
            const auto &b = buckets.value(key);
            if (b.isEmpty() || b.constLast().first != QLatin1String("+Inf") || b.constLast().second != value)
                e.problems << where + QStringLiteral("buckets of %1 do not end with +Inf = _count").arg(key);
            for (qsizetype i = 1; i < b.size(); ++i)
                if (b[i].second < b[i - 1].second)
                    e.problems << where + QStringLiteral("buckets of %1 are not cumulative").arg(key);
        }
    }
    return e;
}

const QString kPgPassword = QStringLiteral("pg-secret-password-4711");
const QString kSecretInput = QStringLiteral("input-secret-text-0815");
const QString kQuerySecret = QStringLiteral("query-secret-value-42");

} // namespace

class TestServerOps : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ServerProcess m_server;
    QNetworkAccessManager m_nam;
    QString m_logPath;

    QUrl api(const QString &path) const { return apiOf(m_server, path); }
    static QUrl apiOf(const ServerProcess &server, const QString &path)
    {
        QUrl u = server.url;
        u.setPath(path);
        return u;
    }
    Exposition metrics()
    {
        const HttpResult r = http(m_nam, "GET", api(QStringLiteral("/metrics")));
        if (r.status != 200)
            return {};
        return parseExposition(r.body);
    }
    // Starts `n` runs of echo and waits until each is finished (GET says so).
    void runEcho(int n) { runEchoOn(m_server, n); }
    // Starts `n` runs of echo on `server` and waits until each is finished (GET says so).
    void runEchoOn(const ServerProcess &server, int n)
    {
        QStringList ids;
        for (int i = 0; i < n; ++i) {
            const HttpResult r = http(m_nam, "POST", apiOf(server, QStringLiteral("/api/agents/echo/test")),
                kAlphaToken, QStringLiteral("{\"inputs\": {\"text\": \"%1\"}}").arg(kSecretInput).toUtf8());
            QCOMPARE(r.status, 202);
            ids << r.json.value(QLatin1String("execution_id")).toString();
        }
        for (const QString &id : std::as_const(ids))
            QTRY_COMPARE_WITH_TIMEOUT(
                http(m_nam, "GET", apiOf(server, QStringLiteral("/api/executions/") + id), kAlphaToken)
                    .json.value(QLatin1String("status"))
                    .toString(),
                QStringLiteral("completed"), 30000);
    }
    QList<QJsonObject> logLines(const QString &path, QStringList *problems)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        QList<QJsonObject> out;
        int n = 0;
        for (const QByteArray &line : f.readAll().split('\n')) {
            ++n;
            if (line.isEmpty())
                continue;
            QJsonParseError error;
            const QJsonDocument d = QJsonDocument::fromJson(line, &error);
            if (!d.isObject())
                *problems
                    << QStringLiteral("line %1 is not a JSON object: %2").arg(n).arg(QString::fromUtf8(line));
            out << d.object();
        }
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_logPath = m_dir.filePath(QStringLiteral("server.log"));
        // The child inherits it: whatever the server does with it, the log must not show it.
        qputenv("PGPASSWORD", kPgPassword.toUtf8());
        QString error;
        QVERIFY2(
            m_server.start(m_dir.path(),
                { QStringLiteral("--log"), m_logPath, QStringLiteral("--instance"), QStringLiteral("ops-a") },
                &error),
            qPrintable(error));
    }
    void cleanupTestCase() { QCOMPARE(m_server.terminate(), 0); }

    void metricsAreValidAndCountersMove()
    {
        const HttpResult raw = http(m_nam, "GET", api(QStringLiteral("/metrics")));
        QCOMPARE(raw.status, 200);
        const Exposition before = parseExposition(raw.body);
        QVERIFY2(before.problems.isEmpty(), qPrintable(before.problems.join(QLatin1Char('\n'))));
        const QString info = QStringLiteral("agentstudio_instance_info{instance=\"ops-a\",instance_id=\"");
        bool infoSeen = false;
        for (auto it = before.samples.begin(); it != before.samples.end(); ++it)
            infoSeen = infoSeen
                || (it.key().startsWith(info) && it.key().contains(QLatin1String("store=\"sqlite\""))
                    && it.value() == 1);
        QVERIFY2(infoSeen, raw.body.constData());
        QVERIFY(before.samples.contains(QStringLiteral("agentstudio_websocket_clients")));
        QVERIFY(before.samples.contains(QStringLiteral("agentstudio_mcp_sessions")));
        QVERIFY(
            before.value(QStringLiteral("agentstudio_db_connections{kind=\"sqlite\",state=\"open\"}")) >= 0);
        for (const char *family : { "agentstudio_executions_started_total",
                 "agentstudio_executions_finished_total", "agentstudio_execution_duration_seconds",
                 "agentstudio_event_relay_lag_seconds", "agentstudio_http_requests_total" })
            QVERIFY2(raw.body.contains(QByteArray(QByteArray("# TYPE ") + family + ' ')), family);

        const int n = 5;
        runEcho(n);
        const Exposition after = metrics();
        QVERIFY2(after.problems.isEmpty(), qPrintable(after.problems.join(QLatin1Char('\n'))));
        auto delta = [&](const QString &series) { return after.value(series) - before.value(series); };
        QCOMPARE(delta(QStringLiteral("agentstudio_executions_started_total{type=\"agent\"}")), double(n));
        QCOMPARE(delta(QStringLiteral(
                     "agentstudio_executions_finished_total{status=\"completed\",type=\"agent\"}")),
            double(n));
        QCOMPARE(
            delta(QStringLiteral("agentstudio_execution_duration_seconds_count{type=\"agent\"}")), double(n));
        QCOMPARE(delta(QStringLiteral(
                     "agentstudio_execution_duration_seconds_bucket{type=\"agent\",le=\"+Inf\"}")),
            double(n));
        QVERIFY(delta(QStringLiteral("agentstudio_http_requests_total{route=\"agent_test\",status=\"202\"}"))
            == n);
        QVERIFY(
            after.value(QStringLiteral("agentstudio_http_requests_total{route=\"metrics\",status=\"200\"}"))
            >= 1);
        QCOMPARE(
            after.value(QStringLiteral("agentstudio_db_connections{kind=\"postgresql\",state=\"open\"}")),
            0.0);
    }

    void parserRefusesBrokenText()
    {
        // The checks above are only worth something if the parser rejects what promtool would.
        QVERIFY(!parseExposition("x 1\n").problems.isEmpty()); // no HELP/TYPE
        QVERIFY(!parseExposition("# HELP x h\n# TYPE x counter\nx{a=\"b} 1\n").problems.isEmpty());
        QVERIFY(!parseExposition("# HELP x h\n# TYPE x counter\n1x 1\n").problems.isEmpty());
        QVERIFY(
            !parseExposition("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                             "h_sum 1\nh_count 1\n")
                 .problems.isEmpty());
        QVERIFY(!parseExposition("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n")
                     .problems.isEmpty());
        QVERIFY(parseExposition("# HELP x h\n# TYPE x gauge\nx{a=\"q\\\"\\\\\\n\"} 1\n").problems.isEmpty());
    }

    void healthSaysReadyAndWhatItIs()
    {
        const HttpResult r = http(m_nam, "GET", api(QStringLiteral("/api/health")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(r.json.value(QLatin1String("ready")).toBool(), true);
        QCOMPARE(r.json.value(QLatin1String("store")).toString(), QStringLiteral("sqlite"));
        QCOMPARE(r.json.value(QLatin1String("instance")).toString(), QStringLiteral("ops-a"));
        QCOMPARE(r.json.value(QLatin1String("instance_id")).toString().size(), 36);
        QCOMPARE(r.json.value(QLatin1String("version")).toString(), QStringLiteral(AGENTSTUDIO_VERSION));
    }

    void logLinesAreJsonWithoutSecrets()
    {
        runEcho(1);
        // A secret in a query string: the log keeps the path only.
        QUrl withQuery = api(QStringLiteral("/api/executions"));
        withQuery.setQuery(QStringLiteral("q=") + kQuerySecret);
        QCOMPARE(http(m_nam, "GET", withQuery, kAlphaToken).status, 200);
        QStringList problems;
        QList<QJsonObject> lines;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                problems.clear();
                lines = logLines(m_logPath, &problems);
                for (const QJsonObject &l : lines)
                    if (l.value(QLatin1String("msg")).toString() == u"request"
                        && l.value(QLatin1String("route")).toString() == u"executions_list")
                        return true;
                return false;
            }(),
            10000);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QJsonObject request, execution;
        for (const QJsonObject &l : std::as_const(lines)) {
            QVERIFY(l.contains(QLatin1String("time")) && l.contains(QLatin1String("level")));
            QCOMPARE(l.value(QLatin1String("instance")).toString(), QStringLiteral("ops-a"));
            if (l.value(QLatin1String("msg")).toString() == u"request"
                && l.value(QLatin1String("route")).toString() == u"agent_test")
                request = l;
            if (l.value(QLatin1String("msg")).toString() == u"execution")
                execution = l;
        }
        for (const char *field : { "method", "path", "route", "status", "duration_ms", "bytes", "peer" })
            QVERIFY2(request.contains(QLatin1String(field)), field);
        QCOMPARE(request.value(QLatin1String("path")).toString(), QStringLiteral("/api/agents/echo/test"));
        QCOMPARE(request.value(QLatin1String("status")).toInt(), 202);
        for (const char *field : { "execution_id", "workspace", "agent", "status", "execution_type",
                 "trigger_type", "duration_ms", "tokens", "cost_usd" })
            QVERIFY2(execution.contains(QLatin1String(field)), field);
        QCOMPARE(execution.value(QLatin1String("workspace")).toString(), QStringLiteral("acme/alpha"));
        QCOMPARE(execution.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QVERIFY(!execution.contains(QLatin1String("inputs")));

        QFile f(m_logPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray all = f.readAll();
        for (const QString &secret : { kAlphaToken, kPgPassword, kSecretInput, kQuerySecret })
            QVERIFY2(!all.contains(secret.toUtf8()), qPrintable(secret));
        QVERIFY(!all.contains("Bearer") && !all.toLower().contains("authorization"));
    }

    void sighupReopensTheLog()
    {
        const QString moved = m_logPath + QStringLiteral(".1");
        QVERIFY(QFile::rename(m_logPath, moved));
        ::kill(pid_t(m_server.process->processId()), SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_logPath), 10000);
        QCOMPARE(http(m_nam, "GET", api(QStringLiteral("/api/health"))).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QFile f(m_logPath);
                return f.open(QIODevice::ReadOnly) && f.readAll().contains("\"route\":\"health\"");
            }(),
            10000);
    }

    void textLogWithInputs()
    {
        // A second server: --log-format text, --log-inputs yes.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString log = dir.filePath(QStringLiteral("text.log"));
        ServerProcess server;
        QString error;
        QVERIFY2(server.start(dir.path(),
                     { QStringLiteral("--log"), log, QStringLiteral("--log-format"), QStringLiteral("text"),
                         QStringLiteral("--log-inputs"), QStringLiteral("yes") },
                     &error),
            qPrintable(error));
        runEchoOn(server, 1);
        QCOMPARE(server.terminate(), 0);
        QFile f(log);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        static const QRegularExpression lineRe(QStringLiteral(
            "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (debug|info|warning|error) \\S"));
        const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(lines.size() >= 4);
        for (const QString &line : lines)
            QVERIFY2(lineRe.match(line).hasMatch(), qPrintable(line));
        const auto request = std::find_if(lines.cbegin(), lines.cend(), [](const QString &l) {
            return l.contains(QLatin1String(" info request "))
                && l.contains(QLatin1String(" route=agent_test "));
        });
        QVERIFY2(request != lines.cend(), qPrintable(text));
        QVERIFY2(request->contains(QLatin1String(" method=POST "))
                && request->contains(QLatin1String(" status=202")),
            qPrintable(*request));
        QVERIFY2(text.contains(QLatin1String(" info agentstudio-server: stopped")), qPrintable(text));
        // The execution line carries the inputs now (and still no token).
        QString execution;
        for (const QString &line : lines)
            if (line.contains(QLatin1String(" info execution ")))
                execution = line;
        QVERIFY2(execution.contains(kSecretInput), qPrintable(text));
        QVERIFY(!text.contains(kAlphaToken));
    }

    void textFormatIsOneHumanLine()
    {
        const QByteArray line = ServerLog::formatLine(ServerLog::Format::Text, QStringLiteral("T"),
            QStringLiteral("info"), QStringLiteral("request"), QStringLiteral("i"),
            QJsonObject { { QStringLiteral("status"), 200 } });
        QCOMPARE(line, QByteArray("T info request status=200"));
    }

    void configFileErrorsNameFileAndLine_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected"); // after "FILE:"
        QTest::newRow("unknown") << QByteArray("# c\nworkspace a.json\n\nfrobnicate 3\n")
                                 << QStringLiteral("4: unknown option '--frobnicate'");
        QTest::newRow("bad value") << QByteArray("concurrency many # comment\n")
                                   << QStringLiteral(
                                          "1: --concurrency: expected an integer from 1 to 256, got 'many'");
        QTest::newRow("missing value")
            << QByteArray("db x.db\nlisten\n") << QStringLiteral("2: listen: missing value");
        QTest::newRow("nested") << QByteArray("config other.conf\n")
                                << QStringLiteral("1: 'config' cannot be given in a config file");
    }
    void configFileErrorsNameFileAndLine()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = testsupport::writeFile(m_dir.path(), QStringLiteral("bad.conf"), content);
        const Result<ServerOptions> o = ServerOptions::fromArguments({ QStringLiteral("--config"), path });
        QVERIFY(!o);
        QCOMPARE(o.error(), path + QLatin1Char(':') + expected);
    }

    void configFileMergesWithTheCommandLine()
    {
        const QString path = testsupport::writeFile(m_dir.path(), QStringLiteral("good.conf"),
            "# the file\nworkspace /a.json\n--db /x.db\ntokens /t.json   # trailing comment\nconcurrency 2\n"
            "instance from-file\n");
        const Result<ServerOptions> o = ServerOptions::fromArguments(
            { QStringLiteral("--config"), path, QStringLiteral("--concurrency"), QStringLiteral("7"),
                QStringLiteral("--workspace"), QStringLiteral("/b.json") });
        QVERIFY2(o, o ? "" : qPrintable(o.error()));
        QCOMPARE(o->concurrency, 7); // the command line wins
        QCOMPARE(o->instanceName, QStringLiteral("from-file"));
        QCOMPARE(o->databasePath, QStringLiteral("/x.db"));
        QCOMPARE(o->tokensPath, QStringLiteral("/t.json"));
        QCOMPARE(o->workspacePaths, (QStringList { QStringLiteral("/a.json"), QStringLiteral("/b.json") }));
        const Result<ServerOptions> missing = ServerOptions::fromArguments(
            { QStringLiteral("--config"), m_dir.filePath(QStringLiteral("none.conf")) });
        QVERIFY(!missing);
        QVERIFY2(missing.error().startsWith(QStringLiteral("--config ")), qPrintable(missing.error()));
    }

    void helpDocumentsEveryFlag()
    {
        // Every flag the parser compares against has its own entry in the usage text.
        QFile source(QStringLiteral(AGENTSTUDIO_SOURCE_DIR "/core/server/ServerOptions.cpp"));
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(source.readAll());
        static const QRegularExpression flagRe(QStringLiteral("flag == QLatin1String\\(\"(--?[a-z-]+)\"\\)"));
        const QString usage = ServerOptions::usage();
        int flags = 0;
        for (const QRegularExpressionMatch &m : flagRe.globalMatch(text)) {
            ++flags;
            // Its own entry: "  --flag VALUE   what it does" (or "--help, -h").
            const QRegularExpression documented(
                QStringLiteral("^  (--[a-z-]+, )?%1[ ,]").arg(QRegularExpression::escape(m.captured(1))),
                QRegularExpression::MultilineOption);
            QVERIFY2(documented.match(usage).hasMatch(), qPrintable(m.captured(1)));
        }
        QVERIFY2(flags >= 35, qPrintable(QString::number(flags)));
    }
};

QTEST_GUILESS_MAIN(TestServerOps)
#include "tst_server_ops.moc"
