#pragma once

#include "core/model/Workspace.h"

#include <QPointer>
#include <QWidget>

class ExecutionBackend;
class ExecutionTracker;
class FormBuilder;
class QComboBox;
class QLabel;
class QPushButton;
class RunOutputPane;

// Test panel, Single Agent mode: pick an agent ("agentPicker"), fill the form generated from
// its signature (or load one of its examples, "examplesPicker"), Run ("runButton") / Cancel
// ("cancelButton"); the output pane streams the reply, then shows the parsed fields, the raw
// reply and the metrics. The last inputs are remembered per agent (QSettings).
class SingleAgentTab final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleAgentTab)
public:
    SingleAgentTab(ExecutionBackend *backend, QWidget *parent);

    // Keeps the selected agent and its inputs when it still exists.
    void setWorkspace(const Workspace &workspace);
    bool selectAgent(const QString &agentId);
    QString currentAgentId() const;

    bool canRun() const;
    bool isRunning() const;
    // Runs the current form; returns the execution id (empty when it cannot run).
    QString run(const QString &rerunOf = {});
    void cancel();
    void setInputs(const QJsonObject &inputs);

    FormBuilder *form() const { return m_form; }
    ExecutionTracker *tracker() const { return m_tracker; }
    RunOutputPane *output() const { return m_output; }

    static QString settingsKey(const QString &workspaceId, const QString &agentId);

signals:
    void runningChanged(bool running);

private:
    void onAgentChanged();
    void updateButtons();
    void saveInputs();

    Workspace m_workspace;
    QPointer<ExecutionBackend> m_backend;
    ExecutionTracker *m_tracker = nullptr; // Owned (child).
    QComboBox *m_agentPicker = nullptr; // Owned (children from here on).
    QComboBox *m_examples = nullptr;
    QLabel *m_agentInfo = nullptr;
    FormBuilder *m_form = nullptr;
    QLabel *m_formStatus = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    RunOutputPane *m_output = nullptr;
    QString m_shownAgent;
};
