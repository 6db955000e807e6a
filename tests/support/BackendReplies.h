#pragma once

#include "core/api/ExecutionBackend.h"

#include <QTest>

#include <memory>
#include <optional>
#include <utility>

// Test helpers for the callback API of ExecutionBackend (header only).

// Waits for the one answer of an asynchronous backend call started by `call(context,
// callback)`; nullopt when none came within timeoutMs (the context then goes, so a late answer
// is dropped).
template <typename Value, typename Call>
std::optional<std::pair<Value, Error>> awaitReply(Call call, int timeoutMs = 10000)
{
    auto answer = std::make_shared<std::optional<std::pair<Value, Error>>>();
    QObject context;
    call(&context, [answer](const Value &value, const Error &error) { answer->emplace(value, error); });
    (void)QTest::qWaitFor([&] { return answer->has_value(); }, timeoutMs); // nullopt says it
    return *answer;
}

// Starts `request` and waits for the backend's answer: the id, or an Error (Internal "no
// answer" when none came in time).
inline std::pair<QString, Error> startAndWait(
    ExecutionBackend &backend, const ExecutionRequest &request, int timeoutMs = 10000)
{
    const auto answer = awaitReply<QString>(
        [&](QObject *context, auto callback) { backend.start(request, context, callback); }, timeoutMs);
    if (!answer)
        return { QString(), Error { ErrorCode::Internal, QStringLiteral("no answer to start()") } };
    return *answer;
}
