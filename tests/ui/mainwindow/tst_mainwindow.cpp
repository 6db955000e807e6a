// Drives the real MainWindow by objectName, against the real embedded engine (LocalBackend) and
// the scripted provider, with a temporary database and a test workspace: the generated form
// with every field type, validation that blocks and then allows Run, the stream growing, the
// parsed output and metrics, cancel, a failing agent, Full Workflow colouring its nodes, Node
// in Context prefilled from pins and from a Full Workflow run ("Test in context"), and the
// workspace file handling (example on first start, last workspace after, problems, prompts).
#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "tests/support/TestSupport.h"
#include "ui/common/FileDialog.h"
#include "ui/common/JsonEditor.h"
#include "ui/common/MessageBox.h"
#include "ui/form/FormBuilder.h"
#include "ui/form/ListFieldEditor.h"
#include "ui/history/HistoryDock.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/MetricsBar.h"
#include "ui/testpanel/NodeInContextTab.h"
#include "ui/testpanel/OutputFieldsView.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/SingleAgentTab.h"
#include "ui/testpanel/StreamOutputView.h"
#include "ui/testpanel/TestPanel.h"
#include "ui/trace/CompareView.h"
#include "ui/workflow/WorkflowGraphView.h"

#include <Qsci/qsciscintilla.h>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <memory>

namespace {

// A long fixed reply, so the stream is observably growing at a fast pace.
QString longSummary()
{
    QStringList words;
    for (int i = 0; i < 160; ++i)
        words << QStringLiteral("word%1").arg(i);
    return words.join(QLatin1Char(' '));
}

QByteArray testWorkspace()
{
    const QString reply = as::compactJson(
        QJsonObject { { QStringLiteral("summary"), longSummary() }, { QStringLiteral("confidence"), 0.8 } });
    QJsonObject fast { { QStringLiteral("provider"), QStringLiteral("offline") },
        { QStringLiteral("name"), QStringLiteral("scripted") }, { QStringLiteral("tokens_per_second"), 1500 },
        { QStringLiteral("ttft_ms"), 30 } };
    QJsonObject allTypesModel = fast;
    allTypesModel.insert(QStringLiteral("replies"), QJsonArray { reply });
    QJsonObject slowModel = fast;
    slowModel.insert(QStringLiteral("tokens_per_second"), 15);
    QJsonObject brokenModel = fast;
    brokenModel.insert(QStringLiteral("fail_with"), QStringLiteral("simulated outage"));
    brokenModel.insert(QStringLiteral("fail_after_tokens"), 5);

    const QJsonArray allInputs = QJsonDocument::fromJson(R"([
        {"name": "title", "type": "str", "desc": "A short title", "max_length": 40},
        {"name": "body", "type": "str", "multiline": true, "required": false, "desc": "Longer text"},
        {"name": "count", "type": "int", "min": 1, "max": 100, "default": 10},
        {"name": "ratio", "type": "float", "min": 0, "max": 1},
        {"name": "flag", "type": "bool", "default": false},
        {"name": "tone", "type": "enum", "choices": ["neutral", "upbeat"]},
        {"name": "tags", "type": "list[str]", "default": []},
        {"name": "ids", "type": "list[int]", "default": []},
        {"name": "extra", "type": "json", "required": false}
    ])")
                                     .array();
    const QJsonObject outputs { { QStringLiteral("outputs"),
        QJsonDocument::fromJson(R"([
        {"name": "summary", "type": "str", "desc": "The summary"},
        {"name": "confidence", "type": "float", "min": 0, "max": 1}])")
            .array() } };
    auto agent = [&](const QString &id, const QJsonObject &model, const QJsonArray &inputs,
                     const QJsonArray &outs) {
        return QJsonObject { { QStringLiteral("id"), id }, { QStringLiteral("name"), id },
            { QStringLiteral("version"), QStringLiteral("1") }, { QStringLiteral("model"), model },
            { QStringLiteral("instructions"), QString(QStringLiteral("Test agent ") + id) },
            { QStringLiteral("signature"),
                QJsonObject { { QStringLiteral("inputs"), inputs }, { QStringLiteral("outputs"), outs } } } };
    };
    const QJsonArray topicIn = QJsonDocument::fromJson(R"([{"name": "topic", "type": "str"}])").array();
    const QJsonArray textOut = QJsonDocument::fromJson(R"([{"name": "text", "type": "str"}])").array();
    const QJsonArray criticIn
        = QJsonDocument::fromJson(R"([{"name": "draft", "type": "str", "multiline": true},
        {"name": "strict", "type": "bool", "default": false}])")
              .array();
    const QJsonArray criticOut = QJsonDocument::fromJson(R"([
        {"name": "verdict", "type": "enum", "choices": ["approve", "revise"]},
        {"name": "score", "type": "int", "min": 0, "max": 10}])")
                                     .array();

    QJsonObject allTypes = agent(QStringLiteral("all_types"), allTypesModel, allInputs,
        outputs.value(QStringLiteral("outputs")).toArray());
    allTypes.insert(QStringLiteral("examples"),
        QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("Filled") },
            { QStringLiteral("inputs"),
                QJsonObject { { QStringLiteral("title"), QStringLiteral("From example") },
                    { QStringLiteral("ratio"), 0.25 },
                    { QStringLiteral("tone"), QStringLiteral("upbeat") } } } } });
    const QJsonObject root { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("workspace_id"), QStringLiteral("uitest") },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") } } } } },
        { QStringLiteral("agents"),
            QJsonArray { allTypes, agent(QStringLiteral("slow"), slowModel, topicIn, textOut),
                agent(QStringLiteral("broken"), brokenModel, topicIn, textOut),
                agent(QStringLiteral("writer"), fast, topicIn, textOut),
                agent(QStringLiteral("critic"), fast, criticIn, criticOut) } },
        { QStringLiteral("orchestrations"),
            QJsonArray { QJsonDocument::fromJson(R"({
            "id": "brief", "name": "Research brief", "version": "1",
            "inputs": [{"name": "topic", "type": "str"}],
            "nodes": [{"id": "draft", "agent": "writer"}, {"id": "review", "agent": "critic"}],
            "edges": [{"from": "input.topic", "to": "draft.topic"}, {"from": "draft.text", "to": "review.draft"}],
            "outputs": [{"name": "verdict", "from": "review.verdict"}, {"name": "brief", "from": "draft.text"}],
            "pins": {"review": {"draft": "A pinned draft used by Node in Context"}}
        })")
                             .object(),
                QJsonDocument::fromJson(R"({
            "id": "fragile", "name": "Fragile chain", "version": "1",
            "inputs": [{"name": "topic", "type": "str"}],
            "nodes": [{"id": "a", "agent": "writer"}, {"id": "b", "agent": "broken"}, {"id": "c", "agent": "critic"}],
            "edges": [{"from": "input.topic", "to": "a.topic"}, {"from": "a.text", "to": "b.topic"},
                      {"from": "b.text", "to": "c.draft"}],
            "outputs": [{"name": "verdict", "from": "c.verdict"}]
        })")
                    .object() } } };
    return QJsonDocument(root).toJson();
}

