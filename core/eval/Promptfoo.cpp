#include "core/eval/Promptfoo.h"

#include "core/eval/PromptfooImport.h"
#include "core/model/PromptTemplate.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

// The top level of a promptfoo config (docs/promptfoo.md): prompts × providers become variants of
// one inline prompt agent, tests become cases with the defaultTest merged in, the run options
// become hints. The pieces live in PromptfooYaml.cpp, PromptfooProviders.cpp,
// PromptfooAssertions.cpp and PromptfooTests.cpp.
namespace promptfoo {

using namespace detail;

namespace {

struct PromptSpec
{
    QString text;
    QString label;
};

struct ProviderSpec
{
    QString label;
    QJsonObject model;
};

QString slug(const QString &text)
{
    static const QRegularExpression other(QStringLiteral("[^a-z0-9]+"));
    QString s = text.toLower().replace(other, QStringLiteral("-"));
    while (s.startsWith(u'-'))
        s.remove(0, 1);
    while (s.endsWith(u'-'))
        s.chop(1);
    if (s.size() > 60)
        s = s.left(60);
    while (s.endsWith(u'-'))
        s.chop(1);
    return s;
}

// A name not in `taken` (adding " (2)", "-2"… as `sep` says), then taken.
QString unique(const QString &name, QSet<QString> &taken, const QString &sep)
{
    QString candidate = name;
    for (int n = 2; taken.contains(candidate); ++n)
        candidate
            = sep == u" (" ? QStringLiteral("%1 (%2)").arg(name).arg(n) : name + sep + QString::number(n);
    taken.insert(candidate);
    return candidate;
}

class ConfigMapper
{
public:
    ConfigMapper(ImportContext &ctx, const Source &config)
        : m_ctx(ctx)
        , m_config(config)
        , m_root(config.value.toObject())
    {
    }

    QJsonObject map(const QString &path, PromptfooHints *hints);

private:
    void checkTopLevelKeys();
    QList<PromptSpec> readPrompts();
    void readPromptFile(
        const QString &path, const QString &ref, const QString &label, QList<PromptSpec> *out);
    QList<ProviderSpec> readProviders();
    void readOptions(PromptfooHints *hints, QJsonObject *dataset);
    QJsonArray cases(const PartialTest &defaults, const QList<PartialTest> &tests);
    QJsonObject caseFor(const PartialTest &defaults, const PartialTest &test, QSet<QString> &ids, int n);
    static QJsonObject signatureOf(const QJsonArray &cases, const QList<PromptSpec> &prompts);

