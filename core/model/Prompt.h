#pragma once

#include "core/common/Result.h"
#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QList>
#include <QString>

struct ChatMessage
{
    QString role; // system | user | assistant
    QString content;
};

// docs/workspace-format.md: the instructions plus a description of the output fields as the system
// message, the inputs as the user message.
QList<ChatMessage> buildPrompt(const AgentSpec &agent, const QJsonObject &inputs);

// Parses a reply into the output fields: a single `str` output takes the raw text; otherwise a
// JSON object (tolerant of ```json fences and text around the object) validated against the
// output types. A reply that does not fit fails with "output 'confidence': expected a number,
// got \"high\"" or "reply is not a JSON object: …". Extra fields are dropped.
Result<QJsonObject> parseReply(const Signature &signature, const QString &reply);
