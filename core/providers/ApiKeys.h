#pragma once

#include "core/model/Workspace.h"

#include <QString>

// API keys come from the environment variable NAMED by the workspace (provider "api_key_env"),
// never from the workspace file, the database, a trace or a log (DESIGN.md §4). The key lives
// only in memory: callers pass it in LlmRequest::apiKey and must redact it from messages.
//
// This is the synchronous, environment-only half. When the variable is unset, the engine asks
// the system keychain asynchronously through ApiKeyLookup (core/providers/ApiKeyLookup.h).

// The variable a provider's key is read from: its api_key_env, else the conventional one for
// the official hosts (OPENAI_API_KEY for api.openai.com, ANTHROPIC_API_KEY for the anthropic
// kind). Empty when the provider needs no key (scripted, a local Ollama or compatible server).
QString apiKeyVariable(const ProviderConfig &provider);

// Reads the key. Returns an empty string and no error when the provider needs none; on a
// missing key sets *error to "openai: no API key: set OPENAI_API_KEY".
QString resolveApiKey(const ProviderConfig &provider, QString *error);
