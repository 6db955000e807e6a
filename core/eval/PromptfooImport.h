#pragma once

#include "core/common/Result.h"
#include "core/eval/Dataset.h"
#include "core/eval/Promptfoo.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <list>
#include <optional>

// Internals of the promptfoo importer (docs/promptfoo.md), shared by the Promptfoo*.cpp files of
// core/eval. Not part of the library's interface. Single-threaded: one ImportContext per import.
namespace promptfoo::detail {

// A YAML (or JSON) document read once into JSON, with the line and column (1-based) of every
// node by its path ("tests[3].assert[1].type"), so a problem can say where it is.
struct Source
{
    QJsonValue value;
    QHash<QString, QPair<int, int>> marks;
    QString name; // how problems name the file: "" for the config itself, else "cases.yaml"
};

// Parses YAML text (yaml-cpp); every path in `marks` starts with `root` ("" or "[2]").
Result<Source> readYaml(const QByteArray &bytes, const QString &name, const QString &root = {});

// "a" + "b" -> "a.b"; "" + "b" -> "b"; "a" + 3 -> "a[3]".
QString join(const QString &path, const QString &key);
QString indexed(const QString &path, qsizetype i);

// A native assertion mapped at import; its `value`, `rubric` and `expected` may still hold
// `{{ var }}` placeholders, filled per case by ImportContext::render.
using MappedAssertion = QJsonObject;

// A test case or defaultTest as read, before the defaultTest merge.
struct PartialTest
{
    const Source *source = nullptr;
    QString path; // "tests[2]", "defaultTest", "cases.yaml[0]"
    QString description;
    QJsonObject vars;
    QList<MappedAssertion> asserts;
    std::optional<double> threshold;
    QJsonObject metadata;
    QJsonObject options; // as written (provider, disableDefaultAsserts, disableVarExpansion)
    QJsonObject judgeModel; // options.provider mapped
};

// One import: the config's folder, every problem found, and what the pieces share (provider
// entries, the bytes of every file read for the dataset hash).
class ImportContext
{
public:
    explicit ImportContext(const QString &configPath, QList<DatasetProblem> *problems);

    // Records a problem at `path` of `source`, with the node's line and column when known.
    void report(const Source &source, const QString &path, const QString &why);
    bool failed() const { return m_problems->size() > m_firstProblem; }

    // Reads `ref` ("file://x.yaml", relative to the config's folder); nullopt (and a problem at
    // `path`) when it cannot. `displayName` receives the path relative to the config's folder.
    std::optional<QByteArray> readFile(
        const Source &source, const QString &path, const QString &ref, QString *displayName = nullptr);
    // A file:// reference to a YAML/JSON document, read as a Source named after the file.
    std::optional<Source> readDocument(const Source &source, const QString &path, const QString &ref);
    // A `vars` value or an assertion value given as file://: text, or parsed .json/.yaml.
    std::optional<QJsonValue> loadValue(const Source &source, const QString &path, const QString &ref);

    // Providers (PromptfooProviders.cpp): a provider id or {id, label, config} mapped onto a
    // model object {"provider": entry id, "name", "temperature"?, "max_tokens"?}; its entry is
    // added to providerEntries() once. `label` receives the label or the id.
    std::optional<QJsonObject> mapProvider(
        const Source &source, const QString &path, const QJsonValue &v, QString *label = nullptr);
    QJsonArray providerEntries() const { return m_providerEntries; }

    // Assertions (PromptfooAssertions.cpp): one assertion object onto a native assertion;
    // nullopt (with problems) when it cannot be mapped.
    std::optional<MappedAssertion> mapAssertion(
        const Source &source, const QString &path, const QJsonValue &v);
    // The assertion for one case: placeholders of value, rubric and expected filled from vars.
    static QJsonObject render(const MappedAssertion &a, const QJsonObject &vars);

    // Tests (PromptfooTests.cpp): a test object (or defaultTest) read, and its vars loaded.
    PartialTest readTest(const Source &source, const QString &path, const QJsonValue &v, bool isDefault);
    // The `tests` value: inline objects, file:// references (yaml/json/jsonl/csv), or a list of both.
    QList<PartialTest> readTests(const Source &source, const QString &path, const QJsonValue &v);
    // A CSV test file: a header of var names (and __description), one test per row.
    QList<PartialTest> readCsv(
        const Source &source, const QString &path, const QByteArray &bytes, const QString &name);

    // A template is valid (prompts, assertion values); else a problem at `path`.
    bool checkTemplate(const Source &source, const QString &path, const QString &text);

    QString sha256() const { return QString::fromLatin1(m_hash.result().toHex()); }
    void hashBytes(const QByteArray &bytes) { m_hash.addData(bytes); }

    QDir dir;

    // Loaded documents live as long as the import (PartialTest::source points into them).
    const Source *keep(Source s);

private:
    QList<DatasetProblem> *m_problems;
    qsizetype m_firstProblem = 0;
    QJsonArray m_providerEntries;
    QCryptographicHash m_hash { QCryptographicHash::Sha256 };
    std::list<Source> m_documents;
};

// "equals"… the assertion types the importer maps (without the not- prefix).
const QStringList &supportedAssertionTypes();

} // namespace promptfoo::detail
