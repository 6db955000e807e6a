#include "core/tools/CommandSource.h"
#include "tests/support/TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

// CommandSource (docs/tools.md) running a real program, tests/tools/command_tool.py: the
// arguments on stdin, a JSON or text result from stdout, non-zero exit / crash / timeout /
// oversized output as error results carrying stderr, cancel killing the child and its own
// children at once, relative paths against the workspace folder, and a missing program shown
// as a failed source.

using namespace Qt::StringLiterals;

namespace {

QString script()
{
    return testsupport::sourcePath(u"tests/tools/command_tool.py"_s);
}

ToolSourceSpec spec(const QString &mode, int timeoutMs = ToolSourceSpec::kDefaultTimeoutMs)
{
    ToolSourceSpec s;
    s.id = u"weather"_s;
    s.kind = u"command"_s;
    s.command = u"python3"_s;
    s.args = QStringList { script(), mode };
    s.timeoutMs = timeoutMs;
    return s;
}

// Alive means running: a zombie (exited, waiting to be reaped by its parent) counts as gone.
bool processAlive(qint64 pid)
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close > 0 && close + 2 < text.size() && text.at(close + 2) != 'Z';
}

struct Answer
{
    std::optional<ToolResult> result;
    int calls = 0;
};

} // namespace

class TestCommandSource : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    quint64 call(CommandSource &source, const QJsonObject &arguments, Answer &answer)
    {
        return source.callTool(source.id(), arguments, {}, this, [&answer](const ToolResult &r) {
            answer.result = r;
            ++answer.calls;
        });
    }

private slots:
    void initTestCase();
    void jsonResult();
    void textResult();
    void nonZeroExitCarriesStderr();
    void crashIsAnError();
    void timeoutKillsAndCarriesStderr();
    void cancelKillsTheChildAndItsChildren();
    void oversizedOutputIsStopped();
    void programThatIgnoresStdin();
    void relativePathsUseTheWorkspaceFolder();
    void missingProgramIsAFailedSource();
};

void TestCommandSource::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(!QStandardPaths::findExecutable(u"python3"_s).isEmpty(), "python3 is needed");
}

void TestCommandSource::jsonResult()
{
    ToolSourceSpec s = spec(u"json"_s);
    s.env.insert(u"TOOL_ENV"_s, u"from the spec"_s);
    CommandSource source(s, m_dir.path());
    QCOMPARE(source.status().state, ToolSourceState::Connected);
    QCOMPARE(source.status().target, u"python3 %1 json"_s.arg(script()));
    Answer a;
    call(source, QJsonObject { { u"city"_s, u"Oslo"_s }, { u"days"_s, 3 } }, a);
    QVERIFY(!a.result); // never inside the call
    QTRY_VERIFY(a.result);
    QVERIFY2(!a.result->isError, qPrintable(a.result->text()));
    const QJsonObject out = a.result->structuredContent.toObject();
    QCOMPARE(out.value(u"echo").toObject(), (QJsonObject { { u"city"_s, u"Oslo"_s }, { u"days"_s, 3 } }));
    QCOMPARE(out.value(u"env").toString(), u"from the spec"_s);
    QCOMPARE(QFileInfo(out.value(u"cwd").toString()).canonicalFilePath(),
        QFileInfo(m_dir.path()).canonicalFilePath());
    QCOMPARE(a.result->content.size(), 1); // the compact JSON as text too
    QCOMPARE(source.runningCalls(), 0);
    QCOMPARE(a.calls, 1);
}

void TestCommandSource::textResult()
{
    CommandSource source(spec(u"text"_s), m_dir.path());
    Answer a;
    call(source, QJsonObject { { u"city"_s, u"Oslo"_s } }, a);
    QTRY_VERIFY(a.result);
    QVERIFY(!a.result->isError);
    QVERIFY(a.result->structuredContent.isUndefined());
    QCOMPARE(a.result->text(), u"weather in Oslo: sunny"_s);
}

void TestCommandSource::nonZeroExitCarriesStderr()
{
    CommandSource source(spec(u"fail"_s), m_dir.path());
    QSignalSpy changed(&source, &ToolSource::statusChanged);
    Answer a;
    call(source, {}, a);
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QVERIFY(!a.result->cancelled);
    QCOMPARE(a.result->text(),
        u"command 'python3' exited with code 3\nfirst line\nsecond line\nsomething broke"_s);
    // Its stderr is the source's log the Tools panel shows.
    QCOMPARE(source.status().log, (QStringList { u"first line"_s, u"second line"_s, u"something broke"_s }));
    QVERIFY(changed.count() >= 1);
}

void TestCommandSource::crashIsAnError()
{
    CommandSource source(spec(u"crash"_s), m_dir.path());
    Answer a;
    call(source, {}, a);
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QCOMPARE(a.result->text(), u"command 'python3' crashed"_s);
}

