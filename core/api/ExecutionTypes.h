#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

// The closed sets of execution data (docs/wire-protocol.md, docs/store.md). In memory they are
// enums; the strings exist only at the boundaries (wire JSON, SQLite columns, CLI text), each
// produced by one toWire() and read back by one fromWire(). fromWire() returns nullopt for a
// string outside the set so the caller can say where the bad value was.

enum class ExecutionStatus { Queued, Running, Completed, Failed, Cancelled, Interrupted };
// Interrupted: the app or server stopped while the step ran (set by crash recovery).
enum class StepStatus { Running, Completed, Failed, Cancelled, Skipped, Interrupted };
enum class StepKind { Node, Llm, Tool, Parse };
// Unset: a record from an older or minimal server that did not say.
enum class TestMode { Unset, SingleAgent, NodeInContext, FullWorkflow };
enum class ExecutionType { Agent, Orchestration, Test };
enum class TriggerType { Api, Cli, Mcp, TestPanel };

QString toWire(ExecutionStatus s);
QString toWire(StepStatus s);
QString toWire(StepKind k);
QString toWire(TestMode m); // "" for Unset
QString toWire(ExecutionType t);
QString toWire(TriggerType t);

// fromWire<E>(text): the enum value whose toWire() is `text`, or nullopt.
template <typename E> std::optional<E> fromWire(QStringView text);
template <> std::optional<ExecutionStatus> fromWire<ExecutionStatus>(QStringView text);
template <> std::optional<StepStatus> fromWire<StepStatus>(QStringView text);
template <> std::optional<StepKind> fromWire<StepKind>(QStringView text);
template <> std::optional<TestMode> fromWire<TestMode>(QStringView text);
template <> std::optional<ExecutionType> fromWire<ExecutionType>(QStringView text);
template <> std::optional<TriggerType> fromWire<TriggerType>(QStringView text);

// fromWire with a fallback for lenient readers (stored rows, events from other servers).
template <typename E> E fromWireOr(QStringView text, E fallback)
{
    return fromWire<E>(text).value_or(fallback);
}

// Every wire string of a set, in enum order ("queued", "running", …): for help texts, filters
// and error messages that list the allowed values.
template <typename E> QStringList wireNames();
template <> QStringList wireNames<ExecutionStatus>();
template <> QStringList wireNames<StepStatus>();
template <> QStringList wireNames<StepKind>();
template <> QStringList wireNames<TestMode>();
template <> QStringList wireNames<ExecutionType>();
template <> QStringList wireNames<TriggerType>();

// An execution in one of these states will not change again.
inline bool isTerminal(ExecutionStatus s)
{
    return s != ExecutionStatus::Queued && s != ExecutionStatus::Running;
}
inline bool isTerminal(StepStatus s)
{
    return s != StepStatus::Running;
}

Q_DECLARE_METATYPE(ExecutionStatus)
Q_DECLARE_METATYPE(StepStatus)
Q_DECLARE_METATYPE(StepKind)
Q_DECLARE_METATYPE(TestMode)
