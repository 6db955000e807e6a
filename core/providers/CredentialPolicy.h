#pragma once

#include "core/model/Workspace.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

// Where a provider's key may go (docs/credentials.md). A workspace file is data from anywhere:
// it names hosts and environment variables, so it must not be able to send a key to a host the
// key does not belong to, nor read any variable it likes, without the user trusting it.
//
//   - scripted never sends a key; ollama and an OpenAI-compatible server without api_key_env
//     send none;
//   - the implicit default (OPENAI_API_KEY / ANTHROPIC_API_KEY, or the keychain entry) goes
//     only to the kind's official origin (https://api.openai.com, https://api.anthropic.com);
//   - any other key use (a named variable to a non-official host, or a variable that is not
//     the kind's default, whatever the host) is a CredentialUse that needs trust;
//   - the keychain is only ever read for the official origin, trusted or not.
//
// Everything here is pure (no I/O, no environment reads) so the decision is testable headless.

// One key a workspace would send: whose, to where, read from which variable.
struct CredentialUse
{
    QString providerId;
    QString kind;
    QString host; // "evil.example", "127.0.0.1:8123" (port when not the scheme's default)
    QString origin; // "http://127.0.0.1:8123"
    QString variable; // the environment variable whose value would be sent
    QString reason; // why it needs trust, for people: "not the official host api.openai.com"

    friend bool operator==(const CredentialUse &, const CredentialUse &) = default;
};

// What the caller may send for one provider. Who holds it: copied into the engine and the
// runner; thread-agnostic value.
struct CredentialTrust
{
    bool all = false; // runner --trust-workspace; the server's own files
    QList<CredentialUse> approved; // the app: what the user allowed for this workspace file

    bool allows(const CredentialUse &use) const { return all || approved.contains(use); }
    static CredentialTrust everything() { return { true, {} }; }
};

// How one provider's key is obtained.
struct KeyPlan
{
    QString variable; // empty: the provider sends no key at all
    bool keychainAllowed = false; // the keychain may supply it (official origin only)
    bool needsTrust = false; // only with a trust decision covering `use`
    CredentialUse use; // set whenever variable is set
};

namespace credentials {

// OPENAI_API_KEY / ANTHROPIC_API_KEY; empty for kinds without an implicit key.
QString defaultVariable(const QString &kind);
// https://api.openai.com / https://api.anthropic.com; invalid for kinds without one.
QUrl officialOrigin(const QString &kind);
// base_url, or the URL the provider's call uses when the workspace gives none.
QUrl effectiveBaseUrl(const ProviderConfig &provider);
// scheme://host[:port] of a URL, lower case, the port only when not the scheme's default.
QString originOf(const QUrl &url);
bool isOfficialOrigin(const QString &kind, const QUrl &url);

KeyPlan planFor(const ProviderConfig &provider);

// Every credential use of the workspace that needs trust, in provider order. With agentIds,
// only the providers those agents use (what one run would touch).
QList<CredentialUse> usesNeedingTrust(const Workspace &workspace, const QStringList &agentIds = {});
// The bearer token an MCP source over HTTP would send (docs/tool-sources.md): it follows the same
// trust rule as a key. nullopt for sources that send none.
std::optional<CredentialUse> toolSourceUse(const ToolSourceSpec &spec);
// toolSourceUse() of every source (or of `sourceIds`), in file order.
QList<CredentialUse> toolSourceUses(const Workspace &workspace, const QStringList &sourceIds = {});
// usesNeedingTrust() of the whole workspace followed by its tool sources' tokens: what the app
// asks the user to trust for a workspace file.
QList<CredentialUse> allUsesNeedingTrust(const Workspace &workspace);
// The agents a run of `agentId`, or of `orchestrationId` (only `nodeId`'s agent for Node in
// Context), uses.
QStringList agentsOfRun(const Workspace &workspace, const QString &agentId, const QString &orchestrationId,
    const QString &nodeId = {});

// "provider 'cloud' (openai) would send GITHUB_TOKEN to host evil.example (not the kind's
// default variable OPENAI_API_KEY); this workspace is not trusted"
QString untrustedMessage(const CredentialUse &use);

// Tests only: make `origin` the official one of `kind` (a loopback server standing in for the
// provider), or restore the real one with an invalid URL. Not thread-safe: call before runs.
void setOfficialOriginForTesting(const QString &kind, const QUrl &origin);

} // namespace credentials