void TestCommandSource::timeoutKillsAndCarriesStderr()
{
    const QString pidFile = m_dir.filePath(u"timeout.pids"_s);
    ToolSourceSpec s = spec(u"sleep"_s, 1500);
    s.env.insert(u"PID_FILE"_s, pidFile);
    CommandSource source(s, m_dir.path());
    Answer a;
    call(source, {}, a);
    QTRY_VERIFY_WITH_TIMEOUT(a.result, 15000);
    QVERIFY(a.result->isError);
    QCOMPARE(a.result->text(), u"command 'python3' timed out after 1500 ms\nsleeping"_s);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> pids = f.readAll().split(' ');
    QCOMPARE(pids.size(), 2);
    QTRY_VERIFY(!processAlive(pids.at(0).toLongLong()));
    QTRY_VERIFY(!processAlive(pids.at(1).toLongLong()));
}

void TestCommandSource::cancelKillsTheChildAndItsChildren()
{
    const QString pidFile = m_dir.filePath(u"cancel.pids"_s);
    ToolSourceSpec s = spec(u"sleep"_s);
    s.env.insert(u"PID_FILE"_s, pidFile);
    CommandSource source(s, m_dir.path());
    Answer a;
    const quint64 handle = call(source, {}, a);
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile), 15000);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> pids = f.readAll().split(' ');
    QCOMPARE(pids.size(), 2);
    const qint64 child = pids.at(0).toLongLong(), grandchild = pids.at(1).toLongLong();
    QCOMPARE(source.processId(handle), child);
    QVERIFY(processAlive(child));
    QVERIFY(processAlive(grandchild));

    source.cancel(handle);
    QVERIFY(!a.result); // not inside cancel()
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->cancelled);
    QCOMPARE(a.result->text(), u"cancelled"_s);
    QTRY_VERIFY(!processAlive(child));
    QTRY_VERIFY(!processAlive(grandchild));
    QCOMPARE(source.runningCalls(), 0);
    QCOMPARE(a.calls, 1);
}

void TestCommandSource::oversizedOutputIsStopped()
{
    CommandSource source(spec(u"big"_s), m_dir.path());
    Answer a;
    call(source, {}, a);
    QTRY_VERIFY_WITH_TIMEOUT(a.result, 20000);
    QVERIFY(a.result->isError);
    QCOMPARE(a.result->text(), u"command 'python3' wrote more than 16 MiB to stdout; stopped"_s);
}

void TestCommandSource::programThatIgnoresStdin()
{
    CommandSource source(spec(u"ignore"_s), m_dir.path());
    Answer a;
    call(source, QJsonObject { { u"big"_s, QString(200000, u'x') } }, a);
    QTRY_VERIFY(a.result);
    QVERIFY2(!a.result->isError, qPrintable(a.result->text()));
    QCOMPARE(a.result->text(), u"ok"_s);
}

void TestCommandSource::relativePathsUseTheWorkspaceFolder()
{
    // The workspace folder holds tools/run.sh; cwd "tools" is relative to it too.
    QDir(m_dir.path()).mkpath(u"ws/tools"_s);
    const QString tool = m_dir.filePath(u"ws/tools/run.sh"_s);
    QFile f(tool);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("#!/bin/sh\ncat >/dev/null\necho \"{\\\"pwd\\\": \\\"$(pwd)\\\"}\"\n");
    f.close();
    QVERIFY(f.setPermissions(f.permissions() | QFileDevice::ExeOwner));
    ToolSourceSpec s;
    s.id = u"rel"_s;
    s.kind = u"command"_s;
    s.command = u"tools/run.sh"_s;
    s.cwd = u"tools"_s;
    CommandSource source(s, m_dir.filePath(u"ws"_s));
    QCOMPARE(source.program(), QDir::cleanPath(tool));
    QCOMPARE(source.workingDirectory(), QDir::cleanPath(m_dir.filePath(u"ws/tools"_s)));
    Answer a;
    call(source, {}, a);
    QTRY_VERIFY(a.result);
    QVERIFY2(!a.result->isError, qPrintable(a.result->text()));
    QCOMPARE(QFileInfo(a.result->structuredContent.toObject().value(u"pwd").toString()).canonicalFilePath(),
        QFileInfo(m_dir.filePath(u"ws/tools"_s)).canonicalFilePath());
}

void TestCommandSource::missingProgramIsAFailedSource()
{
    ToolSourceSpec s = spec(u"json"_s);
    s.command = u"./no-such-program"_s;
    CommandSource source(s, m_dir.path());
    QCOMPARE(source.status().state, ToolSourceState::Failed);
    QCOMPARE(source.status().error,
        u"program %1 not found or not executable"_s.arg(
            QDir::cleanPath(m_dir.filePath(u"no-such-program"_s))));
    Answer a;
    call(source, {}, a);
    QVERIFY(!a.result);
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QVERIFY2(a.result->text().startsWith(u"command './no-such-program' could not be started: "_s),
        qPrintable(a.result->text()));

    ToolSourceSpec onPath = spec(u"json"_s);
    onPath.command = u"no-such-program-on-path"_s;
    CommandSource bare(onPath, m_dir.path());
    QCOMPARE(bare.status().error, u"program 'no-such-program-on-path' not found on PATH"_s);
}

QTEST_GUILESS_MAIN(TestCommandSource)
#include "tst_commandsource.moc"
