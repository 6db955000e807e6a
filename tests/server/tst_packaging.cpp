// What the .deb installs for the server (packaging/, docs/operations.md): the systemd unit
// passes `systemd-analyze verify` and has the hardening and stop settings; the example config
// parses as agentstudio-server options and holds no password; the server's man page (made by
// help2man) names every option of --help.
#include "core/server/ServerOptions.h"
#include "tests/support/TestSupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString sourceFile(const QString &relative)
{
    return QStringLiteral(AGENTSTUDIO_SOURCE_DIR "/") + relative;
}

QString readText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// The value of `key=` in the unit (last one wins, as for systemd), or a null string.
QString unitValue(const QString &unit, const QString &key)
{
    QString value;
    for (const QString &line : unit.split(QLatin1Char('\n')))
        if (line.startsWith(key + QLatin1Char('=')))
            value = line.mid(key.size() + 1).trimmed();
    return value;
}

} // namespace

class TestPackaging : public QObject
{
    Q_OBJECT

private slots:
    void unitVerifies()
    {
        const QString analyze = QStandardPaths::findExecutable(QStringLiteral("systemd-analyze"));
        QVERIFY2(!analyze.isEmpty(), "systemd-analyze is missing (scripts/deps.sh installs systemd)");
        QString unit = readText(sourceFile(QStringLiteral("packaging/agentstudio-server.service")));
        QVERIFY(!unit.isEmpty());
        // verify checks that ExecStart names an executable: point it at the built binary.
        unit.replace(QStringLiteral("/usr/bin/agentstudio-server"),
            testsupport::binaryPath(QStringLiteral("server/agentstudio-server")));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("agentstudio-server.service"));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(unit.toUtf8());
        }
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(analyze, { QStringLiteral("verify"), QStringLiteral("--man=no"), path });
        QVERIFY(p.waitForFinished(60000));
        const QString said = QString::fromUtf8(p.readAll());
        // Unknown keys and bad values are only warnings to systemd: any output is a failure here.
        QVERIFY2(p.exitCode() == 0 && said.trimmed().isEmpty(), qPrintable(said));
    }

    void unitRunsTheConfigHardenedAndStopsGracefully()
    {
        const QString unit = readText(sourceFile(QStringLiteral("packaging/agentstudio-server.service")));
        QCOMPARE(unitValue(unit, QStringLiteral("ExecStart")),
            QStringLiteral("/usr/bin/agentstudio-server --config /etc/agentstudio/server.conf"));
        QCOMPARE(unitValue(unit, QStringLiteral("User")), QStringLiteral("agentstudio"));
        QCOMPARE(unitValue(unit, QStringLiteral("NoNewPrivileges")), QStringLiteral("yes"));
        QCOMPARE(unitValue(unit, QStringLiteral("ProtectSystem")), QStringLiteral("strict"));
        QVERIFY(unitValue(unit, QStringLiteral("ReadWritePaths"))
                    .contains(QLatin1String("/var/lib/agentstudio")));
        QCOMPARE(unitValue(unit, QStringLiteral("Restart")), QStringLiteral("on-failure"));
        QCOMPARE(unitValue(unit, QStringLiteral("KillSignal")), QStringLiteral("SIGTERM"));
        // systemd must wait longer than the server's grace before it kills.
        const int stopSeconds = unitValue(unit, QStringLiteral("TimeoutStopSec")).toInt();
        QVERIFY2(stopSeconds * 1000 > ServerOptions().shutdownGraceMs + 5000,
            qPrintable(QString::number(stopSeconds)));
    }

    void exampleConfigParsesAndHoldsNoPassword()
    {
        const QString path = sourceFile(QStringLiteral("packaging/server.conf"));
        const Result<ServerOptions> o = ServerOptions::fromArguments({ QStringLiteral("--config"), path });
        QVERIFY2(o, o ? "" : qPrintable(o.error()));
        QCOMPARE(o->databasePath, QStringLiteral("/var/lib/agentstudio/executions.db"));
        QCOMPARE(o->tokensPath, QStringLiteral("/etc/agentstudio/tokens.json"));
        // The PostgreSQL form (commented out) parses too once uncommented, and has no password.
        QString text = readText(path);
        const QRegularExpression pgLine(
            QStringLiteral("^#(db postgresql://[^\\n]*)$"), QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = pgLine.match(text);
        QVERIFY(m.hasMatch());
        const QUrl uri(m.captured(1).mid(3));
        QVERIFY(uri.isValid() && !uri.userName().isEmpty());
        QVERIFY(uri.password().isEmpty());
        for (const QString &line : text.split(QLatin1Char('\n')))
            QVERIFY2(line.trimmed().startsWith(QLatin1Char('#'))
                    || !line.contains(QLatin1String("password"), Qt::CaseInsensitive),
                qPrintable(line));
        text.replace(m.captured(0), m.captured(1));
        QTemporaryDir dir;
        const QString pg = testsupport::writeFile(dir.path(), QStringLiteral("pg.conf"), text.toUtf8());
        const Result<ServerOptions> p = ServerOptions::fromArguments({ QStringLiteral("--config"), pg });
        QVERIFY2(p, p ? "" : qPrintable(p.error()));
        QVERIFY(p->databasePath.startsWith(QLatin1String("postgresql://")));
    }

    void serverManPageNamesEveryOption()
    {
        const QString page = QStringLiteral(AGENTSTUDIO_BINARY_DIR "/packaging/man/agentstudio-server.1.gz");
        QVERIFY2(QFile::exists(page), qPrintable(page));
        QProcess gz;
        gz.start(QStringLiteral("gzip"), { QStringLiteral("-dc"), page });
        QVERIFY(gz.waitForFinished(30000));
        QCOMPARE(gz.exitCode(), 0);
        // roff escapes '-' as '\-'.
        const QString roff
            = QString::fromUtf8(gz.readAllStandardOutput()).replace(QLatin1String("\\-"), QLatin1String("-"));
        QVERIFY2(roff.contains(QLatin1String(".TH AGENTSTUDIO-SERVER \"1\"")), qPrintable(roff.left(400)));
        QVERIFY(roff.contains(QLatin1String("SIGHUP"))
            && roff.contains(QLatin1String("/etc/agentstudio/server.conf")));
        static const QRegularExpression flagRe(
            QStringLiteral("(?:^|\\s)(--[a-z][a-z-]+)"), QRegularExpression::MultilineOption);
        int flags = 0;
        for (const QRegularExpressionMatch &m : flagRe.globalMatch(ServerOptions::usage())) {
            ++flags;
            QVERIFY2(roff.contains(m.captured(1)), qPrintable(m.captured(1)));
        }
        QVERIFY(flags >= 35);
    }
};

QTEST_GUILESS_MAIN(TestPackaging)
#include "tst_packaging.moc"
