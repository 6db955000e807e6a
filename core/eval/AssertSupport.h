#pragma once

#include "core/eval/Assertions.h"

#include <QJsonValue>
#include <QString>

// Helpers shared by the assertion files of core/eval (internal; pure, any thread).
namespace eval::detail {

// What a check found: whether the predicate holds, what it expects ("\"revise\"", "text
// containing \"length\"") and what came ("\"accept\"", "3 calls").
struct Check
{
    bool holds = false;
    QString expected;
    QString got;
    double score = -1; // -1: binary (1 when it holds)
    QString error; // non-empty: cannot be evaluated
};

// Turns a check into the outcome of `a`: `not` flips holds (never an error); the reason is
// "<label>: expected <expected>, got <got>" on a failure, "<label>: got <got>" on a pass.
AssertionOutcome finish(const EvalAssertion &a, int index, const Check &c);

// The value a `field` (top-level key or dotted path, numeric segments index lists) names in
// `output`; nullopt when the path names nothing.
std::optional<QJsonValue> fieldValue(const QJsonObject &output, const QString &field);

// A value as text for substring and pattern checks: a string as is, anything else compact JSON.
QString textOf(const QJsonValue &v);

// Parses text as JSON the way JavaScript's JSON.parse does (scalars at the top level too);
// nullopt with *error set when it does not parse.
std::optional<QJsonValue> parseJsonText(const QString &text, QString *error);

Check checkToolCalled(const EvalAssertion &a, const CaseObservation &obs);
Check checkTrajectory(const EvalAssertion &a, const CaseObservation &obs);
Check checkMaxToolCalls(const EvalAssertion &a, const CaseObservation &obs);

// The keywords an assertion's JSON Schema may use (validated ones and annotations).
const QStringList &schemaKeywords();

} // namespace eval::detail
