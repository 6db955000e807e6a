#include "ui/settings/ApiKeysDialog.h"

#include "core/providers/ApiKeyLookup.h"
#include "core/providers/ApiKeys.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

ApiKeysDialog::ApiKeysDialog(const Workspace &workspace, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("apiKeysDialog"));
    setWindowTitle(tr("API Keys"));

    auto *info = new QLabel(this);
    info->setObjectName(QStringLiteral("apiKeysInfo"));
    info->setWordWrap(true);
    info->setText(tr("A provider's key is read from its environment variable when that is set, "
                     "otherwise from the system keychain. Keys are never written to the workspace, "
                     "the history database or any log."));

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("apiKeysList"));
    m_list->setColumnCount(ColumnCount);
    m_list->setHeaderLabels({ tr("Provider"), tr("Kind"), tr("Key") });
    m_list->setRootIsDecorated(false);
    m_list->header()->setStretchLastSection(true);

    for (const ProviderConfig &p : workspace.providers) {
        if (p.kind != u"openai" && p.kind != u"anthropic" && p.kind != u"ollama")
            continue;
        Row row;
        row.providerId = p.id;
        row.kind = p.kind;
        const KeyPlan plan = credentials::planFor(p);
        row.variable = plan.variable;
        row.keychainAllowed = plan.keychainAllowed;
        row.fromEnvironment = !row.variable.isEmpty()
            && !qEnvironmentVariable(row.variable.toLocal8Bit().constData()).trimmed().isEmpty();
        m_rows.append(row);
        new QTreeWidgetItem(m_list, QStringList { p.id, p.kind, QString() });
    }

    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("apiKeyEdit"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("Paste a key to store it in the system keychain"));
    m_store = new QPushButton(tr("Store in Keychain"), this);
    m_store->setObjectName(QStringLiteral("storeKeyButton"));
    m_remove = new QPushButton(tr("Remove from Keychain"), this);
    m_remove->setObjectName(QStringLiteral("removeKeyButton"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("apiKeysStatus"));
    m_status->setWordWrap(true);

    auto *edit = new QHBoxLayout;
    edit->addWidget(m_key, 1);
    edit->addWidget(m_store);
    edit->addWidget(m_remove);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(info);
    layout->addWidget(m_list, 1);
    layout->addLayout(edit);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this] { updateButtons(); });
    connect(m_key, &QLineEdit::textChanged, this, [this] { updateButtons(); });
    connect(m_store, &QPushButton::clicked, this, &ApiKeysDialog::storeSelected);
    connect(m_remove, &QPushButton::clicked, this, &ApiKeysDialog::removeSelected);

    if (m_rows.isEmpty())
        setStatus(tr("This workspace has no network providers (openai, anthropic, ollama)."));
    for (int i = 0; i < m_rows.size(); ++i) {
        refreshRow(i);
        probe(i);
    }
    if (!m_rows.isEmpty())
        m_list->setCurrentItem(m_list->topLevelItem(0));
    updateButtons();
    resize(620, 360);
}

// Answers still on their way are dropped: every callback's context is this dialog.
ApiKeysDialog::~ApiKeysDialog() = default;

void ApiKeysDialog::refreshRow(int row)
{
    const Row &r = m_rows.at(row);
    QString text;
    if (r.variable.isEmpty())
        text = tr("no key needed");
    else if (r.fromEnvironment)
        text = r.inKeychain ? tr("from $%1 (a keychain entry exists too)").arg(r.variable)
                            : tr("from $%1").arg(r.variable);
    else if (r.inKeychain)
        text = tr("from the system keychain");
    else if (!r.keychainAllowed)
        text = tr("not set: set $%1 (the keychain serves official hosts only)").arg(r.variable);
    else if (!r.keychainError.isEmpty())
        text = tr("not set: set $%1 (keychain unavailable: %2)").arg(r.variable, r.keychainError);
    else
        text = tr("not set: set $%1 or store a key").arg(r.variable);
    m_list->topLevelItem(row)->setText(SourceColumn, text);
}

void ApiKeysDialog::probe(int row)
{
    if (m_rows.at(row).variable.isEmpty() || !m_rows.at(row).keychainAllowed)
        return;
    ++m_pending;
    const QString id = m_rows.at(row).providerId;
    apikeys::probeKey(id, this, [this, row, id](bool exists, const QString &error) {
        --m_pending;
        if (row < m_rows.size() && m_rows.at(row).providerId == id) {
            m_rows[row].inKeychain = exists;
            m_rows[row].keychainError = error;
            refreshRow(row);
        }
        updateButtons();
        emit keychainOperationFinished();
    });
    updateButtons();
}

int ApiKeysDialog::selectedRow() const
{
    QTreeWidgetItem *item = m_list->currentItem();
    return item ? m_list->indexOfTopLevelItem(item) : -1;
}

void ApiKeysDialog::updateButtons()
{
    const int row = selectedRow();
    const bool needsKey = row >= 0 && !m_rows.at(row).variable.isEmpty() && m_rows.at(row).keychainAllowed;
    const bool idle = m_pending == 0;
    m_key->setEnabled(needsKey);
    m_store->setEnabled(needsKey && idle && !m_key->text().trimmed().isEmpty());
    m_remove->setEnabled(needsKey && idle && m_rows.at(row).inKeychain);
}

void ApiKeysDialog::setStatus(const QString &text)
{
    m_status->setText(text);
}

void ApiKeysDialog::storeSelected()
{
    const int row = selectedRow();
    const QString key = m_key->text().trimmed();
    if (row < 0 || key.isEmpty() || m_rows.at(row).variable.isEmpty() || !m_rows.at(row).keychainAllowed)
        return;
    const QString id = m_rows.at(row).providerId;
    ++m_pending;
    setStatus(tr("Storing the key for '%1'…").arg(id));
    apikeys::storeKey(id, key, this, [this, row, id](const QString &error) {
        --m_pending;
        if (error.isEmpty()) {
            m_key->clear();
            setStatus(tr("Stored the key for '%1' in the system keychain.").arg(id));
            probe(row);
        } else {
            setStatus(tr("Could not store the key for '%1': %2").arg(id, error));
        }
        updateButtons();
        emit keychainOperationFinished();
    });
    updateButtons();
}

void ApiKeysDialog::removeSelected()
{
    const int row = selectedRow();
    if (row < 0 || m_rows.at(row).variable.isEmpty())
        return;
    const QString id = m_rows.at(row).providerId;
    ++m_pending;
    setStatus(tr("Removing the key for '%1'…").arg(id));
    apikeys::removeKey(id, this, [this, row, id](const QString &error) {
        --m_pending;
        if (error.isEmpty())
            setStatus(tr("Removed the key for '%1' from the system keychain.").arg(id));
        else
            setStatus(tr("Could not remove the key for '%1': %2").arg(id, error));
        probe(row);
        updateButtons();
        emit keychainOperationFinished();
    });
    updateButtons();
}
