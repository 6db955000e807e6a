#include "ui/mainwindow/MainWindow.h"

#include "core/api/ExecutionBackend.h"
#include "core/remote/RemoteBackend.h"
#include "ui/common/FileDialog.h"
#include "ui/common/MessageBox.h"
#include "ui/mainwindow/WindowLayout.h"
#include "ui/remote/ConnectDialog.h"
#include "ui/settings/ApiKeysDialog.h"
#include "ui/settings/WorkspaceTrust.h"
#include "ui/testpanel/TestPanel.h"

#include "ui/eval/EvalPanel.h"
#include "ui/history/HistoryDock.h"
#include "ui/tools/ToolsPanel.h"
#include "ui/trace/CompareView.h" // HistoryDock.h's inline compareView() needs the full type
#include "ui/trace/TraceView.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QTreeWidget>

namespace {
enum ItemKind { AgentsGroup = 1, OrchestrationsGroup, AgentItem, OrchestrationItem, NodeItem };
constexpr int KindRole = Qt::UserRole;
constexpr int IdRole = Qt::UserRole + 1;
constexpr int ParentIdRole = Qt::UserRole + 2;

const QString kRecentKey = QStringLiteral("recentFiles");
const QString kLastKey = QStringLiteral("lastWorkspace");
QString workspaceFilter()
{
    return QCoreApplication::translate(
        "MainWindow", "Agent Studio workspaces (*.agents.json *.json);;All files (*)");
}
} // namespace

MainWindow::MainWindow(ExecutionBackend *backend, QWidget *parent)
    : QMainWindow(parent)
    , m_active(new ActiveBackend(this))
    , m_backend(backend)
    , m_local(backend)
{
    // Every view takes the active backend once; a switch is m_active->setBackend().
    m_active->setBackend(backend);
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("applications-development")));

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("workspaceTree"));
    m_tree->setHeaderHidden(true);
    m_tree->setColumnCount(1);
    m_tree->setUniformRowHeights(true);
    m_tree->setMinimumWidth(180);
    m_testPanel = new TestPanel(m_active, this);
    m_testPanel->setBeforeRun([this] { settleWorkspaceTrust(false); });

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    splitter->addWidget(m_tree);
    splitter->addWidget(m_testPanel);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 220, 1180 });
    setCentralWidget(splitter);

    createActions();
    createStatusBar();
    installDocks();

    connect(m_tree, &QTreeWidget::currentItemChanged, this,
        [this](QTreeWidgetItem *item) { onTreeSelection(item); });
    connect(m_testPanel, &TestPanel::pinRequested, this, &MainWindow::setPins);
    connect(m_testPanel, &TestPanel::workspaceSaved, this, &MainWindow::setWorkspace);
    connect(m_active, &ExecutionBackend::countsChanged, this, &MainWindow::updateCounts);
    connect(m_active, &ExecutionBackend::connectionStateChanged, this, &MainWindow::updateConnection);
    connect(m_active, &ExecutionBackend::workspaceChanged, this, &MainWindow::onBackendWorkspaceChanged);
    switchBackend(backend);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
        const QScreen *screen = QGuiApplication::primaryScreen();
        placeFirstWindow(screen ? screen->availableGeometry() : QRect());
    }
    if (!restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray()))
        sizeFirstStartAreas();
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::applyFirstWindowLayout(const QRect &available)
{
    placeFirstWindow(available);
    sizeFirstStartAreas();
}

void MainWindow::placeFirstWindow(const QRect &available)
{
    const QRect r = windowlayout::firstWindowRect(available);
    resize(r.size());
    move(r.topLeft());
}