template <typename T> T *child(QObject *parent, const QString &name)
{
    T *w = parent->findChild<T *>(name);
    if (!w)
        qWarning("no child %s named %s", T::staticMetaObject.className(), qPrintable(name));
    return w;
}

QString labelText(QObject *parent, const char *name)
{
    auto *l = parent->findChild<QLabel *>(QString::fromLatin1(name));
    return l ? l->text() : QString();
}

QTreeWidgetItem *findTreeItem(QTreeWidget *tree, const QString &text)
{
    const QList<QTreeWidgetItem *> items = tree->findItems(text, Qt::MatchExactly | Qt::MatchRecursive);
    return items.isEmpty() ? nullptr : items.first();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // First start opens the bundled example; afterwards the last workspace.
    void opensExampleThenLastWorkspace();
    // The workspace tree lists agents and workflows and drives the test panel.
    void workspaceTreeSelects();
    // A workspace with problems lists them with their JSON paths and keeps the current one.
    void invalidWorkspaceShowsProblems();
    // New / Save As / unsaved-changes prompt / recent files.
    void fileActionsAndUnsavedPrompt();
    // Every field type filled through its widget; validation blocks then allows Run; the
    // stream grows; parsed output, raw reply and metrics at the end.
    void singleAgentEndToEnd();
    // Examples one click away; last inputs remembered per agent.
    void examplesAndRememberedInputs();
    // Esc cancels the run: status cancelled.
    void cancelRun();
    // A failing agent: metrics show failed and the provider's message.
    void failingAgent();
    // Ctrl+Return runs from the keyboard; the status bar shows the engine and the counts.
    void keyboardAndStatusBar();
    // Full Workflow: nodes change state to done, outputs at the end, per-node streams.
    void fullWorkflowRun();
    // A failing node: the run fails naming it, the node is red, the one after it skipped.
    void fullWorkflowFailure();
    // The bundled example on a first start: choosing a workflow fills its form from the first
    // example, so Run works at once and the run completes; the picker loads the others.
    void workflowStartsFromFirstExample();
    // Node in Context: pins prefill the upstream form, Pin saves edits, the run is recorded
    // as node_in_context; "Test in context" from a Full Workflow run prefills from that run.
    void nodeInContext();
    // History dock: a run is found by full-text search and "Run again" re-runs it in the
    // test panel with the same inputs, recorded with rerun_of.
    void historySearchAndRunAgain();
    // A first start fits the primary screen (offscreen: 800×600), whatever its size.
    void firstStartFitsThePrimaryScreen();
    // Laid out for a screen's available area: inside it, and the test panel is the largest
    // area (the history dock well under half the height) down to 1280×720.
    void firstWindowLayout_data();
    void firstWindowLayout();
    // Cost, latency and token formats of the metrics bar ("price unknown", "~" when estimated).
    void metricFormats_data();
    void metricFormats();

private:
    QString m_wsPath;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<LocalBackend> m_backend;
    std::unique_ptr<MainWindow> m_window;
    QString m_dbPath;

    void makeWindow(bool loadTestWorkspace = true);
    SingleAgentTab *single() const { return m_window->testPanel()->singleAgent(); }
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    QSettings().clear();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_wsPath = testsupport::writeFile(m_dir->path(), QStringLiteral("ui.agents.json"), testWorkspace());
    QStringList problems;
    const Result<Workspace> ws = Workspace::load(m_wsPath, &problems);
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    m_dbPath = m_dir->filePath(QStringLiteral("executions.db"));
}

void TestMainWindow::makeWindow(bool loadTestWorkspace)
{
    m_window.reset();
    m_backend.reset();
    EngineSettings settings;
    settings.databasePath = m_dbPath;
    m_backend = std::make_unique<LocalBackend>(Workspace(), settings);
    m_window = std::make_unique<MainWindow>(m_backend.get());
    m_window->resize(1500, 950);
    if (loadTestWorkspace)
        QVERIFY(m_window->loadWorkspace(m_wsPath));
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMainWindow::init()
{
    MessageBox::setDefaultAnswer(QMessageBox::NoButton);
    makeWindow();
}

void TestMainWindow::cleanup()
{
    if (m_window)
        m_window->setWindowModified(false); // no prompt on close
    m_window.reset();
    m_backend.reset();
}

void TestMainWindow::opensExampleThenLastWorkspace()
{
    QSettings().clear();
    makeWindow(false);
    m_window->openInitialWorkspace();
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("example"));
    QVERIFY(m_window->workspacePath().isEmpty());
    QVERIFY(!m_window->workspace().agents.isEmpty());
    // Open the test workspace: it becomes the last one and a recent file.
    QVERIFY(m_window->loadWorkspace(m_wsPath));
    QCOMPARE(m_window->recentFiles().value(0), QFileInfo(m_wsPath).absoluteFilePath());
    makeWindow(false);
    m_window->openInitialWorkspace();
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("uitest"));
    QCOMPARE(m_window->workspacePath(), QFileInfo(m_wsPath).absoluteFilePath());
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("ui.agents.json")));
    // Ready to type: the first field of the form has the keyboard focus.
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTRY_COMPARE(QApplication::focusWidget() ? QApplication::focusWidget()->objectName() : QString(),
        QStringLiteral("field_title"));
}

