#include "ui/mainwindow/MainWindow.h"

#include "core/engine/ExecutionBackend.h"
#include "core/engine/LocalBackend.h"
#include "ui/common/FileDialog.h"
#include "ui/common/MessageBox.h"
#include "ui/settings/ApiKeysDialog.h"
#include "ui/testpanel/TestPanel.h"

class TraceView;

#if __has_include("ui/history/HistoryDock.h")
#include "ui/trace/CompareView.h"   // HistoryDock.h's inline compareView() needs the full type
#include "ui/history/HistoryDock.h"
#define AS_HAVE_HISTORY_DOCK 1
#endif
#if __has_include("ui/trace/TraceView.h")
#include "ui/trace/TraceView.h"
#define AS_HAVE_TRACE_VIEW 1
#endif

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
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
const QString kFilter = QStringLiteral("Agent Studio workspaces (*.agents.json *.json);;All files (*)");
} // namespace

MainWindow::MainWindow(ExecutionBackend *backend, QWidget *parent) : QMainWindow(parent), m_backend(backend)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("applications-development")));

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("workspaceTree"));
    m_tree->setHeaderHidden(true);
    m_tree->setColumnCount(1);
    m_tree->setUniformRowHeights(true);
    m_tree->setMinimumWidth(180);
    m_testPanel = new TestPanel(backend, this);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    splitter->addWidget(m_tree);
    splitter->addWidget(m_testPanel);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({220, 1180});
    setCentralWidget(splitter);

    createActions();
    createStatusBar();
    installDocks();

    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) { onTreeSelection(item); });
    connect(m_testPanel, &TestPanel::pinRequested, this, &MainWindow::setPins);
    if (backend) {
        connect(backend, &ExecutionBackend::countsChanged, this, &MainWindow::updateCounts);
        connect(backend, &ExecutionBackend::connectionStateChanged, this, &MainWindow::updateConnection);
        connect(backend, &ExecutionBackend::workspaceChanged, this, [this] {
            // A remote backend brings its own agents; the local one echoes ours.
            if (!qobject_cast<LocalBackend *>(m_backend.data())) {
                m_workspace = m_backend->workspace();
                rebuildTree();
                m_testPanel->setWorkspace(m_workspace);
            }
        });
    }

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray()))
        resize(1400, 900);
    if (!restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray()) && m_bottomDock) {
        // First start: keep most of the height for the test panel.
        QTimer::singleShot(0, this, [this] {
            if (m_bottomDock)
                resizeDocks({m_bottomDock}, {height() / 4}, Qt::Vertical);
        });
    }
    updateTitle();
}

MainWindow::~MainWindow() = default;

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
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence::Quit);
    rebuildRecentMenu();

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    QAction *runAction = run->addAction(tr("&Run"), this, [this] { m_testPanel->runCurrent(); });
    runAction->setObjectName(QStringLiteral("actionRun"));
    runAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
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
    TraceView *trace = nullptr;
#ifdef AS_HAVE_TRACE_VIEW
    {
        auto *traceDock = new QDockWidget(tr("Trace"), this);
        traceDock->setObjectName(QStringLiteral("traceDock"));
        trace = new TraceView(traceDock);
        trace->setBackend(m_backend);
        traceDock->setWidget(trace);
        addDockWidget(Qt::BottomDockWidgetArea, traceDock);
        m_viewMenu->addAction(traceDock->toggleViewAction());
        connect(m_testPanel, &TestPanel::executionStarted, trace, &TraceView::followExecution);
    }
#endif
    // --- History dock (ui/history): newest first, search, filters; "Run again" re-runs in the
    // test panel with the same mode, target and inputs.
#ifdef AS_HAVE_HISTORY_DOCK
    {
        auto *history = new HistoryDock(this);
        history->setObjectName(QStringLiteral("historyDock"));
        history->setBackend(m_backend);
        addDockWidget(Qt::BottomDockWidgetArea, history);
        m_viewMenu->addAction(history->toggleViewAction());
        if (trace) {
            history->setTraceView(trace);
            auto *traceDock = qobject_cast<QDockWidget *>(trace->parentWidget());
            tabifyDockWidget(history, traceDock);
            connect(history, &HistoryDock::traceRequested, this, [traceDock] {
                traceDock->show();
                traceDock->raise();
            });
        }
        history->raise();
        connect(history, &HistoryDock::rerunRequested, this, [this](const ExecutionRecord &record) {
            QString error;
            if (m_testPanel->rerun(record, &error).isEmpty())
                MessageBox::warning(this, tr("Run again"),
                                    tr("Cannot run execution %1 again.").arg(record.id.left(8)), error);
        });
        m_bottomDock = history;
    }