void MainWindow::sizeFirstStartAreas()
{
    const windowlayout::Sizes sizes = windowlayout::firstSizes(size());
    if (auto *splitter = qobject_cast<QSplitter *>(centralWidget()))
        splitter->setSizes({ sizes.treeWidth, width() - sizes.treeWidth });
    // Docks take their size once the window is laid out, hence after this event-loop turn.
    QTimer::singleShot(0, this, [this, sizes] {
        if (m_bottomDock)
            resizeDocks({ m_bottomDock }, { sizes.bottomDockHeight }, Qt::Vertical);
    });
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *newAction = file->addAction(tr("&New Workspace"), this, [this] { newWorkspace(); });
    newAction->setObjectName(QStringLiteral("actionNew"));
    newAction->setShortcut(QKeySequence::New);
    QAction *open = file->addAction(tr("&Open…"), this, [this] { openWorkspace(); });
    open->setObjectName(QStringLiteral("actionOpen"));
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    QAction *example = file->addAction(tr("Open &Example Workspace"), this, [this] {
        if (maybeSave())
            openExample();
    });
    example->setObjectName(QStringLiteral("actionOpenExample"));
    file->addSeparator();
    m_saveAction = file->addAction(tr("&Save"), this, [this] { save(); });
    m_saveAction->setObjectName(QStringLiteral("actionSave"));
    m_saveAction->setShortcut(QKeySequence::Save);
    QAction *saveAsAction = file->addAction(tr("Save &As…"), this, [this] { saveAs(); });
    saveAsAction->setObjectName(QStringLiteral("actionSaveAs"));
    saveAsAction->setShortcut(QKeySequence::SaveAs);
    m_localFileActions = { newAction, open, example, m_saveAction, saveAsAction };
    file->addSeparator();
    m_connectAction
        = file->addAction(tr("&Connect to Remote Workspace…"), this, [this] { connectToRemote(); });
    m_connectAction->setObjectName(QStringLiteral("actionConnectRemote"));
    m_connectAction->setStatusTip(
        tr("Run, and look at the history of, a workspace served by agentstudio-server"));
    m_useLocalAction = file->addAction(tr("Use &Local Engine"), this, [this] { useLocalEngine(); });
    m_useLocalAction->setObjectName(QStringLiteral("actionUseLocal"));
    m_useLocalAction->setStatusTip(tr("Back to the embedded engine and the local workspace file"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence::Quit);
    rebuildRecentMenu();
    updateFileActions();

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    QAction *runAction = run->addAction(tr("&Run"), this, [this] { m_testPanel->runCurrent(); });
    runAction->setObjectName(QStringLiteral("actionRun"));
    runAction->setShortcuts(
        { QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter) });
    runAction->setShortcutContext(Qt::WindowShortcut);
    QAction *cancelAction = run->addAction(tr("&Cancel"), this, [this] { m_testPanel->cancelCurrent(); });
    cancelAction->setObjectName(QStringLiteral("actionCancel"));
    cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
    cancelAction->setShortcutContext(Qt::WindowShortcut);
    run->addSeparator();
    QAction *single = run->addAction(tr("Single &Agent"), this, [this] { m_testPanel->setCurrentIndex(0); });
    single->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction *node = run->addAction(tr("&Node in Context"), this, [this] { m_testPanel->setCurrentIndex(1); });
    node->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    QAction *full = run->addAction(tr("&Full Workflow"), this, [this] { m_testPanel->setCurrentIndex(2); });
    full->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));

    m_viewMenu = menuBar()->addMenu(tr("&View"));

    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    QAction *apiKeys = settings->addAction(tr("API &Keys…"), this, [this] {
        auto *dialog = new ApiKeysDialog(m_workspace, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    apiKeys->setObjectName(QStringLiteral("actionApiKeys"));
    QAction *trust
        = settings->addAction(tr("Workspace &Trust…"), this, [this] { settleWorkspaceTrust(true); });
    trust->setObjectName(QStringLiteral("actionWorkspaceTrust"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Agent Studio"), this, [this] {
        MessageBox::information(this, tr("About Agent Studio"),
            tr("Agent Studio %1\nDesign and test LLM agents and workflows.")
                .arg(QStringLiteral(AGENTSTUDIO_VERSION)));
    });
}

void MainWindow::createStatusBar()
{
    m_engineLabel = new QLabel(this);
    m_engineLabel->setObjectName(QStringLiteral("engineLabel"));
    m_countsLabel = new QLabel(this);
    m_countsLabel->setObjectName(QStringLiteral("countsLabel"));
    statusBar()->addPermanentWidget(m_countsLabel);
    statusBar()->addPermanentWidget(m_engineLabel);
    updateConnection(m_connection);
    updateCounts(m_backend ? m_backend->runningCount() : 0, m_backend ? m_backend->queuedCount() : 0);
}

void MainWindow::installDocks()
{
    // --- Problems of the last workspace that failed to load (always built in).
    m_problemsDock = new QDockWidget(tr("Problems"), this);
    m_problemsDock->setObjectName(QStringLiteral("problemsDock"));
    m_problemsList = new QListWidget(m_problemsDock);
    m_problemsList->setObjectName(QStringLiteral("problemsList"));
    m_problemsList->setWordWrap(true);
    m_problemsDock->setWidget(m_problemsList);
    addDockWidget(Qt::BottomDockWidgetArea, m_problemsDock);
    m_problemsDock->hide();
    m_viewMenu->addAction(m_problemsDock->toggleViewAction());

    // --- Trace viewer (ui/trace): follows the run just started, shows what history opens.
    // It uses the active backend, whichever engine that is.
    auto *traceDock = new QDockWidget(tr("Trace"), this);
    traceDock->setObjectName(QStringLiteral("traceDock"));
    m_trace = new TraceView(m_active, traceDock);
    traceDock->setWidget(m_trace);
    addDockWidget(Qt::BottomDockWidgetArea, traceDock);
    m_viewMenu->addAction(traceDock->toggleViewAction());
    connect(m_testPanel, &TestPanel::executionStarted, m_trace, &TraceView::followExecution);

    // --- History dock (ui/history): newest first, search, filters; "Run again" re-runs in the
    // test panel with the same mode, target and inputs.
    m_history = new HistoryDock(m_active, this);
    m_history->setObjectName(QStringLiteral("historyDock"));
    addDockWidget(Qt::BottomDockWidgetArea, m_history);
    m_viewMenu->addAction(m_history->toggleViewAction());
    m_history->setTraceView(m_trace);
    tabifyDockWidget(m_history, traceDock);
    connect(m_history, &HistoryDock::traceRequested, this, [traceDock] {
        traceDock->show();
        traceDock->raise();
    });
    m_history->raise();
    connect(m_history, &HistoryDock::rerunRequested, this, [this](const ExecutionRecord &record) {
        QString error;
        if (m_testPanel->rerun(record, &error).isEmpty())
            MessageBox::warning(
                this, tr("Run again"), tr("Cannot run execution %1 again.").arg(record.id.left(8)), error);
    });
    m_bottomDock = m_history;

    // --- Tools dock (ui/tools): the workspace's tool sources, their state and tools; one tool
    // run by itself. Through the active backend: the tools run where the runs do.
    auto *toolsDock = new QDockWidget(tr("Tools"), this);
    toolsDock->setObjectName(QStringLiteral("toolsDock"));
    toolsDock->setWidget(new ToolsPanel(m_active, toolsDock));
    addDockWidget(Qt::BottomDockWidgetArea, toolsDock);
    m_viewMenu->addAction(toolsDock->toggleViewAction());
    tabifyDockWidget(traceDock, toolsDock);
    // Ctrl+Shift+T brings the Tools panel to the front (the dock's own toggle would hide it).
    QAction *showTools = m_viewMenu->addAction(tr("Show &Tools Panel"));
    showTools->setObjectName(QStringLiteral("actionShowTools"));
    showTools->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    connect(showTools, &QAction::triggered, toolsDock, [toolsDock] {
        toolsDock->show();
        toolsDock->raise();
    });

    // --- Evaluations dock (ui/eval): datasets run through the active backend, recorded in the
    // history database; a cell's trace opens in the trace dock; "Save as test case" from the
    // history's context menu and from the test panel's last run.
    auto *evalDock = new QDockWidget(tr("Evaluations"), this);
    evalDock->setObjectName(QStringLiteral("evalDock"));
    m_evalPanel = new EvalPanel(m_active, evalDock);
    m_evalPanel->setTraceView(m_trace);
    evalDock->setWidget(m_evalPanel);
    addDockWidget(Qt::BottomDockWidgetArea, evalDock);
    m_viewMenu->addAction(evalDock->toggleViewAction());
    tabifyDockWidget(toolsDock, evalDock);
    QAction *showEval = m_viewMenu->addAction(tr("Show &Evaluations Panel"));
    showEval->setObjectName(QStringLiteral("actionShowEvaluations"));
    showEval->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_evalDock = evalDock;
    const auto raiseEval = [evalDock] {
        evalDock->show();
        evalDock->raise();
    };
    connect(showEval, &QAction::triggered, evalDock, raiseEval);
    connect(m_evalPanel, &EvalPanel::traceRequested, this, [traceDock] {
        traceDock->show();
        traceDock->raise();
    });
    connect(m_testPanel, &TestPanel::executionStarted, m_evalPanel, &EvalPanel::setLastTestRun);
    connect(
        m_history, &HistoryDock::saveAsTestCaseRequested, m_evalPanel, [this, raiseEval](const QString &id) {
            raiseEval();
            m_evalPanel->saveAsTestCase(id);
        });
    m_history->raise();
}

void MainWindow::setHistoryDatabasePath(const QString &path)
{
    m_evalPanel->setHistoryDatabasePath(path);
}

void MainWindow::openEvalDataset(const QString &path)
{
    m_evalDock->show();
    m_evalDock->raise();
    m_evalPanel->openDataset(path);
}

void MainWindow::openInitialWorkspace(const QString &path)
{
    // Ready to type: the first input of the form has the focus once the window shows.
    QTimer::singleShot(0, this, [this] { m_testPanel->focusCurrentForm(); });
    if (!path.isEmpty()) {
        if (loadWorkspace(path))
            return;
        const QStringList problems = m_problems;
        openExample();
        showProblems(path, problems); // keep the problems of the requested file visible
        return;
    }
    const QString last = QSettings().value(kLastKey).toString();
    if (!last.isEmpty() && QFileInfo::exists(last) && loadWorkspace(last))
        return;
    const QStringList lastProblems = m_problems;
    openExample();
    if (!lastProblems.isEmpty())
        showProblems(last, lastProblems);
}

void MainWindow::openExample()
{
    Workspace example = Workspace::example();
    example.filePath.clear();
    setWorkspace(example, QString());
    statusBar()->showMessage(tr("Opened the bundled example workspace. Save it to keep changes."), 8000);
}

bool MainWindow::loadWorkspace(const QString &path)
{
    if (m_remote && !useLocalEngine())
        return false; // a local file replaces the server's workspace only on the local engine
    QStringList problems;
    Result<Workspace> loaded = Workspace::load(path, &problems);
    if (!loaded) {
        if (problems.isEmpty())
            problems = loaded.error().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        showProblems(path, problems);
        statusBar()->showMessage(
            tr("Could not open %1: %n problem(s), see Problems.", nullptr, int(problems.size()))
                .arg(QFileInfo(path).fileName()),
            10000);
        return false;
    }
    setWorkspace(loaded.take(), QFileInfo(path).absoluteFilePath());
    addRecentFile(m_path);
    QSettings().setValue(kLastKey, m_path);
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(m_path)), 5000);
    return true;
}

