#pragma once

#include "core/model/Workspace.h"

#include <QByteArray>

// The offline workspace of the MCP server tests: a free-text agent that streams (100 tokens/s:
// its progress notifications reach a client in reads of their own), a typed agent (enum, bounds,
// a default, descriptions, structured output), a slow agent to cancel, a failing agent, and a
// workflow whose id clashes with an agent id (offered as workflow.<id>).
namespace mcpserver {

inline QByteArray workspaceJson()
{
    return QByteArrayLiteral(R"({
      "format": "agentstudio/1", "workspace_id": "mcptest",
      "providers": {"offline": {"kind": "scripted"}},
      "agents": [
        {"id": "writer", "name": "Writer", "version": "1", "description": "Writes a short text.",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 100, "ttft_ms": 0,
                   "replies": ["Cats sleep most of the day and hunt at dusk."]},
         "instructions": "Write a short text about the topic.",
         "signature": {"inputs": [{"name": "topic", "type": "str", "desc": "what to write about"}],
                       "outputs": [{"name": "text", "type": "str"}]}},
        {"id": "grader", "name": "Grader", "version": "1",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 0, "ttft_ms": 0,
                   "replies": [{"score": 7, "verdict": "pass", "notes": ["clear", "short"]}]},
         "instructions": "Grade the essay.",
         "signature": {"inputs": [{"name": "essay", "type": "str", "max_length": 2000},
                                  {"name": "scale", "type": "int", "min": 1, "max": 10, "default": 5,
                                   "desc": "highest score"},
                                  {"name": "tone", "type": "enum", "choices": ["kind", "strict"]}],
                       "outputs": [{"name": "score", "type": "int", "min": 0, "max": 10},
                                   {"name": "verdict", "type": "enum", "choices": ["pass", "fail"]},
                                   {"name": "notes", "type": "list[str]"}]}},
        {"id": "slow", "name": "Slow", "version": "1",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 20, "ttft_ms": 0,
                   "replies": ["one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty thirty-one thirty-two thirty-three thirty-four thirty-five thirty-six thirty-seven thirty-eight thirty-nine forty forty-one forty-two forty-three forty-four forty-five forty-six forty-seven forty-eight forty-nine fifty one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty"]},
         "instructions": "Count slowly.",
         "signature": {"inputs": [{"name": "n", "type": "int"}], "outputs": [{"name": "text", "type": "str"}]}},
        {"id": "broken", "name": "Broken", "version": "1",
         "model": {"provider": "offline", "name": "scripted", "tokens_per_second": 0, "ttft_ms": 0,
                   "fail_with": "the model is on strike"},
         "instructions": "Fail.",
         "signature": {"inputs": [{"name": "x", "type": "str"}], "outputs": [{"name": "text", "type": "str"}]}}
      ],
      "orchestrations": [
        {"id": "writer", "name": "Writer flow", "version": "1",
         "inputs": [{"name": "topic", "type": "str"}, {"name": "tone", "type": "enum", "choices": ["kind", "strict"]}],
         "nodes": [{"id": "draft", "agent": "writer"}, {"id": "grade", "agent": "grader"}],
         "edges": [{"from": "input.topic", "to": "draft.topic"}, {"from": "input.tone", "to": "grade.tone"},
                   {"from": "draft.text", "to": "grade.essay"}],
         "outputs": [{"name": "text", "from": "draft.text"}, {"name": "score", "from": "grade.score"}]}
      ]
    })");
}

inline Workspace workspace()
{
    Result<Workspace> ws = Workspace::fromJson(workspaceJson());
    Q_ASSERT_X(ws.ok(), "mcpserver::workspace", ws.ok() ? "" : qPrintable(ws.error()));
    return ws.value();
}

} // namespace mcpserver
