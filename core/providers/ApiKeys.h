#pragma once

#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"

#include <QString>

// API keys come from the environment variable NAMED by the workspace (provider "api_key_env"),
// or the kind's default variable for its official host, never from the workspace file, the
// database, a trace or a log. Where a key may go is decided by CredentialPolicy.h
// (docs/credentials.md). The key lives only in memory: callers pass it in LlmRequest::apiKey
// and must redact it from messages.
//
// This is the synchronous, environment-only half. When the variable is unset, the engine asks
// the system keychain asynchronously through ApiKeyLookup (core/providers/ApiKeyLookup.h),
// for the official host only.

// The variable a provider's key is read from (planFor(provider).variable): its api_key_env,
// else the kind's default for its official host. Empty when the provider sends no key
// (scripted, Ollama or any other host without api_key_env).
QString apiKeyVariable(const ProviderConfig &provider);

// Reads the key. Returns an empty string and no error when the provider needs none. A use
// that needs trust and is not covered by `trust` sets *error to untrustedMessage() and reads
// nothing; a missing key sets *error to "openai: no API key: set OPENAI_API_KEY".
QString resolveApiKey(const ProviderConfig &provider, const CredentialTrust &trust, QString *error);