#endif
    Q_UNUSED(trace);
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
        showProblems(path, problems);   // keep the problems of the requested file visible
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
    QStringList problems;
    Result<Workspace> loaded = Workspace::load(path, &problems);
    if (!loaded) {
        if (problems.isEmpty())
            problems = loaded.error().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        showProblems(path, problems);
        statusBar()->showMessage(tr("Could not open %1: %n problem(s), see Problems.", nullptr, int(problems.size()))
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
    if (auto *local = qobject_cast<LocalBackend *>(m_backend.data()))
        local->setWorkspace(m_workspace);
    m_testPanel->setWorkspace(m_workspace);
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
    m_problemsDock->setWindowTitle(tr("Problems in %1 (%2)").arg(QFileInfo(path).fileName()).arg(problems.size()));
    m_problemsDock->setVisible(!problems.isEmpty());
    if (!problems.isEmpty())
        m_problemsDock->raise();
}

void MainWindow::rebuildTree()
{
    const QSignalBlocker block(m_tree);
    m_tree->clear();
    auto *agents = new QTreeWidgetItem(m_tree, {tr("Agents (%1)").arg(m_workspace.agents.size())});
    agents->setData(0, KindRole, AgentsGroup);
    agents->setFlags(Qt::ItemIsEnabled);
    for (const AgentSpec &a : std::as_const(m_workspace.agents)) {
        auto *item = new QTreeWidgetItem(agents, {a.name.isEmpty() ? a.id : a.name});
        item->setData(0, KindRole, AgentItem);
        item->setData(0, IdRole, a.id);
        item->setToolTip(0, QStringLiteral("%1 · %2/%3\n%4").arg(a.id, a.model.provider, a.model.name, a.instructions));
        item->setIcon(0, style()->standardIcon(QStyle::SP_FileIcon));
    }
    auto *orchs = new QTreeWidgetItem(m_tree, {tr("Workflows (%1)").arg(m_workspace.orchestrations.size())});
    orchs->setData(0, KindRole, OrchestrationsGroup);
    orchs->setFlags(Qt::ItemIsEnabled);
    for (const OrchestrationSpec &o : std::as_const(m_workspace.orchestrations)) {
        auto *item = new QTreeWidgetItem(orchs, {o.name.isEmpty() ? o.id : o.name});
        item->setData(0, KindRole, OrchestrationItem);
        item->setData(0, IdRole, o.id);
        item->setToolTip(0, tr("%1 · %n node(s)", nullptr, int(o.nodes.size())).arg(o.id));
        item->setIcon(0, style()->standardIcon(QStyle::SP_DirIcon));
        for (const NodeSpec &n : o.nodes) {
            auto *node = new QTreeWidgetItem(item, {QStringLiteral("%1  ·  %2").arg(n.id, n.agent)});
            node->setData(0, KindRole, NodeItem);
            node->setData(0, IdRole, n.id);
            node->setData(0, ParentIdRole, o.id);
            node->setToolTip(0, tr("Node %1 runs agent %2. Select to test it in context.").arg(n.id, n.agent));
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
    offline.raw = QJsonObject{{QStringLiteral("kind"), QStringLiteral("scripted")}};
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
    const QString path = FileDialog::getOpenFileName(this, tr("Open Workspace"), dir, kFilter);
    if (path.isEmpty())
        return false;
    return loadWorkspace(path);
}

bool MainWindow::save()
{
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
    QString suggested = m_path;
    if (suggested.isEmpty())
        suggested = (m_workspace.workspaceId.isEmpty() ? QStringLiteral("workspace") : m_workspace.workspaceId)
                    + QStringLiteral(".agents.json");
    QString path = FileDialog::getSaveFileName(this, tr("Save Workspace As"), suggested, kFilter);
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
    const auto answer = MessageBox::question(
        this, tr("Unsaved Changes"),
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
    QString name;
    if (!m_path.isEmpty())
        name = QFileInfo(m_path).fileName();
    else if (m_workspace.workspaceId == QStringLiteral("untitled") || m_workspace.workspaceId.isEmpty())
        name = tr("Untitled workspace");
    else
        name = tr("%1 (not saved)").arg(m_workspace.workspaceId);
    setWindowTitle(name + QStringLiteral("[*] — Agent Studio"));
}

QStringList MainWindow::recentFiles() const { return QSettings().value(kRecentKey).toStringList(); }

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
    const QString name = m_backend ? m_backend->displayName() : tr("none");
    QString dot = QStringLiteral("#2e7d32");
    if (state == QStringLiteral("connecting"))
        dot = QStringLiteral("#b26a00");
    else if (state != QStringLiteral("connected"))
        dot = QStringLiteral("#c62828");
    m_engineLabel->setText(tr("Engine: %1 <span style=\"color:%2\">●</span> %3").arg(name.toHtmlEscaped(), dot, state));
    m_engineLabel->setToolTip(tr("Runs execute on: %1 (%2)").arg(name, state));
}
