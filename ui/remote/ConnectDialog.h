#pragma once

#include <QDialog>
#include <QList>
#include <QUrl>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class RemoteBackend;

// File > Connect to remote workspace (docs/wire-protocol.md): server URL and token, with saved
// profiles. The URL field takes one URL or several comma-separated ones (instances of one server,
// docs/remote-instances.md). On Connect it creates a RemoteBackend, waits for the server's workspace (errors
// are shown in the dialog, nothing blocks), and hands the connected backend over.
//
// Secrets: a profile saved in QSettings ("remote/profiles") holds a name and the URL only — never
// the token. Tokens are kept in memory for the life of the process (so reconnecting in the same
// session needs no retyping) and, only when "Remember the token in the system keychain" is
// checked, in the system keychain through QtKeychain (service "agentstudio-remote", key = the
// URL).
//
// Object names for tests: remoteProfileCombo, remoteProfileNameEdit, remoteUrlEdit,
// remoteTokenEdit, remoteSaveProfileCheck, remoteRememberTokenCheck, remoteDeleteProfileButton,
// remoteConnectButton, remoteCancelButton, remoteStatusLabel.
class ConnectDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectDialog)
public:
    struct Profile
    {
        QString name;
        QUrl url;
        QList<QUrl> moreUrls; // further instances of the same server, tried after `url`
    };

    explicit ConnectDialog(QWidget *parent = nullptr);
    ~ConnectDialog() override;

    // The first server URL (the token is kept under it).
    QUrl url() const;
    // Every URL of the field ("http://a:1, http://b:2": instances of one server).
    QList<QUrl> urls() const;
    QString token() const;

    static QList<Profile> savedProfiles();

    // What the app calls for File > Connect: opens the dialog (window-modal, non-blocking) and
    // calls onConnected with the connected backend, whose ownership passes to the caller.
    static void connectToRemote(QWidget *parent, const std::function<void(RemoteBackend *)> &onConnected);

signals:
    // Ownership of `backend` passes to the receiver (the dialog closes right after).
    void connected(RemoteBackend *backend);

private:
    void onProfileChosen(int index);
    void onConnectClicked();
    void onDeleteProfileClicked();
    void setBusy(bool busy, const QString &status);
    void reloadProfiles(const QString &select = {});
    static void saveProfile(const Profile &profile);
    static void storeProfiles(const QList<Profile> &profiles);

    QComboBox *m_profiles; // Owned by the dialog (children).
    QLineEdit *m_name;
    QLineEdit *m_url;
    QLineEdit *m_token;
    QCheckBox *m_saveProfile;
    QCheckBox *m_rememberToken;
    QPushButton *m_deleteProfile;
    QPushButton *m_connect;
    QPushButton *m_cancel;
    QLabel *m_status;
    RemoteBackend *m_pending = nullptr; // Owned until handed over.
};
