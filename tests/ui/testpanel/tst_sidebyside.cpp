// Side-by-side variants in Single Agent, driven through the real main window against the real
// embedded engine (LocalBackend) and the scripted provider, plus the requests the columns build
// (FeedBackend, which records every start).
#include "FeedBackend.h"
#include "core/engine/LocalBackend.h"
#include "tests/support/TestSupport.h"
#include "ui/common/MessageBox.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/OutputFieldsView.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/SideBySideView.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/StreamOutputView.h"
#include "ui/testpanel/TestPanel.h"
#include "ui/testpanel/VariantColumn.h"
#include "ui/testpanel/VariantEditor.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {
// Two scripted providers with different fixed replies, paced at 15 tokens/s (a reply takes a
// few seconds), so two columns overlap and each column's text tells which model answered.
const char kWorkspace[] = R"({
  "format": "agentstudio/1", "workspace_id": "sbstest",
  "providers": {
    "alpha": {"kind": "scripted", "tokens_per_second": 15, "ttft_ms": 0,
              "replies": ["Alpha reads the draft and finds it clear enough to ship today, with one small fix in the title and nothing else."]},
    "beta": {"kind": "scripted", "tokens_per_second": 15, "ttft_ms": 0,
             "replies": ["Beta reads the draft and wants the second paragraph cut in half before anyone outside the team sees it."]}
  },
  "agents": [
    {"id": "critic", "name": "Critic", "version": "1", "model": {"provider": "alpha", "name": "scripted"},
     "instructions": "Judge the draft.",
     "signature": {"inputs": [{"name": "draft", "type": "str"}], "outputs": [{"name": "verdict", "type": "str"}]},
     "examples": [{"name": "short", "inputs": {"draft": "A short draft."}}]},
    {"id": "writer", "name": "Writer", "version": "2", "model": {"provider": "alpha", "name": "scripted", "temperature": 0.9},
     "instructions": "Write a short text.",
     "signature": {"inputs": [{"name": "topic", "type": "str"}], "outputs": [{"name": "text", "type": "str"}]}}
  ]
})";
const QString kAlpha
    = QStringLiteral("Alpha reads the draft and finds it clear enough to ship today, with one "
                     "small fix in the title and nothing else.");
const QString kBeta = QStringLiteral("Beta reads the draft and wants the second paragraph cut in half before "
                                     "anyone outside the team sees it.");

QString label(QWidget *parent, const char *name)
{
    auto *l = parent->findChild<QLabel *>(QString::fromLatin1(name));
    return l ? l->text() : QString();
}

QString streamOf(VariantColumn *column)
{
    return column->output()->stream()->streamText();
}

void setProvider(VariantColumn *column, const QString &provider)
{
    auto *combo = column->editor()->findChild<QComboBox *>(QStringLiteral("variantProvider"));
    combo->setCurrentIndex(combo->findText(provider));
}

// A test panel over a FeedBackend (which records the requests), showing the test workspace
// with Single Agent on the critic, comparing variants.
struct FeedPanel
{
    FeedBackend backend { nullptr };
    TestPanel panel { &backend, nullptr };
    bool show(const QString &path)
    {
        Result<Workspace> ws = Workspace::load(path);
        if (!ws.ok()) {
            qWarning("%s", qPrintable(ws.error()));
            return false;
        }
        panel.setWorkspace(ws.value());
        panel.singleAgent()->setComparing(true);
        return panel.singleAgent()->selectAgent(QStringLiteral("critic"));
    }
};

ExecutionEvent complete(const QString &id, qint64 seq, std::optional<double> cost)
{
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Complete;
    e.executionId = id;
    e.seq = seq;
    e.status = ExecutionStatus::Completed;
    e.summary.edit().outputData = QJsonObject { { QStringLiteral("verdict"), QStringLiteral("ok") } };
    e.summary.edit().costUsd = cost;
    e.summary.edit().inputTokens = 12;
    e.summary.edit().outputTokens = 30;
    e.summary.edit().executionTimeMs = 1500;
    return e;
}
} // namespace

