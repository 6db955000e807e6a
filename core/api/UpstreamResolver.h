#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

// Node in Context: where a node's edge-fed inputs come from when it runs alone. One pure unit
// (no store, no network, any thread) used by the engine and by the test panel's Node in
// Context and Full Workflow tabs, so the three read an upstream run the same way
// (docs/architecture.md, "Node in Context").
//
// "The latest successful run usable as upstream" of an orchestration is: the newest (by
// queued_at, then id) execution of that orchestration in the same organization and workspace
// whose status is `completed` and whose test_mode is `full_workflow`. A Node in Context run
// never counts (it ran one node), nor does a failed or cancelled full run (its outputs may be
// partial), nor a run of another workspace that has an orchestration of the same id.
// latestUsableRunQuery() is that definition as a HistoryQuery; isUsableUpstreamRun() checks a
// record against it.
namespace upstream {

// The values read from one upstream run for the edge-fed inputs of one node.
struct Resolution
{
    QJsonObject values; // input field -> value, for every edge-fed input the run has
    QStringList missing; // edge-fed input fields the run has no value for, in edge order
    // One message per missing field, naming the edge: "input 'draft' (edge write.text ->
    // review.draft): node 'write' has no completed output 'text' in run 1a2b3c4d"
    QStringList problems;
    // The node's own inputs (not fed by an edge) as that run recorded them, when the run ran
    // the node: for prefilling a form. Empty otherwise.
    QJsonObject ownInputs;
};

// The input fields of `nodeId` that an edge feeds, without duplicates, in edge order.
QStringList edgeFedInputs(const OrchestrationSpec &orch, const QString &nodeId);

// Reads the edge-fed inputs of `nodeId` from `run` (with its steps):
//  - an edge from "input" reads the run's workflow inputs (input_data), or the input's default
//    in `orch` when the run has none;
//  - an edge from node N reads field `fromField` of the output_data of N's `completed` `node`
//    step (the first such step);
//  - when several edges feed one field, the first edge with a value wins;
//  - a Node in Context run of this very node gives the upstream values it used
//    (input_data.upstream) and its own inputs (input_data.inputs).
Resolution resolve(const OrchestrationSpec &orch, const QString &nodeId, const ExecutionRecord &run);

// The history query for the latest successful run usable as upstream (see above), limit 1.
HistoryQuery latestUsableRunQuery(
    const QString &organizationId, const QString &workspaceId, const QString &orchestrationId);

// Whether `run` fits that definition for `orchestrationId` (scope not checked: the caller's
// query already has it).
bool isUsableUpstreamRun(const ExecutionRecord &run, const QString &orchestrationId);

} // namespace upstream
