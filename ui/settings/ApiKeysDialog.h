#pragma once

#include "core/model/Workspace.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

// Settings > API Keys: the workspace's network providers (openai, anthropic, ollama), where each
// one's key comes from (its environment variable, the system keychain, or nowhere yet), and
// store / replace / remove of a key in the system keychain (service "agentstudio", entry
// "provider/<id>", the one the engine reads: core/providers/ApiKeyLookup.h). The keychain only
// serves a provider at its official host (docs/credentials.md); other rows say so and offer no
// store.
//
// GUI thread only; every keychain operation is asynchronous and its answer is dropped if the
// dialog is gone. A typed key lives in the password field until it is stored, then is cleared;
// it is never shown, logged or written anywhere but the keychain. Without QtKeychain in the
// build, the dialog only explains that keys come from environment variables.
class ApiKeysDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiKeysDialog)
public:
    enum Column { ProviderColumn, KindColumn, SourceColumn, ColumnCount };

    explicit ApiKeysDialog(const Workspace &workspace, QWidget *parent = nullptr);
    ~ApiKeysDialog() override;

    // Keychain operations still running (tests wait for 0).
    int pendingOperations() const { return m_pending; }

signals:
    void keychainOperationFinished(); // after every store / remove / probe answer

private:
    struct Row
    {
        QString providerId;
        QString kind;
        QString variable; // empty: no key needed
        bool keychainAllowed = false; // the keychain serves official hosts only
        bool fromEnvironment = false;
        bool inKeychain = false;
        QString keychainError;
    };

    void refreshRow(int row);
    void probe(int row);
    void storeSelected();
    void removeSelected();
    void updateButtons();
    int selectedRow() const;
    void setStatus(const QString &text);

    QList<Row> m_rows;
    QTreeWidget *m_list = nullptr;
    QLineEdit *m_key = nullptr;
    QPushButton *m_store = nullptr;
    QPushButton *m_remove = nullptr;
    QLabel *m_status = nullptr;
    int m_pending = 0;
};