    ImportContext &m_ctx;
    const Source &m_config;
    QJsonObject m_root;
};

void ConfigMapper::checkTopLevelKeys()
{
    static const QStringList known
        = { QStringLiteral("description"), QStringLiteral("prompts"), QStringLiteral("providers"),
              QStringLiteral("targets"), QStringLiteral("tests"), QStringLiteral("defaultTest"),
              QStringLiteral("evaluateOptions"), QStringLiteral("commandLineOptions") };
    for (auto it = m_root.begin(); it != m_root.end(); ++it)
        if (!known.contains(it.key()))
            m_ctx.report(m_config, it.key(), QStringLiteral("not supported"));
    if (m_root.contains(u"providers") && m_root.contains(u"targets"))
        m_ctx.report(m_config, QStringLiteral("targets"),
            QStringLiteral("give either providers or targets (its other name), not both"));
    if (m_root.contains(u"description") && !m_root.value(u"description").isString())
        m_ctx.report(m_config, QStringLiteral("description"), QStringLiteral("expected a string"));
}

void ConfigMapper::readPromptFile(
    const QString &path, const QString &ref, const QString &label, QList<PromptSpec> *out)
{
    const QString suffix = QFileInfo(ref.mid(7)).suffix().toLower();
    static const QStringList text = { QStringLiteral("txt"), QStringLiteral("md"), QStringLiteral("j2"),
        QStringLiteral("njk"), QString() };
    if (!text.contains(suffix)) {
        m_ctx.report(m_config, path,
            QStringLiteral("'%1': only text prompt files are supported (not .%2)").arg(ref, suffix));
        return;
    }
    const std::optional<QByteArray> bytes = m_ctx.readFile(m_config, path, ref);
    if (!bytes)
        return;
    // Several prompts in one file are separated by a line "---".
    static const QRegularExpression separator(QStringLiteral("\\r?\\n---\\r?\\n"));
    const QStringList parts = QString::fromUtf8(*bytes).split(separator);
    for (const QString &part : parts)
        if (m_ctx.checkTemplate(m_config, path, part))
            out->append(PromptSpec { part.trimmed(), parts.size() == 1 ? label : QString() });
}

QList<PromptSpec> ConfigMapper::readPrompts()
{
    QList<PromptSpec> out;
    const QJsonValue v = m_root.value(u"prompts");
    if (v.isUndefined() || v.isNull()) {
        m_ctx.report(m_config, QStringLiteral("prompts"), QStringLiteral("missing"));
        return out;
    }
    const QJsonArray list = v.isArray() ? v.toArray() : QJsonArray { v };
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString p = v.isArray() ? indexed(QStringLiteral("prompts"), i) : QStringLiteral("prompts");
        QString text, label;
        if (list.at(i).isString()) {
            text = list.at(i).toString();
        } else if (list.at(i).isObject()) {
            const QJsonObject o = list.at(i).toObject();
            for (auto it = o.begin(); it != o.end(); ++it)
                if (it.key() != u"raw" && it.key() != u"id" && it.key() != u"label")
                    m_ctx.report(m_config, join(p, it.key()), QStringLiteral("not supported"));
            label = o.value(u"label").toString();
            text = o.contains(u"raw") ? o.value(u"raw").toString() : o.value(u"id").toString();
            if (text.isEmpty())
                m_ctx.report(m_config, p, QStringLiteral("expected a prompt text (raw) or a file:// id"));
        } else {
            m_ctx.report(m_config, p, QStringLiteral("expected a prompt text or {raw, label}"));
        }
        if (text.startsWith(QLatin1String("file://")))
            readPromptFile(p, text, label, &out);
        else if (!text.isEmpty() && m_ctx.checkTemplate(m_config, p, text))
            out.append(PromptSpec { text, label });
    }
    for (qsizetype i = 0; i < out.size(); ++i)
        if (out.at(i).label.isEmpty())
            out[i].label = QStringLiteral("p%1").arg(i + 1);
    return out;
}

QList<ProviderSpec> ConfigMapper::readProviders()
{
    QList<ProviderSpec> out;
    const QString key = m_root.contains(u"targets") && !m_root.contains(u"providers")
        ? QStringLiteral("targets")
        : QStringLiteral("providers");
    const QJsonValue v = m_root.value(key);
    if (v.isUndefined() || v.isNull()) {
        m_ctx.report(m_config, QStringLiteral("providers"), QStringLiteral("missing"));
        return out;
    }
    const QJsonArray list = v.isArray() ? v.toArray() : QJsonArray { v };
    for (qsizetype i = 0; i < list.size(); ++i) {
        QString label;
        const QString p = v.isArray() ? indexed(key, i) : key;
        if (const auto model = m_ctx.mapProvider(m_config, p, list.at(i), &label))
            out.append(ProviderSpec { label, *model });
    }
    return out;
}

// evaluateOptions, then commandLineOptions (the CLI defaults) over it.
void ConfigMapper::readOptions(PromptfooHints *hints, QJsonObject *dataset)
{
    for (const QString &section :
        { QStringLiteral("evaluateOptions"), QStringLiteral("commandLineOptions") }) {
        const QJsonValue v = m_root.value(section);
        if (v.isUndefined())
            continue;
        if (!v.isObject()) {
            m_ctx.report(m_config, section, QStringLiteral("expected an object"));
            continue;
        }
        const bool cli = section == u"commandLineOptions";
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString kp = join(section, it.key());
            const QJsonValue value = it.value();
            const bool count
                = value.isDouble() && value.toDouble() >= 1 && value.toDouble() == int(value.toDouble());
            if (it.key() == u"repeat" || it.key() == u"maxConcurrency") {
                if (!count)
                    m_ctx.report(m_config, kp, QStringLiteral("expected a whole number ≥ 1"));
                else if (it.key() == u"repeat")
                    hints->repeat = value.toInt();
                else
                    hints->maxConcurrency = value.toInt();
            } else if (it.key() == u"cache") {
                if (value.isBool())
                    hints->cache = value.toBool();
                else
                    m_ctx.report(m_config, kp, QStringLiteral("expected true or false"));
            } else if (!cli && it.key() == u"timeoutMs") {
                if (value.isDouble() && value.toDouble() >= 0)
                    hints->timeoutMs = value.toInt();
                else
                    m_ctx.report(m_config, kp, QStringLiteral("expected milliseconds ≥ 0"));
            } else if (!cli && it.key() == u"showProgressBar") {
                // How promptfoo draws its progress; the runner has its own.
            } else if (cli && it.key() == u"grader") {
                if (const auto model = m_ctx.mapProvider(m_config, kp, value);
                    model && !dataset->contains(u"judge"))
                    dataset->insert(
                        QStringLiteral("judge"), QJsonObject { { QStringLiteral("model"), *model } });
            } else {
                m_ctx.report(m_config, kp, QStringLiteral("not supported"));
            }
        }
    }
    if (hints->repeat)
        dataset->insert(QStringLiteral("repeat"), *hints->repeat);
}