void MainWindow::setWorkspace(const Workspace &workspace, const QString &path)
{
    if (m_remote && !useLocalEngine())
        return;
    m_workspace = workspace;
    m_path = path;
    m_workspace.filePath = path;
    m_problems.clear();
    m_problemsList->clear();
    m_problemsDock->hide();
    pushWorkspace();
    rebuildTree();
    setModified(false);
}

void MainWindow::pushWorkspace()
{
    // A server's workspace is the server's: only the local engine takes ours.
    if (m_local && !m_remote)
        m_local->setWorkspace(m_workspace);
    m_testPanel->setWorkspace(m_workspace);
}

void MainWindow::settleWorkspaceTrust(bool askAgain)
{
    // A server's workspace runs with the server's own trust; ours concerns local files only.
    ExecutionBackend *local = m_local.data();
    if (!local || !local->runsLocalWorkspace() || m_remote)
        return;
    if (askAgain && credentials::allUsesNeedingTrust(m_workspace).isEmpty()) {
        MessageBox::information(this, tr("Workspace Trust"),
            tr("This workspace sends no key beyond its providers' official hosts: "
               "there is nothing to trust."));
        return;
    }
    local->setCredentialTrust(
        askAgain ? WorkspaceTrust::ask(this, m_workspace) : WorkspaceTrust::decide(this, m_workspace));
}

