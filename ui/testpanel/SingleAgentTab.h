#pragma once

#include "ui/testpanel/TestTab.h"

#include <QPointer>

class ConversationView;
class ExecutionBackend;
class FormBuilder;
class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class SideBySideView;
class VariantKeeper;

// Test panel, Single Agent mode: pick an agent ("agentPicker"), fill the form generated from
// its signature (or load one of its examples, "examplesPicker"), Run ("runButton") / Cancel
// ("cancelButton"); the output pane streams the reply, then shows the parsed fields, the raw
// reply and the metrics. The last inputs are remembered per agent (QSettings). A completed run
// can be continued as a conversation (ConversationView under the output: each turn a run).
// "compareVariants" swaps the output for the side-by-side comparison (SideBySideView,
// docs/side-by-side.md): Run starts the form on every variant at once, Cancel cancels them
// all, and a column's Keep writes that variant into the agent in the workspace file
// (VariantKeeper, off the GUI thread), then variantKept() hands the written workspace on.
class SingleAgentTab final : public TestTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleAgentTab)
public:
    SingleAgentTab(ExecutionBackend *backend, QWidget *parent);

    QString title() const override;
    QString description() const override;
    TestMode mode() const override { return TestMode::SingleAgent; }

    void setWorkspace(const Workspace &workspace) override;
    bool selectAgent(const QString &agentId);
    QString currentAgentId() const;

    bool canRun() const override;
    bool isRunning() const override;
    QString run(const QString &rerunOf = {}) override;
    void cancel() override;
    bool loadRecord(const ExecutionRecord &record, QString *error) override;
    QList<FormBuilder *> forms() const override { return { m_form }; }
    void setInputs(const QJsonObject &inputs);

    FormBuilder *form() const { return m_form; }
    ConversationView *conversation() const { return m_conversation; }
    // Continues the conversation of the completed run `executionId` with `message` (a new run:
    // conversation_of + message; the thread gets a turn). Returns the new execution id.
    QString continueConversation(const QString &executionId, const QString &message);

    static QString settingsKey(const QString &workspaceId, const QString &agentId);

    // Side by side: on/off, the view (made when first turned on; nullptr before), and Keep for
    // column `index` (asks first).
    void setComparing(bool on);
    bool isComparing() const;
    SideBySideView *sideBySide() const { return m_sideBySide; }
    void keepVariant(int index);

signals:
    // A kept variant was written: `workspace` is now the content of the file at `path`.
    void variantKept(const Workspace &workspace, const QString &path);
    // The backend confirmed the first side-by-side column's run.
    void variantRunConfirmed(const QString &executionId);

private:
    QString runVariants(const QString &rerunOf);
    SideBySideView *ensureSideBySide();
    void showAgentSideBySide(); // the current agent and the providers, to the columns
    void updateKeepAllowed();
    void onAgentChanged();
    void updateButtons() override;
    void saveInputs();
    static QString replyText(const QJsonObject &outputs);

    Workspace m_workspace;
    QPointer<ExecutionBackend> m_backend;
    QComboBox *m_agentPicker = nullptr; // Owned (children from here on).
    QComboBox *m_examples = nullptr;
    QLabel *m_agentInfo = nullptr;
    FormBuilder *m_form = nullptr;
    QString m_shownAgent;
    ConversationView *m_conversation = nullptr;
    QString m_conversationAgent; // the agent and first inputs of the shown thread
    QJsonObject m_conversationInputs;
    QCheckBox *m_compare = nullptr;
    QPushButton *m_addVariant = nullptr;
    QLabel *m_keepStatus = nullptr;
    QStackedWidget *m_right = nullptr; // page 0: output + conversation; page 1: side by side
    SideBySideView *m_sideBySide = nullptr; // in m_right once made
    VariantKeeper *m_keeper = nullptr;
    int m_formWidth = 0; // the form column's width before comparing
};