// One case: the defaultTest merged in as promptfoo does (vars: the case's win; asserts: the
// defaults' first, unless options.disableDefaultAsserts; threshold: the case's, else the
// defaults'; metadata: shallow merge, the case's win), placeholders filled from its vars.
QJsonObject ConfigMapper::caseFor(
    const PartialTest &defaults, const PartialTest &test, QSet<QString> &ids, int n)
{
    QJsonObject vars = defaults.vars;
    for (auto it = test.vars.begin(); it != test.vars.end(); ++it)
        vars.insert(it.key(), it.value());
    // Vars may use other vars ("tweet about {{topic}}").
    const QJsonObject written = vars;
    for (auto it = vars.begin(); it != vars.end(); ++it)
        if (it.value().isString() && it.value().toString().contains(QLatin1String("{{")))
            it.value() = prompttemplate::render(it.value().toString(), written);

    QJsonArray asserts;
    const bool inherit = !test.options.value(u"disableDefaultAsserts").toBool();
    for (const MappedAssertion &a : inherit ? defaults.asserts : QList<MappedAssertion>())
        asserts.append(ImportContext::render(a, vars));
    for (const MappedAssertion &a : test.asserts) {
        QJsonObject rendered = ImportContext::render(a, vars);
        if (rendered.value(u"type").toString() == u"judge" && !rendered.contains(u"model")
            && !test.judgeModel.isEmpty())
            rendered.insert(QStringLiteral("model"), test.judgeModel);
        asserts.append(rendered);
    }

    QJsonObject c;
    const QString description = test.description.isEmpty() ? defaults.description : test.description;
    const QString base = slug(description);
    c.insert(QStringLiteral("id"),
        unique(base.isEmpty() ? QStringLiteral("case-%1").arg(n) : base, ids, QStringLiteral("-")));
    if (!description.isEmpty())
        c.insert(QStringLiteral("description"), description);
    c.insert(QStringLiteral("inputs"), vars);
    QJsonObject metadata = defaults.metadata;
    for (auto it = test.metadata.begin(); it != test.metadata.end(); ++it)
        metadata.insert(it.key(), it.value());
    if (!metadata.isEmpty())
        c.insert(QStringLiteral("metadata"), metadata);
    if (const std::optional<double> threshold = test.threshold ? test.threshold : defaults.threshold)
        c.insert(QStringLiteral("threshold"), *threshold);
    c.insert(QStringLiteral("assert"), asserts);
    return c;
}

QJsonArray ConfigMapper::cases(const PartialTest &defaults, const QList<PartialTest> &tests)
{
    QJsonArray out;
    QSet<QString> ids;
    if (tests.isEmpty()) // promptfoo runs each prompt once with the defaults alone
        out.append(caseFor(defaults, PartialTest {}, ids, 1));
    for (qsizetype i = 0; i < tests.size(); ++i)
        out.append(caseFor(defaults, tests.at(i), ids, int(i) + 1));
    return out;
}

// The inline agent's inputs: every var of the cases (str when every case gives a string, else
// json; optional when a case leaves it out) and every placeholder of the prompts.
QJsonObject ConfigMapper::signatureOf(const QJsonArray &cases, const QList<PromptSpec> &prompts)
{
    QStringList names;
    QSet<QString> nonString;
    QHash<QString, int> count;
    for (const QJsonValue &c : cases) {
        const QJsonObject inputs = c.toObject().value(u"inputs").toObject();
        for (auto it = inputs.begin(); it != inputs.end(); ++it) {
            if (!names.contains(it.key()))
                names.append(it.key());
            if (!it.value().isString())
                nonString.insert(it.key());
            ++count[it.key()];
        }
    }
    for (const PromptSpec &p : prompts)
        for (const QString &root : prompttemplate::roots(prompttemplate::placeholders(p.text, nullptr)))
            if (!names.contains(root))
                names.append(root);
    QJsonArray inputs;
    for (const QString &name : std::as_const(names)) {
        QJsonObject f { { QStringLiteral("name"), name },
            { QStringLiteral("type"),
                nonString.contains(name) ? QStringLiteral("json") : QStringLiteral("str") } };
        if (count.value(name) < cases.size())
            f.insert(QStringLiteral("required"), false);
        inputs.append(f);
    }
    const QJsonArray outputs { QJsonObject { { QStringLiteral("name"), QStringLiteral("output") },
        { QStringLiteral("type"), QStringLiteral("str") } } };
    return { { QStringLiteral("inputs"), inputs }, { QStringLiteral("outputs"), outputs } };
}

