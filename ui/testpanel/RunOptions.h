#pragma once

#include "core/api/ExecutionRequest.h"

#include <QDialog>
#include <QJsonObject>
#include <QPointer>
#include <QStringList>
#include <QWidget>

class ExecutionBackend;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;
class QSpinBox;
class QToolButton;

// What a test-panel tab adds to the next run besides its inputs: the budget ("budgetButton"
// opens a popup, "budgetPopup", with "budgetMaxCost" and "budgetMaxToolCalls"; 0 = no limit;
// kept from run to run; the button names the limits set) and tool mocks for the next run only
// ("mockToolButton" opens a menu of the workspace's tools, "mockToolMenu"; each opens a
// ToolOverrideDialog). Pending mocks are listed ("pendingOverrides", pendingLabel(), placed by
// the tab) until the next run takes them (apply()). The tool names come from the backend's listTools (asked
// at start and on toolsChanged; never waited for). GUI thread only.
class RunOptions final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunOptions)
public:
    RunOptions(ExecutionBackend *backend, QWidget *parent);

    // Mocks `tool` in the next run: {"result": any} | {"error": "…"} and/or {"latency_ms": N}.
    // An empty override removes it.
    void setOverride(const QString &tool, const QJsonObject &override);
    void clearOverrides();
    const QJsonObject &pendingOverrides() const { return m_overrides; }
    QStringList knownTools() const { return m_tools; }
    QMenu *mockMenu() const { return m_menu; }
    QLabel *pendingLabel() const { return m_pending; }

    // Puts the budget and the pending mocks into `request`, then forgets the mocks (they are
    // for one run).
    void apply(ExecutionRequest &request);
    ExecutionBudget budget() const;

private:
    void refreshTools();
    void fillMenu();
    void showPending();
    void editOverride(const QString &tool);
    void showBudget();

    QPointer<ExecutionBackend> m_backend;
    QObject *m_listContext = nullptr; // Owned (child): the listTools in flight
    QStringList m_tools;
    QJsonObject m_overrides;
    QToolButton *m_budgetButton = nullptr; // Owned (children, all of them).
    QWidget *m_budgetPopup = nullptr;
    QDoubleSpinBox *m_maxCost = nullptr;
    QSpinBox *m_maxToolCalls = nullptr;
    QToolButton *m_mockButton = nullptr;
    QMenu *m_menu = nullptr;
    QLabel *m_pending = nullptr;
};

// Asks how to mock one tool in the next run ("toolOverrideDialog"): a fixed result (JSON,
// "overrideResult"), an error ("overrideError"), or neither ("overrideKind": result | error |
// latency only), plus added latency ("overrideLatency", ms). Opened window-modal with open().
class ToolOverrideDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ToolOverrideDialog)
public:
    ToolOverrideDialog(const QString &tool, const QJsonObject &current, QWidget *parent);
    // The override as entered; empty when the result JSON is invalid (the dialog says so).
    QJsonObject override() const;

private:
    void updateState();

    QComboBox *m_kind = nullptr; // Owned (children, all of them).
    QPlainTextEdit *m_result = nullptr;
    QLineEdit *m_error = nullptr;
    QSpinBox *m_latency = nullptr;
    QLabel *m_problem = nullptr;
    QPushButton *m_ok = nullptr;
};
