#pragma once

#include "core/model/Workspace.h"

#include <QMainWindow>
#include <QPointer>

class ExecutionBackend;
class QAction;
class QDockWidget;
class QLabel;
class QListWidget;
class QMenu;
class QTreeWidget;
class QTreeWidgetItem;
class TestPanel;

// The desktop app's main window (DESIGN.md §10): the workspace tree ("workspaceTree") beside
// the test panel ("testPanel"), docks (problems; history and trace when built in, see
// installDocks()), File menu with New / Open / Open Recent / Save / Save As and an
// unsaved-changes prompt (through MessageBox / FileDialog, which tests script), Run menu
// (Run Ctrl+Return, Cancel Esc), and a status bar with the engine, its connection state and
// the running / queued counts.
//
// The window owns the workspace document (the file, its modified state, pins edited in Node in
// Context) and hands copies to the backend and the test panel. It never runs or queries
// anything itself on the GUI thread: runs and history go through the ExecutionBackend.
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
    ExecutionBackend *backend() const { return m_backend; }

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

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    // The place where docks are added: problems here, history and trace when their widgets
    // are built in. Other areas add their dock with a few lines in this one method.
    void installDocks();
    void rebuildTree();
    void onTreeSelection(QTreeWidgetItem *item);
    void showProblems(const QString &path, const QStringList &problems);
    void setModified(bool modified);
    void pushWorkspace();
    void updateTitle();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void updateCounts(int running, int queued);
    void updateConnection(const QString &state);

    QPointer<ExecutionBackend> m_backend;
    Workspace m_workspace;
    QString m_path;                        // empty: not saved yet (new or the bundled example)
    QStringList m_problems;

    TestPanel *m_testPanel = nullptr;      // Owned (children from here on).
    QTreeWidget *m_tree = nullptr;
    QDockWidget *m_problemsDock = nullptr;
    QListWidget *m_problemsList = nullptr;
    QPointer<QDockWidget> m_bottomDock;    // history (tabbed with trace), sized on first start
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_saveAction = nullptr;
    QLabel *m_engineLabel = nullptr;
    QLabel *m_countsLabel = nullptr;
    QString m_connection = QStringLiteral("connected");
};