void MainWindow::showProblems(const QString &path, const QStringList &problems)
{
    m_problems = problems;
    m_problemsList->clear();
    for (const QString &p : problems) {
        auto *item = new QListWidgetItem(p, m_problemsList);
        item->setIcon(style()->standardIcon(QStyle::SP_MessageBoxWarning));
        item->setToolTip(p);
    }
    m_problemsDock->setWindowTitle(
        tr("Problems in %1 (%2)").arg(QFileInfo(path).fileName()).arg(problems.size()));
    m_problemsDock->setVisible(!problems.isEmpty());
    if (!problems.isEmpty())
        m_problemsDock->raise();
}

void MainWindow::rebuildTree()
{
    const QSignalBlocker block(m_tree);
    m_tree->clear();
    // A server's workspace says so above its agents: it is not the local file.
    m_tree->setHeaderHidden(!m_remote);
    if (m_remote) {
        QTreeWidgetItem *header = m_tree->headerItem();
        header->setText(0,
            tr("%1 · on %2")
                .arg(m_workspace.workspaceId.isEmpty() ? tr("(loading)") : m_workspace.workspaceId,
                    remoteHostPort()));
        header->setIcon(0, style()->standardIcon(QStyle::SP_DriveNetIcon));
        header->setToolTip(0,
            tr("This workspace is served by %1 and edited on the server.")
                .arg(m_remote->baseUrl().toString(QUrl::RemoveUserInfo)));
    }
    auto *agents = new QTreeWidgetItem(m_tree, { tr("Agents (%1)").arg(m_workspace.agents.size()) });
    agents->setData(0, KindRole, AgentsGroup);
    agents->setFlags(Qt::ItemIsEnabled);
    for (const AgentSpec &a : std::as_const(m_workspace.agents)) {
        auto *item = new QTreeWidgetItem(agents, { a.name.isEmpty() ? a.id : a.name });
        item->setData(0, KindRole, AgentItem);
        item->setData(0, IdRole, a.id);
        item->setToolTip(
            0, QStringLiteral("%1 · %2/%3\n%4").arg(a.id, a.model.provider, a.model.name, a.instructions));
        item->setIcon(0, style()->standardIcon(QStyle::SP_FileIcon));
    }
    auto *orchs
        = new QTreeWidgetItem(m_tree, { tr("Workflows (%1)").arg(m_workspace.orchestrations.size()) });
    orchs->setData(0, KindRole, OrchestrationsGroup);
    orchs->setFlags(Qt::ItemIsEnabled);
    for (const OrchestrationSpec &o : std::as_const(m_workspace.orchestrations)) {
        auto *item = new QTreeWidgetItem(orchs, { o.name.isEmpty() ? o.id : o.name });
        item->setData(0, KindRole, OrchestrationItem);
        item->setData(0, IdRole, o.id);
        item->setToolTip(0, tr("%1 · %n node(s)", nullptr, int(o.nodes.size())).arg(o.id));
        item->setIcon(0, style()->standardIcon(QStyle::SP_DirIcon));
        for (const NodeSpec &n : o.nodes) {
            auto *node = new QTreeWidgetItem(item, { QStringLiteral("%1  ·  %2").arg(n.id, n.agent) });
            node->setData(0, KindRole, NodeItem);
            node->setData(0, IdRole, n.id);
            node->setData(0, ParentIdRole, o.id);
            node->setToolTip(
                0, tr("Node %1 runs agent %2. Select to test it in context.").arg(n.id, n.agent));
        }
    }
    agents->setExpanded(true);
    orchs->setExpanded(true);
}

