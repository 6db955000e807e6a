#pragma once

#include <QJsonObject>
#include <QString>

// What to run (docs/architecture.md). Exactly one of agentId / orchestrationId is set.
struct ExecutionRequest
{
    QString agentId;
    QString orchestrationId;
    QString nodeId; // with orchestrationId: Node in Context
    QJsonObject inputs; // agent inputs, workflow inputs, or the node's own inputs
    QJsonObject upstream; // Node in Context: values of the node inputs that edges feed
    // single_agent | node_in_context | full_workflow; derived from the ids when empty
    QString testMode;
    QString triggerType = QStringLiteral("test_panel"); // api | cli | mcp | test_panel
    QString triggeredBy;
    QString rerunOf; // execution id this re-runs
    QString executionId; // empty: assigned by the backend

    QJsonObject toJson() const;
    static ExecutionRequest fromJson(const QJsonObject &o);
    // "single_agent" etc. from the ids when testMode is empty.
    QString effectiveTestMode() const;
};