QJsonObject ConfigMapper::map(const QString &path, PromptfooHints *hints)
{
    checkTopLevelKeys();
    const QList<PromptSpec> prompts = readPrompts();
    const QList<ProviderSpec> providers = readProviders();

    PartialTest defaults;
    const QJsonValue dv = m_root.value(u"defaultTest");
    if (dv.isString() && dv.toString().startsWith(QLatin1String("file://"))) {
        if (const std::optional<Source> doc
            = m_ctx.readDocument(m_config, QStringLiteral("defaultTest"), dv.toString())) {
            const Source *kept = m_ctx.keep(*doc);
            defaults = m_ctx.readTest(*kept, QString(), kept->value, true);
        }
    } else if (!dv.isUndefined() && !dv.isNull()) {
        defaults = m_ctx.readTest(m_config, QStringLiteral("defaultTest"), dv, true);
    }
    const QList<PartialTest> tests
        = m_ctx.readTests(m_config, QStringLiteral("tests"), m_root.value(u"tests"));

    QJsonObject dataset { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
        { QStringLiteral("name"),
            m_root.value(u"description").isString() ? m_root.value(u"description").toString()
                                                    : QFileInfo(path).completeBaseName() } };
    if (!defaults.judgeModel.isEmpty())
        dataset.insert(
            QStringLiteral("judge"), QJsonObject { { QStringLiteral("model"), defaults.judgeModel } });
    readOptions(hints, &dataset);

    QJsonArray variants;
    QSet<QString> names;
    for (const ProviderSpec &provider : providers)
        for (const PromptSpec &prompt : prompts)
            variants.append(QJsonObject { { QStringLiteral("name"),
                                              unique(provider.label + QStringLiteral(" · ") + prompt.label,
                                                  names, QStringLiteral(" (")) },
                { QStringLiteral("prompt"), prompt.text }, { QStringLiteral("model"), provider.model } });

    const QJsonArray caseList = cases(defaults, tests);
    QJsonObject agent { { QStringLiteral("id"), QStringLiteral("prompt") },
        { QStringLiteral("name"), QStringLiteral("promptfoo prompt") },
        { QStringLiteral("signature"), signatureOf(caseList, prompts) } };
    if (!providers.isEmpty())
        agent.insert(QStringLiteral("model"), providers.constFirst().model);
    if (!prompts.isEmpty())
        agent.insert(QStringLiteral("prompt"), prompts.constFirst().text);
    dataset.insert(QStringLiteral("target"),
        QJsonObject { { QStringLiteral("agent_spec"), agent },
            { QStringLiteral("providers"), m_ctx.providerEntries() } });
    dataset.insert(QStringLiteral("variants"), variants);
    dataset.insert(QStringLiteral("cases"), caseList);
    return dataset;
}

// The mapping with the hash of every byte it read (the config and each file:// it loaded).
Result<QJsonObject> convert(const QByteArray &yaml, const QString &path, QList<DatasetProblem> *problems,
    PromptfooHints *hints, QString *sha256)
{
    QList<DatasetProblem> local;
    if (!problems)
        problems = &local;
    PromptfooHints localHints;
    if (!hints)
        hints = &localHints;
    const qsizetype before = problems->size();
    ImportContext ctx(path, problems);
    ctx.hashBytes(yaml);
    Result<Source> config = readYaml(yaml, QString());
    if (!config) {
        problems->append(DatasetProblem { QString(), config.error() });
        return Failure { config.error() };
    }
    if (!config->value.isObject()) {
        ctx.report(
            *config, QString(), QStringLiteral("expected a promptfoo config (prompts, providers, tests)"));
        return Failure { toStrings(*problems).join(QLatin1Char('\n')) };
    }
    QJsonObject dataset = ConfigMapper(ctx, *config).map(path, hints);
    if (ctx.failed())
        return Failure { toStrings(problems->mid(before)).join(QLatin1Char('\n')) };
    if (sha256)
        *sha256 = ctx.sha256();
    return dataset;
}

} // namespace

Result<QJsonObject> toDatasetJson(
    const QByteArray &yaml, const QString &path, QList<DatasetProblem> *problems, PromptfooHints *hints)
{
    return convert(yaml, path, problems, hints, nullptr);
}

Result<Dataset> import(
    const QString &path, const Workspace &ws, QList<DatasetProblem> *problems, PromptfooHints *hints)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        const QString why = QStringLiteral("cannot read '%1': %2").arg(path, f.errorString());
        if (problems)
            problems->append(DatasetProblem { QString(), why });
        return Failure { why };
    }
    QString sha256;
    const Result<QJsonObject> json = convert(f.readAll(), path, problems, hints, &sha256);
    if (!json)
        return Failure { json.error() };
    Result<Dataset> dataset = Dataset::fromJson(QJsonDocument(*json).toJson(), path, ws, problems);
    if (dataset) {
        // The record names the config and the bytes it was made from, not the mapped JSON.
        dataset->path = path;
        dataset->sha256 = sha256;
    }
    return dataset;
}

} // namespace promptfoo
