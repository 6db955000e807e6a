#pragma once

#include "core/model/Workspace.h"

// A small offline workspace for UI tests: two scripted agents (instant replies) and a two-node
// workflow, so runs finish in milliseconds with real steps and records.
inline Workspace scriptedTestWorkspace()
{
    static const char json[] = R"({
      "format": "agentstudio/1", "workspace_id": "uitest",
      "providers": {"offline": {"kind": "scripted"}},
      "agents": [
        {"id": "writer", "name": "Writer", "version": "1",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 0, "ttft_ms": 0},
         "instructions": "Write a short text about the topic.",
         "signature": {"inputs": [{"name": "topic", "type": "str"}],
                       "outputs": [{"name": "text", "type": "str"}]}},
        {"id": "critic", "name": "Critic", "version": "1",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 0, "ttft_ms": 0},
         "instructions": "Judge the draft.",
         "signature": {"inputs": [{"name": "draft", "type": "str"}],
                       "outputs": [{"name": "verdict", "type": "str"}]}}
      ],
      "orchestrations": [
        {"id": "brief", "name": "Brief", "version": "1",
         "inputs": [{"name": "topic", "type": "str"}],
         "nodes": [{"id": "draft", "agent": "writer"}, {"id": "review", "agent": "critic"}],
         "edges": [{"from": "input.topic", "to": "draft.topic"}, {"from": "draft.text", "to": "review.draft"}],
         "outputs": [{"name": "text", "from": "draft.text"}, {"name": "verdict", "from": "review.verdict"}]}
      ]
    })";
    Result<Workspace> ws = Workspace::fromJson(QByteArray(json));
    Q_ASSERT_X(ws.ok(), "scriptedTestWorkspace", ws.ok() ? "" : qPrintable(ws.error()));
    return ws.value();
}
