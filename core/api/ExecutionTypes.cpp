#include "core/api/ExecutionTypes.h"

#include <QStringList>

#include <array>
#include <utility>

namespace {

// One table per set: the enum value and its wire string, in enum order.
template <typename E, std::size_t N> using Table = std::array<std::pair<E, const char *>, N>;

constexpr Table<ExecutionStatus, 6> kExecutionStatus { {
    { ExecutionStatus::Queued, "queued" },
    { ExecutionStatus::Running, "running" },
    { ExecutionStatus::Completed, "completed" },
    { ExecutionStatus::Failed, "failed" },
    { ExecutionStatus::Cancelled, "cancelled" },
    { ExecutionStatus::Interrupted, "interrupted" },
} };
constexpr Table<StepStatus, 6> kStepStatus { {
    { StepStatus::Running, "running" },
    { StepStatus::Completed, "completed" },
    { StepStatus::Failed, "failed" },
    { StepStatus::Cancelled, "cancelled" },
    { StepStatus::Skipped, "skipped" },
    { StepStatus::Interrupted, "interrupted" },
} };
constexpr Table<StepKind, 4> kStepKind { {
    { StepKind::Node, "node" },
    { StepKind::Llm, "llm" },
    { StepKind::Tool, "tool" },
    { StepKind::Parse, "parse" },
} };
constexpr Table<TestMode, 4> kTestMode { {
    { TestMode::Unset, "" },
    { TestMode::SingleAgent, "single_agent" },
    { TestMode::NodeInContext, "node_in_context" },
    { TestMode::FullWorkflow, "full_workflow" },
} };
constexpr Table<ExecutionType, 3> kExecutionType { {
    { ExecutionType::Agent, "agent" },
    { ExecutionType::Orchestration, "orchestration" },
    { ExecutionType::Test, "test" },
} };
constexpr Table<TriggerType, 4> kTriggerType { {
    { TriggerType::Api, "api" },
    { TriggerType::Cli, "cli" },
    { TriggerType::Mcp, "mcp" },
    { TriggerType::TestPanel, "test_panel" },
} };

template <typename E, std::size_t N> QString nameOf(const Table<E, N> &table, E value)
{
    for (const auto &[v, name] : table) {
        if (v == value)
            return QString::fromLatin1(name);
    }
    return {};
}

template <typename E, std::size_t N> std::optional<E> valueOf(const Table<E, N> &table, QStringView text)
{
    for (const auto &[v, name] : table) {
        if (text == QLatin1String(name))
            return v;
    }
    return std::nullopt;
}

template <typename E, std::size_t N> QStringList namesOf(const Table<E, N> &table)
{
    QStringList out;
    for (const auto &entry : table) {
        if (*entry.second)
            out << QString::fromLatin1(entry.second);
    }
    return out;
}

} // namespace

QString toWire(ExecutionStatus s)
{
    return nameOf(kExecutionStatus, s);
}
QString toWire(StepStatus s)
{
    return nameOf(kStepStatus, s);
}
QString toWire(StepKind k)
{
    return nameOf(kStepKind, k);
}
QString toWire(TestMode m)
{
    return nameOf(kTestMode, m);
}
QString toWire(ExecutionType t)
{
    return nameOf(kExecutionType, t);
}
QString toWire(TriggerType t)
{
    return nameOf(kTriggerType, t);
}

template <> std::optional<ExecutionStatus> fromWire<ExecutionStatus>(QStringView text)
{
    return valueOf(kExecutionStatus, text);
}
template <> std::optional<StepStatus> fromWire<StepStatus>(QStringView text)
{
    return valueOf(kStepStatus, text);
}
template <> std::optional<StepKind> fromWire<StepKind>(QStringView text)
{
    return valueOf(kStepKind, text);
}
template <> std::optional<TestMode> fromWire<TestMode>(QStringView text)
{
    return valueOf(kTestMode, text);
}
template <> std::optional<ExecutionType> fromWire<ExecutionType>(QStringView text)
{
    return valueOf(kExecutionType, text);
}
template <> std::optional<TriggerType> fromWire<TriggerType>(QStringView text)
{
    return valueOf(kTriggerType, text);
}

template <> QStringList wireNames<ExecutionStatus>()
{
    return namesOf(kExecutionStatus);
}
template <> QStringList wireNames<StepStatus>()
{
    return namesOf(kStepStatus);
}
template <> QStringList wireNames<StepKind>()
{
    return namesOf(kStepKind);
}
template <> QStringList wireNames<TestMode>()
{
    return namesOf(kTestMode);
}
template <> QStringList wireNames<ExecutionType>()
{
    return namesOf(kExecutionType);
}
template <> QStringList wireNames<TriggerType>()
{
    return namesOf(kTriggerType);
}