class TestSideBySide : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // Two variants stream at once, each in its own column, each with its own model's text:
    // both columns receive chunks before either finishes; then each shows its metrics.
    void variantsStreamInParallel();
    // Esc cancels every column's run.
    void cancelStopsEveryColumn();
    // With engine concurrency 1 the second column waits `queued`, then runs.
    void lowConcurrencyQueuesTheRest();
    // Keep this variant writes it into the agent in the workspace file (read back from disk),
    // leaves the other agents and the providers as they were, and the engine runs it from then on.
    void keepWritesTheAgentToTheFile();
    // A workspace without a file of its own (the bundled example) cannot keep: Keep says why.
    void keepNeedsAFile();
    // What each column asks the backend: the same inputs, its own agent_overrides, its own id;
    // Cancel cancels them all.
    void requestsCarryEachVariantsOverrides();
    // A finished column shows its tokens, latency and cost; a model without a price shows
    // "price unknown", never $0.
    void unknownPriceIsShownAsUnknown();
    // At most four columns; the first one cannot be removed.
    void fourColumnsAtMost();

private:
    void makeWindow(int concurrency = 4);
    SingleAgentTab *single() const { return m_window->testPanel()->singleAgent(); }
    SideBySideView *view() const { return single()->sideBySide(); }
    void compareTwo(); // critic, compare on, column 1 on provider beta

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_wsPath;
    std::unique_ptr<LocalBackend> m_backend;
    std::unique_ptr<MainWindow> m_window;
};

void TestSideBySide::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_sidebyside"));
    QSettings().clear();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSideBySide::init()
{
    MessageBox::setDefaultAnswer(QMessageBox::NoButton);
    // A fresh file per test: keep edits it.
    m_wsPath = testsupport::writeFile(m_dir->path(),
        QStringLiteral("%1.agents.json").arg(QString::fromLatin1(QTest::currentTestFunction())),
        QByteArray(kWorkspace));
}

void TestSideBySide::cleanup()
{
    if (m_window)
        m_window->setWindowModified(false);
    m_window.reset();
    m_backend.reset();
}

