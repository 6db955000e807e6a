#pragma once

#include "core/api/ExecutionRequest.h"
#include "core/model/Workspace.h"

// The workspace one run sees when its request changes it (docs/eval-runs.md, "What a case
// request carries"): `agent_overrides` (instructions, prompt, a partial model object) on the
// run's agent or on named nodes of its orchestration, an inline `agent_spec` run instead of a
// workspace agent, and the extra `providers` that agent may name. Only this run's copy
// changes; the engine's workspace and the workspace file never do.
//
// Threading: pure functions, used on the engine thread.
namespace runworkspace {

// True when `request` changes the workspace of its run.
bool changesWorkspace(const ExecutionRequest &request);

// Builds the run's copy of `base` into *out and points request->agentId at an inline agent.
// Returns why the request cannot start, naming the field: "agent_overrides.critic.model.provider:
// unknown provider 'x'", "agent_overrides.draft: unknown node 'draft' in orchestration 'w'",
// "agent_spec.signature.outputs: …". "" on success.
QString build(const Workspace &base, ExecutionRequest *request, Workspace *out);

// The model keys an override may set (provider, name, temperature, max_tokens and the scripted
// provider's options).
const QStringList &modelKeys();

} // namespace runworkspace
