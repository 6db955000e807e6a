#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

// Prompt templates of inline prompt agents (docs/workspace-format.md, the agent `prompt` key)
// and of imported promptfoo configs (docs/promptfoo.md): plain text with `{{ name }}` and
// `{{ a.b }}` placeholders. Nothing else of Nunjucks is understood, and what is not understood
// is refused with a reason, never passed through half-rendered.
namespace prompttemplate {

struct Placeholder
{
    QString path; // "a.b" as written, without the braces and spaces
    QString root; // "a": the input it reads
};

// The placeholders of `text` in order (repeats included). Empty `*error` when the text is a
// valid template; else why not ("'{% if %}': Nunjucks tags are not supported", "'{{ x | upper }}':
// filters are not supported", "'{{' at offset 12 is never closed").
QList<Placeholder> placeholders(const QString &text, QString *error);

// The distinct roots of the placeholders, in order of first use.
QStringList roots(const QList<Placeholder> &placeholders);

// `text` with each placeholder replaced by its value in `values`: a string as it is, a number
// or a bool as JSON text, an object or a list as compact JSON, null or a missing value as "".
// Text that is not a valid template is returned unchanged.
QString render(const QString &text, const QJsonObject &values);

} // namespace prompttemplate
