#include "app/run/CliArguments.h"
#include "app/run/RunnerCli.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

#include <cstdio>
#include <unistd.h>

// The runner's argument handling in-process (docs/cli.md): CliArguments on its own, then
// RunnerCli::exec for every check it makes before it touches a database or a server, with the
// exact stderr line and exit code. The built binary is tested end to end in tst_runner_e2e.

using namespace Qt::StringLiterals;

namespace {

struct Captured
{
    int code = -1;
    QString out;
    QString err;
};

// Runs the runner's main logic with stdout and stderr (file descriptors 1 and 2, which the
// runner writes with fwrite) redirected into files, then restores them.
Captured runCli(const QStringList &args)
{
    Captured c;
    QTemporaryFile outFile, errFile;
    if (!outFile.open() || !errFile.open())
        qFatal("cannot create capture files");
    std::fflush(stdout);
    std::fflush(stderr);
    const int savedOut = ::dup(1);
    const int savedErr = ::dup(2);
    ::dup2(outFile.handle(), 1);
    ::dup2(errFile.handle(), 2);
    RunnerCli cli;
    c.code = cli.exec(args);
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(savedOut, 1);
    ::dup2(savedErr, 2);
    ::close(savedOut);
    ::close(savedErr);
    outFile.seek(0);
    errFile.seek(0);
    c.out = QString::fromUtf8(outFile.readAll());
    c.err = QString::fromUtf8(errFile.readAll());
    return c;
}

// What a refusal of bad arguments prints on stderr.
QString refusal(const QString &message)
{
    return u"agentstudio-run: "_s + message + u"\nTry 'agentstudio-run --help'.\n"_s;
}

const QList<CliOption> kOptions = {
    { u"db"_s },
    { u"input"_s, true, true },
    { u"no-history"_s, false },
};

} // namespace