void TestMainWindow::workspaceTreeSelects()
{
    auto *tree = child<QTreeWidget>(m_window.get(), QStringLiteral("workspaceTree"));
    QVERIFY(tree);
    QAbstractItemModelTester tester(tree->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(tree->topLevelItemCount(), 2);
    QCOMPARE(tree->topLevelItem(0)->childCount(), 5); // agents
    QCOMPARE(tree->topLevelItem(1)->childCount(), 2); // workflows
    QCOMPARE(tree->topLevelItem(1)->child(0)->childCount(), 2); // nodes

    auto *panel = child<QTabWidget>(m_window.get(), QStringLiteral("testPanel"));
    tree->setCurrentItem(findTreeItem(tree, QStringLiteral("slow")));
    QCOMPARE(panel->currentWidget()->objectName(), QStringLiteral("singleAgentTab"));
    QCOMPARE(
        child<QComboBox>(panel->currentWidget(), QStringLiteral("agentPicker"))->currentData().toString(),
        QStringLiteral("slow"));
    tree->setCurrentItem(findTreeItem(tree, QStringLiteral("Research brief")));
    QCOMPARE(panel->currentWidget()->objectName(), QStringLiteral("fullWorkflowTab"));
    tree->setCurrentItem(tree->topLevelItem(1)->child(0)->child(1));
    QCOMPARE(panel->currentWidget()->objectName(), QStringLiteral("nodeInContextTab"));
    QCOMPARE(child<QComboBox>(panel->currentWidget(), QStringLiteral("nodePicker"))->currentData().toString(),
        QStringLiteral("review"));
}

void TestMainWindow::invalidWorkspaceShowsProblems()
{
    const QString invalid = testsupport::sourcePath(QStringLiteral("resources/examples/invalid.agents.json"));
    QVERIFY(!m_window->loadWorkspace(invalid));
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("uitest")); // kept
    auto *dock = child<QDockWidget>(m_window.get(), QStringLiteral("problemsDock"));
    QVERIFY(dock->isVisible());
    auto *list = child<QListWidget>(m_window.get(), QStringLiteral("problemsList"));
    QVERIFY(list->count() >= 2);
    bool hasPath = false;
    for (int i = 0; i < list->count(); ++i)
        hasPath = hasPath || list->item(i)->text().contains(QStringLiteral("agents["));
    QVERIFY2(hasPath, qPrintable(m_window->problems().join(QLatin1Char('\n'))));
    // Garbage is a problem too, not a crash.
    const QString garbage
        = testsupport::writeFile(m_dir->path(), QStringLiteral("garbage.agents.json"), "{ not json");
    QVERIFY(!m_window->loadWorkspace(garbage));
    QVERIFY(list->count() >= 1);
    // A good load clears the pane.
    QVERIFY(m_window->loadWorkspace(m_wsPath));
    QVERIFY(!dock->isVisible());
}

void TestMainWindow::fileActionsAndUnsavedPrompt()
{
    QVERIFY(!m_window->isModified());
    m_window->setPins(QStringLiteral("brief"), QStringLiteral("review"),
        { { QStringLiteral("draft"), QStringLiteral("edited pin") } });
    QVERIFY(m_window->isModified());
    // Cancel keeps everything.
    MessageBox::setNextAnswer(QMessageBox::Cancel);
    QVERIFY(!m_window->newWorkspace());
    QVERIFY(m_window->isModified());
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("uitest"));
    // Save → Save As (scripted file name) since we choose a new place.
    const QString copy = m_dir->filePath(QStringLiteral("copy.agents.json"));
    FileDialog::setNextFileName(copy);
    QVERIFY(m_window->saveAs());
    QVERIFY(!m_window->isModified());
    QCOMPARE(m_window->workspacePath(), copy);
    QCOMPARE(m_window->recentFiles().value(0), copy);
    const Result<Workspace> saved = Workspace::load(copy);
    QVERIFY(saved.ok());
    QCOMPARE(saved->orchestration(QStringLiteral("brief"))
                 ->pins.value(QStringLiteral("review"))
                 .value(QStringLiteral("draft")),
        QJsonValue(QStringLiteral("edited pin")));
    // Discard on New.
    m_window->setPins(QStringLiteral("brief"), QStringLiteral("review"),
        { { QStringLiteral("draft"), QStringLiteral("x") } });
    MessageBox::setNextAnswer(QMessageBox::Discard);
    QVERIFY(m_window->newWorkspace());
    QVERIFY(m_window->workspace().agents.isEmpty());
    QVERIFY(!m_window->isModified());
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("Untitled")));
    // Open goes through the scripted file dialog.
    FileDialog::setNextFileName(copy);
    QVERIFY(m_window->openWorkspace());
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("uitest"));
    // A cancelled dialog opens nothing.
    FileDialog::setNextCancel();
    QVERIFY(!m_window->openWorkspace());
}

