#pragma once

#include "core/common/Result.h"
#include "core/eval/Dataset.h"
#include "core/model/Workspace.h"

#include <QString>

#include <optional>

// promptfoo configs read natively (docs/promptfoo.md): the common subset of a
// promptfooconfig.yaml mapped onto a dataset whose target is an inline prompt agent, one
// variant per prompt × provider. Every key or assertion type outside the subset is reported
// by its YAML path ("tests[3].assert[1].type: 'similar' is not supported"), never ignored.
struct PromptfooHints
{
    std::optional<int> repeat; // evaluateOptions / commandLineOptions
    std::optional<int> maxConcurrency;
    std::optional<bool> cache; // false: cache off
    std::optional<int> timeoutMs;
};

namespace promptfoo {
// Reads the YAML (yaml-cpp), resolves file:// references relative to the config's folder, and
// returns the dataset (validated against `ws` like a native one). Problems go to *problems
// with their paths; any makes it a Failure.
Result<Dataset> import(const QString &path, const Workspace &ws, QList<DatasetProblem> *problems = nullptr,
    PromptfooHints *hints = nullptr);
// The mapping alone (YAML text -> native dataset JSON), for tests and the panel's preview.
Result<QJsonObject> toDatasetJson(const QByteArray &yaml, const QString &path,
    QList<DatasetProblem> *problems, PromptfooHints *hints = nullptr);
} // namespace promptfoo
