#include "ui/remote/ConnectDialog.h"

#include "core/remote/RemoteBackend.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include <qt6keychain/keychain.h>

namespace {

const QString kKeychainService = QStringLiteral("agentstudio-remote");

// Tokens typed in this process, by URL. Memory only.
QHash<QString, QString> &tokenCache()
{
    static QHash<QString, QString> cache;
    return cache;
}

// The combo's full URL list of a profile ("a, b"), beside Qt::UserRole = its first URL.
constexpr int kAllUrlsRole = Qt::UserRole + 1;

QString urlKey(const QUrl &url)
{
    return url.adjusted(QUrl::StripTrailingSlash).toString();
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Connect to remote workspace"));
    setObjectName(QStringLiteral("remoteConnectDialog"));

    m_profiles = new QComboBox(this);
    m_profiles->setObjectName(QStringLiteral("remoteProfileCombo"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("remoteProfileNameEdit"));
    m_name->setPlaceholderText(tr("e.g. team server"));
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("remoteUrlEdit"));
    m_url->setPlaceholderText(QStringLiteral("http://127.0.0.1:8765"));
    m_url->setToolTip(tr("Several instances of one server: their URLs, comma-separated. The next one is "
                         "used when one stops."));
    m_token = new QLineEdit(this);
    m_token->setObjectName(QStringLiteral("remoteTokenEdit"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("bearer token"));
    m_saveProfile = new QCheckBox(tr("Save this server as a profile (the token is not saved)"), this);
    m_saveProfile->setObjectName(QStringLiteral("remoteSaveProfileCheck"));
    m_saveProfile->setChecked(true);
    m_rememberToken = new QCheckBox(tr("Remember the token in the system keychain"), this);
    m_rememberToken->setObjectName(QStringLiteral("remoteRememberTokenCheck"));
    m_deleteProfile = new QPushButton(tr("Delete profile"), this);
    m_deleteProfile->setObjectName(QStringLiteral("remoteDeleteProfileButton"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("remoteStatusLabel"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(this);
    m_connect = buttons->addButton(tr("Connect"), QDialogButtonBox::AcceptRole);
    m_connect->setObjectName(QStringLiteral("remoteConnectButton"));
    m_connect->setDefault(true);
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancel->setObjectName(QStringLiteral("remoteCancelButton"));

    auto *profileRow = new QHBoxLayout;
    profileRow->addWidget(m_profiles, 1);
    profileRow->addWidget(m_deleteProfile);
    auto *form = new QFormLayout;
    form->addRow(tr("Profile"), profileRow);
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("Server URL"), m_url);
    form->addRow(tr("Token"), m_token);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_saveProfile);
    layout->addWidget(m_rememberToken);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    connect(m_profiles, &QComboBox::currentIndexChanged, this, &ConnectDialog::onProfileChosen);
    connect(m_connect, &QPushButton::clicked, this, &ConnectDialog::onConnectClicked);
    connect(m_cancel, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_deleteProfile, &QPushButton::clicked, this, &ConnectDialog::onDeleteProfileClicked);
    reloadProfiles();
}

ConnectDialog::~ConnectDialog()
{
    delete m_pending;
}

QUrl ConnectDialog::url() const
{
    return urls().value(0);
}

QList<QUrl> ConnectDialog::urls() const
{
    return RemoteBackend::parseServerUrls(m_url->text(), nullptr);
}

QString ConnectDialog::token() const
{
    return m_token->text().trimmed();
}

QList<ConnectDialog::Profile> ConnectDialog::savedProfiles()
{
    QSettings settings;
    QList<Profile> out;
    const int n = settings.beginReadArray(QStringLiteral("remote/profiles"));
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        Profile p;
        p.name = settings.value(QStringLiteral("name")).toString();
        p.url = QUrl(settings.value(QStringLiteral("url")).toString());
        for (const QString &more : settings.value(QStringLiteral("more_urls")).toStringList())
            p.moreUrls.append(QUrl(more));
        if (p.url.isValid())
            out.append(p);
    }
    settings.endArray();
    return out;
}

void ConnectDialog::storeProfiles(const QList<Profile> &profiles)
{
    QSettings settings;
    settings.remove(QStringLiteral("remote/profiles"));
    settings.beginWriteArray(QStringLiteral("remote/profiles"), int(profiles.size()));
    for (int i = 0; i < profiles.size(); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("name"), profiles[i].name);
        settings.setValue(QStringLiteral("url"), profiles[i].url.toString());
        QStringList more;
        for (const QUrl &u : profiles[i].moreUrls)
            more.append(u.toString());
        if (!more.isEmpty())
            settings.setValue(QStringLiteral("more_urls"), more);
    }
    settings.endArray();
    settings.sync();
}

void ConnectDialog::saveProfile(const Profile &profile)
{
    QList<Profile> profiles = savedProfiles();
    bool replaced = false;
    for (Profile &p : profiles) {
        if (p.name == profile.name || urlKey(p.url) == urlKey(profile.url)) {
            p = profile;
            replaced = true;
            break;
        }
    }
    if (!replaced)
        profiles.append(profile);
    storeProfiles(profiles);
}

void ConnectDialog::reloadProfiles(const QString &select)
{
    const QSignalBlocker blocker(m_profiles);
    m_profiles->clear();
    m_profiles->addItem(tr("(new connection)"));
    int current = 0;
    const QList<Profile> profiles = savedProfiles();
    for (const Profile &p : profiles) {
        m_profiles->addItem(p.name.isEmpty() ? p.url.toString() : p.name, p.url);
        QStringList all { p.url.toString() };
        for (const QUrl &u : p.moreUrls)
            all.append(u.toString());
        m_profiles->setItemData(m_profiles->count() - 1, all.join(QStringLiteral(", ")), kAllUrlsRole);
        if (!select.isEmpty() && p.name == select)
            current = m_profiles->count() - 1;
    }
    m_profiles->setCurrentIndex(current);
    m_deleteProfile->setEnabled(current > 0);
}

void ConnectDialog::onProfileChosen(int index)
{
    m_deleteProfile->setEnabled(index > 0);
    if (index <= 0) {
        m_name->clear();
        m_url->clear();
        m_token->clear();
        return;
    }
    const QUrl url = m_profiles->itemData(index).toUrl();
    m_name->setText(m_profiles->itemText(index));
    m_url->setText(m_profiles->itemData(index, kAllUrlsRole).toString());
    m_token->setText(tokenCache().value(urlKey(url)));
    if (m_token->text().isEmpty()) {
        auto *job = new QKeychain::ReadPasswordJob(kKeychainService, this);
        job->setAutoDelete(true);
        job->setKey(urlKey(url));
        connect(job, &QKeychain::Job::finished, this, [this, job, url](QKeychain::Job *) {
            if (job->error() == QKeychain::NoError && m_token->text().isEmpty() && this->url() == url) {
                m_token->setText(job->textData());
                m_rememberToken->setChecked(true);
            }
        });
        job->start();
    }
}

void ConnectDialog::onDeleteProfileClicked()
{
    const int index = m_profiles->currentIndex();
    if (index <= 0)
        return;
    QList<Profile> profiles = savedProfiles();
    const QUrl url = m_profiles->itemData(index).toUrl();
    profiles.removeIf([&](const Profile &p) { return urlKey(p.url) == urlKey(url); });
    storeProfiles(profiles);
    tokenCache().remove(urlKey(url));
    auto *job = new QKeychain::DeletePasswordJob(kKeychainService, this);
    job->setAutoDelete(true);
    job->setKey(urlKey(url));
    job->start();
    reloadProfiles();
    onProfileChosen(0);
}

void ConnectDialog::setBusy(bool busy, const QString &status)
{
    m_connect->setEnabled(!busy);
    m_url->setEnabled(!busy);
    m_token->setEnabled(!busy);
    m_profiles->setEnabled(!busy);
    m_status->setText(status);
}

void ConnectDialog::onConnectClicked()
{
    QString urlError;
    const QList<QUrl> urls = RemoteBackend::parseServerUrls(m_url->text(), &urlError);
    if (urls.isEmpty()) {
        // "Server URL: expected …" or "Server URL 2 ("…"): expected …" (which entry is wrong).
        urlError[0] = urlError.at(0).toUpper();
        m_status->setText(urlError);
        m_url->setFocus();
        return;
    }
    const QUrl url = urls.first();
    if (token().isEmpty()) {
        m_status->setText(tr("Token: required"));
        m_token->setFocus();
        return;
    }
    delete m_pending;
    m_pending = new RemoteBackend(urls, token());
    setBusy(true, tr("Connecting to %1…").arg(url.toString()));
    RemoteBackend *backend = m_pending;
    connect(backend, &ExecutionBackend::workspaceChanged, this, [this, backend, url, urls] {
        if (backend != m_pending)
            return;
        const QString tok = token();
        tokenCache().insert(urlKey(url), tok);
        if (m_saveProfile->isChecked()) {
            const QString name = m_name->text().trimmed().isEmpty()
                ? url.host() + QLatin1Char(':') + QString::number(url.port())
                : m_name->text().trimmed();
            saveProfile(Profile { name, url, urls.mid(1) });
        }
        if (m_rememberToken->isChecked()) {
            auto *job = new QKeychain::WritePasswordJob(kKeychainService);
            job->setAutoDelete(true);
            job->setKey(urlKey(url));
            job->setTextData(tok);
            job->start();
        }
        m_pending = nullptr;
        backend->disconnect(this);
        setBusy(false, tr("Connected."));
        emit connected(backend);
        accept();
    });
    connect(backend, &RemoteBackend::workspaceFetchFailed, this, [this, backend](const Error &error) {
        if (backend != m_pending)
            return;
        m_pending = nullptr;
        backend->deleteLater();
        setBusy(false, error.message);
    });
}

void ConnectDialog::connectToRemote(QWidget *parent, const std::function<void(RemoteBackend *)> &onConnected)
{
    auto *dialog = new ConnectDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &ConnectDialog::connected, dialog, [onConnected](RemoteBackend *backend) {
        if (onConnected)
            onConnected(backend);
        else
            backend->deleteLater();
    });
    dialog->open();
}
