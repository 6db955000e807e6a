#pragma once

#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"

#include <QString>

#include <optional>

class QWidget;

// The app's trust decision per workspace file (docs/credentials.md). A workspace that would
// send a key anywhere but its provider's official host, or read a variable other than the
// kind's default, runs with those keys only once the user said Trust for that file — asked
// before its first run (WorkspaceTrustDialog), remembered in QSettings by the file's path and
// the SHA-256 of its content, so a changed file asks again. An unsaved workspace (no path) is
// remembered for this session only. "Don't trust" is remembered the same way; Settings >
// Workspace Trust asks again.
//
// GUI thread only. The dialog can be scripted in tests with setNextAnswer() (KeePassXC's seam):
// the next question is answered at once without showing a window.
class WorkspaceTrust final
{
public:
    enum class Answer { None, Trust, DontTrust };

    // The trust runs of `workspace` get: nothing to decide (no use needs trust), the remembered
    // decision, or the user's answer to the dialog (shown modal over `parent`).
    static CredentialTrust decide(QWidget *parent, const Workspace &workspace);
    // Shows the dialog whatever was remembered, and remembers the new answer.
    static CredentialTrust ask(QWidget *parent, const Workspace &workspace);

    // SHA-256 (hex) of the workspace's canonical text: what "the same content" means.
    static QString fingerprint(const Workspace &workspace);
    static std::optional<bool> remembered(const QString &path, const QString &fingerprint);
    static void remember(const QString &path, const QString &fingerprint, bool trusted);

    // Tests: the next question is answered with `answer` and not shown.
    static void setNextAnswer(Answer answer);
    // Tests: how many questions were asked (shown or scripted), and what the last one listed.
    static int askedCount();
    static QList<CredentialUse> lastAsked();

private:
    static CredentialTrust trustFor(const QList<CredentialUse> &uses, bool trusted);
};
