#pragma once

#include "core/api/ActiveBackend.h"
#include "core/model/Workspace.h"

#include <QMainWindow>
#include <QPointer>

class EvalPanel;
class ExecutionBackend;
class HistoryDock;
class RemoteBackend;
class TraceView;
class QAction;
class QDockWidget;
class QLabel;
class QListWidget;
class QMenu;
class QTreeWidget;
class QTreeWidgetItem;
class TestPanel;

// The desktop app's main window: the workspace tree ("workspaceTree") beside
// the test panel ("testPanel"), docks (problems; history and trace when built in, see
// installDocks()), File menu with New / Open / Open Recent / Save / Save As and an
// unsaved-changes prompt (through MessageBox / FileDialog, which tests script), Run menu
// (Run Ctrl+Return, Cancel Esc), and a status bar with the engine, its connection state and
// the running / queued counts.
//
// The window owns the workspace document (the file, its modified state, pins edited in Node in
// Context) and hands copies to the backend and the test panel. It never runs or queries
// anything itself on the GUI thread: runs and history go through the ExecutionBackend.
//
// Engines (docs/architecture.md): File > Connect to Remote Workspace… ("actionConnectRemote")
// switches every view — workspace tree, test panel tabs, history and trace docks, status bar —
// to a RemoteBackend and shows the server's workspace, which is edited on the server (Save,
// Save As, New, Open and Pin are disabled meanwhile). File > Use Local Engine ("actionUseLocal")
// switches back to the embedded engine and the local workspace document as it was. The local
// backend stays alive (it is the app's) while remote is used; a remote backend left behind is
// deleted later (deleteLater), never while one of its signals is being delivered. Engines are
// switched only while no test run is going.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    // `backend` is not owned and must outlive the window.
    explicit MainWindow(ExecutionBackend *backend, QWidget *parent = nullptr);
    ~MainWindow() override;

    // At start-up: `path` when given, else the last workspace, else the bundled example.
    void openInitialWorkspace(const QString &path = {});
    // Loads a workspace file. On problems, keeps the current workspace and lists every problem
    // with its JSON path in the problems dock; returns false.
    bool loadWorkspace(const QString &path);
    void openExample();
    // Replaces the current workspace without a prompt (New, tests).
    void setWorkspace(const Workspace &workspace, const QString &path);

    const Workspace &workspace() const { return m_workspace; }
    QString workspacePath() const { return m_path; }
    bool isModified() const { return isWindowModified(); }
    QStringList problems() const { return m_problems; }
    QStringList recentFiles() const;

    TestPanel *testPanel() const { return m_testPanel; }
    // The Evaluations dock's panel ("evalDock" / "evalPanel").
    EvalPanel *evalPanel() const { return m_evalPanel; }
    HistoryDock *historyDock() const { return m_history; }
    // The history database the embedded engine writes (eval runs are recorded there too).
    void setHistoryDatabasePath(const QString &path);
    // Shows the Evaluations dock and opens a dataset or promptfoo config in it (`--eval FILE`).
    void openEvalDataset(const QString &path);
    // The backend in use: the local one given to the constructor, or the remote one.
    ExecutionBackend *backend() const { return m_backend; }
    // What the views use: forwards to backend() (owned by this window).
    ActiveBackend *activeBackend() const { return m_active; }

    // File > Connect to Remote Workspace…: the connect dialog (window-modal, returns at once);
    // once it has connected, useRemoteBackend() with what it made.
    void connectToRemote();
    // Switches every view to `remote` (ownership passes to the window) and shows its workspace
    // (when it arrives, if not yet). Asks to save unsaved local changes first. Returns false, and
    // deletes `remote` later, when a test run is still going or the user cancelled.
    bool useRemoteBackend(RemoteBackend *remote);
    // File > Use Local Engine: back to the embedded engine and the local workspace document.
    // Returns false when a test run is still going (nothing changes).
    bool useLocalEngine();
    bool isRemote() const { return m_remote != nullptr; }
    RemoteBackend *remoteBackend() const { return m_remote; }

    // File actions (also in the File menu). Each returns false when cancelled or failed.
    bool newWorkspace();
    bool openWorkspace();
    bool save();
    bool saveAs();
    // Asks to save unsaved changes: true when it is fine to go on.
    bool maybeSave();

    // Pins the values into the workspace (Node in Context's Pin) and marks it modified.
    void setPins(const QString &orchestrationId, const QString &nodeId, const QJsonObject &values);

    static constexpr int MaxRecentFiles = 8;

    // The first start's size and place inside `available` (the primary screen's available
    // area), and the share of the tree and the docks (see WindowLayout.h).
    void applyFirstWindowLayout(const QRect &available);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    // The place where docks are added: problems here, history and trace when their widgets
    // are built in. Other areas add their dock with a few lines in this one method.
    void installDocks();
    // No saved geometry: the window's size and place inside the screen's available area.
    void placeFirstWindow(const QRect &available);
    // No saved state: the tree's width and the bottom docks' height for the window's size.
    void sizeFirstStartAreas();
    void rebuildTree();
    void onTreeSelection(QTreeWidgetItem *item);
    void showProblems(const QString &path, const QStringList &problems);
    void setModified(bool modified);
    void pushWorkspace();
    // Gives the local engine the credential trust of the current workspace file, asking the
    // user when it is undecided (or always, with askAgain). Runs before every run starts.
    void settleWorkspaceTrust(bool askAgain);
    void updateTitle();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void updateCounts(int running, int queued);
    void updateConnection(const QString &state);
    // Points the active backend (and so the test panel, docks and status bar, connected to it
    // once) at `backend`; nothing of the old one arrives afterwards.
    void switchBackend(ExecutionBackend *backend);
    void onBackendWorkspaceChanged();
    // File actions that edit the local document are off while a server's workspace is shown.
    void updateFileActions();
    // Refuses (with a message) while a test run is going: it is followed by the current engine.
    bool canSwitchEngine(const QString &title);
    QString remoteHostPort() const; // "host:port" of the server in use, or empty
    void connectInstanceSignals(RemoteBackend *remote);

    ActiveBackend *m_active; // Owned (child): what every view is connected to
    QPointer<ExecutionBackend> m_backend; // in use: m_local or m_remote
    QPointer<ExecutionBackend> m_local; // Not owned: the app's embedded engine.
    RemoteBackend *m_remote = nullptr; // Owned (child) while in use; deleteLater() when left.
    QString m_lastInstanceName; // of m_remote, as its health last named it
    // The local document while a server's workspace is shown.
    Workspace m_localWorkspace;
    QString m_localPath;
    Workspace m_workspace;
    QString m_path; // empty: not saved yet (new or the bundled example)
    QStringList m_problems;

    TestPanel *m_testPanel = nullptr; // Owned (children from here on).
    QTreeWidget *m_tree = nullptr;
    QDockWidget *m_problemsDock = nullptr;
    QListWidget *m_problemsList = nullptr;
    QPointer<QDockWidget> m_bottomDock; // history (tabbed with trace), sized on first start
    TraceView *m_trace = nullptr; // in the trace dock (child of this window)
    HistoryDock *m_history = nullptr; // child of this window
    EvalPanel *m_evalPanel = nullptr; // in the evaluations dock (child of this window)
    QDockWidget *m_evalDock = nullptr; // child of this window
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_saveAction = nullptr;
    QList<QAction *> m_localFileActions; // New, Open, Open Example, Save, Save As
    QAction *m_connectAction = nullptr;
    QAction *m_useLocalAction = nullptr;
    QLabel *m_engineLabel = nullptr;
    QLabel *m_countsLabel = nullptr;
    QString m_connection = QStringLiteral("connected");
};
