#pragma once

#include "core/eval/Dataset.h"
#include "core/eval/EvalRunner.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

// Helpers of the eval run tests (this folder only).
namespace evalrun {

// The scripted test workspace of these tests: `sea` answers "calm sea" at once; `slow` takes
// about two seconds per run; `grader` is an agent judge that always passes with score 0.8;
// provider `remote_judge` is an OpenAI-compatible server at `judgeUrl` (loopback).
inline QByteArray workspaceJson(const QString &judgeUrl = QStringLiteral("http://127.0.0.1:9/v1"))
{
    QByteArray json = QByteArrayLiteral(
        "{\"format\": \"agentstudio/1\", \"workspace_id\": \"evalrun\","
        " \"providers\": {\"offline\": {\"kind\": \"scripted\", \"ttft_ms\": 0, \"tokens_per_second\": 0},"
        "   \"remote_judge\": {\"kind\": \"openai\", \"base_url\": \"JUDGE_URL\"}},"
        " \"agents\": ["
        "  {\"id\": \"sea\", \"model\": {\"provider\": \"offline\", \"name\": \"scripted\","
        "     \"ttft_ms\": 40, \"replies\": [\"calm sea\"]},"
        "   \"instructions\": \"Describe the sea.\","
        "   \"signature\": {\"inputs\": [{\"name\": \"topic\", \"type\": \"str\"}],"
        "                 \"outputs\": [{\"name\": \"text\", \"type\": \"str\"}]}},"
        "  {\"id\": \"slow\", \"model\": {\"provider\": \"offline\", \"name\": \"scripted\","
        "     \"ttft_ms\": 2000, \"replies\": [\"late\"]},"
        "   \"instructions\": \"Take your time.\","
        "   \"signature\": {\"inputs\": [{\"name\": \"topic\", \"type\": \"str\"}],"
        "                 \"outputs\": [{\"name\": \"text\", \"type\": \"str\"}]}},"
        "  {\"id\": \"grader\", \"model\": {\"provider\": \"offline\", \"name\": \"scripted\","
        "     \"replies\": [\"{\\\"pass\\\": true, \\\"score\\\": 0.8, \\\"reason\\\": \\\"fine\\\"}\"]},"
        "   \"instructions\": \"Grade the output by the rubric.\","
        "   \"signature\": {\"inputs\": [{\"name\": \"output\", \"type\": \"str\"},"
        "                              {\"name\": \"rubric\", \"type\": \"str\"}],"
        "                 \"outputs\": [{\"name\": \"pass\", \"type\": \"bool\"},"
        "                               {\"name\": \"score\", \"type\": \"float\"},"
        "                               {\"name\": \"reason\", \"type\": \"str\"}]}}"
        " ]}");
    json.replace("JUDGE_URL", judgeUrl.toUtf8());
    return json;
}

inline Workspace workspace(const QString &judgeUrl = QStringLiteral("http://127.0.0.1:9/v1"))
{
    Result<Workspace> ws = Workspace::fromJson(workspaceJson(judgeUrl));
    if (!ws.ok())
        qFatal("test workspace: %s", qPrintable(ws.error()));
    return ws.take();
}

// A dataset from its JSON object, loaded (and validated) the real way.
inline Dataset dataset(const QJsonObject &o, const Workspace &ws)
{
    QList<DatasetProblem> problems;
    Result<Dataset> d
        = Dataset::fromJson(QJsonDocument(o).toJson(), QStringLiteral("test.eval.json"), ws, &problems);
    if (!d.ok())
        qFatal("test dataset: %s", qPrintable(d.error()));
    return d.take();
}

// `n` cases "c1".."cn" with inputs {"topic": …} and the given assertions.
inline QJsonArray cases(int n, const QJsonArray &asserts)
{
    QJsonArray out;
    for (int i = 1; i <= n; ++i)
        out.append(QJsonObject { { QStringLiteral("id"), QStringLiteral("c%1").arg(i) },
            { QStringLiteral("inputs"),
                QJsonObject { { QStringLiteral("topic"), QStringLiteral("topic %1").arg(i) } } },
            { QStringLiteral("assert"), asserts } });
    return out;
}

inline QJsonObject contains(const QString &value)
{
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("contains") },
        { QStringLiteral("value"), value } };
}

// Runs to finished() and returns the final run record (status Running when it did not end).
inline EvalRunRecord runToEnd(
    EvalRunner &runner, const Dataset &d, const EvalOptions &o, int timeoutMs = 60000)
{
    QSignalSpy finished(&runner, &EvalRunner::finished);
    runner.start(d, o);
    if (!finished.wait(timeoutMs))
        return EvalRunRecord();
    return finished.first().first().value<EvalRunRecord>();
}

} // namespace evalrun

Q_DECLARE_METATYPE(EvalRunRecord)
Q_DECLARE_METATYPE(EvalResultRecord)
Q_DECLARE_METATYPE(EvalProgress)
