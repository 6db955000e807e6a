// Loaded into the BUILT desktop app with LD_PRELOAD by tst_fault (never linked into the
// product): it stands in for the user's hands, because the offscreen platform takes no input
// from outside the process and the app has no command line way to start a run. It only does
// what a user does with the mouse in the Single Agent tab: pick an agent (its form fills from
// the agent's first example) and click Run.
//
// Protocol, one line each way, on the app's stdin and stdout:
//   "run AGENT_ID"  ->  "started AGENT_ID" | "error: why"
// and "ready" once the main window shows the workspace's agents. Everything runs on the GUI
// thread, inside the app's own event loop.
#include <QAbstractButton>
#include <QApplication>
#include <QByteArray>
#include <QComboBox>
#include <QCoreApplication>
#include <QLabel>
#include <QSocketNotifier>
#include <QTabWidget>
#include <QTimer>
#include <QWidget>

#include <cstdio>
#include <unistd.h>

namespace {

class AppDriver : public QObject
{
public:
    explicit AppDriver(QObject *parent)
        : QObject(parent)
    {
        m_stdin = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
        connect(m_stdin, &QSocketNotifier::activated, this, &AppDriver::readCommands);
        waitUntilReady();
    }

private:
    static void reply(const QByteArray &line)
    {
        std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }

    static QTabWidget *testPanel()
    {
        for (QWidget *w : QApplication::topLevelWidgets())
            if (w->objectName() == QLatin1String("mainWindow"))
                return w->findChild<QTabWidget *>(QStringLiteral("testPanel"));
        return nullptr;
    }

    static QWidget *singleAgentTab()
    {
        QTabWidget *panel = testPanel();
        return panel ? panel->findChild<QWidget *>(QStringLiteral("singleAgentTab")) : nullptr;
    }

    // The workspace is loaded before the event loop starts; polled anyway, so a later,
    // asynchronous load would still be waited for.
    void waitUntilReady()
    {
        QWidget *tab = singleAgentTab();
        auto *picker = tab ? tab->findChild<QComboBox *>(QStringLiteral("agentPicker")) : nullptr;
        if (picker && picker->count() > 0) {
            reply("ready");
            return;
        }
        QTimer::singleShot(20, this, &AppDriver::waitUntilReady);
    }

    void readCommands()
    {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) { // the test closed our stdin: nothing more to do
            m_stdin->setEnabled(false);
            return;
        }
        m_pending.append(buffer, qsizetype(n));
        for (qsizetype nl = m_pending.indexOf('\n'); nl >= 0; nl = m_pending.indexOf('\n')) {
            const QByteArray line = m_pending.left(nl).trimmed();
            m_pending.remove(0, nl + 1);
            if (line.startsWith("run "))
                run(QString::fromUtf8(line.mid(4)));
            else
                reply("error: unknown command " + line);
        }
    }

    // attemptsLeft: the previous run may still be finishing in the window (its end is stored
    // before the window hears of it); a user would wait for the Run button, and so do we.
    void run(const QString &agentId, int attemptsLeft = 500)
    {
        QWidget *tab = singleAgentTab();
        QTabWidget *panel = testPanel();
        auto *picker = tab ? tab->findChild<QComboBox *>(QStringLiteral("agentPicker")) : nullptr;
        auto *runButton = tab ? tab->findChild<QAbstractButton *>(QStringLiteral("runButton")) : nullptr;
        auto *cancelButton
            = tab ? tab->findChild<QAbstractButton *>(QStringLiteral("cancelButton")) : nullptr;
        if (!panel || !picker || !runButton || !cancelButton)
            return reply("error: the Single Agent tab has no agent picker or Run button");
        panel->setCurrentWidget(tab);
        if (cancelButton->isEnabled()) {
            if (attemptsLeft == 0)
                return reply("error: the previous run does not finish");
            QTimer::singleShot(20, this, [this, agentId, attemptsLeft] { run(agentId, attemptsLeft - 1); });
            return;
        }
        const int index = picker->findData(agentId);
        if (index < 0)
            return reply("error: no agent " + agentId.toUtf8() + " in the picker");
        picker->setCurrentIndex(index);
        runButton->click();
        // A started run enables Cancel; otherwise the form status says why it did not start.
        if (!cancelButton->isEnabled()) {
            QStringList labels;
            for (const QLabel *label : tab->findChildren<QLabel *>())
                if (!label->text().isEmpty())
                    labels << label->text();
            return reply("error: Run did not start: " + labels.join(QStringLiteral(" | ")).toUtf8());
        }
        reply("started " + agentId.toUtf8());
    }

    QSocketNotifier *m_stdin = nullptr;
    QByteArray m_pending;
};

// Runs while QApplication is being constructed: the driver is created from the event loop,
// once main() has built and shown the window.
void installDriver()
{
    QMetaObject::invokeMethod(
        QCoreApplication::instance(), [] { new AppDriver(QCoreApplication::instance()); },
        Qt::QueuedConnection);
}

} // namespace

Q_COREAPP_STARTUP_FUNCTION(installDriver)