class TestCliArguments : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_workspace;
    QString path(const QString &name) const { return m_dir.filePath(name); }
    void write(const QString &name, const QByteArray &bytes)
    {
        QFile f(path(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_workspace = QStringLiteral(AS_EXAMPLE_WORKSPACE);
        QVERIFY(QFile::exists(m_workspace));
        write(u"empty.token"_s, "  \n");
        write(u"list.json"_s, "[1, 2]");
        write(u"broken.json"_s, "{\"a\": ");
    }

    // --- CliArguments alone ---------------------------------------------------------------

    void parsesValuesFlagsAndRepeats()
    {
        const auto a = CliArguments::parse(u"run"_s,
            { u"--db"_s, u"x.db"_s, u"--input=a=1"_s, u"--input"_s, u"b=2"_s, u"--no-history"_s }, kOptions,
            0);
        QVERIFY2(a, qPrintable(a.error()));
        QCOMPARE(a->value(u"db"_s), u"x.db"_s);
        QCOMPARE(a->values(u"input"_s), (QStringList { u"a=1"_s, u"b=2"_s }));
        QVERIFY(a->has(u"no-history"_s));
        QCOMPARE(a->value(u"no-history"_s), QString());
        QVERIFY(!a->has(u"absent"_s));
        QCOMPARE(a->value(u"absent"_s), QString());
        QVERIFY(a->positionals().isEmpty());
    }

    void inlineEmptyValueAndDashValue()
    {
        // "--db=" gives an empty value; a value after the name is taken as is, even "--…".
        const auto a = CliArguments::parse(u"run"_s, { u"--db="_s }, kOptions, 0);
        QVERIFY2(a, qPrintable(a.error()));
        QVERIFY(a->has(u"db"_s));
        QCOMPARE(a->value(u"db"_s), QString());
        const auto b = CliArguments::parse(u"run"_s, { u"--db"_s, u"--no-history"_s }, kOptions, 0);
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b->value(u"db"_s), u"--no-history"_s);
        QVERIFY(!b->has(u"no-history"_s));
    }

    void positionals()
    {
        const auto a = CliArguments::parse(u"show"_s, { u"--db"_s, u"d"_s, u"exec-1"_s }, kOptions, 1);
        QVERIFY2(a, qPrintable(a.error()));
        QCOMPARE(a->positionals(), QStringList { u"exec-1"_s });
        // A lone "-" is an argument, not an option.
        const auto dash = CliArguments::parse(u"show"_s, { u"-"_s }, kOptions, 1);
        QVERIFY2(dash, qPrintable(dash.error()));
        QCOMPARE(dash->positionals(), QStringList { u"-"_s });
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("maxPositionals");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown long")
            << QStringList { u"--dbx"_s, u"1"_s } << 0 << "run: unknown option '--dbx'";
        QTest::newRow("unknown inline")
            << QStringList { u"--nope=1"_s } << 0 << "run: unknown option '--nope'";
        QTest::newRow("unknown short") << QStringList { u"-d"_s } << 0 << "run: unknown option '-d'";
        QTest::newRow("single-dash long")
            << QStringList { u"-db"_s, u"x"_s } << 0 << "run: unknown option '-db'";
        QTest::newRow("missing value")
            << QStringList { u"--db"_s } << 0 << "run: option '--db' needs a value";
        QTest::newRow("flag with value")
            << QStringList { u"--no-history=yes"_s } << 0 << "run: option '--no-history' takes no value";
        QTest::newRow("given twice") << QStringList { u"--db"_s, u"a"_s, u"--db=b"_s } << 0
                                     << "run: option '--db' given twice";
        QTest::newRow("flag twice") << QStringList { u"--no-history"_s, u"--no-history"_s } << 0
                                    << "run: option '--no-history' given twice";
        QTest::newRow("positional") << QStringList { u"extra"_s } << 0 << "run: unexpected argument 'extra'";
        QTest::newRow("double dash") << QStringList { u"--"_s } << 0 << "run: unexpected argument '--'";
        QTest::newRow("second positional")
            << QStringList { u"a"_s, u"b"_s } << 1 << "run: unexpected argument 'b'";
    }
    void errors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, maxPositionals);
        QFETCH(QString, message);
        const auto a = CliArguments::parse(u"run"_s, args, kOptions, maxPositionals);
        QVERIFY(!a);
        QCOMPARE(a.error(), message);
    }

    // --- RunnerCli: commands, --help, --version -------------------------------------------

    void help_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("--help") << QStringList { u"--help"_s };
        QTest::newRow("-h") << QStringList { u"-h"_s };
        QTest::newRow("help") << QStringList { u"help"_s };
        QTest::newRow("run --help") << QStringList { u"run"_s, u"--agent"_s, u"x"_s, u"--help"_s };
        QTest::newRow("history -h") << QStringList { u"history"_s, u"-h"_s };
        // --help wins over what would otherwise be refused.
        QTest::newRow("show --bogus --help") << QStringList { u"show"_s, u"--bogus"_s, u"--help"_s };
    }
    void help()
    {
        QFETCH(QStringList, args);
        const Captured c = runCli(args);
        QCOMPARE(c.code, int(RunnerCli::Completed));
        QCOMPARE(c.out, RunnerCli::usage());
        QCOMPARE(c.err, QString());
        QVERIFY(c.out.startsWith(u"Usage:\n  agentstudio-run run --workspace FILE"_s));
    }

    void version()
    {
        const Captured c = runCli({ u"--version"_s });
        QCOMPARE(c.code, int(RunnerCli::Completed));
        QCOMPARE(c.out, u"agentstudio-run "_s + QStringLiteral(AGENTSTUDIO_VERSION) + u"\n"_s);
        QCOMPARE(c.err, QString());
    }

    // --- RunnerCli: every refusal before a database or server is opened -------------------

    void refusals_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString ws = m_workspace;
        const QString tok = path(u"empty.token"_s);
        const QString missing = path(u"missing.token"_s);
        auto row = [](const char *name, const QStringList &args, const QString &message) {
            QTest::newRow(name) << args << message;
        };
        row("no command", {}, u"missing command (run, history, show or validate)"_s);
        row("unknown command", { u"frob"_s }, u"unknown command 'frob' (run, history, show or validate)"_s);
        row("option as command", { u"--workspace"_s, ws },
            u"unknown command '--workspace' (run, history, show or validate)"_s);

        // validate
        row("validate: no workspace", { u"validate"_s }, u"validate: --workspace FILE is required"_s);
        row("validate: unknown flag", { u"validate"_s, u"--db"_s, u"x"_s },
            u"validate: unknown option '--db'"_s);
        row("validate: positional", { u"validate"_s, ws }, u"validate: unexpected argument '%1'"_s.arg(ws));

        // run: options and their combinations
        row("run: unknown flag", { u"run"_s, u"--agnet"_s, u"writer"_s }, u"run: unknown option '--agnet'"_s);
        row("run: missing value", { u"run"_s, u"--workspace"_s, ws, u"--agent"_s },
            u"run: option '--agent' needs a value"_s);
        row("run: flag with value", { u"run"_s, u"--trust-workspace=1"_s },
            u"run: option '--trust-workspace' takes no value"_s);
        row("run: --db twice", { u"run"_s, u"--db"_s, u"a"_s, u"--db"_s, u"b"_s },
            u"run: option '--db' given twice"_s);
        row("run: bad format",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--format"_s, u"xml"_s },
            u"run: --format must be text, json or jsonl, not 'xml'"_s);
        row("run: otlp is for show", { u"run"_s, u"--format=otlp"_s },
            u"run: --format must be text, json or jsonl, not 'otlp'"_s);
        row("run: neither agent nor workflow", { u"run"_s, u"--workspace"_s, ws },
            u"run: give exactly one of --agent ID or --workflow ID"_s);
        row("run: agent and workflow",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"a"_s, u"--workflow"_s, u"w"_s },
            u"run: give exactly one of --agent ID or --workflow ID"_s);
        row("run: node without workflow", { u"run"_s, u"--agent"_s, u"a"_s, u"--node"_s, u"n"_s },
            u"run: --node needs --workflow"_s);
        row("run: upstream without node", { u"run"_s, u"--workflow"_s, u"w"_s, u"--upstream"_s, u"u.json"_s },
            u"run: --upstream needs --node"_s);
        row("run: db and no-history",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--db"_s, u"d"_s, u"--no-history"_s },
            u"run: --db and --no-history exclude each other"_s);
        row("run: remote and db",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"http://127.0.0.1:1"_s, u"--db"_s, u"d"_s },
            u"run: with --remote the server keeps the history (no --db or --no-history)"_s);
        row("run: remote and no-history",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"http://127.0.0.1:1"_s, u"--no-history"_s },
            u"run: with --remote the server keeps the history (no --db or --no-history)"_s);
        row("run: token-file without remote", { u"run"_s, u"--agent"_s, u"a"_s, u"--token-file"_s, tok },
            u"run: --token-file needs --remote"_s);
        row("run: no workspace", { u"run"_s, u"--agent"_s, u"a"_s },
            u"run: --workspace FILE is required (or --remote URL --token-file FILE)"_s);
        // run: --remote is checked before any connection
        row("run: remote not http", { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"ftp://h"_s },
            u"--remote: 'ftp://h' is not an http(s) URL"_s);
        row("run: remote without token",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"http://127.0.0.1:1"_s },
            u"--remote needs --token-file FILE"_s);
        row("run: empty token file",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"http://127.0.0.1:1"_s, u"--token-file"_s,
                tok },
            u"--token-file: %1 is empty"_s.arg(tok));
        row("run: unreadable token file",
            { u"run"_s, u"--agent"_s, u"a"_s, u"--remote"_s, u"http://127.0.0.1:1"_s, u"--token-file"_s,
                missing },
            u"--token-file: cannot read %1: No such file or directory"_s.arg(missing));
        // run: against the workspace file, before any request or database
        row("run: unknown agent", { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"nobody"_s },
            u"run: unknown agent 'nobody' (agents: writer, critic, trend_analyst, risk_analyst, synthesizer, "
            "ticket_triage, order_support, readability)"_s);
        row("run: unknown workflow", { u"run"_s, u"--workspace"_s, ws, u"--workflow"_s, u"nothing"_s },
            u"run: unknown workflow 'nothing' (workflows: research_brief, market_scan, support_desk)"_s);
        row("run: unknown node",
            { u"run"_s, u"--workspace"_s, ws, u"--workflow"_s, u"research_brief"_s, u"--node"_s, u"x"_s },
            u"run: workflow 'research_brief' has no node 'x' (nodes: draft, review)"_s);
        row("run: input without =",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--input"_s, u"topic"_s },
            u"run: --input 'topic': expected NAME=VALUE"_s);
        row("run: input with empty name",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--input"_s, u"=x"_s },
            u"run: --input '=x': expected NAME=VALUE"_s);
        row("run: unknown input",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--input"_s, u"tone=x"_s },
            u"run: --input tone: no input named 'tone' (inputs: topic, audience, max_words, notes)"_s);
        row("run: inputs file missing",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--inputs"_s,
                path(u"none.json"_s) },
            u"--inputs: cannot read %1: No such file or directory"_s.arg(path(u"none.json"_s)));
        row("run: inputs not an object",
            { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"writer"_s, u"--inputs"_s,
                path(u"list.json"_s) },
            u"--inputs: %1: expected a JSON object of field values"_s.arg(path(u"list.json"_s)));

        // history
        row("history: unknown flag", { u"history"_s, u"--node"_s, u"n"_s },
            u"history: unknown option '--node'"_s);
        row("history: positional", { u"history"_s, u"writer"_s }, u"history: unexpected argument 'writer'"_s);
        row("history: bad format", { u"history"_s, u"--format"_s, u"jsonl"_s },
            u"history: --format must be text or json, not 'jsonl'"_s);
        row("history: db and remote", { u"history"_s, u"--db"_s, u"d"_s, u"--remote"_s, u"http://h"_s },
            u"history: --db and --remote exclude each other"_s);
        row("history: token-file without remote", { u"history"_s, u"--token-file"_s, tok },
            u"history: --token-file needs --remote"_s);
        row("history: workspace and remote",
            { u"history"_s, u"--workspace"_s, ws, u"--remote"_s, u"http://h"_s },
            u"history: --workspace and --remote exclude each other (the server shows the token's workspace)"_s);
        row("history: bad status", { u"history"_s, u"--status"_s, u"completed,done"_s },
            u"history: --status 'done' is not one of queued, running, completed, failed, cancelled, interrupted"_s);
        row("history: bad since", { u"history"_s, u"--since"_s, u"yesterday"_s },
            u"history: --since 'yesterday' is not an ISO-8601 time"_s);
        row("history: zero limit", { u"history"_s, u"--limit"_s, u"0"_s },
            u"history: --limit must be a positive number, not '0'"_s);
        row("history: negative limit", { u"history"_s, u"--limit=-3"_s },
            u"history: --limit must be a positive number, not '-3'"_s);
        row("history: text limit", { u"history"_s, u"--limit"_s, u"ten"_s },
            u"history: --limit must be a positive number, not 'ten'"_s);
        row("history: remote not http", { u"history"_s, u"--remote"_s, u"h:1"_s },
            u"--remote: 'h:1' is not an http(s) URL"_s);
        row("history: remote without token", { u"history"_s, u"--remote"_s, u"http://127.0.0.1:1"_s },
            u"--remote needs --token-file FILE"_s);

        // show
        row("show: no id", { u"show"_s }, u"show: EXECUTION_ID is required"_s);
        row("show: no id, only options", { u"show"_s, u"--db"_s, u"d"_s },
            u"show: EXECUTION_ID is required"_s);
        row("show: two ids", { u"show"_s, u"a"_s, u"b"_s }, u"show: unexpected argument 'b'"_s);
        row("show: unknown flag", { u"show"_s, u"a"_s, u"--limit"_s, u"1"_s },
            u"show: unknown option '--limit'"_s);
        row("show: bad format", { u"show"_s, u"a"_s, u"--format"_s, u"jsonl"_s },
            u"show: --format must be text, json or otlp, not 'jsonl'"_s);
        row("show: db and remote", { u"show"_s, u"a"_s, u"--db"_s, u"d"_s, u"--remote"_s, u"http://h"_s },
            u"show: --db and --remote exclude each other"_s);
        row("show: token-file without remote", { u"show"_s, u"a"_s, u"--token-file"_s, tok },
            u"show: --token-file needs --remote"_s);
        row("show: workspace and remote",
            { u"show"_s, u"a"_s, u"--workspace"_s, ws, u"--remote"_s, u"http://h"_s },
            u"show: --workspace and --remote exclude each other (the server shows the token's workspace)"_s);
        row("show: remote without token", { u"show"_s, u"a"_s, u"--remote"_s, u"https://127.0.0.1:1"_s },
            u"--remote needs --token-file FILE"_s);
    }
    void refusals()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Captured c = runCli(args);
        QCOMPARE(c.err, refusal(message));
        QCOMPARE(c.code, int(RunnerCli::BadArguments));
        QCOMPARE(c.out, QString());
    }

    // A broken --inputs file names the file and where the JSON broke.
    void inputsFileParseError()
    {
        const QString file = path(u"broken.json"_s);
        const Captured c = runCli(
            { u"run"_s, u"--workspace"_s, m_workspace, u"--agent"_s, u"writer"_s, u"--inputs"_s, file });
        QCOMPARE(c.code, int(RunnerCli::BadArguments));
        QVERIFY2(c.err.startsWith(u"agentstudio-run: --inputs: %1: "_s.arg(file)), qPrintable(c.err));
        QVERIFY2(c.err.endsWith(u"\nTry 'agentstudio-run --help'.\n"_s), qPrintable(c.err));
        QCOMPARE(c.err.count(u'\n'), 2);
    }

    // --- tools (docs/cli.md, "tools") ----------------------------------------------------

    void splitCommand_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("words");
        QTest::addColumn<QString>("error");
        auto row = [](const char *name, const QString &text, const QStringList &words,
                       const QString &error = {}) { QTest::newRow(name) << text << words << error; };
        row("words", u"npx -y @modelcontextprotocol/server-filesystem docs"_s,
            { u"npx"_s, u"-y"_s, u"@modelcontextprotocol/server-filesystem"_s, u"docs"_s });
        row("blanks around", u"  python3\tserver.py  "_s, { u"python3"_s, u"server.py"_s });
        row("double quotes keep blanks", u"node \"my server.js\" --x"_s,
            { u"node"_s, u"my server.js"_s, u"--x"_s });
        row("escapes inside double quotes", u"echo \"a \\\"b\\\" \\\\ c\\d\""_s,
            { u"echo"_s, u"a \"b\" \\ c\\d"_s });
        row("single quotes are literal", u"sh -c 'echo \"$HOME\" \\n'"_s,
            { u"sh"_s, u"-c"_s, u"echo \"$HOME\" \\n"_s });
        row("quotes join a word", u"a\"b c\"d"_s, { u"ab cd"_s });
        row("empty quoted word", u"prog \"\" x"_s, { u"prog"_s, QString(), u"x"_s });
        row("backslash escapes a blank", u"my\\ prog arg"_s, { u"my prog"_s, u"arg"_s });
        row("unclosed double quote", u"node \"server.js"_s, {}, u"unclosed \" quote in 'node \"server.js'"_s);
        row("unclosed single quote", u"sh -c 'x"_s, {}, u"unclosed ' quote in 'sh -c 'x'"_s);
        row("nothing", u"   "_s, {}, u"no command given"_s);
    }
    void splitCommand()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, words);
        QFETCH(QString, error);
        const Result<QStringList> r = CliArguments::splitCommand(text);
        if (!error.isEmpty()) {
            QVERIFY(!r);
            QCOMPARE(r.error(), error);
            return;
        }
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(*r, words);
    }

    void countGiven()
    {
        const auto a = CliArguments::parse(u"run"_s, { u"--db"_s, u"x"_s, u"--no-history"_s }, kOptions, 0);
        QVERIFY(a);
        QCOMPARE(a->countGiven({ u"db"_s, u"no-history"_s, u"input"_s }), 2);
        QCOMPARE(a->countGiven({ u"input"_s }), 0);
        QCOMPARE(a->countGiven({}), 0);
    }

    // Every refusal of `tools` before a workspace is read or a server started: exit 2, the
    // message on stderr, nothing on stdout.
    void toolsRefusals_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString ws = m_workspace;
        auto row = [](const char *name, const QStringList &args, const QString &message) {
            QTest::newRow(name) << args << message;
        };
        const QString oneOf
            = u": give exactly one of --workspace FILE, --mcp URL or --mcp-command \"CMD ARGS\""_s;
        row("no subcommand", { u"tools"_s }, u"tools: missing 'list' or 'call'"_s);
        row("unknown subcommand", { u"tools"_s, u"run"_s }, u"tools: expected 'list' or 'call', got 'run'"_s);
        row("list: no source", { u"tools"_s, u"list"_s }, u"tools list"_s + oneOf);
        row("list: two sources",
            { u"tools"_s, u"list"_s, u"--workspace"_s, ws, u"--mcp"_s, u"http://h/mcp"_s },
            u"tools list"_s + oneOf);
        row("list: mcp and mcp-command",
            { u"tools"_s, u"list"_s, u"--mcp"_s, u"http://h/mcp"_s, u"--mcp-command"_s, u"x"_s },
            u"tools list"_s + oneOf);
        row("list: source without workspace",
            { u"tools"_s, u"list"_s, u"--mcp"_s, u"http://h/mcp"_s, u"--source"_s, u"a"_s },
            u"tools list: --source needs --workspace"_s);
        row("list: bad format", { u"tools"_s, u"list"_s, u"--workspace"_s, ws, u"--format"_s, u"jsonl"_s },
            u"tools list: --format must be text or json, not 'jsonl'"_s);
        row("list: positional", { u"tools"_s, u"list"_s, u"orders"_s },
            u"tools list: unexpected argument 'orders'"_s);
        row("list: args is for call", { u"tools"_s, u"list"_s, u"--args"_s, u"{}"_s },
            u"tools list: unknown option '--args'"_s);
        row("list: mcp not http", { u"tools"_s, u"list"_s, u"--mcp"_s, u"ftp://h/mcp"_s },
            u"--mcp: 'ftp://h/mcp' is not an http(s) URL"_s);
        row("list: mcp-command unclosed", { u"tools"_s, u"list"_s, u"--mcp-command"_s, u"node 'x"_s },
            u"--mcp-command: unclosed ' quote in 'node 'x'"_s);
        row("list: mcp-command empty", { u"tools"_s, u"list"_s, u"--mcp-command"_s, u""_s },
            u"--mcp-command: no command given"_s);
        row("list: unknown source", { u"tools"_s, u"list"_s, u"--workspace"_s, ws, u"--source"_s, u"nope"_s },
            u"tools list: unknown tool source 'nope' (sources: %1)"_s.arg(
                u"files, orders, refund_policy, text_stats"_s));
        row("call: no tool", { u"tools"_s, u"call"_s, u"--workspace"_s, ws },
            u"tools call: TOOL is required"_s);
        row("call: two tools", { u"tools"_s, u"call"_s, u"a"_s, u"b"_s },
            u"tools call: unexpected argument 'b'"_s);
        row("call: args and args-file",
            { u"tools"_s, u"call"_s, u"t"_s, u"--workspace"_s, ws, u"--args"_s, u"{}"_s, u"--args-file"_s,
                u"f"_s },
            u"tools call: --args and --args-file exclude each other"_s);
        row("call: args not JSON",
            { u"tools"_s, u"call"_s, u"t"_s, u"--workspace"_s, ws, u"--args"_s, u"{"_s },
            u"tools call: --args: invalid JSON at offset 2: unterminated object"_s);
        row("call: args a list",
            { u"tools"_s, u"call"_s, u"t"_s, u"--workspace"_s, ws, u"--args"_s, u"[1]"_s },
            u"tools call: --args: expected a JSON object of arguments, got [1]"_s);
        row("call: args-file missing",
            { u"tools"_s, u"call"_s, u"t"_s, u"--workspace"_s, ws, u"--args-file"_s, path(u"none.json"_s) },
            u"tools call: --args-file: cannot read %1: No such file or directory"_s.arg(
                path(u"none.json"_s)));
        row("call: args-file a list",
            { u"tools"_s, u"call"_s, u"t"_s, u"--workspace"_s, ws, u"--args-file"_s, path(u"list.json"_s) },
            u"tools call: --args-file: expected a JSON object of arguments, got [1,2]"_s);
        row("call: trust flag with value", { u"tools"_s, u"call"_s, u"t"_s, u"--trust-workspace=yes"_s },
            u"tools call: option '--trust-workspace' takes no value"_s);
    }
    void toolsRefusals() { refusals(); } // the same check on these rows (same columns)
};

QTEST_GUILESS_MAIN(TestCliArguments)
#include "tst_cliarguments.moc"