void TestSideBySide::makeWindow(int concurrency)
{
    EngineSettings settings;
    settings.concurrency = concurrency;
    m_backend = std::make_unique<LocalBackend>(Workspace(), settings);
    m_window = std::make_unique<MainWindow>(m_backend.get());
    m_window->resize(1400, 900);
    QVERIFY(m_window->loadWorkspace(m_wsPath));
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestSideBySide::compareTwo()
{
    m_window->testPanel()->setCurrentWidget(single());
    QVERIFY(single()->selectAgent(QStringLiteral("critic")));
    single()->findChild<QCheckBox *>(QStringLiteral("compareVariants"))->click();
    QVERIFY(view()->isVisible());
    QCOMPARE(view()->count(), 1);
    single()->findChild<QPushButton *>(QStringLiteral("addVariantButton"))->click();
    QCOMPARE(view()->count(), 2);
    setProvider(view()->column(1), QStringLiteral("beta"));
    QCOMPARE(view()->column(1)->variant().provider, QStringLiteral("beta"));
    QVERIFY2(single()->canRun(), qPrintable(view()->problems().join(QLatin1Char('\n'))));
}

void TestSideBySide::variantsStreamInParallel()
{
    makeWindow();
    compareTwo();
    const int n = view()->count();
    QList<bool> gotChunk(n, false), done(n, false);
    bool overlapped = true; // no column finished before every column had a chunk
    for (int i = 0; i < n; ++i) {
        ExecutionTracker *t = view()->column(i)->tracker();
        connect(t, &ExecutionTracker::chunkReceived, this, [&, i] {
            if (!gotChunk[i] && done.contains(true))
                overlapped = false;
            gotChunk[i] = true;
        });
        connect(t, &ExecutionTracker::finished, this, [&, i] {
            done[i] = true;
            if (gotChunk.contains(false))
                overlapped = false;
        });
    }
    m_window->findChild<QAction *>(QStringLiteral("actionRun"))->trigger();
    QVERIFY(single()->isRunning());
    QVERIFY(m_window->testPanel()->isAnyRunning());
    QTRY_VERIFY_WITH_TIMEOUT(!done.contains(false), 30000);
    QVERIFY(!gotChunk.contains(false));
    QVERIFY2(overlapped, "a column finished before the other one had streamed anything");
    QVERIFY(!single()->isRunning());

    // Each column's text is its own model's reply.
    QCOMPARE(streamOf(view()->column(0)), kAlpha);
    QCOMPARE(streamOf(view()->column(1)), kBeta);
    for (int i = 0; i < n; ++i) {
        VariantColumn *c = view()->column(i);
        QCOMPARE(label(c, "metricStatus"), QStringLiteral("completed"));
        QVERIFY2(
            !label(c, "metricLatency").contains(QStringLiteral("–")), qPrintable(label(c, "metricLatency")));
        QVERIFY2(
            label(c, "metricTokens").contains(QStringLiteral(" → ~")), qPrintable(label(c, "metricTokens")));
        QCOMPARE(label(c, "metricCost"), QStringLiteral("$0")); // the scripted provider's price
    }
    // The parsed field of each column: its own reply.
    QCOMPARE(view()->column(0)->output()->outputs()->displayText(QStringLiteral("verdict")), kAlpha);
    QCOMPARE(view()->column(1)->output()->outputs()->displayText(QStringLiteral("verdict")), kBeta);
}

void TestSideBySide::cancelStopsEveryColumn()
{
    makeWindow();
    compareTwo();
    single()->findChild<QPushButton *>(QStringLiteral("addVariantButton"))->click();
    QCOMPARE(view()->count(), 3);
    m_window->findChild<QAction *>(QStringLiteral("actionRun"))->trigger();
    for (int i = 0; i < view()->count(); ++i)
        QTRY_VERIFY_WITH_TIMEOUT(!streamOf(view()->column(i)).isEmpty(), 10000);
    QVERIFY(single()->isRunning());
    m_window->findChild<QAction *>(QStringLiteral("actionCancel"))->trigger();
    for (int i = 0; i < view()->count(); ++i)
        QTRY_COMPARE_WITH_TIMEOUT(
            label(view()->column(i), "metricStatus"), QStringLiteral("cancelled"), 10000);
    QVERIFY(!single()->isRunning());
    QVERIFY(single()->findChild<QPushButton *>(QStringLiteral("runButton"))->isEnabled());
}

void TestSideBySide::lowConcurrencyQueuesTheRest()
{
    makeWindow(1);
    compareTwo();
    m_window->findChild<QAction *>(QStringLiteral("actionRun"))->trigger();
    VariantColumn *first = view()->column(0);
    VariantColumn *second = view()->column(1);
    QTRY_VERIFY_WITH_TIMEOUT(!streamOf(first).isEmpty(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(label(second, "metricStatus"), QStringLiteral("queued"), 10000);
    QVERIFY(streamOf(second).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(label(second, "metricStatus"), QStringLiteral("completed"), 30000);
    QCOMPARE(label(first, "metricStatus"), QStringLiteral("completed"));
    QCOMPARE(streamOf(second), kBeta);
    QVERIFY2(label(second, "metricQueue").endsWith(QStringLiteral(" s")),
        qPrintable(label(second, "metricQueue")));
}

void TestSideBySide::keepWritesTheAgentToTheFile()
{
    makeWindow();
    const Workspace before = m_window->workspace();
    compareTwo();
    VariantColumn *column = view()->column(1);
    column->editor()
        ->findChild<QPlainTextEdit *>(QStringLiteral("variantInstructions"))
        ->setPlainText(QStringLiteral("Judge the draft strictly."));
    column->editor()->findChild<QDoubleSpinBox *>(QStringLiteral("variantTemperature"))->setValue(0.3);
    column->editor()->findChild<QSpinBox *>(QStringLiteral("variantMaxTokens"))->setValue(512);
    QVERIFY(column->keepButton()->isEnabled());
    const int dialogs = MessageBox::count();
    MessageBox::setNextAnswer(QMessageBox::Save);
    QSignalSpy saved(m_window->testPanel(), &TestPanel::workspaceSaved);
    column->keepButton()->click();
    QCOMPARE(MessageBox::count(), dialogs + 1); // asked first
    QVERIFY(MessageBox::lastText().contains(QStringLiteral("critic")));
    QVERIFY(saved.wait(10000));

    // The file, read back from disk.
    Result<Workspace> reloaded = Workspace::load(m_wsPath);
    QVERIFY2(reloaded.ok(), qPrintable(reloaded.error()));
    const AgentSpec *critic = reloaded->agent(QStringLiteral("critic"));
    QVERIFY(critic);
    QCOMPARE(critic->instructions, QStringLiteral("Judge the draft strictly."));
    QCOMPARE(critic->model.provider, QStringLiteral("beta"));
    QCOMPARE(critic->model.name, QStringLiteral("scripted"));
    QCOMPARE(critic->model.temperature, std::optional<double>(0.3));
    QCOMPARE(critic->model.maxTokens, std::optional<int>(512));
    // Everything else as it was: the other agent, the critic's signature and examples, the providers.
    const QJsonObject was = before.toJson();
    const QJsonObject now = reloaded->toJson();
    QCOMPARE(now.value(QStringLiteral("agents")).toArray().at(1),
        was.value(QStringLiteral("agents")).toArray().at(1));
    QCOMPARE(now.value(QStringLiteral("providers")), was.value(QStringLiteral("providers")));
    QJsonObject criticWas = was.value(QStringLiteral("agents")).toArray().at(0).toObject();
    QJsonObject criticNow = now.value(QStringLiteral("agents")).toArray().at(0).toObject();
    for (const char *key : { "instructions", "model" }) {
        criticWas.remove(QLatin1String(key));
        criticNow.remove(QLatin1String(key));
    }
    QCOMPARE(criticNow, criticWas);

    // The window's document is the file now (not modified), and so is the engine's workspace.
    QCOMPARE(m_window->workspace().agent(QStringLiteral("critic"))->model.provider, QStringLiteral("beta"));
    QVERIFY(!m_window->isModified());
    QCOMPARE(m_backend->workspace().agent(QStringLiteral("critic"))->model.provider, QStringLiteral("beta"));
    QVERIFY(label(single(), "keepStatus").contains(QFileInfo(m_wsPath).fileName()));
    // The columns are kept as edited.
    QCOMPARE(view()->count(), 2);
    // A plain Single Agent run now gets beta's reply.
    single()->findChild<QCheckBox *>(QStringLiteral("compareVariants"))->click();
    QVERIFY(!view()->isVisible());
    m_window->findChild<QAction *>(QStringLiteral("actionRun"))->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(single()->output()->stream()->streamText(), kBeta, 30000);
}

void TestSideBySide::keepNeedsAFile()
{
    makeWindow();
    m_window->openExample();
    m_window->testPanel()->setCurrentWidget(single());
    single()->findChild<QCheckBox *>(QStringLiteral("compareVariants"))->click();
    QVERIFY(view()->count() >= 1);
    QPushButton *keep = view()->column(0)->keepButton();
    QVERIFY(!keep->isEnabled());
    QVERIFY2(keep->toolTip().contains(QStringLiteral("no file")), qPrintable(keep->toolTip()));
}

void TestSideBySide::requestsCarryEachVariantsOverrides()
{
    FeedPanel feed;
    QVERIFY(feed.show(m_wsPath));
    FeedBackend &backend = feed.backend;
    TestPanel &panel = feed.panel;
    SingleAgentTab *tab = panel.singleAgent();
    SideBySideView *sbs = tab->sideBySide();
    QVERIFY(sbs->addVariant());
    QVERIFY(sbs->addVariant());
    setProvider(sbs->column(1), QStringLiteral("beta"));
    VariantEditor *third = sbs->column(2)->editor();
    third->findChild<QPlainTextEdit *>(QStringLiteral("variantInstructions"))
        ->setPlainText(QStringLiteral("Be brief."));
    third->findChild<QDoubleSpinBox *>(QStringLiteral("variantTemperature"))->setValue(0.5);
    third->findChild<QSpinBox *>(QStringLiteral("variantMaxTokens"))->setValue(256);

    panel.runCurrent();
    QCOMPARE(backend.requests.size(), 3);
    QSet<QString> ids;
    for (const ExecutionRequest &r : std::as_const(backend.requests)) {
        QCOMPARE(r.agentId, QStringLiteral("critic"));
        QCOMPARE(r.inputs, QJsonObject({ { QStringLiteral("draft"), QStringLiteral("A short draft.") } }));
        QCOMPARE(r.testMode, TestMode::SingleAgent);
        ids.insert(r.executionId);
    }
    QCOMPARE(ids.size(), 3);
    QCOMPARE(backend.requests.at(0).agentOverrides, QJsonObject());
    const QJsonObject beta { { QStringLiteral("critic"),
        QJsonObject { { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("beta") },
                { QStringLiteral("name"), QStringLiteral("scripted") } } } } } };
    QCOMPARE(backend.requests.at(1).agentOverrides, beta);
    const QJsonObject brief { { QStringLiteral("critic"),
        QJsonObject { { QStringLiteral("instructions"), QStringLiteral("Be brief.") },
            { QStringLiteral("model"),
                QJsonObject { { QStringLiteral("provider"), QStringLiteral("alpha") },
                    { QStringLiteral("name"), QStringLiteral("scripted") },
                    { QStringLiteral("temperature"), 0.5 }, { QStringLiteral("max_tokens"), 256 } } } } } };
    QCOMPARE(backend.requests.at(2).agentOverrides, brief);
    // The wire form carries it under agent_overrides.
    QCOMPARE(backend.requests.at(1).toJson().value(QStringLiteral("agent_overrides")).toObject(), beta);

    QVERIFY(tab->isRunning());
    QVERIFY(!panel.singleAgent()->canRun());
    panel.cancelCurrent();
    QStringList cancelled = backend.cancelled;
    QStringList expected = QStringList(ids.cbegin(), ids.cend());
    cancelled.sort();
    expected.sort();
    QCOMPARE(cancelled, expected);
}

void TestSideBySide::unknownPriceIsShownAsUnknown()
{
    FeedPanel feed;
    QVERIFY(feed.show(m_wsPath));
    FeedBackend &backend = feed.backend;
    TestPanel &panel = feed.panel;
    SingleAgentTab *tab = panel.singleAgent();
    QVERIFY(tab->sideBySide()->addVariant());
    panel.runCurrent();
    QCOMPARE(backend.requests.size(), 2);
    backend.feed({ complete(backend.requests.at(0).executionId, 1, 0.0012),
        complete(backend.requests.at(1).executionId, 1, std::nullopt) });
    VariantColumn *priced = tab->sideBySide()->column(0);
    VariantColumn *unpriced = tab->sideBySide()->column(1);
    QCOMPARE(label(priced, "metricCost"), QStringLiteral("$0.001200"));
    QCOMPARE(label(unpriced, "metricCost"), QStringLiteral("price unknown"));
    QCOMPARE(label(unpriced, "metricTokens"), QStringLiteral("12 → 30"));
    QCOMPARE(label(unpriced, "metricLatency"), QStringLiteral("1.50 s"));
    QCOMPARE(unpriced->output()->outputs()->displayText(QStringLiteral("verdict")), QStringLiteral("ok"));
    QVERIFY(!tab->isRunning());
}

void TestSideBySide::fourColumnsAtMost()
{
    FeedPanel feed;
    QVERIFY(feed.show(m_wsPath));
    SingleAgentTab *tab = feed.panel.singleAgent();
    SideBySideView *sbs = tab->sideBySide();
    QVERIFY(sbs->addVariant());
    QVERIFY(sbs->addVariant());
    QVERIFY(sbs->addVariant());
    QCOMPARE(sbs->count(), 4);
    QVERIFY(!sbs->addVariant());
    QVERIFY(!tab->findChild<QPushButton *>(QStringLiteral("addVariantButton"))->isEnabled());
    QStringList names;
    for (const VariantSpec &v : sbs->variants())
        names << v.name;
    QCOMPARE(names,
        QStringList({ QStringLiteral("as is"), QStringLiteral("variant 2"), QStringLiteral("variant 3"),
            QStringLiteral("variant 4") }));
    sbs->removeVariant(0);
    QCOMPARE(sbs->count(), 4);
    sbs->removeVariant(2);
    QCOMPARE(sbs->count(), 3);
    QVERIFY(sbs->addVariant());
    QCOMPARE(sbs->column(3)->variant().name, QStringLiteral("variant 3"));
}

QTEST_MAIN(TestSideBySide)
#include "tst_sidebyside.moc"