void TestMainWindow::singleAgentEndToEnd()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("all_types"));
    auto *run = child<QPushButton>(tab, QStringLiteral("runButton"));
    auto *form = tab->form();
    QVERIFY(run && form);
    // First time with an agent (nothing remembered), the form starts from its first example, so
    // Run works at once.
    QCOMPARE(form->values().value(QStringLiteral("title")), QJsonValue(QStringLiteral("From example")));
    QVERIFY(run->isEnabled());
    form->resetToDefaults();
    QVERIFY(!run->isEnabled()); // title, ratio and tone are required and empty

    // str
    auto *title = child<QLineEdit>(form, QStringLiteral("field_title"));
    QTest::keyClicks(title, QStringLiteral("This title is far too long for the forty character limit"));
    QVERIFY(!run->isEnabled());
    QVERIFY(!child<QLabel>(form, QStringLiteral("error_title"))->isHidden());
    QVERIFY(labelText(form, "error_title").contains(QStringLiteral("40")));
    title->clear();
    QTest::keyClicks(title, QStringLiteral("Quarterly summary"));
    QVERIFY(child<QLabel>(form, QStringLiteral("error_title"))->isHidden());
    // str multiline
    child<QsciScintilla>(form, QStringLiteral("field_body"))
        ->setText(QStringLiteral("First line\nSecond line"));
    // int
    child<QSpinBox>(form, QStringLiteral("field_count"))->setValue(42);
    // float
    child<QDoubleSpinBox>(form, QStringLiteral("field_ratio"))->setValue(0.5);
    // bool
    child<QCheckBox>(form, QStringLiteral("field_flag"))->click();
    QVERIFY(!run->isEnabled()); // tone still missing
    // enum
    child<QComboBox>(form, QStringLiteral("field_tone"))->setCurrentIndex(1);
    // list[str]
    auto *tags = child<ListFieldEditor>(form, QStringLiteral("field_tags"));
    tags->addItem(QStringLiteral("alpha"));
    tags->addItem(QStringLiteral("beta"));
    // list[int] with a bad item blocks...
    auto *ids = child<ListFieldEditor>(form, QStringLiteral("field_ids"));
    ids->addItem(QStringLiteral("7"));
    ids->addItem(QStringLiteral("eight"));
    QVERIFY(!run->isEnabled());
    QVERIFY(labelText(form, "error_ids").contains(QStringLiteral("item 2")));
    ids->list()->item(1)->setText(QStringLiteral("8"));
    // json with a syntax error blocks...
    auto *extra = child<JsonEditor>(form, QStringLiteral("field_extra"));
    extra->setText(QStringLiteral("{\"mode\": }"));
    QVERIFY(!run->isEnabled());
    QVERIFY(labelText(form, "error_extra").contains(QStringLiteral("line 1")));
    extra->setText(QStringLiteral("{\"mode\": \"fast\", \"n\": [1, 2]}"));
    QVERIFY2(run->isEnabled(), qPrintable(form->problems().join(QLatin1Char('\n'))));

    const QJsonObject expected { { QStringLiteral("title"), QStringLiteral("Quarterly summary") },
        { QStringLiteral("body"), QStringLiteral("First line\nSecond line") },
        { QStringLiteral("count"), 42 }, { QStringLiteral("ratio"), 0.5 }, { QStringLiteral("flag"), true },
        { QStringLiteral("tone"), QStringLiteral("upbeat") },
        { QStringLiteral("tags"), QJsonArray { QStringLiteral("alpha"), QStringLiteral("beta") } },
        { QStringLiteral("ids"), QJsonArray { 7, 8 } },
        { QStringLiteral("extra"),
            QJsonObject { { QStringLiteral("mode"), QStringLiteral("fast") },
                { QStringLiteral("n"), QJsonArray { 1, 2 } } } } };
    QCOMPARE(form->values(), expected);

    // Run and watch the stream grow while the run is still going.
    auto *stream = child<StreamOutputView>(tab, QStringLiteral("streamOutput"));
    auto *cancel = child<QPushButton>(tab, QStringLiteral("cancelButton"));
    QVERIFY(!cancel->isEnabled());
    run->click();
    QVERIFY(!run->isEnabled());
    QVERIFY(cancel->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(stream->toPlainText().size() > 0, 10000);
    const qsizetype first = stream->toPlainText().size();
    QTRY_VERIFY_WITH_TIMEOUT(stream->toPlainText().size() > first, 10000);
    QVERIFY(tab->isRunning()); // it grew while running
    QVERIFY(labelText(tab, "metricStatus") == QStringLiteral("running"));
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 20000);
    QVERIFY(!tab->isRunning());
    QVERIFY(run->isEnabled());
    QVERIFY(!cancel->isEnabled());
    QVERIFY(stream->flushCount() < stream->toPlainText().size() / 4); // coalesced, not per chunk
    QVERIFY(stream->toPlainText().contains(QStringLiteral("word159")));

    // Parsed output fields, typed and copyable.
    auto *outputs = child<OutputFieldsView>(tab, QStringLiteral("outputFields"));
    QCOMPARE(outputs->values().value(QStringLiteral("confidence")), QJsonValue(0.8));
    QVERIFY(outputs->displayText(QStringLiteral("summary")).startsWith(QStringLiteral("word0 word1")));
    QVERIFY(child<QWidget>(outputs, QStringLiteral("output_summary")));
    QVERIFY(child<QWidget>(outputs, QStringLiteral("copy_confidence")));
    // The raw reply is the JSON text the model sent.
    auto *raw = child<QPlainTextEdit>(tab, QStringLiteral("rawReply"));
    QVERIFY2(raw->toPlainText().contains(QStringLiteral("\"confidence\"")),
        qPrintable(raw->toPlainText().left(200)));
    // Metrics: latency, tokens (estimated: "~"), rate and cost.
    QVERIFY(labelText(tab, "metricLatency") != QStringLiteral("–"));
    QVERIFY(labelText(tab, "metricTtft") != QStringLiteral("–"));
    QVERIFY2(labelText(tab, "metricTokens").contains(QLatin1Char('~')),
        qPrintable(labelText(tab, "metricTokens")));
    QVERIFY(labelText(tab, "metricRate") != QStringLiteral("–"));
    QVERIFY2(
        labelText(tab, "metricCost").startsWith(QLatin1Char('$')), qPrintable(labelText(tab, "metricCost")));
    QVERIFY(child<QLabel>(tab, QStringLiteral("metricError"))->isHidden());

    // The run is in the store as a single_agent test-panel run with these inputs.
    ExecutionStore store(m_dbPath);
    QVERIFY(store.open().ok());
    const Result<ExecutionRecord> rec
        = store.execution(StoreScope::everyWorkspace(), tab->tracker()->executionId(), false);
    QVERIFY2(rec.ok(), qPrintable(rec.error()));
    QCOMPARE(rec->testMode, TestMode::SingleAgent);
    QCOMPARE(rec->triggerType, TriggerType::TestPanel);
    QCOMPARE(rec->inputData.value(QStringLiteral("title")), QJsonValue(QStringLiteral("Quarterly summary")));

    m_window->grab().save(QStringLiteral("/tmp/shot_completed.png"));
}