void MainWindow::onTreeSelection(QTreeWidgetItem *item)
{
    if (!item)
        return;
    const QString id = item->data(0, IdRole).toString();
    switch (item->data(0, KindRole).toInt()) {
    case AgentItem:
        m_testPanel->showAgent(id);
        break;
    case OrchestrationItem:
        m_testPanel->showOrchestration(id);
        break;
    case NodeItem:
        m_testPanel->showNode(item->data(0, ParentIdRole).toString(), id);
        break;
    default:
        break;
    }
}

void MainWindow::setPins(const QString &orchestrationId, const QString &nodeId, const QJsonObject &values)
{
    if (m_remote) {
        statusBar()->showMessage(tr("Pins of a remote workspace are edited on the server."), 8000);
        return;
    }
    OrchestrationSpec *orch = m_workspace.orchestration(orchestrationId);
    if (!orch || !orch->node(nodeId))
        return;
    if (values.isEmpty())
        orch->pins.remove(nodeId);
    else
        orch->pins.insert(nodeId, values);
    pushWorkspace();
    setModified(true);
    statusBar()->showMessage(tr("Pinned the upstream values of %1.%2").arg(orchestrationId, nodeId), 5000);
}

bool MainWindow::newWorkspace()
{
    if (!maybeSave())
        return false;
    Workspace ws;
    ws.workspaceId = QStringLiteral("untitled");
    ProviderConfig offline;
    offline.id = QStringLiteral("offline");
    offline.kind = QStringLiteral("scripted");
    offline.raw = QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") } };
    ws.providers << offline;
    setWorkspace(ws, QString());
    statusBar()->showMessage(tr("New empty workspace."), 5000);
    return true;
}

