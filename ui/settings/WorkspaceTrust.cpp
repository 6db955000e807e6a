#include "ui/settings/WorkspaceTrust.h"

#include "ui/settings/WorkspaceTrustDialog.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QHash>
#include <QSettings>
#include <QVariantMap>

namespace {

WorkspaceTrust::Answer s_nextAnswer = WorkspaceTrust::Answer::None;
int s_asked = 0;
QList<CredentialUse> s_lastAsked;
QHash<QString, bool> s_unsaved; // fingerprint -> trusted, for workspaces without a file

const QString kGroup = QStringLiteral("workspaceTrust");

// QSettings keys may not hold '/' or '\\' as plain characters: one key per path, by its hash.
QString settingsKey(const QString &path)
{
    return kGroup + QLatin1Char('/')
        + QString::fromLatin1(QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha256).toHex());
}

// The path a decision is remembered under; empty for an unsaved workspace.
QString pathOf(const Workspace &workspace)
{
    return workspace.filePath.isEmpty() ? QString() : QFileInfo(workspace.filePath).absoluteFilePath();
}

} // namespace

QString WorkspaceTrust::fingerprint(const Workspace &workspace)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(workspace.toJsonText(), QCryptographicHash::Sha256).toHex());
}

std::optional<bool> WorkspaceTrust::remembered(const QString &path, const QString &fingerprint)
{
    if (path.isEmpty()) {
        const auto it = s_unsaved.constFind(fingerprint);
        return it == s_unsaved.cend() ? std::nullopt : std::optional<bool>(*it);
    }
    const QVariantMap entry = QSettings().value(settingsKey(path)).toMap();
    if (entry.value(QStringLiteral("path")).toString() != path
        || entry.value(QStringLiteral("sha256")).toString() != fingerprint)
        return std::nullopt; // never decided, or the file changed since
    return entry.value(QStringLiteral("trusted")).toBool();
}

void WorkspaceTrust::remember(const QString &path, const QString &fingerprint, bool trusted)
{
    if (path.isEmpty()) {
        s_unsaved.insert(fingerprint, trusted);
        return;
    }
    QSettings().setValue(settingsKey(path),
        QVariantMap { { QStringLiteral("path"), path }, { QStringLiteral("sha256"), fingerprint },
            { QStringLiteral("trusted"), trusted } });
}

CredentialTrust WorkspaceTrust::trustFor(const QList<CredentialUse> &uses, bool trusted)
{
    // Exactly the uses the user saw, nothing wider: another provider or host is asked anew.
    return trusted ? CredentialTrust { false, uses } : CredentialTrust {};
}

CredentialTrust WorkspaceTrust::decide(QWidget *parent, const Workspace &workspace)
{
    const QList<CredentialUse> uses = credentials::allUsesNeedingTrust(workspace);
    if (uses.isEmpty())
        return {};
    if (const std::optional<bool> known = remembered(pathOf(workspace), fingerprint(workspace)))
        return trustFor(uses, *known);
    return ask(parent, workspace);
}

CredentialTrust WorkspaceTrust::ask(QWidget *parent, const Workspace &workspace)
{
    const QList<CredentialUse> uses = credentials::allUsesNeedingTrust(workspace);
    if (uses.isEmpty())
        return {};
    ++s_asked;
    s_lastAsked = uses;
    bool trusted = false;
    if (s_nextAnswer != Answer::None) {
        trusted = std::exchange(s_nextAnswer, Answer::None) == Answer::Trust;
    } else {
        const QString name = workspace.filePath.isEmpty() ? QObject::tr("This unsaved workspace")
                                                          : QFileInfo(workspace.filePath).fileName();
        WorkspaceTrustDialog dialog(name, uses, parent);
        trusted = dialog.exec() == QDialog::Accepted;
    }
    remember(pathOf(workspace), fingerprint(workspace), trusted);
    return trustFor(uses, trusted);
}

void WorkspaceTrust::setNextAnswer(Answer answer)
{
    s_nextAnswer = answer;
}

int WorkspaceTrust::askedCount()
{
    return s_asked;
}

QList<CredentialUse> WorkspaceTrust::lastAsked()
{
    return s_lastAsked;
}
