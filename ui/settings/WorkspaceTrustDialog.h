#pragma once

#include "core/providers/CredentialPolicy.h"

#include <QDialog>

// "Trust this workspace?": lists each key the workspace file would send where its provider's
// default never goes (provider, host, variable, why), with Trust and Don't Trust (the default
// button, so Return or Esc never trusts by accident). Shown by WorkspaceTrust before a run.
// objectNames for tests: "workspaceTrustDialog", "trustUsesList", "trustButton",
// "dontTrustButton". GUI thread only.
class WorkspaceTrustDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkspaceTrustDialog)
public:
    enum Column { ProviderColumn, HostColumn, VariableColumn, ReasonColumn, ColumnCount };

    WorkspaceTrustDialog(
        const QString &workspaceName, const QList<CredentialUse> &uses, QWidget *parent = nullptr);
    ~WorkspaceTrustDialog() override;
};