bool MainWindow::openWorkspace()
{
    if (!maybeSave())
        return false;
    const QString dir = m_path.isEmpty() ? QString() : QFileInfo(m_path).absolutePath();
    const QString path = FileDialog::getOpenFileName(this, tr("Open Workspace"), dir, workspaceFilter());
    if (path.isEmpty())
        return false;
    return loadWorkspace(path);
}

bool MainWindow::save()
{
    if (m_remote) {
        statusBar()->showMessage(
            tr("A remote workspace is edited on the server; use File > Use Local Engine to "
               "work on local files."),
            8000);
        return false;
    }
    if (m_path.isEmpty() || m_path.startsWith(QLatin1Char(':')))
        return saveAs();
    const Result<void> saved = m_workspace.save(m_path);
    if (!saved) {
        MessageBox::warning(this, tr("Save Workspace"), tr("Could not save %1.").arg(m_path), saved.error());
        return false;
    }
    setModified(false);
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_path)), 5000);
    return true;
}

bool MainWindow::saveAs()
{
    if (m_remote)
        return save();
    QString suggested = m_path;
    if (suggested.isEmpty())
        suggested
            = (m_workspace.workspaceId.isEmpty() ? QStringLiteral("workspace") : m_workspace.workspaceId)
            + QStringLiteral(".agents.json");
    QString path = FileDialog::getSaveFileName(this, tr("Save Workspace As"), suggested, workspaceFilter());
    if (path.isEmpty())
        return false;
    if (!path.endsWith(QStringLiteral(".json")))
        path += QStringLiteral(".agents.json");
    const Result<void> saved = m_workspace.save(path);
    if (!saved) {
        MessageBox::warning(this, tr("Save Workspace"), tr("Could not save %1.").arg(path), saved.error());
        return false;
    }
    m_path = QFileInfo(path).absoluteFilePath();
    m_workspace.filePath = m_path;
    addRecentFile(m_path);
    QSettings().setValue(kLastKey, m_path);
    setModified(false);
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_path)), 5000);
    return true;
}