void TestMainWindow::examplesAndRememberedInputs()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("all_types"));
    auto *examples = child<QComboBox>(tab, QStringLiteral("examplesPicker"));
    QCOMPARE(examples->count(), 2);
    examples->setCurrentIndex(1);
    emit examples->activated(1);
    QCOMPARE(
        tab->form()->values().value(QStringLiteral("title")), QJsonValue(QStringLiteral("From example")));
    QVERIFY(tab->canRun());
    QCOMPARE(examples->currentIndex(), 0); // back to "Examples…"
    child<QLineEdit>(tab->form(), QStringLiteral("field_title"))->setText(QStringLiteral("Remember me"));
    QVERIFY(!tab->run().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 20000);
    // Another agent, then back: the last inputs come back; also in a new window.
    m_window->testPanel()->showAgent(QStringLiteral("slow"));
    QVERIFY(!tab->form()->values().contains(QStringLiteral("title")));
    m_window->testPanel()->showAgent(QStringLiteral("all_types"));
    QCOMPARE(tab->form()->values().value(QStringLiteral("title")), QJsonValue(QStringLiteral("Remember me")));
    makeWindow();
    m_window->testPanel()->showAgent(QStringLiteral("all_types"));
    QCOMPARE(
        single()->form()->values().value(QStringLiteral("title")), QJsonValue(QStringLiteral("Remember me")));
    QCOMPARE(single()->form()->values().value(QStringLiteral("tone")), QJsonValue(QStringLiteral("upbeat")));
}

void TestMainWindow::cancelRun()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("slow"));
    QTest::keyClicks(
        child<QLineEdit>(tab->form(), QStringLiteral("field_topic")), QStringLiteral("patience"));
    child<QPushButton>(tab, QStringLiteral("runButton"))->click();
    auto *stream = child<StreamOutputView>(tab, QStringLiteral("streamOutput"));
    QTRY_VERIFY_WITH_TIMEOUT(!stream->toPlainText().isEmpty(), 10000);
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("cancelled"), 10000);
    QVERIFY(!tab->isRunning());
    QVERIFY(child<QPushButton>(tab, QStringLiteral("runButton"))->isEnabled());
    // The partial output stays visible.
    QVERIFY(!stream->toPlainText().isEmpty());
}

