#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ToolTypes.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QWidget>

class ExecutionBackend;
class FormBuilder;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTextBrowser;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;

// The Tools panel (a dock of the main window): every tool source of the workspace with its
// state (starting, connected, failed — with its error and the last lines of its log), its tools
// with description and schema; a selected tool runs by itself from a form generated from its
// JSON Schema, and its result is shown structured (text, structured JSON, images, errors in
// the error style) with its latency.
//
// Everything goes through the ExecutionBackend (listTools / callTool, answered later on this
// thread): the panel never waits. It refreshes on toolsChanged and on Refresh.
// Object names: toolsPanel, toolsRefresh, toolsStatus, toolSources (tree: a source per top
// item, its tools below), toolTitle, toolDescription, toolTabs, toolForm, toolRunButton,
// toolLatency, toolResult, toolSchema, toolSourceLog. GUI thread only.
class ToolsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ToolsPanel)
public:
    // `backend` is not owned (the app's ActiveBackend) and must outlive the panel.
    explicit ToolsPanel(ExecutionBackend *backend, QWidget *parent = nullptr);

    // Asks the backend for the sources again (the answer replaces the shown list).
    void refresh();
    // Selects a tool (true if listed).
    bool selectTool(const QString &sourceId, const QString &tool);
    // Runs the selected tool with the form's values (nothing when none is selected or the form
    // has problems).
    void runSelected();

    const QList<ToolSourceStatus> &sources() const { return m_sources; }
    FormBuilder *form() const { return m_form; }
    QTreeWidget *tree() const { return m_tree; }
    QTextBrowser *result() const { return m_result; }

signals:
    // A listTools answer was shown.
    void sourcesShown();
    // A callTool answer (result or error) was shown.
    void resultShown();

private:
    QWidget *buildRunPage();
    void showSources(const QList<ToolSourceStatus> &sources, const Error &error);
    void onSelectionChanged();
    void showSource(const ToolSourceStatus &source);
    void showTool(const ToolSourceStatus &source, const ToolDefinition &tool);
    void showResult(const ToolResult &result, const Error &error);
    void updateRunButton();
    const ToolSourceStatus *sourceOf(const QString &id) const;

    QPointer<ExecutionBackend> m_backend;
    QList<ToolSourceStatus> m_sources;
    QString m_shownSource, m_shownTool; // the selected tool ("" tool: a source is selected)
    QJsonObject m_shownSchema; // the form is rebuilt only when this changes
    // Contexts of requests in flight (Owned, children): a newer request replaces them, so an
    // older answer is never shown.
    QObject *m_listContext = nullptr;
    QObject *m_callContext = nullptr;
    QElapsedTimer m_callClock;

    QToolButton *m_refresh = nullptr; // Owned (children, all of them).
    QLabel *m_status = nullptr;
    QTreeWidget *m_tree = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_description = nullptr;
    QTabWidget *m_tabs = nullptr;
    FormBuilder *m_form = nullptr;
    QPushButton *m_run = nullptr;
    QLabel *m_latency = nullptr;
    QTextBrowser *m_result = nullptr;
    QPlainTextEdit *m_schema = nullptr;
    QPlainTextEdit *m_log = nullptr;
};
