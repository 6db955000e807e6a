#pragma once

#include "core/eval/Dataset.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

// Helpers shared by the dataset files of core/eval (internal; pure, any thread).
namespace eval::detail {

// What a case is checked against: the target's signature and who it belongs to.
struct CaseRules
{
    QString owner; // "agent 'critic'", "workflow 'w'", "node 'n' of workflow 'w'"
    QList<FieldSpec> inputs;
    QList<FieldSpec> outputs;
    bool node = false; // Node in Context: `upstream` allowed
    QStringList edgeFed; // node inputs an edge feeds
    const Workspace *ws = nullptr;
    QStringList knownProviders; // workspace providers plus the inline target's
    QList<EvalAssertion> defaults;
    std::optional<double> defaultThreshold;
};

// Reads one case object; every problem under `path` ("$.cases[2]" or "cases.jsonl:3: $").
EvalCase parseCase(
    const QJsonObject &o, const QString &path, const CaseRules &rules, QList<DatasetProblem> *problems);

// A "threshold" key in [0, 1] of `o` (a case or the defaults), nullopt when absent or wrong.
std::optional<double> readThreshold(
    const QJsonObject &o, const QString &path, QList<DatasetProblem> *problems);

// A `field` the target's outputs lack: "<path>.field: agent 'critic' has no output 'x' (…)".
void checkOutputField(const EvalAssertion &a, const CaseRules &rules, QList<DatasetProblem> *problems);

// Checks the judge keys an assertion or the dataset's "judge" names (agent, model.provider).
void checkJudgeRefs(
    const QJsonObject &o, const QString &path, const CaseRules &rules, QList<DatasetProblem> *problems);

// Cases of a `cases_file`: .jsonl (one object a line) or .csv (a header row of input names and
// the __expected / __description / __metadata:KEY columns). `name` is the file as written,
// for problem paths ("cases.csv:4: …").
QList<EvalCase> casesFromFile(const QByteArray &bytes, const QString &name, const QString &filePath,
    const CaseRules &rules, QList<DatasetProblem> *problems);

// RFC 4180 records (quoted fields may hold commas, quotes and line breaks); *lines gets the
// 1-based line each record starts on. Returns false with *error on an unterminated quote.
bool parseCsv(const QByteArray &bytes, QList<QStringList> *records, QList<int> *lines, QString *error);

// Where the top-level "cases" array of a JSON text is: the 1-based line of each element, the
// offset of the array's closing ']' (-1 when there is no such array) and of the root's last '}'.
struct CasesLayout
{
    QList<int> lines;
    QList<qsizetype> starts;
    qsizetype arrayEnd = -1;
    qsizetype rootEnd = -1;
};
CasesLayout casesLayout(const QByteArray &json);

// Readable, stable JSON text of one value: known keys first (id, description, inputs, … for a
// case; type, field, not, value, … for an assertion), objects and lists that fit in 100
// columns on one line, two-space indentation from `indent`.
QString formatDatasetJson(const QJsonValue &v, int indent, bool isCase);

} // namespace eval::detail
