#pragma once

#include "core/api/ExecutionTypes.h"

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
    TestMode testMode = TestMode::Unset; // Unset: derived from the ids
    TriggerType triggerType = TriggerType::TestPanel;
    QString triggeredBy;
    QString rerunOf; // execution id this re-runs
    QString executionId; // empty: assigned by the backend

    QJsonObject toJson() const;
    static ExecutionRequest fromJson(const QJsonObject &o);
    // testMode, or the mode the ids imply when it is Unset.
    TestMode effectiveTestMode() const;
};