void TestMainWindow::failingAgent()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("broken"));
    QTest::keyClicks(child<QLineEdit>(tab->form(), QStringLiteral("field_topic")), QStringLiteral("doomed"));
    child<QPushButton>(tab, QStringLiteral("runButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("failed"), 20000);
    auto *error = child<QLabel>(tab, QStringLiteral("metricError"));
    QVERIFY(!error->isHidden());
    QVERIFY2(error->text().contains(QStringLiteral("simulated outage")), qPrintable(error->text()));
    QVERIFY(child<QPushButton>(tab, QStringLiteral("runButton"))->isEnabled());
    m_window->grab().save(QStringLiteral("/tmp/shot_failed.png"));
}

void TestMainWindow::keyboardAndStatusBar()
{
    QVERIFY(labelText(m_window.get(), "engineLabel").contains(QStringLiteral("Local")));
    QVERIFY(labelText(m_window.get(), "engineLabel").contains(QStringLiteral("connected")));
    QVERIFY(labelText(m_window.get(), "countsLabel").contains(QStringLiteral("0 running")));
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("slow"));
    QTest::keyClicks(child<QLineEdit>(tab->form(), QStringLiteral("field_topic")), QStringLiteral("keys"));
    QTest::keyClick(m_window.get(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(tab->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(
        labelText(m_window.get(), "countsLabel").contains(QStringLiteral("1 running")), 10000);
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        labelText(m_window.get(), "countsLabel").contains(QStringLiteral("0 running")), 10000);
    // Ctrl+Return also works while typing in a multiline (QScintilla) field.
    m_window->testPanel()->showAgent(QStringLiteral("critic"));
    auto *draft = child<QsciScintilla>(tab->form(), QStringLiteral("field_draft"));
    draft->setText(QStringLiteral("A draft"));
    draft->setFocus();
    QTRY_VERIFY(draft->hasFocus());
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(tab->isRunning());
    QCOMPARE(draft->text(), QStringLiteral("A draft")); // no newline typed
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 10000);
}

void TestMainWindow::fullWorkflowRun()
{
    m_window->testPanel()->showOrchestration(QStringLiteral("brief"));
    FullWorkflowTab *tab = m_window->testPanel()->fullWorkflow();
    QCOMPARE(m_window->testPanel()->currentWidget(), tab);
    auto *nodes = child<QTreeWidget>(tab, QStringLiteral("nodeList"));
    QAbstractItemModelTester tester(nodes->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(nodes->topLevelItemCount(), 2);
    auto *run = child<QPushButton>(tab, QStringLiteral("runButton"));
    QVERIFY(!run->isEnabled());
    QTest::keyClicks(
        child<QLineEdit>(tab->form(), QStringLiteral("field_topic")), QStringLiteral("heat pumps"));
    QVERIFY(run->isEnabled());
    QVERIFY(!child<QPushButton>(tab, QStringLiteral("testInContextButton"))->isEnabled());
    run->click();
    QTRY_VERIFY_WITH_TIMEOUT(
        tab->nodeState(QStringLiteral("draft")) != FullWorkflowTab::NodeState::Waiting, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 30000);
    QCOMPARE(tab->nodeState(QStringLiteral("draft")), FullWorkflowTab::NodeState::Done);
    QCOMPARE(tab->nodeState(QStringLiteral("review")), FullWorkflowTab::NodeState::Done);
    QCOMPARE(nodes->topLevelItem(0)->text(2), QStringLiteral("done"));
    auto *graph = child<WorkflowGraphView>(tab, QStringLiteral("workflowGraph"));
    QCOMPARE(graph->nodeState(QStringLiteral("draft")), WorkflowGraphView::Done);
    QCOMPARE(graph->nodeState(QStringLiteral("review")), WorkflowGraphView::Done);
    // Workflow outputs at the end.
    auto *outputs = child<OutputFieldsView>(tab, QStringLiteral("outputFields"));
    QVERIFY(outputs->values().contains(QStringLiteral("verdict")));
    QVERIFY(outputs->values().contains(QStringLiteral("brief")));
    // Selecting a node shows that node's own stream.
    tab->selectNode(QStringLiteral("draft"));
    auto *stream = child<StreamOutputView>(tab, QStringLiteral("streamOutput"));
    QCOMPARE(stream->toPlainText(), tab->output()->nodeStream(QStringLiteral("draft")));
    QVERIFY(!stream->toPlainText().isEmpty());
    tab->selectNode(QStringLiteral("review"));
    QCOMPARE(stream->toPlainText(), tab->output()->nodeStream(QStringLiteral("review")));
    QVERIFY(child<QPushButton>(tab, QStringLiteral("testInContextButton"))->isEnabled());
    m_window->grab().save(QStringLiteral("/tmp/shot_workflow.png"));
}

void TestMainWindow::fullWorkflowFailure()
{
    m_window->testPanel()->showOrchestration(QStringLiteral("fragile"));
    FullWorkflowTab *tab = m_window->testPanel()->fullWorkflow();
    child<QLineEdit>(tab->form(), QStringLiteral("field_topic"))->setText(QStringLiteral("risk"));
    QVERIFY(!tab->run().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("failed"), 30000);
    QCOMPARE(tab->nodeState(QStringLiteral("a")), FullWorkflowTab::NodeState::Done);
    QCOMPARE(tab->nodeState(QStringLiteral("b")), FullWorkflowTab::NodeState::Failed);
    QCOMPARE(tab->nodeState(QStringLiteral("c")), FullWorkflowTab::NodeState::Skipped);
    QVERIFY2(labelText(tab, "metricError").contains(QStringLiteral("simulated outage")),
        qPrintable(labelText(tab, "metricError")));
    auto *graph = child<WorkflowGraphView>(tab, QStringLiteral("workflowGraph"));
    QCOMPARE(graph->nodeState(QStringLiteral("b")), WorkflowGraphView::Failed);
    QCOMPARE(graph->nodeState(QStringLiteral("c")), WorkflowGraphView::Skipped);
    m_window->grab().save(QStringLiteral("/tmp/shot_workflow_failed.png"));
}

void TestMainWindow::workflowStartsFromFirstExample()
{
    QSettings().clear();
    makeWindow(false);
    m_window->openInitialWorkspace();
    QCOMPARE(m_window->workspace().workspaceId, QStringLiteral("example"));
    const OrchestrationSpec *brief = m_window->workspace().orchestration(QStringLiteral("research_brief"));
    QVERIFY(brief && brief->examples.size() >= 2);

    auto *tree = child<QTreeWidget>(m_window.get(), QStringLiteral("workspaceTree"));
    tree->setCurrentItem(findTreeItem(tree, QStringLiteral("Research brief")));
    FullWorkflowTab *tab = m_window->testPanel()->fullWorkflow();
    QCOMPARE(m_window->testPanel()->currentWidget(), tab);
    QCOMPARE(tab->currentOrchestrationId(), QStringLiteral("research_brief"));
    auto *topic = child<QLineEdit>(tab->form(), QStringLiteral("field_topic"));
    QCOMPARE(topic->text(), brief->examples.first().inputs.value(QLatin1String("topic")).toString());
    QCOMPARE(labelText(tab, "formStatus"), QStringLiteral("Ready to run."));
    auto *run = child<QPushButton>(tab, QStringLiteral("runButton"));
    QVERIFY(run->isEnabled());

    // The examples picker: a prompt, then one entry per example; choosing one fills the form.
    auto *examples = child<QComboBox>(tab, QStringLiteral("examplesPicker"));
    QVERIFY(examples->isEnabled());
    QCOMPARE(examples->count(), int(brief->examples.size()) + 1);
    QCOMPARE(examples->itemText(2), brief->examples.at(1).name);
    examples->setCurrentIndex(2);
    emit examples->activated(2);
    QCOMPARE(examples->currentIndex(), 0);
    QCOMPARE(topic->text(), brief->examples.at(1).inputs.value(QLatin1String("topic")).toString());
    QCOMPARE(tab->form()->values().value(QLatin1String("audience")),
        brief->examples.at(1).inputs.value(QLatin1String("audience")));
    examples->setCurrentIndex(1);
    emit examples->activated(1);
    QCOMPARE(topic->text(), brief->examples.first().inputs.value(QLatin1String("topic")).toString());

    run->click();
    QVERIFY(tab->isRunning());
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 30000);
    QCOMPARE(tab->nodeState(QStringLiteral("draft")), FullWorkflowTab::NodeState::Done);
    QCOMPARE(tab->nodeState(QStringLiteral("review")), FullWorkflowTab::NodeState::Done);
    QVERIFY(child<OutputFieldsView>(tab, QStringLiteral("outputFields"))
                ->values()
                .contains(QStringLiteral("brief")));
}

void TestMainWindow::firstStartFitsThePrimaryScreen()
{
    m_window.reset();
    QSettings().clear();
    m_window = std::make_unique<MainWindow>(m_backend.get());
    const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
    QVERIFY2(available.contains(m_window->geometry()),
        qPrintable(QStringLiteral("%1x%2 on %3x%4")
                       .arg(m_window->width())
                       .arg(m_window->height())
                       .arg(available.width())
                       .arg(available.height())));
    QVERIFY(m_window->width() >= available.width() * 8 / 10);
}

void TestMainWindow::firstWindowLayout_data()
{
    QTest::addColumn<QRect>("available");
    QTest::newRow("1920x1080") << QRect(0, 0, 1920, 1080);
    QTest::newRow("1366x768") << QRect(0, 0, 1366, 768);
    QTest::newRow("1280x800") << QRect(0, 0, 1280, 800);
    QTest::newRow("1280x720") << QRect(0, 0, 1280, 720);
}

void TestMainWindow::firstWindowLayout()
{
    QFETCH(QRect, available);
    m_window->applyFirstWindowLayout(available);
    QVERIFY2(available.contains(m_window->geometry()), "the window leaves the screen");
    QWidget *panel = m_window->testPanel();
    auto *tree = child<QTreeWidget>(m_window.get(), QStringLiteral("workspaceTree"));
    // Docks settle after one event-loop turn; then the panel is the largest area by far.
    QList<QWidget *> others { tree, m_window->statusBar() };
    auto *history = child<QDockWidget>(m_window.get(), QStringLiteral("historyDock"));
    QVERIFY(history->isVisible());
    others << history;
    const QString heights = QStringLiteral("window %1 px, panel %2 px, history %3 px");
    QTRY_VERIFY2(2 * panel->height() >= 3 * history->height(),
        qPrintable(heights.arg(m_window->height()).arg(panel->height()).arg(history->height())));
    QVERIFY2(5 * history->height() <= 2 * m_window->height(),
        qPrintable(heights.arg(m_window->height()).arg(panel->height()).arg(history->height())));
    const auto area = [](const QWidget *w) { return qint64(w->width()) * w->height(); };
    for (const QWidget *w : std::as_const(others))
        QVERIFY2(area(panel) > area(w), qPrintable(w->objectName()));
    // The form column's Run button is inside the window.
    QWidget *run = panel->findChild<QPushButton *>(QStringLiteral("runButton"));
    QVERIFY(run);
    const QRect runRect(run->mapTo(m_window.get(), QPoint(0, 0)), run->size());
    QVERIFY2(m_window->rect().contains(runRect), "Run is cut off");
}

void TestMainWindow::nodeInContext()
{
    TestPanel *panel = m_window->testPanel();
    panel->showNode(QStringLiteral("brief"), QStringLiteral("review"));
    NodeInContextTab *tab = panel->nodeInContext();
    QCOMPARE(panel->currentWidget(), tab);
    // Prefilled from the pins; the split is upstream (draft) vs own (strict).
    QCOMPARE(tab->upstreamForm()->values().value(QStringLiteral("draft")),
        QJsonValue(QStringLiteral("A pinned draft used by Node in Context")));
    QVERIFY(tab->upstreamForm()->editor(QStringLiteral("draft")));
    QVERIFY(!tab->upstreamForm()->editor(QStringLiteral("strict")));
    QVERIFY(tab->ownForm()->editor(QStringLiteral("strict")));
    QVERIFY(tab->prefillStatus().contains(QStringLiteral("pins")));

    // Edit and pin: the workspace is modified and holds the new pin.
    child<QsciScintilla>(tab->upstreamForm(), QStringLiteral("field_draft"))
        ->setText(QStringLiteral("My edited draft"));
    child<QPushButton>(tab, QStringLiteral("pinButton"))->click();
    QVERIFY(m_window->isModified());
    QCOMPARE(m_window->workspace()
                 .orchestration(QStringLiteral("brief"))
                 ->pins.value(QStringLiteral("review"))
                 .value(QStringLiteral("draft")),
        QJsonValue(QStringLiteral("My edited draft")));
    QCOMPARE(tab->upstreamForm()->values().value(QStringLiteral("draft")),
        QJsonValue(QStringLiteral("My edited draft")));

    // Run the node: recorded as node_in_context with the edited upstream value.
    child<QPushButton>(tab, QStringLiteral("runButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 20000);
    {
        ExecutionStore store(m_dbPath);
        QVERIFY(store.open().ok());
        const Result<ExecutionRecord> rec
            = store.execution(StoreScope::everyWorkspace(), tab->tracker()->executionId(), false);
        QVERIFY2(rec.ok(), qPrintable(rec.error()));
        QCOMPARE(rec->testMode, TestMode::NodeInContext);
        QCOMPARE(rec->orchestrationId, QStringLiteral("brief"));
        QCOMPARE(rec->nodeId, QStringLiteral("review"));
        QCOMPARE(rec->inputData.value(QStringLiteral("upstream")).toObject().value(QStringLiteral("draft")),
            QJsonValue(QStringLiteral("My edited draft")));
    }
    QVERIFY(child<OutputFieldsView>(tab, QStringLiteral("outputFields"))
                ->values()
                .contains(QStringLiteral("verdict")));

    // "Test in context" from a Full Workflow run prefills from that run's draft output.
    panel->showOrchestration(QStringLiteral("brief"));
    FullWorkflowTab *full = panel->fullWorkflow();
    child<QLineEdit>(full->form(), QStringLiteral("field_topic"))->setText(QStringLiteral("solar roofs"));
    QVERIFY(!full->run().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(labelText(full, "metricStatus"), QStringLiteral("completed"), 30000);
    const QJsonValue draftText = full->upstreamOf(QStringLiteral("review")).value(QStringLiteral("draft"));
    QVERIFY(draftText.isString() && !draftText.toString().isEmpty());
    QVERIFY(draftText.toString() != QStringLiteral("My edited draft"));
    full->selectNode(QStringLiteral("review"));
    child<QPushButton>(full, QStringLiteral("testInContextButton"))->click();
    QCOMPARE(panel->currentWidget(), tab);
    QCOMPARE(tab->currentNodeId(), QStringLiteral("review"));
    QCOMPARE(tab->upstreamForm()->values().value(QStringLiteral("draft")), draftText);
    QVERIFY(tab->prefillStatus().contains(full->tracker()->executionId().left(8)));
    QCOMPARE(child<QComboBox>(tab, QStringLiteral("prefillSource"))->currentData().toInt(),
        int(NodeInContextTab::Source::Execution));
    QCOMPARE(
        child<QLineEdit>(tab, QStringLiteral("prefillExecutionId"))->text(), full->tracker()->executionId());
    child<QPushButton>(tab, QStringLiteral("runButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(labelText(tab, "metricStatus"), QStringLiteral("completed"), 20000);
    m_window->grab().save(QStringLiteral("/tmp/shot_nic.png"));

    // Prefill from the latest successful run through the backend (history query, off-thread).
    tab->applySource(NodeInContextTab::Source::ByHand);
    QVERIFY(tab->upstreamForm()->values().isEmpty());
    QVERIFY(!child<QPushButton>(tab, QStringLiteral("runButton"))->isEnabled());
    tab->applySource(NodeInContextTab::Source::LatestRun);
    QTRY_COMPARE_WITH_TIMEOUT(tab->upstreamForm()->values().value(QStringLiteral("draft")), draftText, 10000);
    QVERIFY(child<QPushButton>(tab, QStringLiteral("runButton"))->isEnabled());
    // ...and from a chosen execution id (the first Full Workflow run of this test has no
    // "solar roofs" draft; pick the latest one by id and a bogus id).
    tab->applySource(NodeInContextTab::Source::ByHand);
    tab->applySource(NodeInContextTab::Source::Execution, full->tracker()->executionId());
    QTRY_COMPARE_WITH_TIMEOUT(tab->upstreamForm()->values().value(QStringLiteral("draft")), draftText, 10000);
    tab->applySource(NodeInContextTab::Source::Execution, QStringLiteral("no-such-execution"));
    QTRY_VERIFY_WITH_TIMEOUT(tab->prefillStatus().startsWith(QStringLiteral("Could not load")), 10000);
}

void TestMainWindow::metricFormats_data()
{
    QTest::addColumn<double>("cost");
    QTest::addColumn<bool>("known");
    QTest::addColumn<QString>("text");
    QTest::newRow("tiny") << 0.000123 << true << "$0.000123";
    QTest::newRow("cents") << 0.0425 << true << "$0.0425";
    QTest::newRow("free") << 0.0 << true << "$0";
    QTest::newRow("unknown") << 0.0 << false << "price unknown";
}

void TestMainWindow::metricFormats()
{
    QFETCH(double, cost);
    QFETCH(bool, known);
    QFETCH(QString, text);
    QCOMPARE(MetricsBar::formatCost(known ? std::optional<double>(cost) : std::nullopt, true), text);
    QCOMPARE(MetricsBar::formatCost(cost, false), QStringLiteral("–")); // not final yet
    QCOMPARE(MetricsBar::formatMs(840), QStringLiteral("840 ms"));
    QCOMPARE(MetricsBar::formatMs(1240), QStringLiteral("1.24 s"));
    QCOMPARE(MetricsBar::formatMs(-1), QStringLiteral("–"));
    // Estimated tokens are marked with "~" and explained in the tooltip.
    MetricsBar bar;
    RunMetrics m;
    m.status = QStringLiteral("completed");
    m.finished = true;
    m.inputTokens = 52;
    m.outputTokens = 18;
    m.tokensEstimated = true;
    bar.showMetrics(m);
    QCOMPARE(labelText(&bar, "metricTokens"), QStringLiteral("~52 → ~18"));
    QVERIFY(bar.findChild<QLabel *>(QStringLiteral("metricTokens"))
                ->toolTip()
                .contains(QStringLiteral("Estimated")));
    QCOMPARE(labelText(&bar, "metricCost"), QStringLiteral("price unknown"));
    m.tokensEstimated = false;
    m.costUsd = 0.0000186;
    bar.showMetrics(m);
    QCOMPARE(labelText(&bar, "metricTokens"), QStringLiteral("52 → 18"));
    QCOMPARE(labelText(&bar, "metricCost"), QStringLiteral("$0.000019"));
}

void TestMainWindow::historySearchAndRunAgain()
{
    SingleAgentTab *tab = single();
    m_window->testPanel()->showAgent(QStringLiteral("writer"));
    auto *topic = child<QLineEdit>(tab->form(), QStringLiteral("field_topic"));
    topic->setText(QStringLiteral("zebrafish migration"));
    const QString first = tab->run();
    QVERIFY(!first.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 20000);
    topic->setText(QStringLiteral("platypus habitats"));
    QVERIFY(!tab->run().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 20000);

    auto *dock = child<HistoryDock>(m_window.get(), QStringLiteral("historyDock"));
    QVERIFY(dock);
    QAbstractItemModelTester tester(
        dock->table()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    child<QLineEdit>(dock, QStringLiteral("historySearch"))->setText(QStringLiteral("zebrafish"));
    QTRY_COMPARE_WITH_TIMEOUT(dock->table()->model()->rowCount(), 1, 10000);
    dock->table()->selectRow(0);
    QTRY_COMPARE(dock->selectedRecords().size(), 1);
    QCOMPARE(dock->selectedRecords().first().id, first);
    auto *rerun = child<QPushButton>(dock, QStringLiteral("rerunButton"));
    QTRY_VERIFY(rerun->isEnabled());
    topic->setText(QStringLiteral("something else"));
    rerun->click();
    QVERIFY(tab->isRunning());
    const QString again = tab->tracker()->executionId();
    QVERIFY(again != first);
    QCOMPARE(topic->text(), QStringLiteral("zebrafish migration")); // the same inputs
    QTRY_VERIFY_WITH_TIMEOUT(!tab->isRunning(), 20000);
    ExecutionStore store(m_dbPath);
    QVERIFY(store.open().ok());
    const Result<ExecutionRecord> rec = store.execution(StoreScope::everyWorkspace(), again, false);
    QVERIFY2(rec.ok(), qPrintable(rec.error()));
    QCOMPARE(rec->rerunOf, first);
    QCOMPARE(
        rec->inputData.value(QStringLiteral("topic")), QJsonValue(QStringLiteral("zebrafish migration")));
    QCOMPARE(rec->status, ExecutionStatus::Completed);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