bool MainWindow::maybeSave()
{
    if (!isWindowModified())
        return true;
    const auto answer = MessageBox::question(this, tr("Unsaved Changes"),
        tr("The workspace \"%1\" has unsaved changes. Save them?")
            .arg(m_path.isEmpty() ? m_workspace.workspaceId : QFileInfo(m_path).fileName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

void MainWindow::setModified(bool modified)
{
    setWindowModified(modified);
    updateTitle();
}

void MainWindow::updateTitle()
{
    if (m_remote) {
        const QString id
            = m_workspace.workspaceId.isEmpty() ? tr("Remote workspace") : m_workspace.workspaceId;
        setWindowTitle(tr("%1 on %2 (remote, edited on the server)").arg(id, remoteHostPort())
            + QStringLiteral("[*] — Agent Studio"));
        return;
    }
    QString name;
    if (!m_path.isEmpty())
        name = QFileInfo(m_path).fileName();
    else if (m_workspace.workspaceId == QStringLiteral("untitled") || m_workspace.workspaceId.isEmpty())
        name = tr("Untitled workspace");
    else
        name = tr("%1 (not saved)").arg(m_workspace.workspaceId);
    setWindowTitle(name + QStringLiteral("[*] — Agent Studio"));
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value(kRecentKey).toStringList();
}

void MainWindow::addRecentFile(const QString &path)
{
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > MaxRecentFiles)
        files.removeLast();
    QSettings().setValue(kRecentKey, files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (const QString &f : files) {
        QAction *a = m_recentMenu->addAction(QFileInfo(f).fileName(), this, [this, f] {
            if (maybeSave())
                loadWorkspace(f);
        });
        a->setToolTip(f);
        a->setStatusTip(f);
    }
    if (files.isEmpty())
        m_recentMenu->addAction(tr("No recent workspaces"))->setEnabled(false);
    else {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear List"), this, [this] {
            QSettings().remove(kRecentKey);
            rebuildRecentMenu();
        });
    }
}

void MainWindow::updateCounts(int running, int queued)
{
    m_countsLabel->setText(tr("%1 running · %2 queued").arg(running).arg(queued));
}

void MainWindow::updateConnection(const QString &state)
{
    m_connection = state;
    QString dot = QStringLiteral("#2e7d32");
    QString shown = state;
    if (state == QStringLiteral("connecting")) {
        dot = QStringLiteral("#b26a00");
        shown = tr("connecting…");
    } else if (state != QStringLiteral("connected")) {
        dot = QStringLiteral("#c62828");
        // The remote backend keeps trying with backoff — except after the server refused the
        // token or the workspace (401/403/404 on GET /api/workspace), which is final.
        const bool final = m_remote && m_remote->workspaceRefused();
        shown = !m_remote ? state : final ? tr("disconnected — refused") : tr("disconnected — reconnecting");
        if (m_remote && !final && m_remote->serverUrls().size() > 1 && m_remote->allInstancesDown()) {
            QStringList names;
            for (const QUrl &u : m_remote->serverUrls())
                names.append(QStringLiteral("%1:%2").arg(u.host()).arg(
                    u.port(u.scheme() == QLatin1String("https") ? 443 : 80)));
            shown = tr("all instances down (%1) — retrying").arg(names.join(QStringLiteral(", ")));
        }
    }
    QString where;
    QString tip;
    if (m_remote) {
        const QUrl url = m_remote->baseUrl();
        // The instance that answered GET /api/health on this URL (a moved connection names
        // the new one once its health answered).
        where = m_remote->instanceName().isEmpty()
            ? tr("Remote: %1").arg(remoteHostPort())
            : tr("Remote: %1 · instance %2").arg(remoteHostPort(), m_remote->instanceName());
        tip = tr("Runs, history and traces are those of the workspace server at %1 (%2).")
                  .arg(url.toString(QUrl::RemoveUserInfo), shown);
        if (state != QStringLiteral("connected") && !m_remote->lastError().isEmpty())
            tip += QLatin1Char('\n') + m_remote->lastError();
    } else {
        where = tr("Engine: %1").arg(m_backend ? m_backend->displayName() : tr("none"));
        tip = tr("Runs execute in the embedded engine of this app (%1).").arg(shown);
    }
    m_engineLabel->setText(QStringLiteral("%1 <span style=\"color:%2\">●</span> %3")
                               .arg(where.toHtmlEscaped(), dot, shown.toHtmlEscaped()));
    m_engineLabel->setToolTip(tip);
}

QString MainWindow::remoteHostPort() const
{
    if (!m_remote)
        return {};
    const QUrl url = m_remote->baseUrl();
    return QStringLiteral("%1:%2")
        .arg(url.host())
        .arg(url.port(url.scheme() == QLatin1String("https") ? 443 : 80));
}

void MainWindow::switchBackend(ExecutionBackend *backend)
{
    m_backend = backend;
    m_trace->clear(); // a trace of the other engine's run is not this one's to follow
    m_active->setBackend(backend); // the views are connected to m_active once
    updateConnection(m_active->connectionState());
    updateCounts(m_active->runningCount(), m_active->queuedCount());
}

void MainWindow::onBackendWorkspaceChanged()
{
    // The local engine echoes our own document; a server brings its own agents.
    if (!m_remote || m_backend != m_remote)
        return;
    m_workspace = m_remote->workspace();
    m_workspace.filePath.clear();
    rebuildTree();
    m_testPanel->setWorkspace(m_workspace);
    updateTitle();
}

void MainWindow::updateFileActions()
{
    const QString why
        = tr("A remote workspace is edited on the server; use File > Use Local Engine to work on "
             "local files.");
    for (QAction *a : std::as_const(m_localFileActions)) {
        a->setEnabled(!m_remote);
        a->setToolTip(m_remote ? why : a->text().remove(QLatin1Char('&')));
    }
    m_recentMenu->setEnabled(!m_remote);
    if (m_useLocalAction)
        m_useLocalAction->setEnabled(m_remote != nullptr);
}

bool MainWindow::canSwitchEngine(const QString &title)
{
    if (!m_testPanel->isAnyRunning())
        return true;
    MessageBox::information(this, title,
        tr("A test run is still going. Wait for it to finish or cancel it (Esc), then "
           "switch engines."));
    return false;
}

void MainWindow::connectToRemote()
{
    if (!canSwitchEngine(tr("Connect to Remote Workspace")))
        return;
    QPointer<MainWindow> self(this);
    ConnectDialog::connectToRemote(this, [self](RemoteBackend *remote) {
        if (self)
            self->useRemoteBackend(remote);
        else
            remote->deleteLater();
    });
}

bool MainWindow::useRemoteBackend(RemoteBackend *remote)
{
    if (!remote)
        return false;
    // The dialog hands the backend over from inside one of its signals: deleteLater() only.
    if (!canSwitchEngine(tr("Connect to Remote Workspace"))) {
        remote->deleteLater();
        return false;
    }
    if (!m_remote) {
        // Leaving the local document: keep it (saved or not, as the user says) for the way back.
        if (!maybeSave()) {
            remote->deleteLater();
            statusBar()->showMessage(tr("Stayed on the local engine."), 5000);
            return false;
        }
        m_localWorkspace = m_workspace;
        m_localPath = m_path;
    }
    RemoteBackend *old = m_remote;
    m_remote = remote;
    remote->setParent(this);
    connect(remote, &RemoteBackend::workspaceFetchFailed, this, [this](const Error &error) {
        statusBar()->showMessage(tr("Remote workspace: %1").arg(error.message), 15000);
        updateConnection(m_connection); // the tooltip shows the error
    });
    m_lastInstanceName = remote->instanceName();
    connectInstanceSignals(remote);
    switchBackend(remote);
    if (old && old != remote)
        old->deleteLater();

    m_problems.clear();
    m_problemsList->clear();
    m_problemsDock->hide();
    m_path.clear();
    m_workspace = remote->hasWorkspace() ? remote->workspace() : Workspace();
    m_workspace.filePath.clear();
    rebuildTree();
    m_testPanel->setWorkspace(m_workspace);
    m_testPanel->setPinningAllowed(false,
        tr("This workspace is served by %1: pins are edited on the server.")
            .arg(remote->baseUrl().toString(QUrl::RemoveUserInfo)));
    updateFileActions();
    setModified(false);
    statusBar()->showMessage(remote->hasWorkspace()
            ? tr("Connected to %1: runs, history and traces are the server's.")
                  .arg(remote->baseUrl().toString(QUrl::RemoveUserInfo))
            : tr("Connecting to %1…").arg(remote->baseUrl().toString(QUrl::RemoveUserInfo)),
        8000);
    return true;
}

// A remote server's instance: the status bar names it, and after a move to another instance the
// history is listed again from there.
void MainWindow::connectInstanceSignals(RemoteBackend *remote)
{
    connect(remote, &RemoteBackend::instanceChanged, this, [this, remote](const QString &name) {
        if (remote != m_remote)
            return;
        updateConnection(m_connection);
        if (name.isEmpty())
            return;
        if (!m_lastInstanceName.isEmpty() && name != m_lastInstanceName)
            m_history->refresh();
        m_lastInstanceName = name;
    });
    connect(remote, &RemoteBackend::instanceMoved, this, [this, remote](const QUrl &from, const QUrl &to) {
        if (remote != m_remote)
            return;
        statusBar()->showMessage(
            tr("%1 stopped answering: moved to %2")
                .arg(from.toString(QUrl::RemoveUserInfo), to.toString(QUrl::RemoveUserInfo)),
            10000);
        updateConnection(m_connection);
        updateTitle(); // it names the server's address
    });
}

bool MainWindow::useLocalEngine()
{
    if (!m_remote)
        return true;
    if (!canSwitchEngine(tr("Use Local Engine")))
        return false;
    RemoteBackend *old = m_remote;
    m_remote = nullptr;
    switchBackend(m_local);
    // Its streams and requests end with it; never deleted inside one of its own signals.
    old->deleteLater();
    m_testPanel->setPinningAllowed(true);
    updateFileActions();
    // The local document as it was: fresh from its file when it has one (the user saved or
    // discarded the changes when leaving it), else as kept in memory.
    const QString path = std::exchange(m_localPath, QString());
    const Workspace kept = std::exchange(m_localWorkspace, Workspace());
    if (path.isEmpty() || !QFileInfo::exists(path) || !loadWorkspace(path))
        setWorkspace(kept, path);
    statusBar()->showMessage(tr("Back on the local engine."), 5000);
    return true;
}
