#pragma once

#include "core/api/ExecutionRequest.h"
#include "ui/testpanel/VariantSpec.h"

#include <QWidget>

class ExecutionBackend;
class ExecutionTracker;
class QLabel;
class QPushButton;
class QSplitter;
class QToolButton;
class RunOutputPane;
class VariantEditor;

// One column of the side-by-side comparison ("variantColumn"): the variant's editor
// (VariantEditor) over its own output pane (RunOutputPane, compact: live stream, parsed fields,
// raw reply and metrics) fed by its own ExecutionTracker, so every column follows its own run
// and streams on its own. "keepVariantButton" asks to write the variant into the agent
// (keepRequested), "removeVariantButton" to drop the column. GUI thread only.
class VariantColumn final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VariantColumn)
public:
    VariantColumn(ExecutionBackend *backend, QWidget *parent);

    // The agent the variant changes: its output fields (for the parsed page) and the providers
    // the editor offers.
    void setAgent(const AgentSpec &agent, const QStringList &providerIds);
    void setVariant(const VariantSpec &variant);
    VariantSpec variant() const;

    // Runs `base` (inputs, mode, budget, mocks) with this variant's agent_overrides for `agent`.
    QString start(ExecutionRequest base, const AgentSpec &agent);
    void cancel();
    bool isRunning() const;

    // Editing and removing are locked while any column runs; Keep as `enabled` says (why not:
    // `reason`, as its tooltip).
    void setLocked(bool locked);
    void setKeepEnabled(bool enabled, const QString &reason);
    void setRemovable(bool removable);

    ExecutionTracker *tracker() const { return m_tracker; }
    RunOutputPane *output() const { return m_output; }
    VariantEditor *editor() const { return m_editor; }
    QPushButton *keepButton() const { return m_keep; }

signals:
    void edited();
    void keepRequested();
    void removeRequested();

private:
    void updateTitle();

    ExecutionTracker *m_tracker = nullptr; // Owned (children, all of them).
    QLabel *m_title = nullptr;
    QToolButton *m_remove = nullptr;
    VariantEditor *m_editor = nullptr;
    RunOutputPane *m_output = nullptr;
    QPushButton *m_keep = nullptr;
    bool m_keepEnabled = false;
    QString m_keepReason;
    bool m_locked = false;
};
