#pragma once

#include "core/metering/Pricing.h"
#include "core/providers/CredentialPolicy.h"

#include <QString>

// Settings of the embedded engine (docs/architecture.md). Copied into the engine at construction.
struct EngineSettings
{
    QString databasePath; // empty: no history (runner --no-history)
    int concurrency = 4; // executions running at once; more wait `queued`
    PricingTable pricing = PricingTable::builtIn();

    // Nodes of one orchestration running at once; 0 = unlimited (every ready node starts).
    int nodeConcurrency = 0;
    // Events of FINISHED executions are kept in memory for replay (Engine::eventsSince) this
    // long, and at most this many in total (oldest executions dropped first). Events of queued
    // and running executions are always kept.
    int eventRetentionMs = 10 * 60 * 1000;
    qint64 maxRetainedEvents = 500000;
    // The partial output of a running LLM step is written to the store at most this often.
    int partialFlushMs = 250;
    int toolTimeoutMs = 60000; // one tool call of the agent loop
    // Which keys may go to hosts other than their official one, or come from variables other
    // than the default (docs/credentials.md). Default: none. The runner sets `all` for
    // --trust-workspace and the server for the files it is started with; the app replaces it
    // per workspace file through Engine::setCredentialTrust().
    CredentialTrust credentialTrust;
};
